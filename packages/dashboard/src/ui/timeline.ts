import type { ContainerStatus, Event, Pod } from '@peapod/api-types';

/**
 * A pod's life as lanes, derived only from what the API offers: every pod status observed over
 * the watch since the page opened (with the local time each arrived), each container's
 * `lastState`, `startedAt`/`finishedAt`, condition `lastTransitionTime`s, and the pod's Events.
 *
 * Status timestamps have one-second precision (as in Kubernetes). When a transition was seen
 * live over the watch shortly after its timestamp, the arrival time refines it, so that a sidecar
 * started (or stopped) within the same second as a main container still shows in its true order.
 */

export type LaneKind = 'init' | 'sidecar' | 'main' | 'ephemeral';
export type SegmentState = 'waiting' | 'running' | 'terminated';

export interface Segment {
  state: SegmentState;
  from: number;
  to: number;
  /** Still in this state at the timeline's end. */
  ongoing: boolean;
  reason?: string;
  exitCode?: number;
}

export interface Mark {
  at: number;
  kind: 'exit' | 'event';
  label: string;
  warning: boolean;
  detail?: string;
}

export interface Lane {
  name: string;
  kind: LaneKind;
  segments: Segment[];
  marks: Mark[];
  restarts: number;
}

export interface ConditionLane {
  type: string;
  segments: { status: string; from: number; to: number; reason?: string }[];
}

export interface PodTimeline {
  start: number;
  end: number;
  lanes: Lane[];
  conditions: ConditionLane[];
  /** Events not tied to one container (scheduling, probe failures without a field path, ...). */
  podEvents: Mark[];
}

export interface Observation {
  /** Local time the status arrived. */
  at: number;
  pod: Pod;
}

const ms = (t: string | undefined) => (t ? Date.parse(t) : NaN);
/** How long after a one-second timestamp a live observation may still refine it. */
const REFINE_WINDOW_MS = 2000;
const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
const refine = (ts: number, seen: number | undefined) => (seen !== undefined && seen >= ts && seen < ts + REFINE_WINDOW_MS ? seen : ts);

interface Run {
  start: number;
  end?: number;
  exitCode?: number;
  reason?: string;
  seenRunning?: number;
  seenEnded?: number;
}

const statusesOf = (pod: Pod, kind: LaneKind): ContainerStatus[] =>
  (kind === 'main' ? pod.status?.containerStatuses : kind === 'ephemeral' ? pod.status?.ephemeralContainerStatuses : pod.status?.initContainerStatuses) ?? [];

function containerLane(name: string, kind: LaneKind, obs: Observation[], start: number, end: number): Lane {
  const runs = new Map<number, Run>();
  const waits: { at: number; reason: string }[] = [];
  let current: ContainerStatus | undefined;
  // A change between two observations of the pod was seen live, at the later one's arrival.
  let prev: ContainerStatus | undefined;
  let live = false;
  for (const o of obs) {
    const s = statusesOf(o.pod, kind).find((c) => c.name === name);
    if (!s) {
      live = true;
      continue;
    }
    current = s;
    const note = (startedAt: string | undefined, patch: Omit<Run, 'start'>) => {
      const t = ms(startedAt);
      if (Number.isNaN(t)) return;
      // Facts about one run never change, so the first value seen of each field stands.
      runs.set(t, { ...defined(patch), ...runs.get(t), start: t });
    };
    if (s.lastState?.terminated) {
      const x = s.lastState.terminated;
      note(x.startedAt, { end: ms(x.finishedAt), exitCode: x.exitCode, reason: x.reason });
    }
    if (s.state?.running) note(s.state.running.startedAt, { seenRunning: live && !prev?.state?.running ? o.at : undefined });
    if (s.state?.terminated) {
      const x = s.state.terminated;
      note(x.startedAt, { end: ms(x.finishedAt), exitCode: x.exitCode, reason: x.reason, seenEnded: live && !prev?.state?.terminated ? o.at : undefined });
    }
    if (s.state?.waiting) waits.push({ at: o.at, reason: s.state.waiting.reason ?? 'Waiting' });
    prev = s;
    live = true;
  }
  const segments: Segment[] = [];
  const marks: Mark[] = [];
  const waitReason = (from: number, to: number, fallback: string) =>
    waits.filter((w) => w.at >= from && w.at <= to).map((w) => w.reason).find((r) => r !== 'ContainerCreating' && r !== 'PodInitializing') ??
    waits.filter((w) => w.at >= from && w.at <= to).at(-1)?.reason ?? fallback;
  let cursor = start;
  const sorted = [...runs.values()].sort((a, b) => a.start - b.start);
  sorted.forEach((r, i) => {
    const from = Math.max(cursor, refine(r.start, r.seenRunning));
    if (from > cursor) segments.push({ state: 'waiting', from: cursor, to: from, ongoing: false, reason: waitReason(cursor, from, i === 0 ? 'ContainerCreating' : 'CrashLoopBackOff') });
    const stop = r.end === undefined || Number.isNaN(r.end) ? undefined : Math.max(from, refine(r.end, r.seenEnded));
    segments.push({ state: 'running', from, to: stop ?? end, ongoing: stop === undefined });
    if (stop !== undefined) {
      marks.push({ at: stop, kind: 'exit', label: `exit ${r.exitCode ?? '?'}${r.reason ? ` (${r.reason})` : ''}`, warning: (r.exitCode ?? 0) !== 0 });
      cursor = stop;
    } else cursor = end;
  });
  if (cursor < end) {
    const last = sorted.at(-1);
    if (current?.state?.terminated || (last?.end !== undefined && !current?.state?.waiting)) {
      segments.push({ state: 'terminated', from: cursor, to: end, ongoing: true, reason: last?.reason, exitCode: last?.exitCode });
    } else {
      segments.push({ state: 'waiting', from: cursor, to: end, ongoing: true, reason: current?.state?.waiting?.reason ?? waitReason(cursor, end, 'Waiting') });
    }
  }
  return { name, kind, segments, marks, restarts: current?.restartCount ?? 0 };
}

/** The container an Event is about: its field path (`spec.containers{name}`), else the kubelet's message. */
export function eventContainer(e: Event): string | undefined {
  const path = /\{([^}]+)\}/.exec(e.involvedObject?.fieldPath ?? '')?.[1];
  if (path) return path;
  return /\bcontainer[:=]?\s?([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\b/.exec(e.message ?? '')?.[1];
}

export const eventTime = (e: Event): number => ms(e.eventTime ?? e.lastTimestamp ?? e.firstTimestamp ?? e.metadata.creationTimestamp);

/**
 * Builds the timeline. `observations` are in arrival order; `events` holds every version of the
 * pod's Events seen (an aggregated Event's bumped count is one more occurrence); `now` closes
 * ongoing states unless the pod is terminal.
 */
export function buildTimeline(observations: Observation[], events: Event[], now: number): PodTimeline | undefined {
  const pod = observations.at(-1)?.pod;
  if (!pod) return undefined;
  const spec = pod.spec ?? { containers: [] };
  const kinds: [string, LaneKind][] = [
    ...(spec.initContainers ?? []).map((c): [string, LaneKind] => [c.name, c.restartPolicy === 'Always' ? 'sidecar' : 'init']),
    ...spec.containers.map((c): [string, LaneKind] => [c.name, 'main']),
    ...(spec.ephemeralContainers ?? []).map((c): [string, LaneKind] => [c.name, 'ephemeral']),
  ];
  const created = ms(pod.metadata.creationTimestamp);
  const start = Number.isNaN(created) ? observations[0].at : Math.min(created, observations[0].at);
  const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  const provisional = kinds.map(([name, kind]) => containerLane(name, kind, observations, start, now));
  const lastStop = Math.max(start, ...provisional.flatMap((l) => l.marks.map((m) => m.at)));
  const end = terminal ? Math.max(lastStop, ...conditionTimes(observations)) + 1000 : now;
  const lanes = terminal ? kinds.map(([name, kind]) => containerLane(name, kind, observations, start, end)) : provisional;

  const podEvents: Mark[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    const key = `${e.metadata.uid ?? e.metadata.name}/${e.count ?? 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const at = eventTime(e);
    if (Number.isNaN(at)) continue;
    const mark: Mark = { at, kind: 'event', label: `${e.reason ?? ''}${(e.count ?? 1) > 1 ? ` ×${e.count}` : ''}`, warning: e.type === 'Warning', detail: e.message };
    const lane = lanes.find((l) => l.name === eventContainer(e));
    (lane ? lane.marks : podEvents).push(mark);
  }
  for (const l of lanes) l.marks.sort((a, b) => a.at - b.at);
  podEvents.sort((a, b) => a.at - b.at);
  return { start, end: Math.max(end, start + 1000), lanes, conditions: conditionLanes(observations, end), podEvents };
}

function conditionTimes(observations: Observation[]): number[] {
  return observations.flatMap((o) => (o.pod.status?.conditions ?? []).map((c) => ms(c.lastTransitionTime))).filter((t) => !Number.isNaN(t));
}

/** One lane per condition type, from every (status, lastTransitionTime) pair observed. */
function conditionLanes(observations: Observation[], end: number): ConditionLane[] {
  const byType = new Map<string, Map<number, { status: string; reason?: string }>>();
  for (const o of observations) {
    for (const c of o.pod.status?.conditions ?? []) {
      const t = ms(c.lastTransitionTime);
      if (Number.isNaN(t)) continue;
      const m = byType.get(c.type) ?? new Map();
      m.set(t, { status: c.status, reason: c.reason });
      byType.set(c.type, m);
    }
  }
  return [...byType].map(([type, m]) => {
    const points = [...m].sort((a, b) => a[0] - b[0]);
    return { type, segments: points.map(([from, v], i) => ({ ...v, from, to: points[i + 1]?.[0] ?? end })) };
  });
}
