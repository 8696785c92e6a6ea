import { describe, expect, it } from 'vitest';
import type { ContainerStatus, PodCondition, PodSpec } from '@peapod/api-types';
import { containersReadyCondition, initializedCondition, podConditions, readyCondition } from './conditions.js';
import type { PodPhase } from './phase.js';
import { cs, ctr, sidecar } from './testing.js';

describe('Initialized', () => {
  const spec: PodSpec = { initContainers: [ctr('i1'), sidecar('side'), ctr('i2')], containers: [ctr('a')] };
  const rows: [string, ContainerStatus[], PodPhase, Partial<PodCondition>][] = [
    ['no statuses yet', [], 'Pending', { status: 'False', reason: 'ContainersNotInitialized', message: 'containers with unknown status: [i1 side i2]' }],
    ['first init running', [cs.running('i1'), cs.waiting('side'), cs.waiting('i2')], 'Pending', { status: 'False', message: 'containers with incomplete status: [i1 side i2]' }],
    ['sidecar running, not started', [cs.succeeded('i1'), cs.running('side', false), cs.waiting('i2')], 'Pending', { status: 'False', message: 'containers with incomplete status: [side i2]' }],
    ['sidecar started, last init failed', [cs.succeeded('i1'), cs.running('side'), cs.failed('i2')], 'Pending', { status: 'False', message: 'containers with incomplete status: [i2]' }],
    ['all done', [cs.succeeded('i1'), cs.running('side'), cs.succeeded('i2')], 'Pending', { status: 'True' }],
    ['sidecar restarting after main started', [cs.succeeded('i1'), cs.restarting('side'), cs.succeeded('i2'), cs.running('a')], 'Running', { status: 'True' }],
    ['pod succeeded', [cs.succeeded('a')], 'Succeeded', { status: 'True', reason: 'PodCompleted' }],
  ];
  it.each(rows)('%s', (_t, statuses, phase, expected) => {
    expect(initializedCondition(spec, statuses, phase)).toMatchObject({ type: 'Initialized', ...expected });
  });
  it('is True without init containers', () => {
    expect(initializedCondition({ containers: [ctr('a')] }, [], 'Pending')).toEqual({ type: 'Initialized', status: 'True' });
  });
});

describe('ContainersReady and Ready', () => {
  const spec: PodSpec = { initContainers: [ctr('init'), sidecar('side')], containers: [ctr('a'), ctr('b')] };
  const rows: [string, ContainerStatus[], PodPhase, Partial<PodCondition>][] = [
    ['all ready (init containers do not count)', [cs.succeeded('init'), cs.ready(cs.running('side')), cs.ready(cs.running('a')), cs.ready(cs.running('b'))], 'Running', { status: 'True' }],
    ['sidecar not ready', [cs.running('side'), cs.ready(cs.running('a')), cs.ready(cs.running('b'))], 'Running', { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [side]' }],
    ['unknown and unready', [cs.ready(cs.running('side')), cs.running('a')], 'Running', { status: 'False', reason: 'ContainersNotReady', message: 'containers with unknown status: [b], containers with unready status: [a]' }],
    ['pod succeeded', [cs.succeeded('side'), cs.succeeded('a'), cs.succeeded('b')], 'Succeeded', { status: 'False', reason: 'PodCompleted' }],
    ['pod failed while ready', [cs.ready(cs.running('side')), cs.ready(cs.running('a')), cs.ready(cs.running('b'))], 'Failed', { status: 'False', reason: 'PodFailed' }],
  ];
  it.each(rows)('%s', (_t, statuses, phase, expected) => {
    const cr = containersReadyCondition(spec, statuses, phase);
    expect(cr).toMatchObject({ type: 'ContainersReady', ...expected });
    expect(readyCondition(cr, spec, [])).toMatchObject({ type: 'Ready', ...expected });
  });

  const gated: PodSpec = { containers: [ctr('a')], readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] };
  const allReady = containersReadyCondition(gated, [cs.ready(cs.running('a'))], 'Running');
  it.each([
    ['no gate condition set', [], { status: 'False', reason: 'ReadinessGatesNotReady', message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist., corresponding condition of pod readiness gate "example.com/dns" does not exist.' }],
    ['one gate False', [{ type: 'example.com/lb', status: 'True' }, { type: 'example.com/dns', status: 'False' }], { status: 'False', reason: 'ReadinessGatesNotReady', message: 'the status of pod readiness gate "example.com/dns" is not "True", but False' }],
    ['all gates True', [{ type: 'example.com/lb', status: 'True' }, { type: 'example.com/dns', status: 'True' }], { status: 'True' }],
  ] as [string, PodCondition[], Partial<PodCondition>][])('readiness gates: %s', (_t, conditions, expected) => {
    expect(readyCondition(allReady, gated, conditions)).toMatchObject({ type: 'Ready', ...expected });
  });
});

describe('podConditions', () => {
  const spec: PodSpec = { containers: [ctr('a')], readinessGates: [{ conditionType: 'example.com/lb' }] };
  const t0 = Date.UTC(2025, 0, 1);
  const foreign: PodCondition[] = [
    { type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-12-31T00:00:00Z' },
    { type: 'example.com/lb', status: 'True', lastTransitionTime: '2024-12-31T00:00:00Z' },
    { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', lastTransitionTime: '2024-12-31T00:00:00Z' },
  ];

  it('keeps conditions it does not own and lets readiness gates decide Ready', () => {
    const conds = podConditions({ spec, statuses: [cs.ready(cs.running('a'))], phase: 'Running', sandboxReady: true, old: foreign, now: t0, generation: 3 });
    expect(conds.map((c) => [c.type, c.status])).toEqual([
      ['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'],
      ['PodScheduled', 'True'], ['example.com/lb', 'True'], ['DisruptionTarget', 'True'],
    ]);
    expect(conds.slice(4)).toEqual(foreign);
    expect(conds[0]).toMatchObject({ lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: 3 });
  });

  it('moves lastTransitionTime only when a condition changes status', () => {
    const first = podConditions({ spec, statuses: [cs.running('a')], phase: 'Running', sandboxReady: true, old: foreign, now: t0 });
    const later = podConditions({ spec, statuses: [cs.running('a')], phase: 'Running', sandboxReady: true, old: first, now: t0 + 5000 });
    expect(later).toEqual(first);
    const ready = podConditions({ spec, statuses: [cs.ready(cs.running('a'))], phase: 'Running', sandboxReady: true, old: later, now: t0 + 9000 });
    const byType = (cs: PodCondition[], t: string) => cs.find((c) => c.type === t)!;
    expect(byType(ready, 'Ready').lastTransitionTime).toBe('2025-01-01T00:00:09Z');
    expect(byType(ready, 'PodReadyToStartContainers').lastTransitionTime).toBe('2025-01-01T00:00:00Z');
  });

  it('adds PodScheduled for pods that never went through binding (static pods)', () => {
    const conds = podConditions({ spec: { containers: [ctr('a')] }, statuses: [], phase: 'Pending', sandboxReady: false, old: [], now: t0 });
    expect(conds.find((c) => c.type === 'PodScheduled')).toMatchObject({ status: 'True' });
  });
});
