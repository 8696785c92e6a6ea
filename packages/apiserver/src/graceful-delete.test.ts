import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNotFound } from '@peapod/api-types';
import { FakeClock } from '@peapod/core';
import { createMemoryStore } from '@peapod/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type RunningApiServer } from './server.js';
import { FakeNodeStreamer } from './testing/harness.js';

/** A repeated DELETE of a pod in its grace period, as Kubernetes' graceful deletion (BeforeDelete) treats it. */
const clock = new FakeClock();
const store = createMemoryStore();
const dir = mkdtempSync(join(tmpdir(), 'peapod-grace-'));
let server: RunningApiServer;
beforeAll(async () => { server = await startApiServer({ port: 0, pkiDir: join(dir, 'pki') }, { store, clock, nodeStreamer: new FakeNodeStreamer() }); });
afterAll(async () => {
  await server?.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const PODS = '/api/v1/namespaces/default/pods';
type Meta = { deletionTimestamp?: string; deletionGracePeriodSeconds?: number };
const del = (name: string, gracePeriodSeconds?: number) =>
  server.transport().request({ method: 'DELETE', path: `${PODS}/${name}`, body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds } });
const meta = async (name: string) => ((await server.transport().request({ method: 'GET', path: `${PODS}/${name}` })).body as { metadata: Meta }).metadata;

async function terminating(name: string, grace?: number): Promise<Meta> {
  await server.transport().request({ method: 'POST', path: PODS, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] } } });
  expect((await del(name, grace)).status).toBe(200);
  return meta(name);
}

describe('a second delete of a terminating pod', () => {
  it('with a smaller grace lowers deletionGracePeriodSeconds; deletionTimestamp becomes the first request time plus the new grace', async () => {
    const first = await terminating('shorter');
    expect(first.deletionGracePeriodSeconds).toBe(30);
    await clock.advance(15_000);
    expect((await del('shorter', 20)).status).toBe(200);
    const second = await meta('shorter');
    expect(second).toMatchObject({ deletionGracePeriodSeconds: 20, deletionTimestamp: new Date(Date.parse(first.deletionTimestamp!) - 10_000).toISOString().replace('.000Z', 'Z') });
    // a negative grace means "as soon as possible", which the API server turns into 1 s
    expect((await del('shorter', -1)).status).toBe(200);
    expect((await meta('shorter')).deletionGracePeriodSeconds).toBe(1);
  });

  it('with a larger grace, or none (the spec\'s would be shorter), leaves the pending deletion as it is', async () => {
    const first = await terminating('longer', 60);
    await clock.advance(1000);
    expect((await del('longer', 90)).status).toBe(200);
    expect((await del('longer')).status).toBe(200);
    expect(await meta('longer')).toMatchObject({ deletionGracePeriodSeconds: 60, deletionTimestamp: first.deletionTimestamp });
  });

  it('with grace 0 (kubectl --grace-period=0 --force) removes it at once', async () => {
    await terminating('forced');
    expect((await del('forced', 0)).status).toBe(200);
    await expect(meta('forced')).rejects.toSatisfy(isNotFound);
  });
});
