// The scheduler through the real API server: placement by taints, labels and capacity, and the
// aggregated message on a pod that fits nowhere, as `kubectl describe` users read it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RESOURCES, type Node, type Pod } from '@peapod/api-types';
import { ApiServer, ApiServerModule, ApiServerOptions } from '@peapod/apiserver';
import { ClientModule, KubeClient, Transport } from '@peapod/client';
import { Clock, Container, RealClock, composeModules, type ComposedApp } from '@peapod/core';
import { SchedulerModule } from '@peapod/scheduler';
import { StoreConfig, StoreModule } from '@peapod/store';

let app: ComposedApp;
let client: KubeClient;

const node = (name: string, cpu: string, labels: Record<string, string>, taints: NonNullable<Node['spec']>['taints'] = []): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels } },
  spec: { taints },
  status: { capacity: { cpu, memory: '8Gi', pods: '110' }, allocatable: { cpu, memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
} as Node);

const pod = (name: string, spec: Partial<NonNullable<Pod['spec']>>, cpu = '100m'): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }], ...spec },
} as Pod);

beforeAll(async () => {
  const c = Container.create()
    .provide(Clock, { useValue: new RealClock() })
    .provide(StoreConfig, { useValue: { url: 'memory://' } })
    .provide(ApiServerOptions, { useValue: { port: 0, pkiDir: join(mkdtempSync(join(tmpdir(), 'peapod-sched-')), 'pki') } })
    .provide(Transport, { useFactory: (c) => c.resolve(ApiServer).transport() });
  app = composeModules([StoreModule, ApiServerModule, ClientModule, SchedulerModule], c);
  await app.start();
  client = c.resolve(KubeClient);
  const nodes = client.resource(RESOURCES.nodes);
  await nodes.create(node('gpu', '8', { accelerator: 'gpu', zone: 'a' }, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]));
  await nodes.create(node('small-a', '1', { zone: 'a' }));
  await nodes.create(node('small-b', '1', { zone: 'b' }));
});
afterAll(async () => { await app?.stop(); });

const scheduled = async (name: string) => {
  for (let i = 0; i < 200; i++) {
    const p = await client.resource(RESOURCES.pods).get(name, { namespace: 'default' });
    const cond = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (p.spec?.nodeName || cond?.status === 'False') return p;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`pod ${name} was neither bound nor marked unschedulable`);
};

it('places pods where Kubernetes would and explains the one that fits nowhere', async () => {
  const pods = client.resource(RESOURCES.pods);
  await pods.create(pod('trainer', { nodeSelector: { accelerator: 'gpu' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }), { namespace: 'default' });
  await pods.create(pod('in-zone-b', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }] } } } }), { namespace: 'default' });
  await pods.create(pod('big', {}, '2'), { namespace: 'default' });

  expect((await scheduled('trainer')).spec?.nodeName).toBe('gpu');
  expect((await scheduled('in-zone-b')).spec?.nodeName).toBe('small-b');
  const big = await scheduled('big');
  expect(big.spec?.nodeName).toBeUndefined();
  expect(big.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
    status: 'False',
    reason: 'Unschedulable',
    message: '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. ' +
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
  });
  const events = await client.resource(RESOURCES.events).list({ namespace: 'default', fieldSelector: 'involvedObject.name=big' });
  expect(events.items.map((e) => [e.type, e.reason])).toContainEqual(['Warning', 'FailedScheduling']);

  // Capacity added: the parked pod is retried on the node-added event and lands there.
  await client.resource(RESOURCES.nodes).create(node('large', '4', { zone: 'b' }));
  for (let i = 0; i < 200 && !(await pods.get('big', { namespace: 'default' })).spec?.nodeName; i++) await new Promise((r) => setTimeout(r, 25));
  expect((await pods.get('big', { namespace: 'default' })).spec?.nodeName).toBe('large');
}, 60_000);
