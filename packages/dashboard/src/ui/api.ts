/**
 * The browser's Kubernetes API client: plain fetch with the admin bearer token against the same
 * origin that served the page. Lists, `?watch=1` streams (one JSON event per line) and log follows.
 */

const TOKEN_KEY = 'peapod.token';

export const savedToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const saveToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

/** A failed API call, carrying the Status' code, reason and message. */
export class ApiError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string) {
    super(message);
  }
}

export interface KObject {
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

let unauthorized: () => void = () => undefined;
/** Called when the server answers 401 (token wrong or expired): the app shows the login page. */
export const onUnauthorized = (fn: () => void): void => { unauthorized = fn; };

async function call(path: string, signal?: AbortSignal, token = savedToken()): Promise<Response> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token ?? ''}`, accept: 'application/json' }, signal });
  if (res.ok) return res;
  const status = await res.json().catch(() => ({})) as { reason?: string; message?: string };
  if (res.status === 401) unauthorized();
  throw new ApiError(res.status, status.reason ?? res.statusText, status.message ?? `${res.status} ${res.statusText}`);
}

export async function get<T>(path: string, signal?: AbortSignal, token?: string): Promise<T> {
  return (await call(path, signal, token)).json() as Promise<T>;
}

/** Yields the lines of a streamed response (watch events, log lines) until it ends or `signal` aborts. */
export async function* lines(path: string, signal: AbortSignal): AsyncGenerator<string> {
  const res = await call(path, signal);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        yield buf.slice(0, nl);
        buf = buf.slice(nl + 1);
      }
    }
    if (buf) yield buf;
  } finally {
    reader.releaseLock();
  }
}

const withQuery = (path: string, q: Record<string, string>) => `${path}${path.includes('?') ? '&' : '?'}${new URLSearchParams(q)}`;
const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((r) => { const t = setTimeout(r, ms); signal.addEventListener('abort', () => { clearTimeout(t); r(); }, { once: true }); });

export interface ListWatchHandlers<T> {
  /** A fresh list replaced everything known (first load and after a 410 Gone). */
  synced(items: T[]): void;
  /** One watch event, with the local time it arrived. */
  event(ev: WatchEvent<T>, at: number): void;
  failed(err: Error): void;
}

/**
 * List, then watch from the list's resourceVersion; a watch that ends resumes from the last
 * version seen, and a 410 Gone (or any failure) relists, as client-go's reflector does. Runs
 * until `signal` aborts.
 */
export async function listWatch<T extends KObject>(path: string, h: ListWatchHandlers<T>, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const list = await get<{ items: T[]; metadata: { resourceVersion?: string } }>(path, signal);
      h.synced(list.items);
      let rv = list.metadata.resourceVersion ?? '';
      let gone = false;
      while (!signal.aborted && !gone) {
        for await (const line of lines(withQuery(path, { watch: '1', resourceVersion: rv, allowWatchBookmarks: 'true' }), signal)) {
          if (!line.trim()) continue;
          const ev = JSON.parse(line) as WatchEvent<T>;
          if (ev.type === 'ERROR') {
            gone = true;
            break;
          }
          rv = ev.object.metadata.resourceVersion ?? rv;
          if (ev.type !== 'BOOKMARK') h.event(ev, Date.now());
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      h.failed(err as Error);
      await sleep(1000, signal);
    }
  }
}
