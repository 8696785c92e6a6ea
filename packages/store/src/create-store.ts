import { badRequest } from '@peapod/api-types';
import type { KVStore } from './kv-store.js';
import { createEtcdStore, EtcdKV } from './etcd.js';
import { createMemoryStore } from './memory.js';
import { createSqliteStore, type SqliteSync } from './sqlite.js';
import type { Store } from './types.js';
import { WatchCache, type WatchCacheOptions } from './watch-cache.js';

export interface CreateStoreOptions extends WatchCacheOptions {
  /** Put the watch cache in front of the backend (default true), as kube-apiserver does. */
  watchCache?: boolean;
}

const USAGE = 'expected sqlite:///path/to/state.db, memory:// or etcd://host:port[,host:port...][/prefix]';

/**
 * Opens the store a URL names:
 * - `sqlite:///var/lib/peapod/state.db[?synchronous=normal]`: the embedded default;
 * - `memory://`: nothing persisted;
 * - `etcd://127.0.0.1:2379,127.0.0.1:22379[/prefix]`: an etcd v3 cluster, keys under `prefix` (default `/registry`).
 * An unknown scheme or malformed URL is a 400 BadRequest.
 */
export function createStore(url: string, opts: CreateStoreOptions = {}): Store {
  const backend = openBackend(url, opts);
  if (opts.watchCache === false) return backend;
  // etcd's progress notifications come every 10 minutes by default: waiting for them would only
  // delay consistent lists, so those go to etcd unless the caller says otherwise.
  const remote = backend.kv instanceof EtcdKV;
  return new WatchCache(backend, { ...(remote ? { consistentReadWaitMs: 0 } : {}), ...opts });
}

function openBackend(url: string, opts: CreateStoreOptions): KVStore {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(url);
  if (!m) throw badRequest(`invalid store URL "${url}": ${USAGE}`);
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  switch (scheme) {
    case 'memory':
      if (rest !== '') throw badRequest(`invalid store URL "${url}": memory:// takes no host or path`);
      return createMemoryStore(opts);
    case 'sqlite': {
      const [path, query = ''] = rest.split('?', 2) as [string, string?];
      if (!path.startsWith('/') || path === '/') throw badRequest(`invalid store URL "${url}": sqlite needs an absolute file path (sqlite:///path/to/state.db)`);
      const params = new URLSearchParams(query);
      const sync = params.get('synchronous')?.toLowerCase();
      if (sync !== undefined && sync !== 'full' && sync !== 'normal') throw badRequest(`invalid store URL "${url}": synchronous must be full or normal`);
      return createSqliteStore(decodeURIComponent(path), { ...opts, ...(sync ? { synchronous: sync as SqliteSync } : {}) });
    }
    case 'etcd': {
      const slash = rest.indexOf('/');
      const hostList = slash >= 0 ? rest.slice(0, slash) : rest;
      const prefix = slash >= 0 ? rest.slice(slash) : undefined;
      const hosts = hostList.split(',');
      for (const h of hosts) {
        if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}$/i.test(h)) throw badRequest(`invalid store URL "${url}": "${h}" is not host:port`);
      }
      if (prefix !== undefined && (prefix === '/' || prefix.endsWith('/'))) throw badRequest(`invalid store URL "${url}": the key prefix must not end with "/"`);
      return createEtcdStore(hosts, { ...opts, ...(prefix ? { prefix } : {}) });
    }
    default:
      throw badRequest(`unsupported store URL scheme "${scheme}" in "${url}": ${USAGE}`);
  }
}
