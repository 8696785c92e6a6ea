import { isGone, parseLabelSelector, type ResourceInfo } from '@peapod/api-types';
import { TypedEmitter, type Clock, type Logger, type TimerHandle } from '@peapod/core';
import { statusErrorFromResponse } from '../errors.js';
import type { KubeClient, KubeObject, ResourceClient, WatchEvent } from '../types.js';
import { NAMESPACE_INDEX, Store, keyOf, objectKey, type Indexers } from './store.js';

/** What an informer watches: one resource, optionally narrowed to a namespace and selectors. */
export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Re-delivers every cached object as an update this often (0 or absent: never). */
  resyncPeriodMs?: number;
}

export interface ResourceEventHandler<T> {
  /** `isInInitialList` is true for objects of the first list (and for the replay to a late handler). */
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** Also called on resync with `oldObj === newObj`. */
  onUpdate?(oldObj: T, newObj: T): void;
  /** `finalStateUnknown`: the deletion was inferred from a relist, `obj` is the last state seen. */
  onDelete?(obj: T, finalStateUnknown: boolean): void;
}

export type InformerEvents<T> = {
  added: [obj: T, isInInitialList: boolean];
  updated: [oldObj: T, newObj: T];
  deleted: [obj: T, finalStateUnknown: boolean];
  synced: [];
};

export interface Lister<T> {
  /** `namespace` is ignored for cluster-scoped resources. */
  get(namespace: string | undefined, name: string): T | undefined;
  /** All cached objects, or those of one namespace, optionally filtered by a label selector. */
  list(namespace?: string, labelSelector?: string): T[];
}

export interface InformerDeps {
  client: KubeClient;
  clock: Clock;
  logger: Logger;
}

/** Backoff after failed list/watch calls, as client-go's reflector (800 ms doubling to 30 s). */
const BACKOFF_INITIAL_MS = 800;
const BACKOFF_MAX_MS = 30_000;
/** Server-side watch timeout; the watch is then resumed from the last resourceVersion. */
const WATCH_TIMEOUT_SECONDS = 300;

/**
 * A shared informer (client-go's): lists, then watches from the list's resourceVersion, keeping
 * an indexed cache and telling handlers about adds, updates and deletes in the order the server
 * made them.
 *
 * - A watch that ends is resumed from the last resourceVersion seen (events or bookmarks).
 * - A 410 (as an answer or an ERROR event) means that version is gone: the informer relists at
 *   once and reconciles the cache with the list — objects missing from it are delivered as
 *   deletions with `finalStateUnknown`, changed ones as updates, unchanged ones not at all.
 * - Any other failure (transport error, other ERROR event) relists the same way after an
 *   exponential backoff on the injected clock.
 * - An object is never replaced by an older version of itself: when both resourceVersions are
 *   integers (etcd's and Peapod's stores), an event older than the cached object is dropped.
 *
 * Handlers run synchronously, after the cache is updated, and must not mutate the objects.
 * Listeners added with `on()` see the same events without the initial replay or error isolation.
 */
export class SharedInformer<T extends KubeObject> extends TypedEmitter<InformerEvents<T>> {
  readonly store: Store<T>;
  readonly lister: Lister<T>;
  private readonly resource: ResourceClient<T>;
  private lastResourceVersion = '';
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private abort?: AbortController;
  private loop?: Promise<void>;
  private resync?: TimerHandle;

  constructor(readonly info: ResourceInfo<T>, readonly options: InformerOptions, private readonly deps: InformerDeps, indexers: Indexers<T> = {}) {
    super();
    this.store = new Store(indexers);
    this.resource = deps.client.resource(info);
    this.lister = {
      get: (namespace, name) => this.store.get(objectKey(info.namespaced ? namespace : undefined, name)),
      list: (namespace, labelSelector) => {
        const items = namespace && info.namespaced ? this.store.byIndex(NAMESPACE_INDEX, namespace) : this.store.list();
        if (!labelSelector) return items;
        const match = parseLabelSelector(labelSelector);
        return items.filter((o) => match.matches(o.metadata.labels as Record<string, string> | undefined));
      },
    };
  }

  /** True once the first list has been delivered to the cache and handlers. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves when the informer has synced; rejects with the signal's reason if it aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => { signal?.removeEventListener('abort', onAbort); resolve(); });
    });
  }

  addIndexers(indexers: Indexers<T>): void {
    this.store.addIndexers(indexers);
  }

  /**
   * Subscribes a handler; objects already cached are first replayed to it as adds, so a handler
   * registered late sees the same world as one registered before start. A throwing handler is
   * logged and does not stop delivery to others. `remove()` unsubscribes.
   */
  addEventHandler(handler: ResourceEventHandler<T>): { remove(): void } {
    // Every informer event has two arguments: passed on as such, not gathered into an array per event.
    const guard = <A, B>(fn: ((a: A, b: B) => void) | undefined) => fn && ((a: A, b: B) => {
      try { fn.call(handler, a, b); } catch (err) { this.deps.logger.error('informer event handler failed', { resource: this.info.plural, err: String(err) }); }
    });
    const onAdd = guard(handler.onAdd);
    const onUpdate = guard(handler.onUpdate);
    const onDelete = guard(handler.onDelete);
    if (onAdd) for (const obj of this.store.values()) onAdd(obj, true);
    if (onAdd) this.on('added', onAdd);
    if (onUpdate) this.on('updated', onUpdate);
    if (onDelete) this.on('deleted', onDelete);
    return {
      remove: () => {
        if (onAdd) this.off('added', onAdd);
        if (onUpdate) this.off('updated', onUpdate);
        if (onDelete) this.off('deleted', onDelete);
      },
    };
  }

  /** Starts listing and watching; idempotent. */
  start(): void {
    if (this.abort) return;
    const abort = (this.abort = new AbortController());
    this.loop = this.run(abort.signal);
    const every = this.options.resyncPeriodMs ?? 0;
    if (every > 0) {
      this.resync = this.deps.clock.setInterval(() => {
        if (this.synced) for (const obj of this.store.values()) this.emit('updated', obj, obj);
      }, every);
    }
  }

  /** Stops watching and waits for the loop to end; the cache keeps its last state. */
  async stop(): Promise<void> {
    this.resync?.cancel();
    this.abort?.abort();
    await this.loop;
    this.abort = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    let backoff = BACKOFF_INITIAL_MS;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.listAndReplace(signal);
          needList = false;
          backoff = BACKOFF_INITIAL_MS;
        }
        const delivered = await this.watchOnce(signal);
        if (delivered > 0) { backoff = BACKOFF_INITIAL_MS; continue; }
        // A watch that ended without a single event: wait before resuming, so a server that closes
        // watches at once is not hammered.
      } catch (err) {
        if (signal.aborted) break;
        // Whatever failed, the events since the last resourceVersion may be lost: relist.
        needList = true;
        if (isGone(err)) continue;
        this.deps.logger.warn('list/watch failed; relisting after backoff', { resource: this.info.plural, backoffMs: backoff, err: String(err) });
      }
      await this.deps.clock.sleep(backoff, signal).catch(() => undefined);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
  }

  /** A consistent (quorum) list, so the cache never moves back to an older snapshot. */
  private async listAndReplace(signal: AbortSignal): Promise<void> {
    const { namespace, labelSelector, fieldSelector } = this.options;
    const list = await this.resource.list({ namespace, labelSelector, fieldSelector, signal });
    if (signal.aborted) return;
    const initial = !this.synced;
    const seen = new Set<string>();
    for (const obj of list.items) {
      const key = keyOf(obj);
      seen.add(key);
      const old = this.store.get(key);
      if (!old) {
        this.store.set(key, obj);
        this.emit('added', obj, initial);
      } else if (isNewer(obj, old)) {
        this.store.set(key, obj);
        this.emit('updated', old, obj);
      }
    }
    for (const key of [...this.store.keys()]) {
      if (seen.has(key)) continue;
      this.emit('deleted', this.store.delete(key)!, true);
    }
    this.lastResourceVersion = list.metadata.resourceVersion ?? '';
    if (initial) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
      this.emit('synced');
    }
  }

  /** One watch from the last resourceVersion; returns how many events it delivered. */
  private async watchOnce(signal: AbortSignal): Promise<number> {
    const { namespace, labelSelector, fieldSelector } = this.options;
    let delivered = 0;
    const stream = this.resource.watch({
      namespace, labelSelector, fieldSelector, signal,
      resourceVersion: this.lastResourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: WATCH_TIMEOUT_SECONDS,
    });
    for await (const ev of stream) {
      if (signal.aborted) break;
      this.apply(ev);
      delivered++;
    }
    return delivered;
  }

  private apply(ev: WatchEvent<T>): void {
    if (ev.type === 'ERROR') throw statusErrorFromResponse(ev.object.code ?? 500, ev.object);
    const obj = ev.object;
    const rv = obj.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.lastResourceVersion = rv;
      return;
    }
    const key = keyOf(obj);
    const old = this.store.get(key);
    if (ev.type === 'DELETED') {
      if (old) {
        this.store.delete(key);
        this.emit('deleted', obj, false);
      }
    } else if (!old) {
      this.store.set(key, obj);
      this.emit('added', obj, false);
    } else if (isNewer(obj, old)) {
      this.store.set(key, obj);
      this.emit('updated', old, obj);
    }
    if (rv) this.lastResourceVersion = rv;
  }
}

/**
 * Whether `a` is a later version than `b`. resourceVersions are opaque in general; when both are
 * decimal integers (etcd revisions, Peapod's stores) they are compared as numbers, otherwise any
 * different version counts as newer.
 */
function isNewer(a: KubeObject, b: KubeObject): boolean {
  const x = a.metadata.resourceVersion ?? '';
  const y = b.metadata.resourceVersion ?? '';
  if (x === y) return false;
  if (/^\d+$/.test(x) && /^\d+$/.test(y)) return x.length !== y.length ? x.length > y.length : x > y;
  return true;
}
