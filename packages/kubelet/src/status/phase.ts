import type { ContainerStatus, PodSpec } from '@peapod/api-types';
import { isSidecar, restartPolicyOf, statusByName } from '../pod-util.js';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/**
 * The pod phase from its containers' states, as the kubelet's `getPhase`:
 * - a regular init container not yet succeeded keeps the pod Pending; under `Never` a failed one
 *   fails the pod (under Always/OnFailure it is retried);
 * - a sidecar (restartable init container) keeps the pod Pending until it has *started*, and its
 *   exits never count toward the phase;
 * - a regular container still waiting for its first start keeps the pod Pending;
 * - with every container known and one running, the pod is Running;
 * - with all stopped: Succeeded if all exited 0, else Failed under `Never` (or once the pod is
 *   terminal), else Running (restarting).
 * `podIsTerminal` says the kubelet has decided the pod will run no more containers (it was killed,
 * deleted or exceeded its deadline); then sidecars no longer block and stopped containers decide.
 */
export function getPhase(spec: Pick<PodSpec, 'containers' | 'initContainers' | 'restartPolicy'>, statuses: readonly ContainerStatus[], podIsTerminal: boolean): PodPhase {
  const policy = restartPolicyOf(spec);
  let pendingInit = 0;
  let pendingSidecars = 0;
  let failedInit = 0;
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;

  for (const c of spec.initContainers ?? []) {
    const s = statusByName(statuses, c.name);
    if (isSidecar(c)) {
      if (!s) unknown++;
      else if (s.state?.running) {
        if (!s.started) pendingSidecars++;
        running++;
      } else if (s.state?.waiting && !s.lastState?.terminated) {
        pendingSidecars++;
        waiting++;
      } else if (!s.state?.terminated && !s.state?.waiting) {
        pendingSidecars++;
        unknown++;
      }
      continue;
    }
    if (!s || s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInit++;
      } else pendingInit++;
    } else pendingInit++;
  }

  for (const c of spec.containers) {
    const s = statusByName(statuses, c.name);
    if (!s) unknown++;
    else if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }

  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || (pendingSidecars > 0 && !podIsTerminal)) return 'Pending';
  if (waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    return policy === 'Never' ? 'Failed' : 'Running';
  }
  return 'Pending';
}
