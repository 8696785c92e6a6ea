import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBadRequest } from '@peapod/api-types';
import { composeModules } from '@peapod/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from './create-store.js';
import { KVStore } from './kv-store.js';
import { WatchCache } from './watch-cache.js';
import { StoreModule } from './module.js';
import { startEtcdCluster, type EtcdCluster } from './testing/etcd-cluster.js';
import { Store, StoreConfig } from './tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'peapod-create-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const errorOf = (fn: () => unknown) => {
  try { fn(); } catch (err) { return err as Error; }
  throw new Error('expected a failure');
};

describe('createStore', () => {
  it('opens a memory store for memory://, behind a watch cache unless told otherwise', async () => {
    const s = createStore('memory://');
    expect(s).toBeInstanceOf(WatchCache);
    await s.create('/a/x', { metadata: { name: 'x' } });
    expect(await s.count('/a/')).toBe(1);
    expect((await s.list('/a/', { resourceVersion: '0' })).items).toHaveLength(1);
    await s.close();
    expect(createStore('memory://', { watchCache: false })).toBeInstanceOf(KVStore);
  });

  it('opens (and reopens) an sqlite file for sqlite:///path', async () => {
    const url = `sqlite://${join(dir, 'nested', 'state.db')}`;
    const s = createStore(url);
    await s.create('/a/x', { metadata: { name: 'x' } });
    await s.close();
    const again = createStore(`${url}?synchronous=normal`);
    expect(await again.count('/a/')).toBe(1);
    await again.close();
  });

  it.each([
    ['postgres://db/x', /unsupported store URL scheme "postgres"/],
    ['state.db', /invalid store URL/],
    ['sqlite://relative.db', /absolute file path/],
    ['sqlite:///x.db?synchronous=off', /synchronous must be full or normal/],
    ['memory://host', /takes no host/],
    ['etcd://', /is not host:port/],
    ['etcd://a:1,b', /"b" is not host:port/],
    ['etcd://a:1/registry/', /must not end with/],
  ])('refuses %s with BadRequest', (url, msg) => {
    const err = errorOf(() => createStore(url));
    expect(isBadRequest(err)).toBe(true);
    expect(err.message).toMatch(msg);
  });
});

describe('createStore etcd://', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => { etcd = await startEtcdCluster(1); });
  afterAll(async () => { await etcd?.stop(); });

  it('opens an etcd store under the URL\'s key prefix', async () => {
    const a = createStore(`etcd://${etcd.endpoints[0]}/one`);
    const b = createStore(`etcd://${etcd.endpoints.join(',')}/two`);
    await a.create('/pods/default/p1', { metadata: { name: 'p1' } });
    expect(await a.count('/pods/')).toBe(1);
    expect(await b.count('/pods/')).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('StoreModule', () => {
  it('provides the configured store, starts it, and closes it on stop', async () => {
    const app = composeModules([StoreModule]);
    app.container.provide(StoreConfig, { useValue: { url: 'memory://' } });
    await app.start();
    const store = app.container.resolve(Store);
    await store.create('/a/x', { metadata: { name: 'x' } });
    expect(app.container.resolve(Store)).toBe(store);
    await app.stop();
    await expect(store.count('/a/')).rejects.toThrow(/closed/);
  });
});
