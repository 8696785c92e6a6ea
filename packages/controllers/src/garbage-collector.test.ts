import { RESOURCES, isNotFound, type ConfigMap, type OwnerReference } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { podTemplate, settle, startCluster, until, type TestCluster } from '../test/cluster.js';
import { GarbageCollector } from './garbage-collector.js';
import { ReplicaSetController } from './replicaset.js';

let c: TestCluster;
beforeEach(async () => {
  c = await startCluster();
  c.run(new GarbageCollector(c.ctx));
});
afterEach(async () => { await c.close(); });

const cms = () => c.client.resource(RESOURCES.configmaps);
const ref = (o: ConfigMap, extra: Partial<OwnerReference> = {}): OwnerReference =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata.name!, uid: o.metadata.uid!, ...extra });
const cm = (name: string, owners: OwnerReference[] = [], finalizers?: string[]) =>
  cms().create({ metadata: { name, namespace: 'default', ownerReferences: owners.length ? owners : undefined, finalizers } } as ConfigMap);
const exists = async (name: string) => cms().get(name, { namespace: 'default' }).then(() => true, (e) => { if (isNotFound(e)) return false; throw e; });

describe('garbage collector', () => {
  it('background: deleting a ReplicaSet removes its pods', async () => {
    c.run(new ReplicaSetController(c.ctx));
    await c.client.resource(RESOURCES.replicasets).create({
      metadata: { name: 'bg', namespace: 'default' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'bg' } }, template: podTemplate({ app: 'bg' }) },
    });
    const pods = () => c.client.resource(RESOURCES.pods).list({ namespace: 'default', labelSelector: 'app=bg' });
    await until(async () => (await pods()).items.length === 3, 'pods');
    await c.client.resource(RESOURCES.replicasets).delete('bg', { namespace: 'default', propagationPolicy: 'Background' });
    await until(async () => (await pods()).items.length === 0, 'pods collected');
  });

  it('foreground: the owner stays (with foregroundDeletion) until blocking dependents are gone', async () => {
    const owner = await cm('fg-owner');
    await cm('fg-held', [ref(owner, { blockOwnerDeletion: true })], ['example.com/hold']);
    await cm('fg-plain', [ref(owner)]);
    await cms().delete('fg-owner', { namespace: 'default', propagationPolicy: 'Foreground' });
    await until(async () => !(await exists('fg-plain')), 'plain dependent deleted');
    const held = await until(async () => { const x = await cms().get('fg-held', { namespace: 'default' }); return x.metadata.deletionTimestamp && x; }, 'held dependent deleting');
    await settle();
    const stillOwner = await cms().get('fg-owner', { namespace: 'default' });
    expect(stillOwner.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(stillOwner.metadata.deletionTimestamp).toBeDefined();
    await cms().patch('fg-held', 'merge', { metadata: { finalizers: null, resourceVersion: held.metadata.resourceVersion } }, { namespace: 'default' });
    await until(async () => !(await exists('fg-owner')), 'owner deleted after its dependents');
  });

  it('orphan: dependents survive without the ownerReference', async () => {
    const owner = await cm('or-owner');
    const other = await cm('or-other');
    await cm('or-dep', [ref(owner), ref(other)]);
    await cm('or-dep2', [ref(owner)]);
    await cms().delete('or-owner', { namespace: 'default', propagationPolicy: 'Orphan' });
    await until(async () => !(await exists('or-owner')), 'owner gone');
    expect((await cms().get('or-dep', { namespace: 'default' })).metadata.ownerReferences).toEqual([ref(other)]);
    expect((await cms().get('or-dep2', { namespace: 'default' })).metadata.ownerReferences).toBeUndefined();
    await settle();
    expect(await exists('or-dep2')).toBe(true);
  });

  it('an object with another live owner survives and loses the reference to the deleted one', async () => {
    const a = await cm('mo-a');
    const b = await cm('mo-b');
    await cm('mo-dep', [ref(a), ref(b)]);
    await cms().delete('mo-a', { namespace: 'default' });
    await until(async () => (await cms().get('mo-dep', { namespace: 'default' })).metadata.ownerReferences?.length === 1, 'dangling ref removed');
    expect((await cms().get('mo-dep', { namespace: 'default' })).metadata.ownerReferences).toEqual([ref(b)]);
    await cms().delete('mo-b', { namespace: 'default' });
    await until(async () => !(await exists('mo-dep')), 'deleted with its last owner');
  });

  it('deletes an object whose owner never existed, but not one whose owner is merely uncached', async () => {
    await cm('ghost-dep', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-0000-0000-0000-000000000000' }]);
    await until(async () => !(await exists('ghost-dep')), 'ghost dependent deleted');
    // An owner of a kind not cached by name: a Secret created right before its dependent.
    const secret = await c.client.resource(RESOURCES.secrets).create({ metadata: { name: 'real', namespace: 'default' } });
    await cm('real-dep', [{ apiVersion: 'v1', kind: 'Secret', name: 'real', uid: secret.metadata.uid! }]);
    await settle(200);
    expect(await exists('real-dep')).toBe(true);
  });
});
