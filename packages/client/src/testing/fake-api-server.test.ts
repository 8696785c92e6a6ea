import { RESOURCES, isAlreadyExists, isConflict, isNotFound, type Pod } from '@peapod/api-types';
import { FakeClock } from '@peapod/core';
import { describe, expect, it } from 'vitest';
import { createClient } from '../client.js';
import type { KubeObject, WatchEvent } from '../types.js';
import { FakeApiServer } from './fake-api-server.js';

const pod = (name: string, extra: Record<string, unknown> = {}) =>
  ({ metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'busybox' }] }, ...extra }) as Pod;

function setup() {
  const clock = new FakeClock();
  const api = new FakeApiServer({ clock });
  const pods = createClient(api).resource(RESOURCES.pods);
  return { clock, api, pods };
}

/** Collects events of a watch until `n` arrived. */
async function take(iter: AsyncIterable<WatchEvent<KubeObject>>, n: number) {
  const out: [string, string | undefined][] = [];
  for await (const ev of iter) {
    out.push([ev.type, (ev.object.metadata as { name?: string }).name]);
    if (out.length === n) break;
  }
  return out;
}

describe('FakeApiServer', () => {
  it('creates with uid, resourceVersion, timestamps and generateName; refuses a duplicate', async () => {
    const { pods } = setup();
    const p = await pods.create(pod('web'));
    expect(p.metadata).toMatchObject({ name: 'web', namespace: 'default', resourceVersion: '1', generation: 1, creationTimestamp: '2025-01-01T00:00:00Z' });
    expect(p.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(p.status).toEqual({ phase: 'Pending' });
    await expect(pods.create(pod('web'))).rejects.toSatisfy(isAlreadyExists);
    const g = await pods.create({ ...pod(''), metadata: { namespace: 'default', generateName: 'web-' } } as Pod);
    expect(g.metadata.name).toMatch(/^web-.{5}$/);
  });

  it('hands out frozen objects, so a caller mutating a cached object fails loudly', async () => {
    const { pods } = setup();
    const p = await pods.create(pod('web'));
    expect(() => { (p.metadata as Record<string, unknown>).name = 'x'; }).toThrow(TypeError);
  });

  it('enforces optimistic concurrency and keeps status out of main-resource updates', async () => {
    const { pods } = setup();
    const p = await pods.create(pod('web'));
    const u = await pods.update({ ...p, spec: { ...p.spec!, activeDeadlineSeconds: 5 }, status: { phase: 'Running' } } as Pod);
    expect(u.metadata).toMatchObject({ resourceVersion: '2', generation: 2 });
    expect(u.status).toEqual({ phase: 'Pending' });
    await expect(pods.update(p)).rejects.toSatisfy(isConflict);
    const forged = await pods.update({ ...u, metadata: { ...u.metadata, uid: 'forged', deletionTimestamp: '2030-01-01T00:00:00Z' } });
    expect(forged.metadata.uid).toBe(p.metadata.uid);
    expect(forged.metadata).not.toHaveProperty('deletionTimestamp');
    const s = await pods.updateStatus({ ...u, spec: { containers: [] }, status: { phase: 'Running' } } as Pod);
    expect(s.status?.phase).toBe('Running');
    expect(s.spec?.containers).toHaveLength(1);
    expect(s.metadata.generation).toBe(2);
    expect((await pods.update(s)).metadata.resourceVersion).toBe(s.metadata.resourceVersion);
  });

  it('merges strategic patches by the schema merge keys and applies JSON and merge patches', async () => {
    const { pods } = setup();
    await pods.create(pod('web'));
    await pods.patch('web', 'merge', { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'Initialized', status: 'True' }] } }, { namespace: 'default', subresource: 'status' });
    const p = await pods.patch('web', 'strategic', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, { namespace: 'default', subresource: 'status' });
    expect(p.status?.conditions).toEqual([{ type: 'Ready', status: 'True' }, { type: 'Initialized', status: 'True' }]);
    const j = await pods.patch('web', 'json', [{ op: 'add', path: '/metadata/labels', value: { app: 'web' } }], { namespace: 'default' });
    expect(j.metadata.labels).toEqual({ app: 'web' });
    const m = await pods.patch('web', 'merge', { metadata: { labels: { app: null, tier: 'fe' } } }, { namespace: 'default' });
    expect(m.metadata.labels).toEqual({ tier: 'fe' });
  });

  it('serves server-side apply as the API server does: creates, records managers, 409 on a conflict unless forced', async () => {
    const { pods } = setup();
    const applied = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    const created = await pods.patch('web', 'apply', applied, { namespace: 'default', fieldManager: 'alice' });
    expect(created.metadata.labels).toEqual({ app: 'web' });
    expect(created.metadata.managedFields?.map((f) => f.manager)).toEqual(['alice']);
    const other = { ...applied, metadata: { ...applied.metadata, labels: { app: 'other' } } };
    await expect(pods.patch('web', 'apply', other, { namespace: 'default', fieldManager: 'bob' })).rejects.toSatisfy(isConflict);
    const forced = await pods.patch('web', 'apply', other, { namespace: 'default', fieldManager: 'bob', force: true });
    expect(forced.metadata.labels).toEqual({ app: 'other' });
  });

  it('binds a pod once', async () => {
    const { pods } = setup();
    await pods.create(pod('web'));
    await pods.createSubresource('web', 'binding', { target: { name: 'n1' } }, { namespace: 'default' });
    expect((await pods.get('web', { namespace: 'default' })).spec?.nodeName).toBe('n1');
    await expect(pods.createSubresource('web', 'binding', { target: { name: 'n2' } }, { namespace: 'default' })).rejects.toSatisfy(isConflict);
  });

  it('deletes bound pods gracefully and unbound ones at once; finalizers hold deletion', async () => {
    const { pods } = setup();
    await pods.create(pod('bound', { spec: { nodeName: 'n1', containers: [], terminationGracePeriodSeconds: 10 } }));
    const d = await pods.delete('bound', { namespace: 'default' });
    expect(d.metadata).toMatchObject({ deletionTimestamp: '2025-01-01T00:00:10Z', deletionGracePeriodSeconds: 10 });
    await pods.delete('bound', { namespace: 'default', gracePeriodSeconds: 0 });
    await expect(pods.get('bound', { namespace: 'default' })).rejects.toSatisfy(isNotFound);

    await pods.create(pod('unbound'));
    await pods.delete('unbound', { namespace: 'default' });
    await expect(pods.get('unbound', { namespace: 'default' })).rejects.toSatisfy(isNotFound);

    const cm = createClient(new FakeApiServer()).resource(RESOURCES.configmaps);
    await cm.create({ metadata: { name: 'c', namespace: 'x', finalizers: ['f'] } } as never);
    const held = await cm.delete('c', { namespace: 'x' });
    expect(held.metadata.deletionTimestamp).toBeDefined();
    await cm.patch('c', 'merge', { metadata: { finalizers: null } }, { namespace: 'x' });
    await expect(cm.get('c', { namespace: 'x' })).rejects.toSatisfy(isNotFound);
  });

  it('holds a Foreground or Orphan deletion with the garbage collector\'s finalizer', async () => {
    const cm = createClient(new FakeApiServer()).resource(RESOURCES.configmaps);
    for (const [policy, finalizer] of [['Foreground', 'foregroundDeletion'], ['Orphan', 'orphan']] as const) {
      await cm.create({ metadata: { name: policy.toLowerCase(), namespace: 'x', finalizers: ['f'] } } as never);
      const held = await cm.delete(policy.toLowerCase(), { namespace: 'x', propagationPolicy: policy });
      expect(held.metadata).toMatchObject({ finalizers: ['f', finalizer] });
      expect(held.metadata.deletionTimestamp).toBeDefined();
    }
    await cm.create({ metadata: { name: 'bg', namespace: 'x' } } as never);
    await cm.delete('bg', { namespace: 'x', propagationPolicy: 'Background' });
    await expect(cm.get('bg', { namespace: 'x' })).rejects.toSatisfy(isNotFound);
  });

  it('watches from a resourceVersion, turns selector transitions into ADDED/DELETED, and answers 410 once compacted', async () => {
    const { api, pods } = setup();
    const p = await pods.create(pod('web'));
    const ac = new AbortController();
    const w = take(pods.watch({ namespace: 'default', labelSelector: 'app=web', resourceVersion: p.metadata.resourceVersion, signal: ac.signal }), 3);
    await pods.patch('web', 'merge', { metadata: { labels: { app: 'web' } } }, { namespace: 'default' });
    await pods.patch('web', 'merge', { metadata: { annotations: { a: 'b' } } }, { namespace: 'default' });
    await pods.patch('web', 'merge', { metadata: { labels: { app: 'other' } } }, { namespace: 'default' });
    expect(await w).toEqual([['ADDED', 'web'], ['MODIFIED', 'web'], ['DELETED', 'web']]);
    ac.abort();

    api.compact();
    const after: WatchEvent<KubeObject>[] = [];
    for await (const ev of pods.watch({ namespace: 'default', resourceVersion: p.metadata.resourceVersion })) after.push(ev);
    expect(after).toMatchObject([{ type: 'ERROR', object: { code: 410, reason: 'Expired' } }]);
  });

  it('lists with label and field selectors', async () => {
    const { pods } = setup();
    await pods.create(pod('a', { metadata: { name: 'a', namespace: 'default', labels: { app: 'x' } } }));
    await pods.create(pod('b', { spec: { nodeName: 'n1', containers: [] } }));
    expect((await pods.list({ labelSelector: 'app=x' })).items.map((p) => p.metadata.name)).toEqual(['a']);
    expect((await pods.list({ fieldSelector: 'spec.nodeName=' })).items.map((p) => p.metadata.name)).toEqual(['a']);
    expect((await pods.list({ namespace: 'other' })).items).toEqual([]);
    expect((await pods.list()).metadata.resourceVersion).toBe('2');
  });

  it('streams logs set by the test', async () => {
    const { api, pods } = setup();
    await pods.create(pod('web'));
    api.setLogs('default', 'web', 'hello\n');
    const chunks: Uint8Array[] = [];
    for await (const c of createClient(api).podLogs('default', 'web')) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe('hello\n');
  });
});
