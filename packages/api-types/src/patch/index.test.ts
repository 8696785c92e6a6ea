import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../resources.js';
import { isNotFound } from '../errors.js';
import type { ResourceInfo } from '../resource.js';
import { applyPatch, patchTypeOf, type PatchType } from './index.js';
import { rejection } from '../testdata/errors.js';

const pods = RESOURCES.pods as ResourceInfo;
const deepFreeze = <T>(v: T): T => {
  if (v !== null && typeof v === 'object') for (const x of Object.values(Object.freeze(v))) deepFreeze(x);
  return v;
};
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: '1' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };

describe('patch entry point', () => {
  it.each<[string, PatchType]>([
    ['application/json-patch+json', 'json'],
    ['application/merge-patch+json; charset=utf-8', 'merge'],
    ['Application/Strategic-Merge-Patch+JSON', 'strategic'],
    ['application/apply-patch+yaml', 'apply'],
  ])('reads the patch type of %s', (contentType, type) => {
    expect(patchTypeOf(contentType)).toBe(type);
  });

  it.each(['application/json', 'text/plain', '', undefined])('answers 415 UnsupportedMediaType for %s', (contentType) => {
    const err = rejection(() => patchTypeOf(contentType));
    expect(err.code).toBe(415);
    expect(err.reason).toBe('UnsupportedMediaType');
  });

  it('dispatches each type to its algorithm, leaving the stored object alone', () => {
    // Frozen: a result that shares values with the stored object must never have changed them in place.
    const stored = deepFreeze(structuredClone(pod));
    const args = { current: stored, info: pods, fieldManager: 'm', force: false };
    expect(applyPatch({ ...args, type: 'json', patch: [{ op: 'replace', path: '/metadata/labels/a', value: '2' }] }).metadata.labels).toEqual({ a: '2' });
    expect(applyPatch({ ...args, type: 'merge', patch: { spec: { containers: [{ name: 'x' }] } } }).spec.containers).toEqual([{ name: 'x' }]);
    expect(applyPatch({ ...args, type: 'strategic', patch: { spec: { containers: [{ name: 'x' }] } } }).spec.containers).toEqual([{ name: 'web', image: 'nginx' }, { name: 'x' }]);
    expect(applyPatch({ ...args, type: 'apply', patch: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { b: '2' } } } }).metadata.labels).toEqual({ a: '1', b: '2' });
    expect(stored).toEqual(pod);
  });

  it('answers 404 for a non-apply patch of an object that does not exist', () => {
    expect(isNotFound(rejection(() => applyPatch({ type: 'merge', current: undefined, patch: {}, info: pods, fieldManager: 'm', force: false })))).toBe(true);
  });

  it('answers 415 for an unknown patch type', () => {
    expect(rejection(() => applyPatch({ type: 'xml' as PatchType, current: pod, patch: {}, info: pods, fieldManager: 'm', force: false })).code).toBe(415);
  });

  it('uses the Scale schema for the scale subresource', () => {
    const scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'd' }, spec: { replicas: 1 } };
    const deployments = RESOURCES.deployments as ResourceInfo;
    const out = applyPatch({ type: 'apply', current: scale, patch: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'd' }, spec: { replicas: 3 } }, info: deployments, fieldManager: 'm', force: false, subresource: 'scale' });
    expect(out.spec.replicas).toBe(3);
    expect(rejection(() => applyPatch({ type: 'apply', current: scale, patch: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }, info: deployments, fieldManager: 'm', force: false, subresource: 'scale' })).code).toBe(400);
  });
});
