import type { Encoded, Written } from './codec.js';

/**
 * The low-level contract every backend implements: an MVCC key-value space with one global
 * revision, modelled on etcd's KV and Watch APIs. `KVStore` builds the Kubernetes storage
 * semantics (objects, selectors, preconditions, pagination, watch events) once on top of it, so a
 * backend only has to be a faithful MVCC map.
 *
 * Values are serialized objects without `metadata.resourceVersion`: the revision of a value's last
 * write is its `modRev`, added back on decode (as Kubernetes' etcd3 store does).
 */
export interface KVEntry {
  readonly key: string;
  readonly value: string;
  readonly modRev: number;
}

/** One committed write. Events are shared between watchers; `memo` caches their decoded objects. */
export interface KVEvent {
  readonly key: string;
  readonly rev: number;
  /** The new value; null for a delete. */
  readonly value: string | null;
  /** The value before this write; null for a create. A backend may read it when asked: watchers ask while the event is delivered. */
  readonly prev: string | null;
  memo?: { obj?: unknown; prev?: unknown; written?: Written };
  /**
   * What `value` was serialised from, for a write made in this process: set only while the event
   * is first published, so that a watcher may copy the object then instead of parsing `value`;
   * cleared afterwards, since the writer keeps it. Never modified.
   */
  source?: WriteSource;
}

/** A write made in this process: the object (its resourceVersion aside) and its encoding, whose value the write stores. */
export interface WriteSource {
  readonly obj: unknown;
  readonly enc: Encoded;
}

export interface RangeResult {
  /** Live entries in key order, at most `limit`. */
  entries: KVEntry[];
  /** The revision the range was read at. */
  rev: number;
  /** How many further live keys the range holds after the returned ones. */
  more: number;
}

export type TxnResult = { ok: true; rev: number } | { ok: false; current: KVEntry | undefined };

export interface WatchSink {
  /** Events in revision order, each exactly once. */
  events(events: readonly KVEvent[]): void;
  /** The watch cannot continue (a CompactedError, or the backend failed); no calls follow. */
  error(err: unknown): void;
}

export interface KVWatch {
  stop(): void;
  /** A revision through which every event in range has been passed to the sink (for bookmarks). */
  progress(): number;
}

export interface KV {
  get(key: string): Promise<KVEntry | undefined>;
  /**
   * Live keys in [start, end) at revision `atRev` (0: latest). Throws CompactedError for a revision
   * older than the compaction point and FutureRevisionError for one not yet written.
   */
  range(start: string, end: string, limit: number, atRev: number): Promise<RangeResult>;
  count(start: string, end: string): Promise<number>;
  /**
   * Atomically: if `key`'s modRev equals `expectModRev` (0: absent), write `value` (null deletes).
   * Never retried blindly: a failed compare returns the current entry for the caller to decide.
   * `source` is what `value` serialises, which a backend that publishes its own commits passes
   * on as the event's `source`.
   */
  txn(key: string, expectModRev: number, value: string | null, source?: WriteSource): Promise<TxnResult>;
  /** Events on keys in [start, end) with revision > `afterRev`, then live ones, until stopped. */
  watch(start: string, end: string, afterRev: number, sink: WatchSink): KVWatch;
  /** Forgets every version older than the newest one at or before `rev`. */
  compact(rev: number): Promise<void>;
  revision(): Promise<number>;
  close(): Promise<void>;
}

/** A revision older than the compaction point was asked for. */
export class CompactedError extends Error {
  constructor(readonly requested: number, readonly compacted: number) {
    super(`required revision ${requested} has been compacted (compacted revision ${compacted})`);
  }
}

/** A revision newer than the store's current one was asked for. */
export class FutureRevisionError extends Error {
  constructor(readonly requested: number, readonly current: number) {
    super(`required revision ${requested} is a future revision (current ${current})`);
  }
}

/** The smallest string greater than every string starting with `prefix` (etcd's prefix end). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

export const inRange = (key: string, start: string, end: string): boolean => key >= start && key < end;
