import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '@peapod/api-types';
import { ctr, sidecar } from '../status/testing.js';
import type { RestartPolicy } from '../pod-util.js';
import { computePodActions, type ProbeResult, type ProbeResultsView } from './pod-actions.js';
import { containerHash, type ObservedContainer, type ObservedPod } from './observed.js';

const pod = (restartPolicy: RestartPolicy, containers: Container[], initContainers: Container[] = [], extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u1', ...extra },
  spec: { restartPolicy, containers, initContainers },
});

let seq = 0;
type State = 'running' | 'created' | 'unknown' | number; // a number: exited with that code
const observed = (p: Pod, states: Record<string, State>, sandboxReady = true): ObservedPod => ({
  sandboxes: [{ id: 'sb1', ready: sandboxReady, attempt: 0, createdAt: 0 }],
  containers: Object.entries(states).map(([name, st]): ObservedContainer => {
    const spec = [...(p.spec!.initContainers ?? []), ...p.spec!.containers].find((c) => c.name === name)!;
    return {
      id: `${name}-id`, name, createdAt: seq++, image: 'img', imageRef: 'sha256:img', hash: containerHash(spec), restartCount: 0,
      ...(typeof st === 'number' ? { state: 'exited', exitCode: st } : { state: st }),
    };
  }),
});

const probes = (liveness: Record<string, ProbeResult> = {}, startup: Record<string, ProbeResult> = {}): ProbeResultsView => ({
  liveness: (id) => liveness[id],
  startup: (id) => startup[id],
});

/** The interesting part of the actions, with kills as container names. */
const summary = (p: Pod, o: ObservedPod, pr = probes()) => {
  const a = computePodActions(p, o, pr);
  return {
    killPod: a.killPod, createSandbox: a.createSandbox, init: a.initContainersToStart, start: a.containersToStart,
    kill: [...a.containersToKill.values()].map((k) => k.name).sort(),
  };
};
const none = { killPod: false, createSandbox: false, init: [], start: [], kill: [] };

describe('computePodActions: sandbox and regular containers', () => {
  const two = (policy: RestartPolicy) => pod(policy, [ctr('a'), ctr('b')]);
  it.each([
    ['no sandbox yet: create it and start everything', 'Always', null, { ...none, killPod: true, createSandbox: true, start: [0, 1] }],
    ['all running: nothing to do', 'Always', { a: 'running', b: 'running' }, none],
    ['Always restarts a succeeded container', 'Always', { a: 'running', b: 0 }, { ...none, start: [1] }],
    ['OnFailure restarts only failed containers', 'OnFailure', { a: 'running', b: 1 }, { ...none, start: [1] }],
    ['OnFailure keeps a succeeded container down', 'OnFailure', { a: 'running', b: 0 }, none],
    ['Never keeps a failed container down', 'Never', { a: 'running', b: 1 }, none],
    ['Never with all exited kills the pod', 'Never', { a: 0, b: 1 }, { ...none, killPod: true }],
    ['OnFailure with all succeeded kills the pod', 'OnFailure', { a: 0, b: 0 }, { ...none, killPod: true }],
    ['a created-but-not-started container is started again', 'Never', { a: 'running', b: 'created' }, { ...none, start: [1] }],
    ['an unknown container is killed before it is restarted', 'Always', { a: 'running', b: 'unknown' }, { ...none, start: [1], kill: ['b'] }],
  ] as const)('%s', (_t, policy, states, expected) => {
    const p = two(policy);
    const o: ObservedPod = states ? observed(p, states) : { sandboxes: [], containers: [] };
    expect(summary(p, o)).toEqual(expected);
  });

  it('kills and restarts a container that failed its liveness probe, even under Never it is only killed', () => {
    for (const [policy, start] of [['Always', [0]], ['OnFailure', [0]], ['Never', []]] as const) {
      const p = two(policy);
      expect(summary(p, observed(p, { a: 'running', b: 'running' }), probes({ 'a-id': 'failure' }))).toEqual({ ...none, start, kill: ['a'] });
    }
  });

  it('kills a container that failed its startup probe', () => {
    const p = two('Always');
    expect(summary(p, observed(p, { a: 'running', b: 'running' }), probes({}, { 'b-id': 'failure' }))).toEqual({ ...none, start: [1], kill: ['b'] });
  });

  it('restarts a container whose definition changed, whatever the policy', () => {
    const p = two('Never');
    const o = observed(p, { a: 'running', b: 'running' });
    p.spec!.containers[0] = ctr('a', { image: 'img:v2' });
    const a = computePodActions(p, o, probes());
    expect(a.containersToStart).toEqual([0]);
    expect([...a.containersToKill.values()]).toMatchObject([{ name: 'a', reason: 'DefinitionChanged', message: 'Container a definition changed, will be restarted' }]);
  });

  it('recreates a dead sandbox and starts over, unless a Never pod already ran', () => {
    const p = two('Always');
    expect(summary(p, observed(p, { a: 1, b: 'running' }, false))).toEqual({ ...none, killPod: true, createSandbox: true, start: [0, 1] });
    const never = two('Never');
    expect(summary(never, observed(never, { a: 1, b: 0 }, false))).toEqual({ ...none, killPod: true });
  });

  it('does not restart anything once the pod is being deleted', () => {
    const p = pod('Always', [ctr('a'), ctr('b')], [], { deletionTimestamp: '2025-01-01T00:00:00Z' });
    expect(summary(p, observed(p, { a: 1, b: 1 }))).toEqual({ ...none, killPod: true });
  });

  it('starts new ephemeral containers once and never restarts them', () => {
    const p = two('Always');
    p.spec!.ephemeralContainers = [ctr('debug'), ctr('old')];
    const o = observed(p, { a: 'running', b: 'running' });
    o.containers.push({ ...o.containers[0], id: 'old-id', name: 'old', state: 'exited', exitCode: 1 });
    expect(computePodActions(p, o, probes()).ephemeralContainersToStart).toEqual([0]);
  });
});

describe('computePodActions: init containers', () => {
  const p = (policy: RestartPolicy) => pod(policy, [ctr('a')], [ctr('i1'), ctr('i2')]);
  it.each([
    ['new sandbox starts at the first init container', 'Always', null, { ...none, killPod: true, createSandbox: true, init: [0] }],
    ['first init running: wait', 'Always', { i1: 'running' }, none],
    ['first init succeeded: start the second', 'Always', { i1: 0 }, { ...none, init: [1] }],
    ['first init failed under Always: retry it', 'Always', { i1: 1 }, { ...none, init: [0] }],
    ['first init failed under OnFailure: retry it', 'OnFailure', { i1: 1 }, { ...none, init: [0] }],
    ['first init failed under Never: kill the pod', 'Never', { i1: 1 }, { ...none, killPod: true }],
    ['all init done: start the main container', 'Always', { i1: 0, i2: 0 }, { ...none, start: [0] }],
    ['init containers removed after the main one started', 'Always', { a: 'running' }, none],
    ['an unknown init container under Never kills the pod', 'Never', { i1: 'unknown' }, { ...none, killPod: true }],
  ] as const)('%s', (_t, policy, states, expected) => {
    const pp = p(policy);
    const o: ObservedPod = states ? observed(pp, states) : { sandboxes: [], containers: [] };
    expect(summary(pp, o)).toEqual(expected);
  });
});

describe('computePodActions: sidecars (restartable init containers)', () => {
  const withStartup = sidecar('side', { startupProbe: { exec: { command: ['true'] } } });
  it.each([
    ['sidecar without startup probe running: start the next init container', [sidecar('side'), ctr('i2')], { side: 'running' }, probes(), { ...none, init: [1] }],
    ['startup probe not yet run: the next init container waits', [withStartup, ctr('i2')], { side: 'running' }, probes(), none],
    ['startup probe in progress (no result): the next init container waits', [withStartup, ctr('i2')], { side: 'running' }, probes({}, {}), none],
    ['startup probe passed: start the next init container', [withStartup, ctr('i2')], { side: 'running' }, probes({}, { 'side-id': 'success' }), { ...none, init: [1] }],
    ['startup probe failed: restart the sidecar', [withStartup, ctr('i2')], { side: 'running' }, probes({}, { 'side-id': 'failure' }), { ...none, init: [0], kill: ['side'] }],
    ['last sidecar started: start the main containers', [ctr('i1'), sidecar('side')], { i1: 0, side: 'running' }, probes(), { ...none, start: [0] }],
    ['a sidecar that exited is restarted, even under Never', [sidecar('side')], { side: 1, a: 'running' }, probes(), { ...none, init: [0] }],
    ['a sidecar removed from the runtime after init is started again', [sidecar('side')], { a: 'running' }, probes(), { ...none, init: [0] }],
    ['a sidecar failing liveness is restarted', [sidecar('side', { livenessProbe: { exec: { command: ['x'] } } })], { side: 'running', a: 'running' }, probes({ 'side-id': 'failure' }), { ...none, init: [0], kill: ['side'] }],
  ] as const)('%s', (_t, inits, states, pr, expected) => {
    const pp = pod('Never', [ctr('a')], [...inits]);
    expect(summary(pp, observed(pp, states), pr)).toEqual(expected);
  });

  it('kills the pod (stopping sidecars, not restarting them) once all main containers are done under Never', () => {
    const pp = pod('Never', [ctr('a')], [sidecar('side')]);
    expect(summary(pp, observed(pp, { side: 'running', a: 0 }))).toEqual({ ...none, killPod: true });
  });

  it('keeps restarting main containers under Always while sidecars run', () => {
    const pp = pod('Always', [ctr('a')], [sidecar('side')]);
    expect(summary(pp, observed(pp, { side: 'running', a: 0 }))).toEqual({ ...none, start: [0] });
  });
});
