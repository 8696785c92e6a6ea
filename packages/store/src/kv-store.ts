import {
  alreadyExists, badRequest, conflict, internalError, isStatusError, notFound, resourceVersionTooOld, serviceUnavailable,
  type StatusError,
} from '@peapod/api-types';
import { RealClock, type Clock } from '@peapod/core';
import {
  decode, decodeContinue, encodeContinue, encodeObject, parseRevision, rememberEvent, targetOf, tooLargeRevision, withWrittenRevision,
} from './codec.js';
import { deepCopy, sameJson } from './json.js';
import { CompactedError, FutureRevisionError, prefixEnd, type KV, type KVEntry, type KVEvent, type KVWatch } from './kv.js';
import { changeEvent, compilePredicate, type Matcher } from './predicate.js';
import type {
  DeleteOptions, GetOptions, ListOptions, ListResult, Preconditions, Store, StoredObject, UpdateOptions, Watch, WatchEvent,
  WatchOptions,
} from './types.js';
import { WatchQueue } from './watch-queue.js';

export interface StoreOptions {
  clock?: Clock;
  /** How often a watch that allows bookmarks gets one when its revision moved (Kubernetes: about a minute). */
  bookmarkIntervalMs?: number;
  /** Live events a watcher may leave unread before it is cut off with 410. */
  watchBufferSize?: number;
  /**
   * Every interval, compact history to the revision seen one interval earlier, so at least one
   * interval of history stays watchable (kube-apiserver's compactor, 5 minutes). 0 disables.
   */
  compactionIntervalMs?: number;
}

/** The annotation on the bookmark that ends a watch's initial events. */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

const LIST_PAGE_MAX = 10_000;

/** `key` exactly, as a range. */
export const keyEnd = (key: string) => `${key}\0`;

/** Maps a backend failure to the Status error a client sees. */
export function storageError(err: unknown): StatusError {
  if (isStatusError(err)) return err;
  if (err instanceof CompactedError) return resourceVersionTooOld(`too old resource version: ${err.requested} (${err.compacted})`);
  if (err instanceof FutureRevisionError) return tooLargeRevision(err.requested, err.current);
  return internalError(err);
}

/** Awaits a backend call, turning its failures into Status errors (callers' own errors are not wrapped). */
const kvCall = <T>(p: Promise<T>): Promise<T> => p.catch((err: unknown) => { throw storageError(err); });

function checkPreconditions(key: string, p: Preconditions | undefined, obj: StoredObject): void {
  if (p?.uid !== undefined && p.uid !== obj.metadata.uid) {
    throw conflict(targetOf(key), `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`);
  }
  if (p?.resourceVersion !== undefined && p.resourceVersion !== obj.metadata.resourceVersion) {
    throw conflict(
      targetOf(key),
      `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`,
    );
  }
}

/**
 * Decodes an event into what a watcher with `matcher` sees (Kubernetes' etcd3 watcher rules), or
 * nothing. Decoded objects are memoized on the event, which every watcher of the write shares, and
 * so is how the new one was stored when this process wrote it (see `watchEventJson`).
 */
function toWatchEvent<T extends StoredObject>(e: KVEvent, matcher: Matcher): WatchEvent<T> | undefined {
  const memo = (e.memo ??= {});
  // The previous state is decoded at the event's revision: a DELETED object carries the revision of its deletion.
  const prev = () => (memo.prev ??= decode(e.prev!, e.rev)) as T;
  const obj = e.value === null ? undefined : (memo.obj ??= decode(e.value, e.rev)) as T;
  const ev = changeEvent(matcher, obj, e.prev !== null, prev, prev);
  if (ev && obj && ev.object === obj && e.source) rememberEvent(ev, (memo.written ??= { obj, enc: e.source.enc, rev: e.rev }));
  return ev;
}

/**
 * What a read-modify-write works from: the object at revision `rev` (none and 0: absent). Read
 * from the backend (`fresh`), the object is a decoded copy and `value` its stored text; otherwise
 * it is the watch cache's shared object, not known to be current.
 */
type State<T> = { fresh: true; obj: T | undefined; rev: number; value: string | undefined } | { fresh: false; obj: T; rev: number };

const stateOf = <T extends StoredObject>(e: KVEntry | undefined): State<T> =>
  ({ fresh: true, obj: e && decode<T>(e.value, e.modRev), rev: e?.modRev ?? 0, value: e?.value });
/** `obj` as its stored text describes it: without its resourceVersion (see `encodeObject`). */
const unversioned = (obj: StoredObject) => {
  const { resourceVersion: _rv, ...metadata } = obj.metadata ?? {};
  return { ...obj, metadata };
};
const cachedState = <T extends StoredObject>(obj: T): State<T> => ({ fresh: false, obj, rev: Number(obj.metadata.resourceVersion) });

export const bookmark = <T>(rev: number, initialEnd = false): WatchEvent<T> => ({
  type: 'BOOKMARK',
  object: {
    metadata: { resourceVersion: String(rev), ...(initialEnd ? { annotations: { [INITIAL_EVENTS_END_ANNOTATION]: 'true' } } : {}) },
  } as T,
});

/** Kubernetes storage semantics over any MVCC backend (`KV`). */
export class KVStore implements Store {
  private closed = false;
  private readonly watches = new Set<WatchQueue<StoredObject>>();
  private readonly clock: Clock;
  private readonly stopCompactor: () => void;

  constructor(readonly kv: KV, private readonly opts: StoreOptions = {}) {
    this.clock = opts.clock ?? new RealClock();
    const every = opts.compactionIntervalMs ?? 5 * 60_000;
    let seen = 0;
    const t = every > 0
      ? this.clock.setInterval(() => {
        void (async () => {
          if (seen) await this.kv.compact(seen);
          seen = await this.kv.revision();
        })().catch(() => undefined); // a failed compaction is retried at the next interval
      }, every)
      : undefined;
    this.stopCompactor = () => t?.cancel();
  }

  async create<T extends StoredObject>(key: string, obj: T): Promise<T> {
    this.assertOpen();
    if (obj.metadata.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    const enc = encodeObject(obj);
    const r = await kvCall(this.kv.txn(key, 0, enc.value, { obj, enc }));
    if (!r.ok) throw alreadyExists(targetOf(key));
    return withWrittenRevision(obj, r.rev, enc);
  }

  async get<T extends StoredObject>(key: string, opts: GetOptions = {}): Promise<T | undefined> {
    this.assertOpen();
    const e = await kvCall(this.kv.get(key));
    if (e) return decode<T>(e.value, e.modRev);
    if (opts.ignoreNotFound) return undefined;
    throw notFound(targetOf(key));
  }

  async list<T extends StoredObject>(prefix: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    this.assertOpen();
    return this.listRange(prefix, prefixEnd(prefix), opts);
  }

  /** Lists [prefix, end); continue tokens are relative to `prefix`. */
  private async listRange<T extends StoredObject>(prefix: string, end: string, opts: ListOptions): Promise<ListResult<T>> {
    const matcher = compilePredicate(opts);
    const limit = opts.limit && opts.limit > 0 ? Math.floor(opts.limit) : 0;
    let start = prefix;
    let atRev = 0;
    if (opts.continue) {
      if (opts.resourceVersion && opts.resourceVersion !== '0') throw badRequest('specifying resource version is not allowed when using continue');
      const c = decodeContinue(opts.continue, prefix);
      start = c.startKey;
      atRev = Math.max(c.rv, 0);
    } else {
      const rv = parseRevision(opts.resourceVersion);
      if (opts.resourceVersionMatch && !opts.resourceVersion) throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
      if (opts.resourceVersionMatch === 'Exact' && !rv) throw badRequest('resourceVersionMatch "Exact" is forbidden for resourceVersion "0"');
      if (rv && opts.resourceVersionMatch === 'Exact') atRev = rv;
      else if (rv) {
        const current = await kvCall(this.kv.revision());
        if (current < rv) throw tooLargeRevision(rv, current);
      }
    }

    const items: T[] = [];
    let rev = atRev;
    let more = 0;
    let last = '';
    let fetch = limit;
    try {
      for (;;) {
        const r = await this.kv.range(start, end, fetch, rev);
        rev = r.rev;
        let i = 0;
        for (; i < r.entries.length && !(limit && items.length >= limit); i++) {
          const e = r.entries[i]!;
          last = e.key;
          const obj = decode<T>(e.value, e.modRev);
          if (matcher.matches(obj)) items.push(obj);
        }
        more = r.more + (r.entries.length - i);
        if (!limit || items.length >= limit || more === 0) break;
        // Selective filters: read further pages at the same revision, growing them like the apiserver does.
        start = keyEnd(last);
        fetch = Math.min(fetch * 2, LIST_PAGE_MAX);
      }
    } catch (err) {
      if (err instanceof CompactedError) {
        if (!opts.continue) throw resourceVersionTooOld('The resourceVersion for the provided list is too old.');
        const e = resourceVersionTooOld(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from this response.',
        );
        e.status.metadata.continue = encodeContinue(-1, start, prefix);
        throw e;
      }
      throw storageError(err);
    }
    const result: ListResult<T> = { items, resourceVersion: String(rev) };
    if (limit && more > 0) {
      result.continue = encodeContinue(rev, keyEnd(last), prefix);
      if (matcher.empty) result.remainingItemCount = more;
    }
    return result;
  }

  /**
   * See `Store.guaranteedUpdate`. `cached` (the watch cache's object for `key`, exactly as stored
   * at its resourceVersion) spares the read, as Kubernetes' `cachedExistingObject` does: the
   * compare-and-swap expects its revision, so a stale one costs a retry from a fresh read, never
   * a lost write. What it cannot settle alone is checked against a fresh read first: a failure
   * (precondition, pinned resourceVersion, tryUpdate throwing) stands only if the object had not
   * changed, and a no-op is answered from the stored state.
   */
  async guaranteedUpdate<T extends StoredObject>(key: string, opts: UpdateOptions<T>, cached?: T): Promise<T> {
    this.assertOpen();
    let s = cached ? cachedState(cached) : await this.current<T>(key);
    for (;;) {
      if (!s.obj && !opts.ignoreNotFound) throw notFound(targetOf(key));
      let next: T;
      try {
        if (s.obj) checkPreconditions(key, opts.preconditions, s.obj);
        next = await opts.tryUpdate(s.obj);
        const pinned = next.metadata.resourceVersion;
        if (pinned && pinned !== (s.obj ? String(s.rev) : '')) throw conflict(targetOf(key));
      } catch (err) {
        s = await this.recheck(key, s, err);
        continue;
      }
      if (!s.fresh && sameJson(unversioned(next), unversioned(s.obj))) {
        s = await this.current<T>(key);
        continue;
      }
      const enc = encodeObject(next);
      if (s.fresh && enc.value === s.value) return withWrittenRevision(next, s.rev, enc);
      const r = await kvCall(this.kv.txn(key, s.rev, enc.value, { obj: next, enc }));
      if (r.ok) return withWrittenRevision(next, r.rev, enc);
      s = stateOf<T>(r.current);
    }
  }

  /** See `Store.delete`; `cached` as for `guaranteedUpdate` (a refusal stands only if the object had not changed). */
  async delete<T extends StoredObject>(key: string, opts: DeleteOptions<T> = {}, cached?: T): Promise<T> {
    this.assertOpen();
    let s = cached ? cachedState(cached) : await this.current<T>(key);
    for (;;) {
      if (!s.obj) throw notFound(targetOf(key));
      try {
        checkPreconditions(key, opts.preconditions, s.obj);
        await opts.validateDeletion?.(s.obj);
      } catch (err) {
        s = await this.recheck(key, s, err);
        continue;
      }
      const r = await kvCall(this.kv.txn(key, s.rev, null));
      if (r.ok) {
        // The caller owns what it gets: a decoded object is its own, the cache's is shared.
        const gone = s.fresh ? s.obj : deepCopy(s.obj);
        gone.metadata.resourceVersion = String(r.rev);
        return gone;
      }
      s = stateOf<T>(r.current);
    }
  }

  /**
   * A refusal computed from state `s` stands (`err` is thrown) if `s` was read from storage or the
   * stored object has not changed since the cache's copy; otherwise the fresh state to retry from.
   */
  private async recheck<T extends StoredObject>(key: string, s: State<T>, err: unknown): Promise<State<T>> {
    if (s.fresh) throw err;
    const fresh = await this.current<T>(key);
    if (fresh.rev === s.rev) throw err;
    return fresh;
  }

  /** The stored state of `key`, read now. */
  private async current<T extends StoredObject>(key: string): Promise<State<T>> {
    return stateOf<T>(await kvCall(this.kv.get(key)));
  }

  watch<T extends StoredObject>(key: string, opts: WatchOptions = {}): Watch<T> {
    this.assertOpen();
    const matcher = compilePredicate(opts);
    const rv = parseRevision(opts.resourceVersion);
    const recursive = opts.recursive ?? key.endsWith('/');
    const [start, end] = recursive ? [key, prefixEnd(key)] : [key, keyEnd(key)];
    const q = new WatchQueue<T>(this.opts.watchBufferSize ?? 10_000);
    this.watches.add(q as WatchQueue<StoredObject>);
    q.onEnd(() => this.watches.delete(q as WatchQueue<StoredObject>));
    let delivered = 0;

    const run = async () => {
      let after = rv;
      if (opts.sendInitialEvents) {
        const initial = await this.listRange<T>(start, end, {
          ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
          ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
          ...(rv ? { resourceVersion: String(rv) } : {}),
        });
        after = Number(initial.resourceVersion);
        const events: WatchEvent<T>[] = initial.items.map((object) => ({ type: 'ADDED', object }));
        if (opts.allowBookmarks) events.push(bookmark(after, true));
        q.setInitial(events);
      } else if (!rv) {
        after = await this.kv.revision();
      }
      if (q.closed) return;
      delivered = after;
      const handle: KVWatch = this.kv.watch(start, end, after, {
        events: (evs) => {
          for (const e of evs) {
            const ev = toWatchEvent<T>(e, matcher);
            if (ev && !q.push(ev)) return;
            delivered = e.rev;
          }
        },
        error: (err) => q.fail(storageError(err)),
      });
      q.onEnd(() => handle.stop());
      if (opts.allowBookmarks) {
        const t = this.clock.setInterval(() => {
          const p = handle.progress();
          if (p > delivered) {
            delivered = p;
            q.push(bookmark(p));
          }
        }, this.opts.bookmarkIntervalMs ?? 60_000);
        q.onEnd(() => t.cancel());
      }
    };
    run().catch((err: unknown) => q.fail(storageError(err)));
    return q;
  }

  async count(prefix: string): Promise<number> {
    this.assertOpen();
    return kvCall(this.kv.count(prefix, prefixEnd(prefix)));
  }

  async compact(revision: string): Promise<void> {
    this.assertOpen();
    const rev = parseRevision(revision);
    const current = await kvCall(this.kv.revision());
    if (rev > current) throw badRequest(`cannot compact to revision ${rev}: the current revision is ${current}`);
    await kvCall(this.kv.compact(rev));
  }

  async currentRevision(): Promise<string> {
    this.assertOpen();
    return String(await kvCall(this.kv.revision()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopCompactor();
    for (const q of this.watches) q.end();
    await this.kv.close();
  }

  private assertOpen(): void {
    if (this.closed) throw serviceUnavailable('the store is closed');
  }
}
