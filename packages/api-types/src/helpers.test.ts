import { describe, expect, it } from 'vitest';
import type { Container, Pod } from './core/v1.js';
import { controllerOf, controllerRef, deepEqual, getScaledValueFromIntOrPercent, isPodTerminal, nextGeneration, podQOSClass, podRequests } from './helpers.js';
import { defaultPod } from './defaults.js';
import { formatQuantity } from './quantity.js';
import { isBadRequest } from './errors.js';

const c = (name: string, requests?: Record<string, string>, limits?: Record<string, string>, restartPolicy?: string): Container =>
  ({ name, image: 'x', resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) }, ...(restartPolicy ? { restartPolicy } : {}) });
const pod = (containers: Container[], initContainers: Container[] = [], overhead?: Record<string, string>): Pod =>
  defaultPod({ metadata: {}, spec: { containers, initContainers, ...(overhead ? { overhead } : {}) } });
const fmt = (r: ReturnType<typeof podRequests>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, formatQuantity(v)]));

describe('podQOSClass', () => {
  it.each([
    ['no resources anywhere', [c('a'), c('b')], [], 'BestEffort'],
    ['only non-QoS resources', [c('a', { 'ephemeral-storage': '1Gi' })], [], 'BestEffort'],
    ['limits equal requests for cpu and memory', [c('a', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })], [], 'Guaranteed'],
    ['limits only (requests defaulted from them)', [c('a', undefined, { cpu: '500m', memory: '128Mi' })], [], 'Guaranteed'],
    ['1000m equals 1', [c('a', { cpu: '1000m', memory: '1Gi' }, { cpu: '1', memory: '1024Mi' })], [], 'Guaranteed'],
    ['request below limit', [c('a', { cpu: '100m', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })], [], 'Burstable'],
    ['cpu limit only', [c('a', undefined, { cpu: '1' })], [], 'Burstable'],
    ['one container without limits', [c('a', undefined, { cpu: '1', memory: '1Gi' }), c('b')], [], 'Burstable'],
    ['requests only', [c('a', { memory: '1Gi' })], [], 'Burstable'],
    ['init container without limits breaks Guaranteed', [c('a', undefined, { cpu: '1', memory: '1Gi' })], [c('i')], 'Burstable'],
    ['zero quantities are ignored', [c('a', { cpu: '0' }, { memory: '0' })], [], 'BestEffort'],
  ] as const)('%s -> %s', (_n, containers, inits, want) => {
    expect(podQOSClass(pod([...containers], [...inits]))).toBe(want);
  });
});

describe('podRequests', () => {
  it('sums regular containers', () => {
    expect(fmt(podRequests(pod([c('a', { cpu: '100m', memory: '64Mi' }), c('b', { cpu: '250m' })])))).toEqual({ cpu: '350m', memory: String(64 * 2 ** 20) });
  });
  it('takes the largest init container when it exceeds the regular sum', () => {
    expect(fmt(podRequests(pod([c('a', { cpu: '100m' })], [c('i1', { cpu: '2' }), c('i2', { cpu: '500m' })])))).toEqual({ cpu: '2' });
  });
  it('adds sidecars to the regular sum and to later init containers', () => {
    // sidecar 200m runs with everything after it: init i2 needs 1 + 0.2; regular: 0.3 + 0.2.
    const p = pod([c('a', { cpu: '300m' })], [c('i1', { cpu: '1' }), c('side', { cpu: '200m' }, undefined, 'Always'), c('i2', { cpu: '1' })]);
    expect(fmt(podRequests(p))).toEqual({ cpu: '1200m' });
    const small = pod([c('a', { cpu: '300m' })], [c('side', { cpu: '200m' }, undefined, 'Always'), c('i', { cpu: '100m' })]);
    expect(fmt(podRequests(small))).toEqual({ cpu: '500m' });
  });
  it('adds overhead unless excluded', () => {
    const p = pod([c('a', { cpu: '100m' })], [], { cpu: '50m', memory: '10Mi' });
    expect(fmt(podRequests(p))).toEqual({ cpu: '150m', memory: String(10 * 2 ** 20) });
    expect(fmt(podRequests(p, { excludeOverhead: true }))).toEqual({ cpu: '100m' });
  });
  it('pod-level requests win for the resources they name', () => {
    const p = pod([c('a', { cpu: '100m', memory: '1Gi' })]);
    p.spec!.resources = { requests: { cpu: '2' } };
    expect(fmt(podRequests(p))).toEqual({ cpu: '2', memory: String(2 ** 30) });
  });
});

describe('small helpers', () => {
  it.each([
    [5, 10, true, 5], ['25%', 10, true, 3], ['25%', 10, false, 2], ['100%', 7, false, 7], ['0%', 9, true, 0], ['33%', 3, true, 1],
  ] as const)('getScaledValueFromIntOrPercent(%s, %d, %s) = %d', (v, total, up, want) => {
    expect(getScaledValueFromIntOrPercent(v, total, up)).toBe(want);
  });
  it('rejects a non-percent string with a 400', () => {
    expect(() => getScaledValueFromIntOrPercent('ten', 10, true)).toThrow(/string is not a percentage/);
    try { getScaledValueFromIntOrPercent('ten', 10, true); } catch (e) { expect(isBadRequest(e)).toBe(true); }
  });
  it('isPodTerminal', () => {
    expect(isPodTerminal({ status: { phase: 'Succeeded' } })).toBe(true);
    expect(isPodTerminal({ status: { phase: 'Failed' } })).toBe(true);
    expect(isPodTerminal({ status: { phase: 'Running' } })).toBe(false);
    expect(isPodTerminal({})).toBe(false);
  });
  it('controllerOf finds the controlling owner only', () => {
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', uid: 'u1' } };
    const ref = controllerRef(owner);
    expect(ref).toEqual({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true, blockOwnerDeletion: true });
    expect(controllerOf({ metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'x' }, ref] } })).toBe(ref);
    expect(controllerOf({ metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'x' }] } })).toBeUndefined();
  });
  it('nextGeneration: 1 on create, +1 on spec change only', () => {
    const old = { metadata: { generation: 3 }, spec: { replicas: 1, template: { a: [1, 2] } } };
    expect(nextGeneration({ spec: {} })).toBe(1);
    expect(nextGeneration({ spec: { template: { a: [1, 2] }, replicas: 1 } }, old)).toBe(3);
    expect(nextGeneration({ spec: { replicas: 2, template: { a: [1, 2] } } }, old)).toBe(4);
    expect(nextGeneration({ spec: { replicas: 1, template: { a: [2, 1] } } }, old)).toBe(4);
  });
  it('deepEqual ignores key order and undefined fields', () => {
    expect(deepEqual({ a: 1, b: { c: [1, { d: 2 }] } }, { b: { c: [1, { d: 2 }] }, a: 1, e: undefined })).toBe(true);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual({ a: [] }, { a: {} })).toBe(false);
  });
});
