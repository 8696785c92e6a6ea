import type { Node, Pod, ReplicaSet } from '@peapod/api-types';
import { describe, expect, it } from 'vitest';
import { groupByOwner, nodeUsage, podRequest, podState, quantity } from './cluster.js';

const owner = (kind: string, name: string) => [{ apiVersion: 'v1', kind, name, uid: `${kind}-${name}`, controller: true }];
const mkPod = (name: string, extra: Partial<Pod['metadata']> = {}, spec: Partial<NonNullable<Pod['spec']>> = {}, status: Pod['status'] = { phase: 'Running' }): Pod =>
  ({ metadata: { name, namespace: 'default', uid: name, ...extra }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec }, status }) as Pod;

describe('quantity', () => {
  it('parses the suffixes nodes and requests use', () => {
    expect(quantity('250m')).toBe(0.25);
    expect(quantity('2')).toBe(2);
    expect(quantity('1Gi')).toBe(2 ** 30);
    expect(quantity('128974848')).toBe(128974848);
    expect(quantity('1.5k')).toBe(1500);
    expect(quantity(undefined)).toBe(0);
  });
});

describe('podRequest and nodeUsage', () => {
  it('counts sidecars with the main containers and the largest init container', () => {
    const p = mkPod('p', {}, {
      initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } }, { name: 'init', image: 'x', resources: { requests: { cpu: '1' } } }],
      containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '200m' } } }],
    });
    expect(podRequest(p, 'cpu')).toBeCloseTo(1.1);
  });

  it('sums the requests of non-terminal pods bound to each node', () => {
    const node = { metadata: { name: 'n1' }, status: { allocatable: { cpu: '2', memory: '1Gi', pods: '10' }, conditions: [{ type: 'Ready', status: 'True' }] } } as Node;
    const req = (cpu: string) => ({ containers: [{ name: 'c', image: 'x', resources: { requests: { cpu } } }], nodeName: 'n1' });
    const usage = nodeUsage([node], [mkPod('a', {}, req('500m')), mkPod('b', {}, req('1'), { phase: 'Succeeded' }), mkPod('c', {}, { ...req('1'), nodeName: 'other' })]);
    expect(usage[0].ready).toBe(true);
    expect(usage[0].resources.find((r) => r.name === 'cpu')).toEqual({ name: 'cpu', capacity: 2, requested: 0.5 });
    expect(usage[0].resources.find((r) => r.name === 'pods')).toEqual({ name: 'pods', capacity: 10, requested: 1 });
  });
});

describe('groupByOwner', () => {
  it('groups ReplicaSet pods under their Deployment and keeps other controllers and bare pods apart', () => {
    const rs = [{ metadata: { name: 'web-1', namespace: 'default', ownerReferences: owner('Deployment', 'web') } }] as ReplicaSet[];
    const groups = groupByOwner([
      mkPod('web-1-a', { ownerReferences: owner('ReplicaSet', 'web-1') }),
      mkPod('web-1-b', { ownerReferences: owner('ReplicaSet', 'web-1') }),
      mkPod('job-x', { ownerReferences: owner('Job', 'job') }),
      mkPod('db-0', { ownerReferences: owner('StatefulSet', 'db') }),
      mkPod('bare'),
    ], rs);
    expect(groups.map((g) => [g.kind, g.name, g.via, g.pods.map((p) => p.metadata.name)])).toEqual([
      ['Deployment', 'web', ['web-1'], ['web-1-a', 'web-1-b']],
      ['Job', 'job', [], ['job-x']],
      ['StatefulSet', 'db', [], ['db-0']],
      ['', '', [], ['bare']],
    ]);
  });
});

describe('podState', () => {
  it('names the trouble before the phase', () => {
    const crash = mkPod('p', {}, {}, { phase: 'Running', containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] });
    expect(podState(crash)).toEqual({ text: 'CrashLoopBackOff', tone: 'bad' });
    expect(podState(mkPod('p', {}, {}, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }))).toEqual({ text: 'Running', tone: 'ok' });
    expect(podState(mkPod('p', {}, {}, { phase: 'Running' }))).toEqual({ text: 'Running', tone: 'warn' });
    expect(podState(mkPod('p', {}, {}, { phase: 'Succeeded' }))).toEqual({ text: 'Succeeded', tone: 'done' });
  });
});
