import { afterAll, beforeAll } from 'vitest';
import { runStoreConformance } from './conformance.js';
import { createEtcdStore } from './etcd.js';
import { WatchCache } from './watch-cache.js';
import { startEtcdCluster, type EtcdCluster } from './testdata/etcd-cluster.js';

let etcd: EtcdCluster;
beforeAll(async () => { etcd = await startEtcdCluster(1); });
afterAll(async () => { await etcd?.stop(); });

let n = 0;
runStoreConformance('etcd', (opts) => createEtcdStore(etcd.endpoints, { ...opts, prefix: `/conformance-${n++}` }));
runStoreConformance('watch cache over etcd', (opts) => new WatchCache(createEtcdStore(etcd.endpoints, { ...opts, prefix: `/cached-${n++}` }), opts));
