import type { ContainerStatus, PodCondition, PodSpec } from '@peapod/api-types';
import { isSidecar, rfc3339, statusByName } from '../pod-util.js';
import type { PodPhase } from './phase.js';

/** Condition types the kubelet computes; every other condition on a pod is someone else's and kept as is. */
export const KUBELET_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready', 'PodResizePending', 'PodResizeInProgress'] as const;

/** A condition as computed: type, status and, when not fine, reason and message. */
type Computed = Pick<PodCondition, 'type' | 'status' | 'reason' | 'message'>;
type Spec = Pick<PodSpec, 'containers' | 'initContainers' | 'readinessGates'>;

/** Go's `%s` of a string slice, which Kubernetes' messages use: `[a b]`. */
const goList = (names: string[]) => `[${names.join(' ')}]`;

const unreadyMessage = (unknown: string[], bad: string[], badWord: string): string =>
  [
    ...(unknown.length ? [`containers with unknown status: ${goList(unknown)}`] : []),
    ...(bad.length ? [`containers with ${badWord} status: ${goList(bad)}`] : []),
  ].join(', ');

/** True once the sandbox is ready (network and volumes in place) for containers to start. */
export const readyToStartContainersCondition = (sandboxReady: boolean): Computed => ({
  type: 'PodReadyToStartContainers',
  status: sandboxReady ? 'True' : 'False',
});

const regularContainerStarted = (spec: Spec, statuses: readonly ContainerStatus[]): boolean =>
  spec.containers.some((c) => {
    const s = statusByName(statuses, c.name);
    return !!(s?.state?.running || s?.state?.terminated);
  });

/**
 * Initialized: every regular init container exited 0 and every sidecar has started; stays True
 * once a regular container has run (sidecars may restart later without un-initializing the pod).
 */
export function initializedCondition(spec: Spec, statuses: readonly ContainerStatus[], phase: PodPhase): Computed {
  if (phase === 'Succeeded') return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  if (regularContainerStarted(spec, statuses)) return { type: 'Initialized', status: 'True' };
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of spec.initContainers ?? []) {
    const s = statusByName(statuses, c.name);
    if (!s) unknown.push(c.name);
    else if (isSidecar(c) ? !s.started : s.state?.terminated?.exitCode !== 0) incomplete.push(c.name);
  }
  const message = unreadyMessage(unknown, incomplete, 'incomplete');
  return message ? { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message } : { type: 'Initialized', status: 'True' };
}

/** ContainersReady: every regular container and every sidecar is ready; False with PodCompleted/PodFailed once terminal. */
export function containersReadyCondition(spec: Spec, statuses: readonly ContainerStatus[], phase: PodPhase): Computed {
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const c of [...(spec.initContainers ?? []).filter(isSidecar), ...spec.containers]) {
    const s = statusByName(statuses, c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if ((phase === 'Succeeded' && unknown.length === 0) || phase === 'Failed') {
    return { type: 'ContainersReady', status: 'False', reason: phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed' };
  }
  const message = unreadyMessage(unknown, unready, 'unready');
  return message ? { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message } : { type: 'ContainersReady', status: 'True' };
}

/** Ready: ContainersReady and every readiness gate's condition (from `conditions`, set by others) True. */
export function readyCondition(containersReady: Computed, spec: Spec, conditions: readonly PodCondition[]): Computed {
  if (containersReady.status !== 'True') return { ...containersReady, type: 'Ready' };
  const messages: string[] = [];
  for (const { conditionType } of spec.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === conditionType);
    if (!c) messages.push(`corresponding condition of pod readiness gate "${conditionType}" does not exist.`);
    else if (c.status !== 'True') messages.push(`the status of pod readiness gate "${conditionType}" is not "True", but ${c.status}`);
  }
  return messages.length
    ? { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: messages.join(', ') }
    : { type: 'Ready', status: 'True' };
}

/**
 * The pod's conditions after a sync: the kubelet's own, computed from `statuses`, followed by every
 * condition it does not own, unchanged. A condition keeps its `lastTransitionTime` while its status
 * stays the same; `observedGeneration` records the spec generation the kubelet acted on.
 */
export function podConditions(args: {
  spec: Spec;
  statuses: readonly ContainerStatus[];
  phase: PodPhase;
  sandboxReady: boolean;
  old: readonly PodCondition[];
  now: number;
  generation?: number;
}): PodCondition[] {
  const { spec, statuses, phase, old, now, generation } = args;
  const containersReady = containersReadyCondition(spec, statuses, phase);
  const foreign = old.filter((c) => !(KUBELET_CONDITIONS as readonly string[]).includes(c.type));
  const computed = [
    readyToStartContainersCondition(args.sandboxReady),
    initializedCondition(spec, statuses, phase),
    readyCondition(containersReady, spec, foreign),
    containersReady,
  ];
  if (!foreign.some((c) => c.type === 'PodScheduled')) foreign.unshift({ type: 'PodScheduled', status: 'True', lastTransitionTime: rfc3339(now) });
  const stamped = computed.map((c): PodCondition => {
    const prev = old.find((o) => o.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now);
    return stamp(c, lastTransitionTime, generation);
  });
  return [...stamped, ...foreign];
}

/**
 * A computed condition (type, status, reason, message) with its times, built field by field: every
 * status a sync computes stamps four conditions, and spreading them was most of computing them.
 */
function stamp(c: Computed, lastTransitionTime: string, observedGeneration: number | undefined): PodCondition {
  const out: PodCondition = { type: c.type, status: c.status };
  if (c.reason !== undefined) out.reason = c.reason;
  if (c.message !== undefined) out.message = c.message;
  out.lastTransitionTime = lastTransitionTime;
  if (observedGeneration !== undefined) out.observedGeneration = observedGeneration;
  return out;
}
