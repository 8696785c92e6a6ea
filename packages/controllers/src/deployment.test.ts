import { RESOURCES, type Deployment, type Pod, type ReplicaSet } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeKubelet, podTemplate, settle, startCluster, until, type TestCluster } from '../test/cluster.js';
import { DeploymentController } from './deployment.js';
import { ReplicaSetController } from './replicaset.js';

let c: TestCluster;
let stopKubelet: (() => Promise<void>) | undefined;
beforeEach(async () => {
  c = await startCluster();
  c.run(new ReplicaSetController(c.ctx));
  c.run(new DeploymentController(c.ctx));
});
afterEach(async () => {
  await stopKubelet?.();
  stopKubelet = undefined;
  await c.close();
});

const deploy = (name: string, replicas: number, spec: Partial<NonNullable<Deployment['spec']>> = {}): Deployment => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  // The API server's defaults for apps/v1 (the fake API server does no defaulting).
  spec: { replicas, selector: { matchLabels: { app: name } }, template: podTemplate({ app: name }), progressDeadlineSeconds: 600, revisionHistoryLimit: 10, ...spec },
});
const deployments = () => c.client.resource(RESOURCES.deployments);
const get = (name: string) => deployments().get(name, { namespace: 'default' });
const rsList = async (app: string): Promise<ReplicaSet[]> => (await c.client.resource(RESOURCES.replicasets).list({ namespace: 'default', labelSelector: `app=${app}` })).items;
const podList = async (app: string): Promise<Pod[]> => (await c.client.resource(RESOURCES.pods).list({ namespace: 'default', labelSelector: `app=${app}` })).items;
const setImage = (name: string, image: string) => deployments().patch(name, 'strategic', {
  spec: { template: { spec: { containers: [{ name: 'app', image }] } } },
}, { namespace: 'default' });
/** What `kubectl rollout status` waits for. */
const rolledOut = (d: Deployment) => (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  && d.status?.updatedReplicas === d.spec?.replicas && d.status?.replicas === d.spec?.replicas && d.status?.availableReplicas === d.spec?.replicas;
const cond = (d: Deployment, type: string) => d.status?.conditions?.find((x) => x.type === type);

describe('Deployment controller', () => {
  it('creates a ReplicaSet per template hash and reports a complete rollout as kubectl expects', async () => {
    stopKubelet = fakeKubelet(c.client);
    await deployments().create(deploy('web', 3));
    const d = await until(async () => { const x = await get('web'); return rolledOut(x) && x; }, 'rollout', 5_000);
    const [rs] = await rsList('web');
    const hash = rs.metadata.labels?.['pod-template-hash'];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.spec?.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4',
    });
    expect(rs.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', controller: true });
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    expect(cond(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    await until(async () => cond(await get('web'), 'Progressing')?.reason === 'NewReplicaSetAvailable', 'NewReplicaSetAvailable');
    expect(cond(await get('web'), 'Progressing')).toMatchObject({ status: 'True', message: `ReplicaSet "web-${hash}" has successfully progressed.` });
    for (const p of await podList('web')) expect(p.metadata.labels?.['pod-template-hash']).toBe(hash);
  });

  it('rolls out with maxUnavailable 0 without ever dropping below the desired number of ready pods', async () => {
    stopKubelet = fakeKubelet(c.client);
    await deployments().create(deploy('safe', 3, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } }));
    await until(async () => rolledOut(await get('safe')), 'first rollout');
    await setImage('safe', 'busybox:2');
    let minReady = Infinity;
    let maxPods = 0;
    await until(async () => {
      const live = (await podList('safe')).filter((p) => !p.metadata.deletionTimestamp);
      minReady = Math.min(minReady, live.filter((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length);
      maxPods = Math.max(maxPods, live.length);
      const d = await get('safe');
      return rolledOut(d) && live.length === 3 && live.every((p) => p.spec?.containers[0].image === 'busybox:2');
    }, 'second rollout', 8_000);
    expect(minReady).toBeGreaterThanOrEqual(3);
    expect(maxPods).toBeLessThanOrEqual(4);
    const rss = await rsList('safe');
    expect(rss).toHaveLength(2);
    const byRev = Object.fromEntries(rss.map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'], rs.spec?.replicas]));
    expect(byRev).toEqual({ 1: 0, 2: 3 });
    expect((await get('safe')).metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
  });

  it('Recreate removes every old pod before creating new ones', async () => {
    stopKubelet = fakeKubelet(c.client);
    await deployments().create(deploy('rec', 2, { strategy: { type: 'Recreate' } }));
    await until(async () => rolledOut(await get('rec')), 'first rollout');
    await setImage('rec', 'busybox:2');
    let overlap = false;
    await until(async () => {
      const live = (await podList('rec')).filter((p) => !p.metadata.deletionTimestamp);
      const images = new Set(live.map((p) => p.spec?.containers[0].image));
      if (images.size > 1) overlap = true;
      return rolledOut(await get('rec')) && live.length === 2 && images.has('busybox:2') && images.size === 1;
    }, 'recreate rollout');
    expect(overlap).toBe(false);
  });

  it('rollout undo reuses the old ReplicaSet under a new revision and records its history', async () => {
    stopKubelet = fakeKubelet(c.client);
    await deployments().create(deploy('undo', 2));
    await until(async () => rolledOut(await get('undo')), 'v1');
    await setImage('undo', 'busybox:2');
    await until(async () => { const d = await get('undo'); return rolledOut(d) && d.metadata.annotations?.['deployment.kubernetes.io/revision'] === '2'; }, 'v2');
    // What `kubectl rollout undo` does: copy revision 1's template (without the hash label) into the Deployment.
    const rev1 = (await rsList('undo')).find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1')!;
    const { 'pod-template-hash': _h, ...labels } = rev1.spec!.template!.metadata!.labels!;
    await deployments().patch('undo', 'json', [{ op: 'replace', path: '/spec/template', value: { ...rev1.spec!.template, metadata: { ...rev1.spec!.template!.metadata, labels } } }], { namespace: 'default' });
    await until(async () => { const d = await get('undo'); return rolledOut(d) && d.metadata.annotations?.['deployment.kubernetes.io/revision'] === '3'; }, 'v3');
    const rss = await rsList('undo');
    expect(rss).toHaveLength(2);
    const reused = rss.find((rs) => rs.metadata.uid === rev1.metadata.uid)!;
    expect(reused.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' });
    expect(reused.spec?.replicas).toBe(2);
  });

  it('marks the rollout ProgressDeadlineExceeded when pods never become ready', async () => {
    await deployments().create(deploy('stuck', 2, { progressDeadlineSeconds: 10 }));
    await until(async () => { const d = await get('stuck'); return d.status?.updatedReplicas === 2 && cond(d, 'Progressing')?.reason === 'ReplicaSetUpdated'; }, 'progressing');
    await c.clock.advance(8_000);
    await settle();
    expect(cond(await get('stuck'), 'Progressing')?.status).toBe('True');
    expect(cond(await get('stuck'), 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    await c.clock.advance(4_000);
    const d = await until(async () => { const x = await get('stuck'); return cond(x, 'Progressing')?.reason === 'ProgressDeadlineExceeded' && x; }, 'deadline');
    expect(cond(d, 'Progressing')).toMatchObject({ status: 'False', message: expect.stringMatching(/^ReplicaSet "stuck-\w+" has timed out progressing\.$/) });
  });

  it('a paused Deployment does not roll out a template change until resumed, but still scales', async () => {
    stopKubelet = fakeKubelet(c.client);
    await deployments().create(deploy('pause', 2));
    await until(async () => rolledOut(await get('pause')), 'v1');
    await deployments().patch('pause', 'merge', { spec: { paused: true } }, { namespace: 'default' });
    await until(async () => cond(await get('pause'), 'Progressing')?.reason === 'DeploymentPaused', 'paused condition');
    await setImage('pause', 'busybox:2');
    await deployments().patch('pause', 'merge', { spec: { replicas: 3 } }, { namespace: 'default' });
    await until(async () => (await podList('pause')).length === 3, 'scaled while paused');
    await settle();
    expect(await rsList('pause')).toHaveLength(1);
    expect(cond(await get('pause'), 'Progressing')).toMatchObject({ status: 'Unknown', message: 'Deployment is paused' });
    await deployments().patch('pause', 'merge', { spec: { paused: false } }, { namespace: 'default' });
    await until(async () => {
      const d = await get('pause');
      const live = (await podList('pause')).filter((p) => !p.metadata.deletionTimestamp);
      return rolledOut(d) && live.length === 3 && live.every((p) => p.spec?.containers[0].image === 'busybox:2');
    }, 'rollout after resume', 8_000);
  });

  it('keeps only revisionHistoryLimit old ReplicaSets', async () => {
    stopKubelet = fakeKubelet(c.client);
    await deployments().create(deploy('hist', 1, { revisionHistoryLimit: 1 }));
    for (const tag of ['2', '3', '4']) {
      await until(async () => rolledOut(await get('hist')), `before ${tag}`);
      await setImage('hist', `busybox:${tag}`);
    }
    await until(async () => { const d = await get('hist'); return rolledOut(d) && d.metadata.annotations?.['deployment.kubernetes.io/revision'] === '4'; }, 'v4');
    await until(async () => (await rsList('hist')).length === 2, 'history pruned');
    const revs = (await rsList('hist')).map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision']).sort();
    expect(revs).toEqual(['3', '4']);
  });
});
