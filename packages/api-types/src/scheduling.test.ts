import { describe, expect, it } from 'vitest';
import type { Node, Pod } from './core/v1.js';
import { findUntoleratedTaint, nodeSelectorTermMatches, podMatchesNodeSelectorAndAffinity, toleratesTaint } from './scheduling.js';

const node = (labels: Record<string, string>, name = 'n1') => ({ metadata: { name, labels } }) as Node;

describe('node selector terms', () => {
  it.each([
    [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, true],
    [{ key: 'zone', operator: 'In', values: ['c'] }, false],
    [{ key: 'zone', operator: 'NotIn', values: ['c'] }, true],
    [{ key: 'missing', operator: 'NotIn', values: ['c'] }, true],
    [{ key: 'zone', operator: 'Exists' }, true],
    [{ key: 'zone', operator: 'DoesNotExist' }, false],
    [{ key: 'cores', operator: 'Gt', values: ['4'] }, true],
    [{ key: 'cores', operator: 'Lt', values: ['4'] }, false],
    [{ key: 'zone', operator: 'Gt', values: ['4'] }, false],
  ])('%j on zone=a,cores=8 -> %s', (expr, want) => {
    expect(nodeSelectorTermMatches({ matchExpressions: [expr as never] }, node({ zone: 'a', cores: '8' }))).toBe(want);
  });

  it('matches fields on metadata.name only, and an empty term matches nothing', () => {
    expect(nodeSelectorTermMatches({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }, node({}))).toBe(true);
    expect(nodeSelectorTermMatches({ matchFields: [{ key: 'metadata.uid', operator: 'In', values: ['n1'] }] }, node({}))).toBe(false);
    expect(nodeSelectorTermMatches({}, node({}))).toBe(false);
  });

  it('ANDs nodeSelector with required affinity and ORs terms', () => {
    const pod = {
      metadata: {},
      spec: {
        containers: [],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
          { matchExpressions: [{ key: 'zone', operator: 'In', values: ['x'] }] },
          { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
        ] } } },
      },
    } as unknown as Pod;
    expect(podMatchesNodeSelectorAndAffinity(pod, node({ 'kubernetes.io/os': 'linux', zone: 'a' }))).toBe(true);
    expect(podMatchesNodeSelectorAndAffinity(pod, node({ 'kubernetes.io/os': 'windows', zone: 'a' }))).toBe(false);
    expect(podMatchesNodeSelectorAndAffinity(pod, node({ 'kubernetes.io/os': 'linux', zone: 'b' }))).toBe(false);
  });
});

describe('taints and tolerations', () => {
  const taint = { key: 'gpu', value: 'true', effect: 'NoSchedule' };
  it.each([
    [{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }, true],
    [{ key: 'gpu', value: 'true' }, true],
    [{ key: 'gpu', operator: 'Equal', value: 'false' }, false],
    [{ key: 'gpu', operator: 'Exists' }, true],
    [{ operator: 'Exists' }, true],
    [{ key: 'gpu', operator: 'Exists', effect: 'NoExecute' }, false],
    [{ key: 'other', operator: 'Exists' }, false],
  ])('%j tolerates gpu=true:NoSchedule -> %s', (tol, want) => {
    expect(toleratesTaint(tol as never, taint as never)).toBe(want);
  });

  it('finds the first untolerated taint among the given effects', () => {
    const taints = [{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', value: 'x', effect: 'NoSchedule' }] as never[];
    expect(findUntoleratedTaint(taints, [], ['NoSchedule', 'NoExecute'])).toMatchObject({ key: 'b' });
    expect(findUntoleratedTaint(taints, [{ key: 'b', operator: 'Exists' }] as never[], ['NoSchedule'])).toBeUndefined();
  });
});
