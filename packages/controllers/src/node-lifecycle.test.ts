import { RESOURCES, type Lease, type Node, type Pod } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { podTemplate, setPodPhase, settle, startCluster, until, type TestCluster } from '../test/cluster.js';
import { NodeLifecycleController } from './node-lifecycle.js';
import { microTime } from './pod-util.js';
import { ReplicaSetController } from './replicaset.js';
import { TaintEvictionController, evictionTime } from './taint-eviction.js';

let c: TestCluster;
beforeEach(async () => {
  c = await startCluster();
  c.run(new NodeLifecycleController(c.ctx));
  c.run(new TaintEvictionController(c.ctx));
});
afterEach(async () => { await c.close(); });

const nodes = () => c.client.resource(RESOURCES.nodes);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Plays a kubelet's heartbeats: node status with Ready=True and a renewed Lease. */
async function kubeletHeartbeat(name: string, ready = true): Promise<void> {
  const now = c.clock.now();
  await nodes().patch(name, 'merge', { status: { conditions: [
    { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady', lastHeartbeatTime: iso(now), lastTransitionTime: iso(now) },
  ] } }, { subresource: 'status' });
  const leases = c.client.resource(RESOURCES.leases);
  const lease: Lease = { metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(now) } };
  const cur = await leases.get(name, { namespace: 'kube-node-lease' }).catch(() => undefined);
  if (cur) await leases.update({ ...cur, spec: { ...cur.spec, renewTime: microTime(now) } });
  else await leases.create(lease);
}
async function renewLease(name: string): Promise<void> {
  const leases = c.client.resource(RESOURCES.leases);
  const cur = await leases.get(name, { namespace: 'kube-node-lease' });
  await leases.update({ ...cur, spec: { ...cur.spec, renewTime: microTime(c.clock.now()) } });
}
const ready = async (name: string) => (await nodes().get(name)).status?.conditions?.find((x) => x.type === 'Ready');
const taints = async (name: string) => ((await nodes().get(name)).spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
/** Advances the fake clock in monitor-period steps, letting the controllers act in between. */
async function advance(ms: number, each?: () => Promise<void>, step = 5_000) {
  for (let t = 0; t < ms; t += step) {
    await c.clock.advance(Math.min(step, ms - t));
    await each?.();
    await settle(30);
  }
}

describe('node lifecycle and taint eviction', () => {
  it('a node whose Lease stops renewing turns Unknown after the grace period, is tainted, and its pods are evicted after 300 s and replaced', async () => {
    await nodes().create({ metadata: { name: 'n1' } } as Node);
    await kubeletHeartbeat('n1');
    c.run(new ReplicaSetController(c.ctx));
    await c.client.resource(RESOURCES.replicasets).create({
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: podTemplate({ app: 'web' }) },
    });
    const pods = async () => (await c.client.resource(RESOURCES.pods).list({ namespace: 'default' })).items;
    const [created] = await until(async () => { const p = await pods(); return p.length === 1 && p; }, 'pod');
    // Plays the scheduler.
    await c.client.resource(RESOURCES.pods).createSubresource(created.metadata.name!, 'binding', {
      apiVersion: 'v1', kind: 'Binding', metadata: { name: created.metadata.name }, target: { kind: 'Node', name: 'n1' },
    }, { namespace: 'default' });
    const pod = await c.client.resource(RESOURCES.pods).get(created.metadata.name!, { namespace: 'default' });
    // No toleration of its own (no DefaultTolerationSeconds admission here): the controller's 300 s apply.
    expect(pod.spec?.tolerations).toBeUndefined();
    await setPodPhase(c.client, pod, 'Running');

    // Renewing the Lease alone keeps the node healthy well past the grace period.
    await advance(60_000, () => renewLease('n1'));
    expect((await ready('n1'))?.status).toBe('True');
    expect(await taints('n1')).toEqual([]);

    // Silence: Unknown only after 50 s.
    await advance(45_000);
    expect((await ready('n1'))?.status).toBe('True');
    await advance(10_000);
    await until(async () => (await ready('n1'))?.status === 'Unknown', 'Ready=Unknown');
    expect(await ready('n1')).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    await until(async () => (await taints('n1')).length === 2, 'taints');
    expect(await taints('n1')).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    await until(async () => (await pods())[0].status?.conditions?.find((x) => x.type === 'Ready')?.status === 'False', 'pod not ready');

    // The pod tolerates unreachable for 300 s.
    await advance(290_000);
    expect((await pods()).filter((p) => p.metadata.deletionTimestamp)).toHaveLength(0);
    await advance(15_000);
    const evicted = await until(async () => (await pods()).find((p) => p.metadata.deletionTimestamp), 'evicted');
    expect(evicted.status?.conditions?.find((x) => x.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'DeletionByTaintManager' });
    // The ReplicaSet replaces it at once (a terminating pod no longer counts).
    await until(async () => (await pods()).filter((p) => !p.metadata.deletionTimestamp).length === 1, 'replacement');

    // The kubelet comes back: taints go.
    await kubeletHeartbeat('n1');
    await until(async () => (await taints('n1')).length === 0, 'taints removed');
  });

  it('honours configured timings: grace period, a pod\'s tolerationSeconds, and defaultTolerationSeconds for pods without one', async () => {
    await c.close();
    c = await startCluster({ nodeMonitorGracePeriodSeconds: 20, nodeMonitorPeriodSeconds: 1, defaultTolerationSeconds: 60 });
    c.run(new NodeLifecycleController(c.ctx));
    c.run(new TaintEvictionController(c.ctx));
    c.run(new ReplicaSetController(c.ctx));
    await nodes().create({ metadata: { name: 'n3' } } as Node);
    await kubeletHeartbeat('n3');
    const podClient = c.client.resource(RESOURCES.pods);
    const template = podTemplate({ app: 'tol' });
    await c.client.resource(RESOURCES.replicasets).create({
      metadata: { name: 'tol', namespace: 'default' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'tol' } }, template: { ...template, spec: { ...template.spec, tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }] } } },
    });
    await podClient.create({ metadata: { name: 'bare', namespace: 'default' }, spec: { nodeName: 'n3', containers: [{ name: 'app', image: 'busybox' }] } } as Pod);
    const [rsPod] = await until(async () => { const p = (await podClient.list({ namespace: 'default', labelSelector: 'app=tol' })).items; return p.length === 1 && p; }, 'pod');
    await podClient.createSubresource(rsPod.metadata.name!, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: rsPod.metadata.name }, target: { kind: 'Node', name: 'n3' } }, { namespace: 'default' });
    const deleting = async () => (await podClient.list({ namespace: 'default' })).items.filter((p) => p.metadata.deletionTimestamp).map((p) => (p.metadata.name === 'bare' ? 'bare' : 'rs')).sort();

    // Unknown after the configured 20 s of silence, not before.
    await advance(18_000, undefined, 1_000);
    expect((await ready('n3'))?.status).toBe('True');
    await advance(4_000, undefined, 1_000);
    await until(async () => (await taints('n3')).includes('node.kubernetes.io/unreachable:NoExecute'), 'unreachable taint');
    const tainted = c.clock.now();
    // The ReplicaSet's pod tolerates the taint for its own 30 s; the bare pod gets the configured default, 60 s.
    await advance(28_000, undefined, 1_000);
    expect(await deleting()).toEqual([]);
    await advance(4_000, undefined, 1_000);
    await until(async () => (await deleting()).includes('rs'), 'ReplicaSet pod evicted after 30 s');
    expect(c.clock.now() - tainted).toBeLessThan(60_000);
    await until(async () => (await podClient.list({ namespace: 'default', labelSelector: 'app=tol' })).items.some((p) => !p.metadata.deletionTimestamp), 'replacement');
    await advance(56_000 - (c.clock.now() - tainted), undefined, 1_000);
    expect(await deleting()).toEqual(['rs']);
    await advance(6_000, undefined, 1_000);
    await until(async () => (await deleting()).includes('bare'), 'bare pod evicted after 60 s');
  });

  it('a node reporting Ready=False gets the not-ready taints at once', async () => {
    await nodes().create({ metadata: { name: 'n2' } } as Node);
    await kubeletHeartbeat('n2', false);
    await until(async () => (await taints('n2')).length === 2, 'taints');
    expect(await taints('n2')).toEqual(['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
  });

  it('computes eviction times from tolerations', () => {
    const now = Date.UTC(2025, 0, 1);
    const taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' as const, timeAdded: iso(now) };
    const pod = (tolerations?: Pod['spec'] extends infer S ? S extends { tolerations?: infer T } ? T : never : never) => ({ metadata: {}, spec: { containers: [], tolerations } }) as Pod;
    expect(evictionTime(pod(), [taint], 300, now)).toBe(now + 300_000);
    expect(evictionTime(pod([{ operator: 'Exists' }]), [taint], 300, now)).toBeUndefined();
    expect(evictionTime(pod([{ key: taint.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }]), [taint], 300, now)).toBe(now + 5_000);
    expect(evictionTime(pod(), [{ key: 'dedicated', effect: 'NoExecute' }], 300, now)).toBe(now);
  });
});
