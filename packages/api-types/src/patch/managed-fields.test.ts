import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../resources.js';
import { isBadRequest, isConflict } from '../errors.js';
import type { ResourceInfo } from '../resource.js';
import { applyPatch, updateManagedFields } from './index.js';
import { rejection } from '../testdata/errors.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const pods = RESOURCES.pods as ResourceInfo;
const T0 = '2024-05-01T10:00:00Z';
const T1 = '2024-05-01T11:00:00Z';

const apply = (current: Obj | undefined, patch: Obj, fieldManager: string, opts: { force?: boolean; now?: string; subresource?: string } = {}) =>
  applyPatch({ type: 'apply', current, patch, info: pods, fieldManager, force: opts.force ?? false, now: opts.now ?? T0, ...(opts.subresource ? { subresource: opts.subresource } : {}) });
const config = (spec: Obj, metadata: Obj = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...metadata }, spec });
const entry = (obj: Obj, manager: string): Obj => (obj.metadata.managedFields as Obj[]).find((e) => e.manager === manager)!;

describe('server-side apply', () => {
  const web = config({ containers: [{ name: 'web', image: 'nginx:1' }] }, { labels: { app: 'web' } });

  it('creates the object when there is none and records the applied fields as FieldsV1', () => {
    const out = apply(undefined, web, 'alice');
    expect(out.spec).toEqual({ containers: [{ name: 'web', image: 'nginx:1' }] });
    expect(out.metadata.managedFields).toEqual([{
      manager: 'alice',
      operation: 'Apply',
      apiVersion: 'v1',
      time: T0,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
      },
    }]);
  });

  it('lets two managers apply the same value without a conflict, both owning it', () => {
    const live = apply(undefined, web, 'alice');
    const out = apply(live, config({ containers: [{ name: 'web', image: 'nginx:1' }] }), 'bob');
    expect(entry(out, 'alice')).toBeDefined();
    expect(entry(out, 'bob').fieldsV1['f:spec']).toEqual(entry(out, 'alice').fieldsV1['f:spec']);
  });

  it('refuses to change a field another manager applied, naming the field and manager', () => {
    const live = apply(undefined, web, 'alice');
    const err = rejection(() => apply(live, config({ containers: [{ name: 'web', image: 'nginx:2' }] }), 'bob'));
    expect(isConflict(err)).toBe(true);
    expect(err.code).toBe(409);
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "alice": .spec.containers[name="web"].image');
    expect(err.status.details?.causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.containers[name="web"].image' }]);
  });

  it('lists several conflicts grouped by manager', () => {
    const live = apply(undefined, config({ containers: [{ name: 'web', image: 'nginx:1' }], restartPolicy: 'Always' }), 'alice');
    const err = rejection(() => apply(live, config({ containers: [{ name: 'web', image: 'nginx:2' }], restartPolicy: 'Never' }), 'bob'));
    expect(err.message).toBe('Apply failed with 2 conflicts: conflicts with "alice":\n- .spec.containers[name="web"].image\n- .spec.restartPolicy');
    expect(err.status.details?.causes).toHaveLength(2);
  });

  it('with force takes the field over: the value changes and the previous owner loses it', () => {
    const live = apply(undefined, web, 'alice');
    const out = apply(live, config({ containers: [{ name: 'web', image: 'nginx:2' }] }), 'bob', { force: true, now: T1 });
    expect(out.spec.containers[0].image).toBe('nginx:2');
    const alice = entry(out, 'alice');
    expect(alice.fieldsV1['f:spec']['f:containers']['k:{"name":"web"}']).toEqual({ '.': {}, 'f:name': {} });
    expect(alice.time).toBe(T1);
    expect(entry(out, 'bob').fieldsV1['f:spec']['f:containers']['k:{"name":"web"}']['f:image']).toEqual({});
  });

  it('removes fields a manager stops applying, unless another manager still owns them', () => {
    const live = apply(undefined, config({ containers: [{ name: 'web', image: 'nginx:1' }] }, { labels: { app: 'web', tier: 'front', team: 'a' } }), 'alice');
    const shared = apply(live, config({ containers: [{ name: 'web', image: 'nginx:1' }] }, { labels: { team: 'a' } }), 'bob');
    const out = apply(shared, config({ containers: [{ name: 'web', image: 'nginx:1' }] }, { labels: { app: 'web' } }), 'alice');
    expect(out.metadata.labels).toEqual({ app: 'web', team: 'a' });
  });

  it('removes a list item the manager stops applying, with fields nobody owns inside it', () => {
    const live = apply(undefined, config({ containers: [{ name: 'web', image: 'nginx' }, { name: 'side', image: 'busybox' }] }), 'alice');
    const defaulted = { ...live, spec: { ...live.spec, containers: live.spec.containers.map((c: Obj) => ({ ...c, imagePullPolicy: 'Always' })) } };
    const out = apply(defaulted, config({ containers: [{ name: 'web', image: 'nginx' }] }), 'alice');
    expect(out.spec.containers).toEqual([{ name: 'web', image: 'nginx', imagePullPolicy: 'Always' }]);
  });

  it('removes an item the manager stops applying even if another manager owns a field inside it', () => {
    const live = apply(undefined, config({ containers: [{ name: 'web', image: 'nginx' }, { name: 'side', image: 'busybox' }] }), 'alice');
    const edited = structuredClone(live);
    edited.spec.containers[1].image = 'busybox:edited';
    const withEditor = updateManagedFields(live, edited, 'kubectl-edit', 'Update', undefined, T1);
    const out = apply(withEditor, config({ containers: [{ name: 'web', image: 'nginx' }] }), 'alice');
    expect(out.spec.containers).toEqual([{ name: 'web', image: 'nginx' }]);
  });

  it('does not create optional lists or maps applied empty, as Kubernetes stores none', () => {
    const out = apply(undefined, config({ containers: [{ name: 'web', image: 'nginx', env: [] }] }, { labels: {}, finalizers: [] }), 'alice');
    expect(out.metadata.labels).toBeUndefined();
    expect(out.metadata.finalizers).toBeUndefined();
    expect(out.spec.containers).toEqual([{ name: 'web', image: 'nginx' }]);
    expect(apply(out, config({ containers: [{ name: 'web', image: 'nginx', env: [] }] }, { labels: {}, finalizers: [] }), 'alice', { now: T1 })).toEqual(out);
  });

  it('does not touch fields the manager never applied', () => {
    const live: Obj = { ...apply(undefined, web, 'alice'), status: { phase: 'Running' } };
    live.spec.nodeName = 'n1';
    const out = apply(live, config({ containers: [{ name: 'web', image: 'nginx:1' }] }), 'alice');
    expect(out.spec.nodeName).toBe('n1');
    expect(out.status).toEqual({ phase: 'Running' });
    expect(out.metadata.labels).toBeUndefined();
  });

  it('matches a port applied without protocol to the stored TCP port (list-map key default)', () => {
    const live = apply(undefined, config({ containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] }), 'alice');
    live.spec.containers[0].ports[0].protocol = 'TCP';
    const out = apply(live, config({ containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80, name: 'http' }] }] }), 'alice');
    expect(out.spec.containers[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP', name: 'http' }]);
    expect(Object.keys(entry(out, 'alice').fieldsV1['f:spec']['f:containers']['k:{"name":"web"}']['f:ports'])).toEqual(['k:{"containerPort":80,"protocol":"TCP"}']);
  });

  it('treats finalizers as a set: each manager owns its own values', () => {
    const a = apply(undefined, config({ containers: [{ name: 'web', image: 'x' }] }, { finalizers: ['example.com/a'] }), 'alice');
    const ab = apply(a, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', finalizers: ['example.com/b'] } }, 'bob');
    expect(ab.metadata.finalizers).toEqual(['example.com/a', 'example.com/b']);
    expect(entry(ab, 'bob').fieldsV1).toEqual({ 'f:metadata': { 'f:finalizers': { 'v:"example.com/b"': {} } } });
    const out = apply(ab, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }, 'bob');
    expect(out.metadata.finalizers).toEqual(['example.com/a']);
    expect(entry(out, 'bob')).toBeUndefined();
  });

  it('replaces atomic lists whole and owns them as one field', () => {
    const live = apply(undefined, config({ containers: [{ name: 'web', image: 'x', args: ['a', 'b'] }] }), 'alice');
    expect(entry(live, 'alice').fieldsV1['f:spec']['f:containers']['k:{"name":"web"}']['f:args']).toEqual({});
    const out = apply(live, config({ containers: [{ name: 'web', image: 'x', args: ['c'] }] }), 'alice');
    expect(out.spec.containers[0].args).toEqual(['c']);
  });

  it('ignores status sent to the main resource of a kind with a status subresource', () => {
    const out = apply(undefined, { ...web, status: { phase: 'Failed' } }, 'alice');
    expect(out.status).toBeUndefined();
    expect(entry(out, 'alice').fieldsV1['f:status']).toBeUndefined();
  });

  it('applies to the status subresource: only status, recorded with the subresource', () => {
    const live = apply(undefined, web, 'alice');
    const out = apply(live, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { nodeName: 'sneaky' }, status: { phase: 'Running' } }, 'kubelet', { subresource: 'status' });
    expect(out.status).toEqual({ phase: 'Running' });
    expect(out.spec.nodeName).toBeUndefined();
    expect(entry(out, 'kubelet')).toMatchObject({ operation: 'Apply', subresource: 'status', fieldsV1: { 'f:status': { 'f:phase': {} } } });
  });

  it('keeps the entry time when a re-apply changes nothing', () => {
    const live = apply(undefined, web, 'alice', { now: T0 });
    const again = apply(live, web, 'alice', { now: T1 });
    expect(entry(again, 'alice').time).toBe(T0);
    expect(again).toEqual(live);
  });

  it.each<[string, Obj]>([
    ['without kind', { apiVersion: 'v1', metadata: { name: 'p' } }],
    ['without apiVersion', { kind: 'Pod', metadata: { name: 'p' } }],
    ['of another kind', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'p' } }],
  ])('rejects a configuration %s with 400', (_n, patch) => {
    expect(isBadRequest(rejection(() => apply(undefined, patch, 'alice')))).toBe(true);
  });

  it('requires a field manager and allows force only for apply', () => {
    expect(isBadRequest(rejection(() => apply(undefined, web, '')))).toBe(true);
    expect(isBadRequest(rejection(() => applyPatch({ type: 'merge', current: web, patch: {}, info: pods, fieldManager: 'x', force: true })))).toBe(true);
  });

  it('rejects a configuration that sets managedFields with 400', () => {
    expect(isBadRequest(rejection(() => apply(undefined, { ...web, metadata: { ...web.metadata, managedFields: [{ manager: 'x' }] } }, 'alice')))).toBe(true);
  });

  it('carries the configured resourceVersion into the result, for the server to check as a precondition', () => {
    const created = apply(undefined, web, 'alice');
    const live = { ...created, metadata: { ...created.metadata, resourceVersion: '7', uid: 'u1' } };
    expect(apply(live, { ...web, metadata: { ...web.metadata, resourceVersion: '3' } }, 'alice').metadata).toMatchObject({ resourceVersion: '3', uid: 'u1' });
    expect(apply(live, web, 'alice').metadata.resourceVersion).toBe('7');
  });

  it('owns an atomic struct (a Deployment selector) as one field', () => {
    const deployments = RESOURCES.deployments as ResourceInfo;
    const out = applyPatch({
      type: 'apply', current: undefined, info: deployments, fieldManager: 'alice', force: false, now: T0,
      patch: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 2, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } },
    });
    const spec = (out.metadata.managedFields as Obj[])[0].fieldsV1['f:spec'];
    expect(spec['f:selector']).toEqual({});
    expect(spec['f:replicas']).toEqual({});
    expect(spec['f:template']['f:spec']['f:containers']['k:{"name":"c"}']).toEqual({ '.': {}, 'f:image': {}, 'f:name': {} });
  });

  it('rejects duplicate list-map keys in the configuration with 422', () => {
    const err = rejection(() => apply(undefined, config({ containers: [{ name: 'web', image: 'a' }, { name: 'web', image: 'b' }] }), 'alice'));
    expect(err.code).toBe(422);
    expect(err.message).toBe('.spec.containers: duplicate entries for key [name="web"]');
  });
});

describe('managedFields of ordinary writes (operation Update)', () => {
  const pod: Obj = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u1', resourceVersion: '5', creationTimestamp: T0, labels: { app: 'web' } },
    spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: {} }], restartPolicy: 'Always' },
  };

  it('records a create as Kubernetes writes it: no "." on structs or required lists, "." on maps and items', () => {
    const out = updateManagedFields(undefined, pod, 'kubectl-create', 'Update', undefined, T0);
    expect(out.metadata.managedFields).toEqual([{
      manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: T0, fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"web"}': {
              '.': {}, 'f:image': {}, 'f:name': {},
              'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } },
              'f:resources': {},
            },
          },
          'f:restartPolicy': {},
        },
      },
    }]);
    expect(pod.metadata.managedFields).toBeUndefined();
  });

  it('an update takes the fields it changes from an applier without a conflict, and a re-apply then conflicts', () => {
    const live = applyPatch({ type: 'apply', current: undefined, patch: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } }, info: pods, fieldManager: 'alice', force: false, now: T0 });
    const edited = structuredClone(live);
    edited.spec.containers[0].image = 'nginx:edited';
    const out = updateManagedFields(live, edited, 'kubectl-edit', 'Update', undefined, T1);
    const editor = (out.metadata.managedFields as Obj[]).find((e) => e.manager === 'kubectl-edit');
    expect(editor).toMatchObject({ operation: 'Update', time: T1, fieldsV1: { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {} } } } } });
    const alice = entry(out, 'alice');
    expect(alice.fieldsV1['f:spec']['f:containers']['k:{"name":"web"}']['f:image']).toBeUndefined();
    const err = rejection(() => applyPatch({ type: 'apply', current: out, patch: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } }, info: pods, fieldManager: 'alice', force: false }));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .spec.containers[name="web"].image');
  });

  it('drops fields a write removes from every manager, and managers left with nothing', () => {
    const created = updateManagedFields(undefined, pod, 'creator', 'Update', undefined, T0);
    const labeled = updateManagedFields(created, { ...created, metadata: { ...created.metadata, labels: { app: 'web', extra: 'x' } } }, 'labeler', 'Update', undefined, T1);
    const unlabeled = structuredClone(labeled);
    delete unlabeled.metadata.labels.extra;
    const out = updateManagedFields(labeled, unlabeled, 'creator', 'Update', undefined, T1);
    expect((out.metadata.managedFields as Obj[]).map((e) => e.manager)).toEqual(['creator']);
  });

  it('records a status write with its subresource and only status fields', () => {
    const created = updateManagedFields(undefined, pod, 'creator', 'Update', undefined, T0);
    const next = { ...created, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } };
    const out = updateManagedFields(created, next, 'kubelet', 'Update', 'status', T1);
    const kubelet = (out.metadata.managedFields as Obj[]).find((e) => e.manager === 'kubelet');
    expect(kubelet).toMatchObject({ subresource: 'status', fieldsV1: { 'f:status': { 'f:phase': {}, 'f:conditions': { '.': {}, 'k:{"type":"Ready"}': { '.': {}, 'f:status': {}, 'f:type': {} } } } } });
  });

  it('records later status writes: fields changed again stay the manager\'s, removed ones leave it, the creator\'s entry is untouched', () => {
    const T2 = '2024-05-01T12:00:00Z';
    const created = updateManagedFields(undefined, pod, 'creator', 'Update', undefined, T0);
    const status = { phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] };
    const running = JSON.parse(JSON.stringify(updateManagedFields(created, { ...created, status }, 'kubelet', 'Update', 'status', T1)));
    const kubeletAt = (obj: Obj) => (obj.metadata.managedFields as Obj[]).find((e) => e.manager === 'kubelet');
    const owned = { 'f:phase': {}, 'f:podIP': {}, 'f:conditions': { '.': {}, 'k:{"type":"Ready"}': { '.': {}, 'f:status': {}, 'f:type': {} } } };
    expect(kubeletAt(running)).toMatchObject({ time: T1, fieldsV1: { 'f:status': owned } });
    // Only fields the kubelet owns change: same fields, a new time.
    const notReady = updateManagedFields(running, { ...running, status: { ...status, conditions: [{ type: 'Ready', status: 'False' }] } }, 'kubelet', 'Update', 'status', T2);
    expect(kubeletAt(notReady)).toEqual({ ...kubeletAt(running), time: T2 });
    expect(entry(notReady, 'creator')).toEqual(entry(created, 'creator'));
    // A removed field leaves the entry, a new one joins it.
    const moved = updateManagedFields(running, { ...running, status: { phase: 'Running', hostIP: '127.0.0.1', conditions: status.conditions } }, 'kubelet', 'Update', 'status', T2);
    expect(kubeletAt(moved)).toEqual({ ...kubeletAt(running), time: T2, fieldsV1: { 'f:status': { 'f:conditions': owned['f:conditions'], 'f:hostIP': {}, 'f:phase': {} } } });
    // The creator's fields, changed through the main resource by someone else, leave the creator's entry.
    const relabeled = updateManagedFields(running, { ...running, metadata: { ...running.metadata, labels: { app: 'db' } } }, 'labeler', 'Update', undefined, T2);
    expect(entry(relabeled, 'creator').fieldsV1['f:metadata']).toEqual({ 'f:labels': {} });
    expect(entry(relabeled, 'creator').time).toBe(T2);
    expect(kubeletAt(relabeled)).toEqual(kubeletAt(running));
  });

  it('accepts stored objects with a repeated list-map key, as Kubernetes does for env', () => {
    const dup = structuredClone(pod);
    dup.spec.containers[0].env = [{ name: 'A', value: '1' }, { name: 'A', value: '2' }];
    const created = updateManagedFields(undefined, dup, 'creator', 'Update', undefined, T0);
    expect(Object.keys(created.metadata.managedFields[0].fieldsV1['f:spec']['f:containers']['k:{"name":"web"}']['f:env'])).toEqual(['.', 'k:{"name":"A"}']);
    const edited = structuredClone(created);
    edited.spec.containers[0].env[1].value = '3';
    const out = updateManagedFields(created, edited, 'editor', 'Update', undefined, T1);
    expect((out.metadata.managedFields as Obj[]).find((e) => e.manager === 'editor')!.fieldsV1['f:spec']['f:containers']['k:{"name":"web"}']['f:env']).toEqual({ 'k:{"name":"A"}': {} });
  });

  it('keeps entries and their time when nothing changed', () => {
    const created = updateManagedFields(undefined, pod, 'creator', 'Update', undefined, T0);
    expect(updateManagedFields(created, structuredClone(created), 'creator', 'Update', undefined, T1)).toEqual(created);
  });

  it('clears managedFields when a write sets them to an empty list', () => {
    const created = updateManagedFields(undefined, pod, 'creator', 'Update', undefined, T0);
    const out = updateManagedFields(created, { ...created, metadata: { ...created.metadata, managedFields: [] } }, 'editor', 'Update', undefined, T1);
    expect(out.metadata.managedFields).toBeUndefined();
  });

  it('orders entries Apply first, then oldest first', () => {
    const applied = applyPatch({ type: 'apply', current: undefined, patch: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: '1' } } }, info: pods, fieldManager: 'zed', force: false, now: T1 });
    const updated = updateManagedFields(applied, { ...applied, metadata: { ...applied.metadata, annotations: { b: '2' } } }, 'amy', 'Update', undefined, T0);
    const later = updateManagedFields(updated, { ...updated, metadata: { ...updated.metadata, annotations: { b: '2', c: '3' } } }, 'bea', 'Update', undefined, '2024-05-01T09:00:00Z');
    expect((later.metadata.managedFields as Obj[]).map((e) => `${e.operation}/${e.manager}`)).toEqual(['Apply/zed', 'Update/bea', 'Update/amy']);
  });

  it('keeps at most 10 Update entries, folding the oldest into ancient-changes', () => {
    let obj = updateManagedFields(undefined, pod, 'creator', 'Update', undefined, '2024-05-01T00:00:00Z');
    for (let i = 1; i <= 11; i++) {
      obj = updateManagedFields(obj, { ...obj, metadata: { ...obj.metadata, labels: { ...obj.metadata.labels, [`l${i}`]: 'x' } } }, `writer-${String(i).padStart(2, '0')}`, 'Update', undefined, `2024-05-01T00:00:${String(i).padStart(2, '0')}Z`);
    }
    const entries = obj.metadata.managedFields as Obj[];
    expect(entries).toHaveLength(10);
    const ancient = entries.find((e) => e.manager === 'ancient-changes')!;
    expect(ancient).toMatchObject({ operation: 'Update', apiVersion: 'v1', time: '2024-05-01T00:00:02Z' });
    expect(Object.keys(ancient.fieldsV1['f:metadata']['f:labels'])).toEqual(expect.arrayContaining(['f:app', 'f:l1', 'f:l2']));
    expect(entries.map((e) => e.manager)).not.toContain('creator');
    expect(entries.map((e) => e.manager)).not.toContain('writer-02');
    expect(entries.map((e) => e.manager)).toContain('writer-03');
  });

  it('leaves Apply writes and kinds it does not know as they are', () => {
    const other = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    expect(updateManagedFields(undefined, other, 'x', 'Update')).toBe(other);
    expect(updateManagedFields(undefined, pod, 'x', 'Apply')).toBe(pod);
  });
});
