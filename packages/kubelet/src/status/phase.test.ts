import { describe, expect, it } from 'vitest';
import type { ContainerStatus, PodSpec } from '@peapod/api-types';
import type { RestartPolicy } from '../pod-util.js';
import { getPhase, type PodPhase } from './phase.js';
import { cs, ctr, sidecar } from './testing.js';

type Row = [title: string, statuses: ContainerStatus[], expected: PodPhase, terminal?: boolean];
const two = (restartPolicy: RestartPolicy): PodSpec => ({ restartPolicy, containers: [ctr('a'), ctr('b')] });

describe('getPhase with regular containers', () => {
  const always: Row[] = [
    ['all running', [cs.running('a'), cs.running('b')], 'Running'],
    ['all stopped with failures', [cs.failed('a'), cs.succeeded('b')], 'Running'],
    ['all succeeded', [cs.succeeded('a'), cs.succeeded('b')], 'Running'],
    ['one running, one restarting', [cs.running('a'), cs.restarting('b')], 'Running'],
    ['one running, one not yet started', [cs.running('a'), cs.waiting('b')], 'Pending'],
    ['one status missing', [cs.running('a')], 'Pending'],
    ['all succeeded, pod terminal', [cs.succeeded('a'), cs.succeeded('b')], 'Succeeded', true],
    ['one failed, pod terminal', [cs.failed('a'), cs.succeeded('b')], 'Failed', true],
  ];
  const never: Row[] = [
    ['all running', [cs.running('a'), cs.running('b')], 'Running'],
    ['all succeeded', [cs.succeeded('a'), cs.succeeded('b')], 'Succeeded'],
    ['one failed', [cs.failed('a'), cs.succeeded('b')], 'Failed'],
    ['one running, one succeeded', [cs.running('a'), cs.succeeded('b')], 'Running'],
    ['one running, one not yet started', [cs.running('a'), cs.waiting('b')], 'Pending'],
  ];
  const onFailure: Row[] = [
    ['all running', [cs.running('a'), cs.running('b')], 'Running'],
    ['all succeeded', [cs.succeeded('a'), cs.succeeded('b')], 'Succeeded'],
    ['one failed, will restart', [cs.failed('a'), cs.succeeded('b')], 'Running'],
    ['one restarting, one succeeded', [cs.restarting('a'), cs.succeeded('b')], 'Running'],
    ['one running, one not yet started', [cs.running('a'), cs.waiting('b')], 'Pending'],
  ];
  for (const [policy, rows] of [['Always', always], ['Never', never], ['OnFailure', onFailure]] as const) {
    it.each(rows)(`restartPolicy ${policy}: %s`, (_t, statuses, expected, terminal = false) => {
      expect(getPhase(two(policy), statuses, terminal)).toBe(expected);
    });
  }
});

describe('getPhase with init containers', () => {
  const spec = (restartPolicy: RestartPolicy): PodSpec => ({ restartPolicy, initContainers: [ctr('init')], containers: [ctr('a')] });
  const rows: [RestartPolicy, string, ContainerStatus[], PodPhase][] = [
    ['Always', 'init running', [cs.running('init'), cs.waiting('a', 'PodInitializing')], 'Pending'],
    ['Always', 'init not yet started', [cs.waiting('init', 'PodInitializing'), cs.waiting('a', 'PodInitializing')], 'Pending'],
    ['Always', 'init failed, retried', [cs.restarting('init'), cs.waiting('a', 'PodInitializing')], 'Pending'],
    ['Always', 'init failed (terminated)', [cs.failed('init'), cs.waiting('a', 'PodInitializing')], 'Pending'],
    ['Always', 'init done, main running', [cs.succeeded('init'), cs.running('a')], 'Running'],
    ['OnFailure', 'init failed, retried', [cs.restarting('init'), cs.waiting('a', 'PodInitializing')], 'Pending'],
    ['Never', 'init failed', [cs.failed('init'), cs.waiting('a', 'PodInitializing')], 'Failed'],
    ['Never', 'init running', [cs.running('init'), cs.waiting('a', 'PodInitializing')], 'Pending'],
    ['Never', 'init done, main succeeded', [cs.succeeded('init'), cs.succeeded('a')], 'Succeeded'],
  ];
  it.each(rows)('restartPolicy %s: %s', (policy, _t, statuses, expected) => {
    expect(getPhase(spec(policy), statuses, false)).toBe(expected);
  });
});

describe('getPhase with sidecars (restartable init containers)', () => {
  const spec = (restartPolicy: RestartPolicy): PodSpec => ({ restartPolicy, initContainers: [sidecar('side')], containers: [ctr('a')] });
  const rows: [RestartPolicy, string, ContainerStatus[], PodPhase, boolean][] = [
    ['Always', 'sidecar running but not started', [cs.running('side', false), cs.waiting('a', 'PodInitializing')], 'Pending', false],
    ['Always', 'sidecar started, main not yet created', [cs.running('side'), cs.waiting('a', 'PodInitializing')], 'Pending', false],
    ['Always', 'sidecar started, main running', [cs.running('side'), cs.running('a')], 'Running', false],
    ['Always', 'sidecar restarting, main running', [cs.restarting('side'), cs.running('a')], 'Running', false],
    ['Always', 'sidecar never started', [cs.waiting('side', 'PodInitializing'), cs.waiting('a', 'PodInitializing')], 'Pending', false],
    ['Never', 'main succeeded, sidecar still running', [cs.running('side'), cs.succeeded('a')], 'Running', false],
    ['Never', 'main succeeded, sidecar stopped', [cs.failed('side', 137), cs.succeeded('a')], 'Succeeded', false],
    ['Never', 'main succeeded, sidecar failed, pod terminal', [cs.failed('side', 1), cs.succeeded('a')], 'Succeeded', true],
    ['OnFailure', 'main succeeded, sidecar failed, pod terminal', [cs.failed('side', 1), cs.succeeded('a')], 'Succeeded', true],
    ['Never', 'main failed, sidecar stopped', [cs.succeeded('side'), cs.failed('a')], 'Failed', false],
    ['Always', 'both killed on deletion, pod terminal', [cs.failed('side', 143), cs.failed('a', 143)], 'Failed', true],
  ];
  it.each(rows)('restartPolicy %s: %s', (policy, _t, statuses, expected, terminal) => {
    expect(getPhase(spec(policy), statuses, terminal)).toBe(expected);
  });
});
