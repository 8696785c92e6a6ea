import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../resources.js';
import { isConflict } from '../errors.js';
import type { ResourceInfo } from '../resource.js';
import { applyPatch, updateManagedFields } from './index.js';
import { LAST_APPLIED } from './last-applied.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const pods = RESOURCES.pods as ResourceInfo;
const config = (image: string, labels: Obj = { app: 'web' }): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', labels }, spec: { containers: [{ name: 'main', image }] } });
const ssa = (current: Obj, patch: Obj, fieldManager: string) => applyPatch({ type: 'apply', current, patch, info: pods, fieldManager, force: false, now: '2024-01-01T00:00:00Z' });

/** What a client-side `kubectl apply` leaves behind: the annotation and an Update entry. */
function clientSideApplied(image: string): Obj {
  const applied = config(image);
  const obj = { ...applied, metadata: { ...applied.metadata, annotations: { [LAST_APPLIED]: JSON.stringify({ ...applied, metadata: { ...applied.metadata, annotations: {} } }) } } };
  return updateManagedFields(undefined, obj, 'kubectl-client-side-apply', 'Update', undefined, '2024-01-01T00:00:00Z');
}

describe('moving from client-side to server-side kubectl apply', () => {
  it('lets kubectl take over fields whose live value is still the last client-side applied one', () => {
    const out = ssa(clientSideApplied('nginx:1'), config('nginx:2'), 'kubectl');
    expect(out.spec.containers[0].image).toBe('nginx:2');
    const csa = (out.metadata.managedFields as Obj[]).find((e) => e.manager === 'kubectl-client-side-apply')!;
    expect(csa.fieldsV1['f:spec']['f:containers']['k:{"name":"main"}']['f:image']).toBeUndefined();
  });

  it('still conflicts on fields changed since the last client-side apply', () => {
    const live = clientSideApplied('nginx:1');
    const edited = structuredClone(live);
    edited.spec.containers[0].image = 'nginx:edited';
    const afterEdit = updateManagedFields(live, edited, 'kubectl-client-side-apply', 'Update');
    let caught: unknown;
    try {
      ssa(afterEdit, config('nginx:2'), 'kubectl');
    } catch (err) {
      caught = err;
    }
    expect(isConflict(caught)).toBe(true);
  });

  it('does not grant other managers the same leniency', () => {
    expect(() => ssa(clientSideApplied('nginx:1'), config('nginx:2'), 'helm')).toThrow(/Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1/);
  });

  it('rewrites an existing annotation to the applied configuration, keys sorted, without itself', () => {
    const out = ssa(clientSideApplied('nginx:1'), config('nginx:2'), 'kubectl');
    expect(out.metadata.annotations[LAST_APPLIED]).toBe('{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"app":"web"},"name":"p","namespace":"default"},"spec":{"containers":[{"image":"nginx:2","name":"main"}]}}');
  });

  it('adds no annotation to objects that never had one', () => {
    const out = ssa(applyPatch({ type: 'apply', current: undefined, patch: config('nginx:1'), info: pods, fieldManager: 'kubectl', force: false }), config('nginx:2'), 'kubectl');
    expect(out.metadata.annotations).toBeUndefined();
  });
});
