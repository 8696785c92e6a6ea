export type {
  DeleteOptions, GetOptions, ListOptions, ListResult, Preconditions, Predicate, StoredObject, UpdateOptions, Watch, WatchEvent,
  WatchOptions,
} from './types.js';
export { MAX_OBJECT_BYTES } from './types.js';
export { watchEventJson, writtenJson } from './codec.js';
export type { Encoded } from './codec.js';
export { deepCopy } from './json.js';
export { INITIAL_EVENTS_END_ANNOTATION, KVStore } from './kv-store.js';
export type { StoreOptions } from './kv-store.js';
export type { KV, KVEntry, KVEvent, KVWatch, RangeResult, TxnResult, WatchSink, WriteSource } from './kv.js';
export { CompactedError, FutureRevisionError } from './kv.js';
export { createMemoryStore, MemoryKV } from './memory.js';
export { createSqliteStore, SqliteKV } from './sqlite.js';
export type { SqliteStoreOptions, SqliteSync } from './sqlite.js';
export { createEtcdStore, EtcdKV } from './etcd.js';
export type { EtcdStoreOptions } from './etcd.js';
export { createStore } from './create-store.js';
export type { CreateStoreOptions } from './create-store.js';
export { Store, StoreConfig } from './tokens.js';
export { StoreModule } from './module.js';
export { WatchCache } from './watch-cache.js';
export type { WatchCacheOptions } from './watch-cache.js';
