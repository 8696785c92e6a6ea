import { useEffect, useRef, useState } from 'preact/hooks';
import { listWatch, type KObject, type WatchEvent } from './api.js';

export interface Watched<T> {
  items: T[];
  synced: boolean;
  error?: string;
}

const keyOf = (o: KObject) => o.metadata.uid ?? `${o.metadata.namespace}/${o.metadata.name}`;

/**
 * The live contents of a list path (list + watch), re-rendering on every change. `onEvent` sees
 * each watch event with its arrival time (for histories such as the pod timeline). A null path
 * watches nothing. Each hook holds one streaming connection while mounted.
 */
export function useListWatch<T extends KObject>(path: string | null, onEvent?: (ev: WatchEvent<T>, at: number) => void): Watched<T> {
  const [state, setState] = useState<Watched<T>>({ items: [], synced: false });
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (!path) return undefined;
    const abort = new AbortController();
    const items = new Map<string, T>();
    let scheduled = false;
    // Bursts of events (a relist, a rollout) render once per frame.
    const publish = () => {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        setState({ items: [...items.values()], synced: true });
      });
    };
    void listWatch<T>(path, {
      synced(list) {
        items.clear();
        for (const o of list) items.set(keyOf(o), o);
        const at = Date.now();
        for (const o of list) handler.current?.({ type: 'ADDED', object: o }, at);
        publish();
      },
      event(ev, at) {
        if (ev.type === 'DELETED') items.delete(keyOf(ev.object));
        else items.set(keyOf(ev.object), ev.object);
        handler.current?.(ev, at);
        publish();
      },
      failed(err) {
        setState((s) => ({ ...s, error: err.message }));
      },
    }, abort.signal);
    return () => abort.abort();
  }, [path]);
  return state;
}

/** The current time, ticking every `everyMs`, for ages and ongoing timeline states. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** The location hash as path segments: `#/pods/ns/name` -> ['pods', 'ns', 'name']. */
export function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export const href = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join('/')}`;
