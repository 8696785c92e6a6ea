import { isRequestEntityTooLarge, isStatusError } from '@peapod/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStoreConformance } from './conformance.js';
import { createEtcdStore } from './etcd.js';
import { MAX_OBJECT_BYTES } from './types.js';
import { WatchCache } from './watch-cache.js';
import { startEtcdCluster, type EtcdCluster } from './testing/etcd-cluster.js';

let etcd: EtcdCluster;
beforeAll(async () => { etcd = await startEtcdCluster(1); });
afterAll(async () => { await etcd?.stop(); });

let n = 0;
runStoreConformance('etcd', (opts) => createEtcdStore(etcd.endpoints, { ...opts, prefix: `/conformance-${n++}` }));
runStoreConformance('watch cache over etcd', (opts) => new WatchCache(createEtcdStore(etcd.endpoints, { ...opts, prefix: `/cached-${n++}` }), opts));

describe('etcd store errors', () => {
  it('answers 413 when etcd refuses a request as too large, without resending it', async () => {
    const s = createEtcdStore(etcd.endpoints, { prefix: `/errors-${n++}` });
    const started = Date.now();
    const err = await s.create('/pods/default/big', { metadata: { name: 'big' }, payload: 'x'.repeat(MAX_OBJECT_BYTES - 100) }).catch((e: unknown) => e);
    expect(isRequestEntityTooLarge(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await s.count('/pods/')).toBe(0);
    await s.close();
  });

  it('answers 503 when no member can be reached', async () => {
    const s = createEtcdStore(['127.0.0.1:1'], { retryForMs: 300, requestTimeoutMs: 200 });
    const err = await s.get('/pods/default/p1').catch((e: unknown) => e);
    expect(isStatusError(err) && err.code).toBe(503);
    await s.close();
  });
});
