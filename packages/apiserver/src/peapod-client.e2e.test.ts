import { RESOURCES, isConflict, isNotFound, type ResourceInfo } from '@peapod/api-types';
import { createClient, HttpTransport, SharedInformer, type KubeClient, type KubeObject, type Transport } from '@peapod/client';
import { RealClock, silentLogger } from '@peapod/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './testing/harness.js';

/** `@peapod/client` (what the scheduler, kubelet and controllers use) over HTTPS and in process. */
let t: TestServer;
beforeAll(async () => { t = await startTestServer(); });
afterAll(async () => { await t?.close(); });

const transports: Array<[string, () => Transport]> = [
  ['https', () => new HttpTransport({ server: t.server.url, ca: t.server.caCert, token: t.server.adminToken })],
  ['in-process', () => t.server.transport()],
];

/** Pods as the generic object type the client hands out (the typed Pod's metadata is optional). */
const POD_INFO = RESOURCES.pods as unknown as ResourceInfo<KubeObject>;
const pod = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { suite: 'client' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
const waitFor = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(cond()).toBe(true);
};

describe.each(transports)('@peapod/client over %s', (name, make) => {
  let client: KubeClient;
  beforeAll(() => { client = createClient(make()); });
  const pods = () => client.resource(POD_INFO);

  it('creates, reads, patches (merge, strategic, apply), updates status, conflicts and deletes', async () => {
    const p = pods();
    const created = await p.create(pod(`${name}-a`), { namespace: 'default' });
    expect(created.metadata.uid).toBeTruthy();
    expect((await p.get(`${name}-a`, { namespace: 'default' })).metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    await p.patch(`${name}-a`, 'merge', { metadata: { labels: { merged: 'yes' } } }, { namespace: 'default' });
    await p.patch(`${name}-a`, 'strategic', { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } }, { namespace: 'default' });
    const applied = await p.patch(`${name}-a`, 'apply', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-a`, annotations: { owner: 'me' } } }, { namespace: 'default', fieldManager: 'tester' });
    expect(applied.metadata).toMatchObject({ labels: { merged: 'yes' }, annotations: { owner: 'me' } });
    expect((applied.spec as { containers: Array<{ image: string }> }).containers[0].image).toBe('busybox:2');
    const withStatus = await p.updateStatus({ ...applied, status: { phase: 'Running' } }, { namespace: 'default' });
    expect((withStatus.status as { phase: string }).phase).toBe('Running');
    await expect(p.update({ ...created, metadata: { ...created.metadata, labels: { stale: 'x' } } }, { namespace: 'default' })).rejects.toSatisfy(isConflict);
    const listed = await p.list({ namespace: 'default', labelSelector: 'merged=yes' });
    expect(listed.items.map((i) => i.metadata.name)).toEqual([`${name}-a`]);
    await p.delete(`${name}-a`, { namespace: 'default' });
    await expect(p.get(`${name}-a`, { namespace: 'default' })).rejects.toSatisfy(isNotFound);
  });

  it('an informer follows adds, updates and deletes', async () => {
    const informer = new SharedInformer(POD_INFO, { namespace: 'default' }, { client, clock: new RealClock(), logger: silentLogger });
    const seen: string[] = [];
    informer.addEventHandler({
      onAdd: (o) => seen.push(`add ${o.metadata.name}`),
      onUpdate: (_old, o) => seen.push(`update ${o.metadata.name} ${(o.metadata.labels as Record<string, string> | undefined)?.v ?? ''}`),
      onDelete: (o) => seen.push(`delete ${(o as KubeObject).metadata.name}`),
    });
    informer.start();
    try {
      await informer.waitForSync();
      const p = pods();
      await p.create(pod(`${name}-inf`), { namespace: 'default' });
      await waitFor(() => seen.includes(`add ${name}-inf`));
      await p.patch(`${name}-inf`, 'merge', { metadata: { labels: { v: '2' } } }, { namespace: 'default' });
      await waitFor(() => seen.includes(`update ${name}-inf 2`));
      await p.delete(`${name}-inf`, { namespace: 'default' });
      await waitFor(() => seen.includes(`delete ${name}-inf`));
    } finally {
      await informer.stop();
    }
  });
});
