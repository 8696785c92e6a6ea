import type { ContainerStatus, Event, Pod } from '@peapod/api-types';
import { describe, expect, it } from 'vitest';
import { buildTimeline, eventContainer, type Observation } from './timeline.js';

const T0 = Date.parse('2026-01-01T10:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');

function pod(init: ContainerStatus[], main: ContainerStatus[], phase = 'Running', conditions: { type: string; status: string; at: number }[] = []): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u1', creationTimestamp: iso(0) },
    spec: { initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always' }], containers: [{ name: 'main', image: 'x' }] },
    status: { phase, initContainerStatuses: init, containerStatuses: main, conditions: conditions.map((c) => ({ type: c.type, status: c.status, lastTransitionTime: iso(c.at) })) },
  } as Pod;
}
const waiting = (name: string, reason: string, restartCount = 0): ContainerStatus => ({ name, image: 'x', imageID: '', ready: false, restartCount, state: { waiting: { reason } } }) as ContainerStatus;
const running = (name: string, s: number, restartCount = 0, last?: ContainerStatus['lastState']): ContainerStatus =>
  ({ name, image: 'x', imageID: '', ready: true, restartCount, state: { running: { startedAt: iso(s) } }, lastState: last }) as ContainerStatus;
const ended = (name: string, from: number, to: number, exitCode: number, restartCount = 0): ContainerStatus =>
  ({ name, image: 'x', imageID: '', ready: false, restartCount, state: { terminated: { startedAt: iso(from), finishedAt: iso(to), exitCode, reason: exitCode ? 'Error' : 'Completed' } } }) as ContainerStatus;
const seg = (tl: ReturnType<typeof buildTimeline>, lane: string) => tl!.lanes.find((l) => l.name === lane)!.segments;

describe('buildTimeline', () => {
  it('orders a sidecar before the main container within one second by when the watch saw each change', () => {
    const obs: Observation[] = [
      { at: T0 + 100, pod: pod([], []) },
      { at: T0 + 300, pod: pod([running('side', 0)], [waiting('main', 'PodInitializing')]) },
      { at: T0 + 500, pod: pod([running('side', 0)], [running('main', 0)]) },
      { at: T0 + 700, pod: pod([running('side', 0)], [ended('main', 0, 0, 0)]) },
      { at: T0 + 31_200, pod: pod([ended('side', 0, 31, 137)], [ended('main', 0, 0, 0)], 'Succeeded') },
    ];
    const tl = buildTimeline(obs, [], T0 + 40_000)!;
    const side = seg(tl, 'side').find((s) => s.state === 'running')!;
    const main = seg(tl, 'main').find((s) => s.state === 'running')!;
    expect(side.from).toBe(T0 + 300);
    expect(main.from).toBe(T0 + 500);
    expect(main.to).toBe(T0 + 700);
    expect(side.to).toBe(T0 + 31_200);
    expect(tl.lanes.map((l) => [l.name, l.kind])).toEqual([['side', 'sidecar'], ['main', 'main']]);
    // A terminal pod's timeline ends shortly after its last change, not at `now`.
    expect(tl.end).toBeLessThan(T0 + 40_000);
    expect(tl.lanes[1].marks.map((m) => m.label)).toEqual(['exit 0 (Completed)']);
  });

  it('keeps status timestamps when the changes were not seen live (page opened later)', () => {
    const tl = buildTimeline([{ at: T0 + 60_000, pod: pod([running('side', 2)], [running('main', 3)]) }], [], T0 + 61_000)!;
    expect(seg(tl, 'side')[0]).toMatchObject({ state: 'waiting', from: T0, to: T0 + 2000 });
    expect(seg(tl, 'side')[1]).toMatchObject({ state: 'running', from: T0 + 2000, ongoing: true });
    expect(seg(tl, 'main')[1].from).toBe(T0 + 3000);
  });

  it('shows each crash, the back-off wait between runs and the restart count', () => {
    const obs: Observation[] = [
      { at: T0 + 1000, pod: pod([running('side', 0)], [running('main', 1)]) },
      { at: T0 + 1500, pod: pod([running('side', 0)], [waiting('main', 'CrashLoopBackOff', 1)]) },
      { at: T0 + 12_000, pod: pod([running('side', 0)], [running('main', 12, 1, { terminated: { startedAt: iso(1), finishedAt: iso(1), exitCode: 1, reason: 'Error' } })]) },
      { at: T0 + 12_500, pod: pod([running('side', 0)], [waiting('main', 'CrashLoopBackOff', 2)]) },
    ];
    // The second crash is known only from lastState of a later status.
    obs[3].pod.status!.containerStatuses![0].lastState = { terminated: { startedAt: iso(12), finishedAt: iso(12), exitCode: 1, reason: 'Error' } };
    const tl = buildTimeline(obs, [], T0 + 20_000)!;
    const lane = tl.lanes.find((l) => l.name === 'main')!;
    expect(lane.restarts).toBe(2);
    expect(lane.marks.filter((m) => m.kind === 'exit').map((m) => [m.label, m.warning])).toEqual([['exit 1 (Error)', true], ['exit 1 (Error)', true]]);
    const states = lane.segments.map((s) => `${s.state}${s.reason ? `:${s.reason}` : ''}`);
    expect(states).toEqual(['waiting:ContainerCreating', 'running', 'waiting:CrashLoopBackOff', 'running', 'waiting:CrashLoopBackOff']);
    expect(lane.segments.at(-1)).toMatchObject({ ongoing: true, to: T0 + 20_000 });
  });

  it('draws condition transitions and puts events on their container lane', () => {
    const p = pod([running('side', 0)], [running('main', 1)], 'Running', [{ type: 'Ready', status: 'False', at: 0 }]);
    const later = pod([running('side', 0)], [running('main', 1)], 'Running', [{ type: 'Ready', status: 'True', at: 2 }]);
    const ev = (reason: string, message: string, s: number, count = 1): Event => ({ metadata: { name: reason, uid: reason }, involvedObject: { kind: 'Pod', name: 'p' }, reason, message, type: reason === 'Unhealthy' ? 'Warning' : 'Normal', count, lastTimestamp: iso(s) }) as Event;
    const tl = buildTimeline([{ at: T0 + 500, pod: p }, { at: T0 + 2500, pod: later }], [
      ev('Started', 'Started container main', 1),
      ev('Unhealthy', 'Readiness probe failed: connection refused', 1, 1),
      ev('Unhealthy', 'Readiness probe failed: connection refused', 2, 2),
    ], T0 + 5000)!;
    expect(tl.conditions).toEqual([{ type: 'Ready', segments: [{ status: 'False', from: T0, to: T0 + 2000 }, { status: 'True', from: T0 + 2000, to: T0 + 5000 }] }]);
    expect(tl.lanes.find((l) => l.name === 'main')!.marks.map((m) => m.label)).toEqual(['Started']);
    // The aggregated probe failure counts as two occurrences; without a field path it is the pod's.
    expect(tl.podEvents.map((m) => [m.label, m.warning])).toEqual([['Unhealthy', true], ['Unhealthy ×2', true]]);
  });
});

describe('eventContainer', () => {
  const e = (message: string, fieldPath?: string) => ({ metadata: {}, involvedObject: { fieldPath }, message }) as Event;
  it('reads the field path first, then the kubelet messages', () => {
    expect(eventContainer(e('whatever', 'spec.initContainers{logshipper}'))).toBe('logshipper');
    expect(eventContainer(e('Created container: myjob'))).toBe('myjob');
    expect(eventContainer(e('Back-off restarting failed container crash in pod crash_default(1)'))).toBe('crash');
    expect(eventContainer(e('Error: back-off 10s restarting failed container=crash pod=crash_default(1)'))).toBe('crash');
    expect(eventContainer(e('Container image "busybox" already present on machine'))).toBeUndefined();
  });
});
