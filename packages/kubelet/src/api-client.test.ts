import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RESOURCES, type Pod } from '@peapod/api-types';
import { createClient } from '@peapod/client';
import { FakeApiServer } from '@peapod/client/testing';
import { FakeClock } from '@peapod/core';
import { FakeRuntime } from '@peapod/runtime/testing';
import { Kubelet } from './kubelet.js';

const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

describe('Kubelet through @peapod/client', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => stop?.());

  it('registers the node, runs bound pods only, writes status through the subresource and finishes deletions', async () => {
    const clock = new FakeClock(Date.UTC(2025, 0, 1));
    const server = new FakeApiServer({ clock });
    const client = createClient(server);
    const rootDir = mkdtempSync(join(tmpdir(), 'kubelet-client-'));
    await client.resource(RESOURCES.namespaces).create({ metadata: { name: 'default' } });
    await client.resource(RESOURCES.namespaces).create({ metadata: { name: 'kube-node-lease' } });
    const kubelet = new Kubelet({ client, runtime: new FakeRuntime({ clock }), clock }, { nodeName: 'n1', rootDir, os: 'linux' });
    stop = async () => {
      await kubelet.stop();
      rmSync(rootDir, { recursive: true, force: true });
    };
    await kubelet.start();
    const pods = client.resource(RESOURCES.pods);
    const pod = (name: string, nodeName?: string): Pod => ({ metadata: { name, namespace: 'default' }, spec: { nodeName, containers: [{ name: 'app', image: 'img' }] } });
    await pods.create(pod('mine', 'n1'));
    await pods.create(pod('theirs', 'n2'));
    await ticks(50);
    await kubelet.settle();

    expect((await client.resource(RESOURCES.nodes).get('n1')).metadata.labels?.['kubernetes.io/os']).toBe('linux');
    expect((await client.resource(RESOURCES.leases).get('n1', { namespace: 'kube-node-lease' })).spec?.holderIdentity).toBe('n1');
    const mine = await pods.get('mine', { namespace: 'default' });
    expect(mine.status?.phase).toBe('Running');
    expect(mine.status?.containerStatuses?.[0]).toMatchObject({ name: 'app', ready: true });
    expect((await pods.get('theirs', { namespace: 'default' })).status?.phase).toBe('Pending');
    expect(server.requests.some((r) => r.method === 'PATCH' && r.path.endsWith('/pods/mine/status'))).toBe(true);

    await pods.delete('mine', { namespace: 'default' });
    for (let i = 0; i < 5; i++) {
      await clock.advance(1000);
      await ticks(50);
      await kubelet.settle();
    }
    await expect(pods.get('mine', { namespace: 'default' })).rejects.toMatchObject({ status: { code: 404 } });
  });
});
