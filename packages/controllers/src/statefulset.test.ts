import { RESOURCES, type Pod, type StatefulSet } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { podTemplate, setPodPhase, settle, startCluster, until, type TestCluster } from '../test/cluster.js';
import { StatefulSetController } from './statefulset.js';

let c: TestCluster;
beforeEach(async () => {
  c = await startCluster();
  c.run(new StatefulSetController(c.ctx));
});
afterEach(async () => { await c.close(); });

const sts = (name: string, replicas: number, spec: Partial<NonNullable<StatefulSet['spec']>> = {}): StatefulSet => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas, serviceName: name, selector: { matchLabels: { app: name } }, template: podTemplate({ app: name }),
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    ...spec,
  },
});
const sets = () => c.client.resource(RESOURCES.statefulsets);
const podNames = async (app: string) => (await c.client.resource(RESOURCES.pods).list({ namespace: 'default', labelSelector: `app=${app}` })).items
  .filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name!).sort();
const pod = (name: string) => c.client.resource(RESOURCES.pods).get(name, { namespace: 'default' });
const ready = async (name: string) => setPodPhase(c.client, await pod(name), 'Running');

/** Records the names of pods deleted from now on, in order. */
async function watchDeletions(): Promise<{ names: string[]; stop(): void }> {
  const abort = new AbortController();
  const names: string[] = [];
  const rv = (await c.client.resource(RESOURCES.pods).list({ namespace: 'default' })).metadata.resourceVersion;
  void (async () => {
    for await (const ev of c.client.resource(RESOURCES.pods).watch({ namespace: 'default', resourceVersion: rv, signal: abort.signal })) {
      if (ev.type === 'DELETED') names.push(ev.object.metadata.name!);
    }
  })().catch(() => undefined);
  return { names, stop: () => abort.abort() };
}

describe('StatefulSet controller', () => {
  it('OrderedReady: creates ordinals one at a time, each after the previous is ready, with stable identity and claims', async () => {
    await sets().create(sts('web', 3));
    await until(async () => (await podNames('web')).length === 1, 'web-0');
    await settle();
    expect(await podNames('web')).toEqual(['web-0']);
    const p0 = await pod('web-0');
    expect(p0.spec).toMatchObject({ hostname: 'web-0', subdomain: 'web' });
    expect(p0.spec?.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } });
    expect(p0.metadata.labels).toMatchObject({ 'statefulset.kubernetes.io/pod-name': 'web-0', 'apps.kubernetes.io/pod-index': '0', 'controller-revision-hash': expect.stringMatching(/^web-/) });
    const pvc = await c.client.resource(RESOURCES.persistentvolumeclaims).get('data-web-0', { namespace: 'default' });
    expect(pvc.metadata.ownerReferences).toBeUndefined();
    await ready('web-0');
    await until(async () => (await podNames('web')).length === 2, 'web-1');
    await ready('web-1');
    await until(async () => (await podNames('web')).length === 3, 'web-2');
    expect(await podNames('web')).toEqual(['web-0', 'web-1', 'web-2']);
    await ready('web-2');
    const s = await until(async () => { const x = await sets().get('web', { namespace: 'default' }); return x.status?.readyReplicas === 3 && x; }, 'ready 3');
    expect(s.status).toMatchObject({ replicas: 3, currentReplicas: 3, updatedReplicas: 3, observedGeneration: 1 });
    expect(s.status?.currentRevision).toBe(s.status?.updateRevision);
    const revs = (await c.client.resource(RESOURCES.controllerrevisions).list({ namespace: 'default' })).items;
    expect(revs.map((r) => [r.metadata.name, r.revision])).toEqual([[s.status?.updateRevision, 1]]);

    // Scale down: highest ordinal first, claims retained.
    const deleted = await watchDeletions();
    await sets().patch('web', 'merge', { spec: { replicas: 1 } }, { namespace: 'default' });
    await until(async () => (await podNames('web')).length === 1, 'scaled down');
    expect(await podNames('web')).toEqual(['web-0']);
    expect(deleted.names).toEqual(['web-2', 'web-1']);
    deleted.stop();
    const claims = (await c.client.resource(RESOURCES.persistentvolumeclaims).list({ namespace: 'default' })).items.map((x) => x.metadata.name).sort();
    expect(claims).toEqual(['data-web-0', 'data-web-1', 'data-web-2']);
  });

  it('RollingUpdate replaces pods from the highest ordinal down to the partition, one at a time', async () => {
    await sets().create(sts('db', 3, { volumeClaimTemplates: [], updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }));
    for (const i of [0, 1, 2]) {
      await until(async () => (await podNames('db')).includes(`db-${i}`), `db-${i}`);
      await ready(`db-${i}`);
    }
    const before = await until(async () => { const x = await sets().get('db', { namespace: 'default' }); return x.status?.readyReplicas === 3 && x; }, 'ready');
    await sets().patch('db', 'strategic', { spec: { template: { spec: { containers: [{ name: 'app', image: 'busybox:2' }] } } } }, { namespace: 'default' });
    const image = async (n: string) => (await pod(n)).spec?.containers[0].image;
    const order: string[] = [];
    for (const n of ['db-2', 'db-1']) {
      await until(async () => (await image(n).catch(() => undefined)) === 'busybox:2', `${n} updated`);
      order.push(n);
      expect(await image('db-0')).toBe('busybox');
      await ready(n);
    }
    expect(order).toEqual(['db-2', 'db-1']);
    await settle(200);
    expect(await image('db-0')).toBe('busybox');
    const s = await until(async () => { const x = await sets().get('db', { namespace: 'default' }); return x.status?.updatedReplicas === 2 && x; }, 'status');
    expect(s.status?.currentRevision).toBe(before.status?.currentRevision);
    expect(s.status?.updateRevision).not.toBe(before.status?.updateRevision);
  });

  it('Parallel starts every ordinal at once and recreates a failed pod under its name', async () => {
    await sets().create(sts('par', 3, { podManagementPolicy: 'Parallel', volumeClaimTemplates: [] }));
    await until(async () => (await podNames('par')).length === 3, '3 pods at once');
    const old: Pod = await pod('par-1');
    await setPodPhase(c.client, old, 'Failed');
    await until(async () => { const p = await pod('par-1').catch(() => undefined); return p && p.metadata.uid !== old.metadata.uid; }, 'par-1 recreated');
  });
});
