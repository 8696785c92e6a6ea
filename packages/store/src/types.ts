import type { Status } from '@peapod/api-types';

/**
 * The storage contract, mirroring Kubernetes' `storage.Interface`. Every backend (memory, sqlite,
 * etcd) and the watch cache implement it, and one conformance suite specifies it.
 *
 * Keys are slash paths chosen by the API server: `/<resource>/<namespace>/<name>` for namespaced
 * objects and `/<resource>/<name>` for cluster-scoped ones; a list or watch takes a prefix ending in
 * `/` (`/pods/` for all pods, `/pods/default/` for one namespace).
 *
 * One global, monotonically increasing revision counts every write; an object's
 * `metadata.resourceVersion` is the revision of its last write and a list's resourceVersion is the
 * revision it reflects, both as decimal strings. Objects returned by create/get/update/delete and
 * by backend lists are the caller's own. Watch events, and list items served by the watch cache
 * (`WatchCache`: every list but Exact and continued ones), are shared between callers: treat them
 * as immutable (the watch cache deep-freezes them, so a write to one throws instead of corrupting
 * the cache).
 */
export interface StoredObject {
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Filters a list or watch. Label and field selectors use Kubernetes' string syntax. */
export interface Predicate {
  /** e.g. `app=web,tier!=db,env in (a,b),!canary` */
  labelSelector?: string;
  /** e.g. `spec.nodeName=node-1,status.phase!=Succeeded`; a field is a dotted path into the object. */
  fieldSelector?: string;
}

export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

export interface GetOptions {
  /** Return `undefined` instead of throwing NotFound. */
  ignoreNotFound?: boolean;
  /**
   * Unset: the latest state (a consistent read). Set: any state not older than this revision
   * ("0": any), which a watch cache answers from memory, as kube-apiserver's cacher does.
   */
  resourceVersion?: string;
}

export interface ListOptions extends Predicate {
  /** At most this many items; the answer's `continue` fetches the rest at the same revision. */
  limit?: number;
  /** Opaque token from a previous page. A compacted revision gives 410 with a fresh token in the error. */
  continue?: string;
  /**
   * Unset or "": most recent (consistent read). "0": any (served by the watch cache).
   * Otherwise with `resourceVersionMatch` Exact: that revision; NotOlderThan (default): at least it.
   */
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface UpdateOptions<T> {
  preconditions?: Preconditions;
  /** When the key is absent, call `tryUpdate(undefined)` and create instead of failing NotFound. */
  ignoreNotFound?: boolean;
  /**
   * Computes the new object from the current one. May be called more than once when the stored
   * object changes between read and compare-and-swap; throw to abort (the error propagates).
   * Returning the current object unchanged (or one that serialises the same) is a no-op that does
   * not bump the revision. If the returned object's resourceVersion is set and differs from the
   * current one, the update fails with Conflict (a caller-pinned stale resourceVersion).
   * `current` must not be modified: it may be the watch cache's shared, frozen object, which may
   * also be stale (then the update runs again on the stored one: see `KVStore.guaranteedUpdate`).
   * Nor may the returned object be, until the update returns (the watch cache may copy it then).
   */
  tryUpdate: (current: T | undefined) => T | Promise<T>;
}

export interface DeleteOptions<T> {
  preconditions?: Preconditions;
  /** Runs against the current object before deleting; throw to refuse. Must not modify it (see `tryUpdate`). */
  validateDeletion?: (current: T) => void | Promise<void>;
}

export interface WatchOptions extends Predicate {
  /**
   * Unset or "0" without sendInitialEvents: from now. Otherwise events after this revision (410 if
   * it was compacted). With sendInitialEvents: the state at a revision not older than this one
   * (unset: the latest, a consistent read). Note Kubernetes' HTTP API also sends initial events
   * for a watch with resourceVersion unset or "0"; the API server asks for them explicitly.
   */
  resourceVersion?: string;
  /** Start with ADDED for every current object, then a bookmark marking the end of the initial set (when allowBookmarks). */
  sendInitialEvents?: boolean;
  /** Send BOOKMARK events carrying only the current resourceVersion (and the initial-events-end annotation). */
  allowBookmarks?: boolean;
  /** A whole prefix (true) or one key (false). Default: true when `key` ends with `/`. */
  recursive?: boolean;
}

export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: Status };

/**
 * A running watch: events in revision order, no duplicates, no gaps. A watch that cannot start
 * (compacted start) yields one ERROR event with a 410 Status and ends; one whose consumer falls too
 * far behind simply ends, to be resumed from the last resourceVersion seen. `stop()` is idempotent
 * and ends the iteration.
 */
export interface Watch<T> extends AsyncIterable<WatchEvent<T>> {
  stop(): void;
}

export interface Store {
  /**
   * Creates `key`; fails AlreadyExists. Sets `metadata.resourceVersion`; returns the stored object.
   * `obj` must not be modified until the call returns (the watch cache may copy it then).
   */
  create<T extends StoredObject>(key: string, obj: T): Promise<T>;
  /** Fails NotFound unless `ignoreNotFound`. */
  get<T extends StoredObject>(key: string, opts?: GetOptions): Promise<T | undefined>;
  list<T extends StoredObject>(prefix: string, opts?: ListOptions): Promise<ListResult<T>>;
  /** Read-modify-CAS loop; see UpdateOptions. Precondition mismatch gives Conflict. */
  guaranteedUpdate<T extends StoredObject>(key: string, opts: UpdateOptions<T>): Promise<T>;
  /** Deletes and returns the last state (with the delete's resourceVersion). NotFound if absent; Conflict on stale preconditions. */
  delete<T extends StoredObject>(key: string, opts?: DeleteOptions<T>): Promise<T>;
  watch<T extends StoredObject>(key: string, opts?: WatchOptions): Watch<T>;
  count(prefix: string): Promise<number>;
  /** Forgets history up to `revision`; watches and lists from older revisions then get 410. */
  compact(revision: string): Promise<void>;
  /** The latest revision the store has committed. */
  currentRevision(): Promise<string>;
  /** Flushes and closes; later calls fail. Idempotent. */
  close(): Promise<void>;
}

/** Largest serialized object a store accepts (etcd's default request limit); larger writes fail with 413. */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;
