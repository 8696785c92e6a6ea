import { RESOURCES, type Pod, type ReplicaSet } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { podTemplate, setPodPhase, settle, startCluster, until, type TestCluster } from '../test/cluster.js';
import { ReplicaSetController, compareForDeletion, sortForDeletion } from './replicaset.js';

let c: TestCluster;
beforeEach(async () => { c = await startCluster(); });
afterEach(async () => { await c.close(); });

const rs = (name: string, replicas: number, extra: Partial<NonNullable<ReplicaSet['spec']>> = {}): ReplicaSet => ({
  apiVersion: 'apps/v1', kind: 'ReplicaSet',
  metadata: { name, namespace: 'default' },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: podTemplate({ app: name }), ...extra },
});
const podsOf = async (app: string) => (await c.client.resource(RESOURCES.pods).list({ namespace: 'default', labelSelector: `app=${app}` })).items;
const livePods = async (app: string) => (await podsOf(app)).filter((p) => !p.metadata.deletionTimestamp);

describe('ReplicaSet controller', () => {
  it('creates the missing pods once, owned by the ReplicaSet, and reports status', async () => {
    c.run(new ReplicaSetController(c.ctx));
    const created = await c.client.resource(RESOURCES.replicasets).create(rs('web', 3));
    await until(async () => (await podsOf('web')).length === 3, '3 pods');
    await settle();
    const pods = await podsOf('web');
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-/);
      expect(p.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', name: 'web', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true })]);
    }
    for (const p of pods) await setPodPhase(c.client, p, 'Running');
    await until(async () => (await c.client.resource(RESOURCES.replicasets).get('web', { namespace: 'default' })).status?.availableReplicas === 3, 'available 3');
    const got = await c.client.resource(RESOURCES.replicasets).get('web', { namespace: 'default' });
    expect(got.status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });
  });

  it('replaces a pod that is deleted or fails', async () => {
    c.run(new ReplicaSetController(c.ctx));
    await c.client.resource(RESOURCES.replicasets).create(rs('heal', 2));
    const [first, second] = await until(async () => { const p = await podsOf('heal'); return p.length === 2 && p; }, '2 pods');
    await c.client.resource(RESOURCES.pods).delete(first.metadata.name!, { namespace: 'default' });
    await setPodPhase(c.client, second, 'Failed');
    await until(async () => (await podsOf('heal')).filter((p) => p.status?.phase !== 'Failed').length === 2, 'replacements');
    const names = (await podsOf('heal')).map((p) => p.metadata.name);
    expect(names).not.toContain(first.metadata.name);
  });

  it('adopts a matching orphan and releases a pod whose labels stop matching', async () => {
    const pods = c.client.resource(RESOURCES.pods);
    const orphan = await pods.create({ metadata: { name: 'orphan', namespace: 'default', labels: { app: 'adopt' } }, spec: podTemplate({}).spec } as Pod);
    c.run(new ReplicaSetController(c.ctx));
    await c.client.resource(RESOURCES.replicasets).create(rs('adopt', 2));
    await until(async () => (await podsOf('adopt')).length === 2, '2 pods');
    await settle();
    expect(await podsOf('adopt')).toHaveLength(2);
    const adopted = await pods.get('orphan', { namespace: 'default' });
    expect(adopted.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: 'adopt', controller: true });
    expect(adopted.metadata.uid).toBe(orphan.metadata.uid);

    await pods.patch('orphan', 'merge', { metadata: { labels: { app: 'other' } } }, { namespace: 'default' });
    await until(async () => !(await pods.get('orphan', { namespace: 'default' })).metadata.ownerReferences, 'release');
    await until(async () => (await podsOf('adopt')).length === 2, 'replacement for the released pod');
  });

  it('deletes surplus pods unscheduled first, then pending, then not ready, then the newest', async () => {
    const rsClient = c.client.resource(RESOURCES.replicasets);
    c.run(new ReplicaSetController(c.ctx));
    await rsClient.create(rs('shrink', 5));
    const pods = await until(async () => { const p = await podsOf('shrink'); return p.length === 5 && p; }, '5 pods');
    // p0: ready and older; p1: ready and newer (created later by clock); p2: running not ready; p3: pending bound; p4: unscheduled.
    const [p0, p1, p2, p3, p4] = pods;
    for (const p of [p0, p1, p2, p3]) {
      await c.client.resource(RESOURCES.pods).createSubresource(p.metadata.name!, 'binding', {
        apiVersion: 'v1', kind: 'Binding', metadata: { name: p.metadata.name }, target: { kind: 'Node', name: 'n1' },
      }, { namespace: 'default' });
    }
    await setPodPhase(c.client, p0, 'Running', { now: Date.UTC(2025, 0, 1, 0, 0, 0) });
    await setPodPhase(c.client, p1, 'Running', { now: Date.UTC(2025, 0, 1, 0, 1, 0) });
    await setPodPhase(c.client, p2, 'Running', { ready: false });
    await setPodPhase(c.client, p3, 'Pending');
    const order: string[] = [];
    for (const n of [4, 3, 2, 1]) {
      await rsClient.patch('shrink', 'merge', { spec: { replicas: n } }, { namespace: 'default' });
      await until(async () => (await livePods('shrink')).length === n, `${n} pods`);
      const live = new Set((await livePods('shrink')).map((p) => p.metadata.name));
      order.push(...[p0, p1, p2, p3, p4].map((p) => p.metadata.name!).filter((x) => !live.has(x) && !order.includes(x)));
    }
    // p1's Ready condition is more recent than p0's, so it has been ready for less time.
    expect(order).toEqual([p4, p3, p2, p1].map((p) => p.metadata.name));
  });

  it('creates each missing pod once even when reconciled repeatedly (expectations)', async () => {
    const ctl = new ReplicaSetController(c.ctx);
    await c.client.resource(RESOURCES.replicasets).create(rs('burst', 20));
    c.run(ctl, 4);
    // Reconciles back to back, each before the cache has seen the previous one's creates.
    await until(() => c.ctx.informers.informerFor(RESOURCES.replicasets).lister.get('default', 'burst'), 'ReplicaSet cached');
    for (let i = 0; i < 20; i++) await ctl.reconcile('default/burst');
    await until(async () => (await podsOf('burst')).length >= 20, '20 pods');
    await settle(200);
    expect(await podsOf('burst')).toHaveLength(20);
  });

  it('ranks pods for deletion as Kubernetes does', () => {
    const t0 = '2025-01-01T00:00:00Z';
    const mk = (name: string, o: { node?: string; phase?: string; ready?: boolean; readySince?: string; restarts?: number; created?: string }): Pod => ({
      metadata: { name, creationTimestamp: o.created ?? t0 },
      spec: { containers: [], nodeName: o.node },
      status: {
        phase: o.phase,
        conditions: o.ready !== undefined ? [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastTransitionTime: o.readySince ?? t0 }] : [],
        containerStatuses: [{ name: 'app', image: 'x', imageID: '', ready: !!o.ready, restartCount: o.restarts ?? 0 }],
      },
    } as Pod);
    const pods = [
      mk('old-ready', { node: 'n', phase: 'Running', ready: true }),
      mk('new-ready', { node: 'n', phase: 'Running', ready: true, created: '2025-01-01T00:05:00Z' }),
      mk('restarted', { node: 'n', phase: 'Running', ready: true, restarts: 3 }),
      mk('recently-ready', { node: 'n', phase: 'Running', ready: true, readySince: '2025-01-01T00:10:00Z' }),
      mk('not-ready', { node: 'n', phase: 'Running', ready: false }),
      mk('pending', { node: 'n', phase: 'Pending' }),
      mk('unscheduled', { phase: 'Pending' }),
    ];
    const expected = ['unscheduled', 'pending', 'not-ready', 'recently-ready', 'restarted', 'new-ready', 'old-ready'];
    expect([...pods].sort(compareForDeletion).map((p) => p.metadata.name)).toEqual(expected);
    expect(sortForDeletion(pods).map((p) => p.metadata.name)).toEqual(expected);
  });
});
