import { notFound, objectField, resourceVersionTooOld, serviceUnavailable } from '@peapod/api-types';
import { RealClock, type Clock, type TimerHandle } from '@peapod/core';
import { decode, encodeContinue, parseRevision, rememberEvent, targetOf, tooLargeRevision, withRevision, type Written } from './codec.js';
import { CompactedError, inRange, prefixEnd, type KVEvent, type KVWatch } from './kv.js';
import { bookmark, keyEnd, storageError, type KVStore, type StoreOptions } from './kv-store.js';
import { changeEvent, compilePredicate, type Matcher } from './predicate.js';
import type {
  DeleteOptions, GetOptions, ListOptions, ListResult, Store, StoredObject, UpdateOptions, Watch, WatchEvent, WatchOptions,
} from './types.js';
import { WatchQueue } from './watch-queue.js';
import { SortedKeys, lowerBound } from './sorted-keys.js';

export interface WatchCacheOptions extends StoreOptions {
  /** Recent events kept so watches can start in the past without reading the backend. */
  historySize?: number;
  /** How long a read for a revision the cache has not reached yet waits before 504. */
  freshnessTimeoutMs?: number;
  /**
   * How long a consistent list waits for the cache to catch up before the backend answers it
   * instead; 0 sends consistent lists to the backend. A local backend is caught up as soon as a
   * write returns; etcd only tells that it is through progress notifications.
   */
  consistentReadWaitMs?: number;
  /**
   * Key prefixes the cache does not hold; lists and watches that reach into them go to the
   * backend. Default: Events, for which kube-apiserver disables its watch cache
   * (DefaultWatchCacheSizes): written for every pod's every step, rarely read, they would
   * otherwise be much of what the cache holds.
   */
  uncachedPrefixes?: readonly string[];
}

interface Watcher {
  start: string;
  end: string;
  matcher: Matcher;
  queue: WatchQueue<StoredObject>;
  bookmarks: boolean;
  /** Highest revision sent (event or bookmark). */
  sent: number;
}

/**
 * The field watchers are indexed by, as kube-apiserver's cacher indexes pod watches: every
 * kubelet watches `spec.nodeName=<its node>` and the scheduler `spec.nodeName=` (unassigned
 * pods), so an event is matched only against the watchers of the node its object was or is on,
 * not against every kubelet's. Objects without the field index as '' (a field selector reads an
 * absent field as empty).
 */
const INDEXED_FIELD = 'spec.nodeName';
const indexValue = (obj: StoredObject | undefined) => objectField(obj, INDEXED_FIELD) ?? '';

const addTo = <K>(index: Map<K, Set<Watcher>>, k: K, w: Watcher) => {
  let set = index.get(k);
  if (!set) index.set(k, (set = new Set()));
  set.add(w);
};
const removeFrom = <K>(index: Map<K, Set<Watcher>>, k: K, w: Watcher) => {
  const set = index.get(k)!;
  set.delete(w);
  if (set.size === 0) index.delete(k);
};

/**
 * Every open watcher, and which of them an event can concern. Watchers of one key (a watch of one
 * object, as every kubelet's of its own Node) are found by that key, watchers that require the
 * indexed field by its value, so a write is offered only to those and to the remaining ranges.
 */
class Watchers implements Iterable<Watcher> {
  private readonly all = new Set<Watcher>();
  private readonly ranges = new Set<Watcher>();
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly byValue = new Map<string, Set<Watcher>>();

  add(w: Watcher): void {
    this.all.add(w);
    if (w.end === keyEnd(w.start)) return addTo(this.byKey, w.start, w);
    const v = w.matcher.requires(INDEXED_FIELD);
    if (v === undefined) this.ranges.add(w);
    else addTo(this.byValue, v, w);
  }

  delete(w: Watcher): void {
    if (!this.all.delete(w)) return;
    if (w.end === keyEnd(w.start)) return removeFrom(this.byKey, w.start, w);
    const v = w.matcher.requires(INDEXED_FIELD);
    if (v === undefined) this.ranges.delete(w);
    else removeFrom(this.byValue, v, w);
  }

  [Symbol.iterator](): Iterator<Watcher> {
    return this.all.values();
  }

  /** The watchers that may see a write of `key` whose indexed field was `before` and is `after`. */
  *concerned(key: string, before: string, after: string): Iterable<Watcher> {
    yield* this.ranges;
    const k = this.byKey.get(key);
    if (k) yield* k;
    const a = this.byValue.get(before);
    if (a) yield* a;
    const b = before === after ? undefined : this.byValue.get(after);
    if (b) yield* b;
  }
}

/**
 * One write as the cache keeps it: the object it stored (none for a delete) and the one it
 * replaced (none for a create), both sealed and shared with the cache's state and its other
 * changes. The JSON texts are not kept (a watch replaying history needs only the objects), but
 * for the WRITTEN_KEPT newest writes made in this process (`written`).
 */
interface Change {
  readonly key: string;
  readonly rev: number;
  readonly obj: StoredObject | undefined;
  readonly prev: StoredObject | undefined;
  /** How `obj` was stored, which the change's events carry (see `watchEventJson`). */
  written?: Written | undefined;
}

/**
 * How many of the newest changes keep their stored text, so that a watcher cut off for falling
 * behind (`watchBufferSize`, 1,024 by default) and resuming replays them without serialising
 * each; events further back are serialised. Bounded because the history is long (`historySize`).
 */
const WRITTEN_KEPT = 2048;

const EMPTY_OBJECT = Object.freeze({});
const EMPTY_ARRAY = Object.freeze([]);

/**
 * Deep-freezes a freshly decoded value (the cache shares it with every list caller and watcher),
 * sharing what it can: each part equal to the part of `old` (the sealed object it replaces) at the
 * same path becomes `old`'s, so the versions of an object in the history cost only what changed
 * between them, and every empty object or array becomes one shared instance (a managedFields
 * entry's FieldsV1 is mostly empty leaves). Returns `old` itself when the two are equal, keys in
 * the same order included (so a shared part serialises exactly as the decoded one would).
 */
function seal(v: unknown, old: unknown): unknown {
  if (v === null || typeof v !== 'object') return v === old ? old : v;
  if (Array.isArray(v)) {
    const o = Array.isArray(old) ? old as readonly unknown[] : undefined;
    if (v.length === 0) return o?.length === 0 ? o : EMPTY_ARRAY;
    let same = o?.length === v.length;
    for (let i = 0; i < v.length; i++) same = (v[i] = seal(v[i], o?.[i])) === o?.[i] && same;
    return same ? o : Object.freeze(v);
  }
  const o = old !== null && typeof old === 'object' && !Array.isArray(old) ? old as Readonly<Record<string, unknown>> : undefined;
  const rec = v as Record<string, unknown>;
  const oldKeys = o ? Object.keys(o) : [];
  let same = o !== undefined;
  let n = 0;
  for (const k in rec) {
    // Without an own "__proto__" (JSON.parse makes it an own key), o.__proto__ is Object.prototype.
    const was = o !== undefined && (k !== '__proto__' || Object.hasOwn(o, k)) ? o[k] : undefined;
    const x = (rec[k] = seal(rec[k], was));
    same = same && oldKeys[n] === k && x === was;
    n++;
  }
  if (n === 0) return same && oldKeys.length === 0 ? o : EMPTY_OBJECT;
  return same && oldKeys.length === n ? o : Object.freeze(v);
}

const sealNew = <T>(v: T): T => seal(v, undefined) as T;

const NOT_PLAIN = Symbol('not plain JSON data');

/** Sets a member, an own "__proto__" too (it stays a member, as JSON.parse makes it). */
function setMember(out: Record<string, unknown>, k: string, x: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
  else out[k] = x;
}

/** A new object with the first `n` of `o`'s members (`keys` are `o`'s). */
function prefixOf(o: Readonly<Record<string, unknown>>, keys: readonly string[], n: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let j = 0; j < n; j++) setMember(out, keys[j]!, o[keys[j]!]);
  return out;
}

/**
 * `seal(JSON.parse(JSON.stringify(v)), old)` without the text, for plain JSON data (plain objects,
 * arrays, strings, finite numbers, booleans, null; undefined members, which JSON drops): the
 * copy is built, frozen, only where it differs from `old` (a level allocates nothing until its
 * first member that differs), and `v` is left alone. NOT_PLAIN for anything else, which only JSON
 * itself renders faithfully.
 */
function sealCopy(v: unknown, old: unknown): unknown {
  // A part the writer took from the cache's own object (sealed JSON data) is that part.
  if (v === old && v !== undefined) return old;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  // JSON writes -0 as 0.
  if (typeof v === 'number') return Number.isFinite(v) ? (v === 0 ? 0 : v) : NOT_PLAIN;
  if (typeof v !== 'object') return NOT_PLAIN;
  if (Array.isArray(v)) {
    const o = Array.isArray(old) ? old as readonly unknown[] : undefined;
    if (v.length === 0) return o?.length === 0 ? o : EMPTY_ARRAY;
    const same = o?.length === v.length;
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const was = o?.[i];
      const x = sealCopy(v[i], was);
      if (x === NOT_PLAIN) return NOT_PLAIN;
      if (out === undefined) {
        if (same && x === was) continue;
        out = new Array<unknown>(v.length);
        for (let j = 0; j < i; j++) out[j] = o![j];
      }
      out[i] = x;
    }
    return out === undefined ? o : Object.freeze(out);
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const o = old !== null && typeof old === 'object' && !Array.isArray(old) ? old as Readonly<Record<string, unknown>> : undefined;
  const oldKeys = o && Object.keys(o);
  const rec = v as Readonly<Record<string, unknown>>;
  let out: Record<string, unknown> | undefined;
  let n = 0;
  for (const k of Object.keys(rec)) {
    const y = rec[k];
    if (y === undefined) continue;
    const was = o !== undefined && (k !== '__proto__' || Object.hasOwn(o, k)) ? o[k] : undefined;
    const x = sealCopy(y, was);
    if (x === NOT_PLAIN) return NOT_PLAIN;
    if (out === undefined) {
      // So far the copy is old's first n members.
      if (oldKeys?.[n] === k && x === was) {
        n++;
        continue;
      }
      out = o ? prefixOf(o, oldKeys!, n) : {};
    }
    setMember(out, k, x);
    n++;
  }
  if (out !== undefined) return Object.freeze(out);
  if (n === 0) return oldKeys?.length === 0 ? o : EMPTY_OBJECT;
  return oldKeys!.length === n ? o : Object.freeze(prefixOf(o!, oldKeys!, n));
}

/**
 * The sealed object a write of `e` stored, sharing what it can with `before`: copied from the
 * object the write serialised when the event carries it (much cheaper than parsing), else decoded.
 * Either way it serialises exactly as the stored value with its resourceVersion.
 */
function sealWritten(e: KVEvent & { value: string }, before: StoredObject | undefined): StoredObject {
  if (e.source !== undefined) {
    // As `decode` reads the stored value: the resourceVersion is the last member of the metadata.
    const src = e.source.obj as StoredObject;
    const { resourceVersion: _rv, ...metadata } = src.metadata ?? {};
    metadata.resourceVersion = String(e.rev);
    const copied = sealCopy({ ...src, metadata }, before);
    if (copied !== NOT_PLAIN) return copied as StoredObject;
  }
  return seal(decode(e.value, e.rev), before) as StoredObject;
}

/** `prev` at the revision of the change that replaced it: how a DELETED event reports the last state. */
const prevAt = (c: Change) => Object.freeze(withRevision(c.prev!, c.rev));

/**
 * What a watcher with `matcher` sees of a change, or nothing (`changeEvent`). `removed` gives
 * `c.prev` at the change's revision, made once for all the watchers of a live change. An event
 * carrying the written object carries how it was stored, shared by all the change's events.
 */
function eventOf(c: Change, matcher: Matcher, removed: () => StoredObject): WatchEvent<StoredObject> | undefined {
  const ev = changeEvent(matcher, c.obj, !!c.prev, () => c.prev!, removed);
  if (ev && c.written && ev.object === c.obj) rememberEvent(ev, c.written);
  return ev;
}

/** Index of the first change with a revision above `rev`. */
function firstAfter(events: readonly Change[], rev: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.rev <= rev) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * kube-apiserver's cacher: an in-memory replica of the backend (but `uncachedPrefixes`), fed by
 * one backend watch, in front of a KVStore. Writes, gets, Exact and continued lists, and lists and
 * watches under `uncachedPrefixes` go to the backend; every other watch and list is served from
 * memory (see `list`). Reads wait up to `freshnessTimeoutMs`
 * for the first load (the backend may be down at start); then lists go to the backend and watches fail with 503.
 *
 * Objects it hands out (list items and watch events) are shared and deeply frozen: copy before
 * changing one. Each watcher has its own bounded queue, so a slow one never delays the others;
 * one that falls more than `watchBufferSize` events behind is closed (see WatchQueue).
 */
export class WatchCache implements Store {
  private readonly objects = new Map<string, StoredObject>();
  private keys = new SortedKeys();
  /** Recent changes, oldest first; every one after `historyFloor` is here (none under `uncachedPrefixes`). */
  private history: Change[] = [];
  private historyFloor = 0;
  /** The revision of the last full load. */
  private loadedAt = 0;
  private rev = 0;
  private readonly watchers = new Watchers();
  private readonly waiters = new Set<() => void>();
  private handle: KVWatch | undefined;
  /** Resolves once the first load succeeded. */
  private readonly ready: Promise<void>;
  private loaded = false;
  private markReady!: () => void;
  private closed = false;
  private readonly clock: Clock;
  private readonly bookmarkTimer: TimerHandle;
  private readonly historySize: number;
  /** `uncachedPrefixes` as key ranges. */
  private readonly uncached: readonly (readonly [string, string])[];

  constructor(private readonly store: KVStore, private readonly opts: WatchCacheOptions = {}) {
    this.clock = opts.clock ?? new RealClock();
    this.historySize = opts.historySize ?? 10_000;
    this.uncached = (opts.uncachedPrefixes ?? ['/events/']).map((p) => [p, prefixEnd(p)] as const);
    this.ready = new Promise((resolve) => { this.markReady = resolve; });
    void this.loadUntilDone();
    this.bookmarkTimer = this.clock.setInterval(() => this.sendBookmarks(), opts.bookmarkIntervalMs ?? 60_000);
  }

  /** (Re)loads the full state and follows the backend from there. */
  private async load(): Promise<void> {
    const kv = this.store.kv;
    const all = await kv.range('', '\uffff', 0, 0);
    if (this.closed) return;
    // Watchers attached while a relist ran saw the old state: they relist too.
    for (const w of this.watchers) w.queue.fail(resourceVersionTooOld());
    this.objects.clear();
    for (const e of all.entries) if (!this.isUncached(e.key)) this.objects.set(e.key, sealNew(decode(e.value, e.modRev)));
    this.keys = new SortedKeys(this.objects.keys());
    this.rev = this.historyFloor = this.loadedAt = all.rev;
    this.history = [];
    this.handle = kv.watch('', '\uffff', all.rev, {
      events: (evs) => this.apply(evs),
      error: (err) => this.resync(err),
    });
  }

  /** Loads, retrying every second while the backend fails. */
  private async loadUntilDone(): Promise<void> {
    while (!this.closed) {
      try {
        await this.load();
        this.loaded = true;
        this.markReady();
        return;
      } catch {
        await this.clock.sleep(1000);
      }
    }
  }

  /** Whether the first load is done, waiting up to `ms` for it. */
  private async loadedWithin(ms: number): Promise<boolean> {
    if (this.loaded) return true;
    let timer: TimerHandle | undefined;
    const loaded = await Promise.race([
      this.ready.then(() => true),
      new Promise<boolean>((resolve) => { timer = this.clock.setTimeout(() => resolve(false), ms); }),
    ]);
    timer?.cancel();
    return loaded;
  }

  /** The backend watch broke (for example it fell behind a compaction): every watcher must relist. */
  private resync(err: unknown): void {
    if (this.closed) return;
    this.handle?.stop();
    this.handle = undefined;
    for (const w of this.watchers) w.queue.fail(err instanceof CompactedError ? resourceVersionTooOld() : storageError(err));
    void this.loadUntilDone();
  }

  private apply(evs: readonly KVEvent[]): void {
    for (const e of evs) {
      this.rev = e.rev;
      if (this.isUncached(e.key)) continue;
      const before = this.objects.get(e.key);
      let after: StoredObject | undefined;
      if (e.value !== null) {
        after = sealWritten(e as KVEvent & { value: string }, before);
        if (!before) this.keys.add(e.key);
        this.objects.set(e.key, after);
      } else if (this.objects.delete(e.key)) {
        this.keys.delete(e.key);
      }
      // The backend's previous value, should the cache not hold it (it always does after a load).
      const c: Change = { key: e.key, rev: e.rev, obj: after, prev: before ?? (e.prev === null ? undefined : sealNew(decode(e.prev, e.rev))) };
      if (e.source && after) c.written = { obj: after, enc: e.source.enc, rev: e.rev };
      this.history.push(c);
      const expired = this.history[this.history.length - 1 - WRITTEN_KEPT];
      if (expired) expired.written = undefined;
      let removed: StoredObject | undefined;
      const removedOnce = () => (removed ??= prevAt(c));
      for (const w of this.watchers.concerned(e.key, indexValue(before), indexValue(after))) {
        if (!inRange(e.key, w.start, w.end)) continue;
        const ev = eventOf(c, w.matcher, removedOnce);
        if (ev && w.queue.push(ev)) w.sent = e.rev;
      }
    }
    if (this.history.length > this.historySize * 1.25) {
      const drop = this.history.length - this.historySize;
      this.historyFloor = this.history[drop - 1]!.rev;
      this.history = this.history.slice(drop);
    }
    for (const wake of this.waiters) wake();
  }

  /** Whether `key` is under one of `uncachedPrefixes`. */
  private isUncached(key: string): boolean {
    return this.uncached.some(([start, end]) => inRange(key, start, end));
  }

  /** Whether a list or watch of [start, end) reaches into an uncached prefix, so the backend must answer it. */
  private reachesUncached(start: string, end: string): boolean {
    return this.uncached.some(([s, e]) => start < e && s < end);
  }

  /** The revision every event up to which the cache holds. */
  private revision(): number {
    return Math.max(this.rev, this.handle?.progress() ?? 0);
  }

  /** Waits until the cache reflects `rev`; 504 if the backend has not reached it or the cache lags too long. */
  private async waitFor(rev: number, timeoutMs = this.opts.freshnessTimeoutMs ?? 3000): Promise<void> {
    if (!(await this.loadedWithin(timeoutMs))) throw serviceUnavailable('the watch cache has not loaded from its backend yet');
    if (this.revision() >= rev) return;
    const current = await this.store.kv.revision();
    if (current < rev) throw tooLargeRevision(rev, current);
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.revision() < rev) return;
        done();
        resolve();
      };
      const poll = this.clock.setInterval(check, 10);
      const timer = this.clock.setTimeout(() => { done(); reject(tooLargeRevision(rev, this.revision())); }, timeoutMs);
      const done = () => { this.waiters.delete(check); poll.cancel(); timer.cancel(); };
      this.waiters.add(check);
    });
  }

  private sendBookmarks(): void {
    const rev = this.revision();
    for (const w of this.watchers) {
      if (w.bookmarks && rev > w.sent && w.queue.push(bookmark(rev))) w.sent = rev;
    }
  }

  create<T extends StoredObject>(key: string, obj: T): Promise<T> {
    return this.store.create(key, obj);
  }

  /**
   * A get with a resourceVersion comes from memory once the cache has reached it (kube-apiserver's
   * cacher: `WaitUntilFreshAndGet`); without one, for an uncached key, or before the cache has
   * loaded, the backend answers.
   */
  async get<T extends StoredObject>(key: string, opts: GetOptions = {}): Promise<T | undefined> {
    this.assertOpen();
    if (!opts.resourceVersion || this.isUncached(key) || !(await this.loadedWithin(this.opts.freshnessTimeoutMs ?? 3000))) return this.store.get(key, opts);
    await this.waitFor(parseRevision(opts.resourceVersion));
    const obj = this.objects.get(key);
    if (obj || opts.ignoreNotFound) return obj as T | undefined;
    throw notFound(targetOf(key));
  }

  /** Works from the cached object, when the cache holds one (see `KVStore.guaranteedUpdate`). */
  guaranteedUpdate<T extends StoredObject>(key: string, opts: UpdateOptions<T>): Promise<T> {
    return this.store.guaranteedUpdate(key, opts, this.cached<T>(key));
  }

  /** Works from the cached object, when the cache holds one (see `KVStore.delete`). */
  delete<T extends StoredObject>(key: string, opts?: DeleteOptions<T>): Promise<T> {
    return this.store.delete(key, opts, this.cached<T>(key));
  }

  /** The object the cache holds for `key`, once loaded; it may lag the backend (writes through the cache compare revisions). */
  private cached<T extends StoredObject>(key: string): T | undefined {
    return this.loaded ? this.objects.get(key) as T | undefined : undefined;
  }

  count(prefix: string): Promise<number> {
    return this.store.count(prefix);
  }

  /** Compacts the backend and forgets the cache's own history up to the same revision. */
  async compact(revision: string): Promise<void> {
    await this.store.compact(revision);
    const rev = parseRevision(revision);
    if (rev > this.historyFloor) {
      this.history = this.history.slice(firstAfter(this.history, rev));
      this.historyFloor = rev;
    }
  }

  currentRevision(): Promise<string> {
    return this.store.currentRevision();
  }

  /**
   * Lists at resourceVersion "0" or NotOlderThan come from memory, and so do consistent lists
   * (resourceVersion unset) once the cache has caught up with the backend's current revision
   * (kube-apiserver's ConsistentListFromCache); if it does not within `consistentReadWaitMs`, the
   * backend answers. A paginated list's first page comes from memory and its continue token
   * reads the rest from the backend at the same revision. Exact and continued lists go to the backend.
   */
  async list<T extends StoredObject>(prefix: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    this.assertOpen();
    const rv = opts.resourceVersion;
    const waitMs = this.opts.consistentReadWaitMs ?? 250;
    const end = prefixEnd(prefix);
    if (opts.continue || opts.resourceVersionMatch === 'Exact' || (!rv && (opts.resourceVersionMatch || !waitMs)) || this.reachesUncached(prefix, end)) {
      return this.store.list(prefix, opts);
    }
    if (!(await this.loadedWithin(this.opts.freshnessTimeoutMs ?? 3000))) return this.store.list(prefix, opts);
    const matcher = compilePredicate(opts);
    if (rv) await this.waitFor(parseRevision(rv));
    else {
      const current = Number(await this.store.currentRevision());
      const fresh = await this.waitFor(current, waitMs).then(() => true, () => false);
      if (!fresh) return this.store.list(prefix, opts);
    }
    const limit = opts.limit && opts.limit > 0 ? Math.floor(opts.limit) : 0;
    const items: T[] = [];
    const keys = this.keys.view();
    let i = lowerBound(keys, prefix);
    for (; i < keys.length && keys[i]! < end; i++) {
      if (limit && items.length >= limit) break;
      const obj = this.objects.get(keys[i]!)!;
      if (matcher.matches(obj)) items.push(obj as T);
    }
    const rev = this.revision();
    const result: ListResult<T> = { items, resourceVersion: String(rev) };
    if (limit && i < keys.length && keys[i]! < end) {
      result.continue = encodeContinue(rev, keyEnd(keys[i - 1]!), prefix);
      if (matcher.empty) result.remainingItemCount = lowerBound(keys, end) - i;
    }
    return result;
  }

  watch<T extends StoredObject>(key: string, opts: WatchOptions = {}): Watch<T> {
    this.assertOpen();
    const matcher = compilePredicate(opts);
    const rv = parseRevision(opts.resourceVersion);
    const recursive = opts.recursive ?? key.endsWith('/');
    const [start, end] = recursive ? [key, prefixEnd(key)] : [key, keyEnd(key)];
    if (this.reachesUncached(start, end)) return this.store.watch(key, opts);
    const queue = new WatchQueue<StoredObject>(this.opts.watchBufferSize ?? 1024);
    const w: Watcher = { start, end, matcher, queue, bookmarks: !!opts.allowBookmarks, sent: 0 };
    queue.onEnd(() => this.watchers.delete(w));

    /** Attaches the watcher with events after `from` (or the current state, with initial events). */
    const attach = (from: number) => {
      if (queue.closed) return;
      if (opts.sendInitialEvents) {
        const initial: WatchEvent<StoredObject>[] = [];
        const keys = this.keys.view();
        for (let i = lowerBound(keys, start); i < keys.length && keys[i]! < end; i++) {
          const obj = this.objects.get(keys[i]!)!;
          if (matcher.matches(obj)) initial.push({ type: 'ADDED', object: obj });
        }
        w.sent = this.revision();
        if (opts.allowBookmarks) initial.push(bookmark(w.sent, true));
        queue.setInitial(initial);
      } else {
        if (from < this.historyFloor) {
          queue.fail(resourceVersionTooOld(`too old resource version: ${from} (${this.historyFloor})`));
          return;
        }
        // Replay the retained changes after `from` (outside the live bound, as kube-apiserver's
        // initial events are); live ones follow in order.
        const replay: WatchEvent<StoredObject>[] = [];
        for (let i = firstAfter(this.history, from); i < this.history.length; i++) {
          const c = this.history[i]!;
          if (!inRange(c.key, start, end)) continue;
          const ev = eventOf(c, matcher, () => prevAt(c));
          if (ev) replay.push(ev);
        }
        queue.setInitial(replay);
        w.sent = Math.max(from, this.rev);
      }
      this.watchers.add(w);
    };
    // A watch the cache can serve now attaches at once, so nothing written after this call is
    // missed. One that waits (the cache is loading or behind `rv`) attaches when the cache is
    // there; "from now" then means from the revision the cache loaded at.
    // Initial events without a resourceVersion are a consistent read: the cache first catches up
    // with the backend's current revision.
    const consistent = opts.sendInitialEvents && !opts.resourceVersion;
    if (this.handle && rv <= this.revision() && !consistent) attach(rv || this.revision());
    else {
      (consistent ? this.store.kv.revision().then((r) => this.waitFor(r)) : this.waitFor(rv))
        .then(() => attach(rv || this.loadedAt), (err: unknown) => queue.fail(storageError(err)));
    }
    return queue as unknown as Watch<T>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.bookmarkTimer.cancel();
    this.handle?.stop();
    for (const w of this.watchers) w.queue.end();
    await this.store.close();
  }

  private assertOpen(): void {
    if (this.closed) throw serviceUnavailable('the store is closed');
  }
}
