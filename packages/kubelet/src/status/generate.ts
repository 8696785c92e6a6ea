import type { Container, ContainerState, ContainerStatus, Pod, PodStatus } from '@peapod/api-types';
import { isSidecar, isTerminalPhase, rfc3339, statusByName } from '../pod-util.js';
import { attempts, type ObservedContainer, type ObservedPod } from '../runtime-manager/observed.js';
import { shouldContainerBeRestarted } from '../runtime-manager/pod-actions.js';
import { linuxResources, resizedResources } from '../runtime-manager/resources.js';
import { podConditions } from './conditions.js';
import { getPhase, type PodPhase } from './phase.js';

/** Why a container could not be started on its last attempt (kubelet's reason cache). */
export interface StartError {
  reason: string;
  message: string;
}

export interface StatusInputs {
  observed: ObservedPod;
  /** Startup and readiness results by container id. */
  probes: {
    started(uid: string, container: string, containerId: string): boolean;
    ready(uid: string, container: string, containerId: string): boolean;
  };
  startError(container: string): StartError | undefined;
  /** The kubelet will run no more containers for this pod (killed, deleted, past its deadline). */
  podIsTerminal: boolean;
  now: number;
  hostIPs: readonly string[];
  /** Prefix of container ids in status (`containerd://...`). */
  runtimeName: string;
  /** Pod-level reason and message to report (DeadlineExceeded, admission rejections). */
  reason?: { reason: string; message: string };
  /** Why a requested in-place resize cannot be done. */
  resizeInfeasible?: string;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : rfc3339(ms));

function stateOf(c: ObservedContainer, runtimeName: string): ContainerState {
  const containerID = `${runtimeName}://${c.id}`;
  switch (c.state) {
    case 'running':
      return { running: { startedAt: iso(c.startedAt) } };
    case 'created':
      return { waiting: { reason: 'ContainerCreating' } };
    case 'exited': {
      const exitCode = c.exitCode ?? 0;
      return {
        terminated: {
          exitCode,
          reason: c.reason || (exitCode === 0 ? 'Completed' : 'Error'),
          ...(c.message ? { message: c.message } : {}),
          startedAt: iso(c.startedAt),
          finishedAt: iso(c.finishedAt),
          containerID,
        },
      };
    }
    default:
      return { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', containerID } };
  }
}

/**
 * A pod's status as the kubelet reports it (kubelet's `generateAPIPodStatus`): container statuses
 * from the runtime (latest attempt's state, the previous attempt's as `lastState`, restart count
 * from the container's labels), start failures and back-offs as waiting reasons, probe-driven
 * `started`/`ready`, phase, conditions, IPs and start time. A terminal phase never changes back.
 */
export function generatePodStatus(pod: Pod, inputs: StatusInputs): PodStatus {
  const spec = pod.spec!;
  const old = pod.status ?? {};
  const uid = pod.metadata.uid ?? '';
  const hasInit = (spec.initContainers?.length ?? 0) > 0;

  const convert = (containers: readonly Container[], kind: 'init' | 'regular' | 'ephemeral'): ContainerStatus[] =>
    containers.map((c) => {
      const [newest, previous] = attempts(inputs.observed, c.name);
      const status: ContainerStatus = {
        name: c.name,
        state: { waiting: { reason: hasInit && kind !== 'ephemeral' ? 'PodInitializing' : 'ContainerCreating' } },
        ready: false,
        restartCount: newest?.restartCount ?? 0,
        image: c.image ?? '',
        imageID: newest?.imageRef ?? '',
        started: false,
      };
      if (newest) {
        status.state = stateOf(newest, inputs.runtimeName);
        status.containerID = `${inputs.runtimeName}://${newest.id}`;
        if (previous?.state === 'exited') status.lastState = stateOf(previous, inputs.runtimeName);
      }
      const exitedOk = newest?.state === 'exited' && newest.exitCode === 0;
      const startError = inputs.startError(c.name);
      // An ephemeral container is never restarted, but one that could not start yet shows why.
      const willRestart = (kind === 'ephemeral' ? !newest : !(kind === 'init' && exitedOk)) && !inputs.podIsTerminal && shouldContainerBeRestarted(c, pod, inputs.observed);
      if (startError && willRestart && newest?.state !== 'running') {
        if (status.state?.terminated) status.lastState = status.state;
        status.state = { waiting: { reason: startError.reason, message: startError.message } };
      }
      if (newest?.state === 'running' && c.resources) {
        // What runs: the spec's resources once applied; until then (or if a resize is infeasible) the previous ones.
        const applied = !resizedResources(newest.resources, linuxResources(c)).length;
        const resources = applied ? c.resources : statusByName(kind === 'init' ? old.initContainerStatuses : old.containerStatuses, c.name)?.resources;
        if (resources) status.resources = resources;
        if (resources?.requests) status.allocatedResources = resources.requests;
      }
      if (newest?.state === 'running') {
        status.started = inputs.probes.started(uid, c.name, newest.id);
        const probed = kind === 'regular' || (kind === 'init' && isSidecar(c));
        status.ready = status.started && probed && inputs.probes.ready(uid, c.name, newest.id);
      } else if (kind === 'init' && !isSidecar(c) && exitedOk) status.ready = true;
      return status;
    });

  const initContainerStatuses = convert(spec.initContainers ?? [], 'init');
  const containerStatuses = convert(spec.containers, 'regular');
  const ephemeralContainerStatuses = convert((spec.ephemeralContainers ?? []) as Container[], 'ephemeral');

  const statuses = initContainerStatuses.length ? [...initContainerStatuses, ...containerStatuses] : containerStatuses;
  let phase: PodPhase = getPhase(spec, statuses, inputs.podIsTerminal);
  if (isTerminalPhase(old.phase)) phase = old.phase as PodPhase;
  // A pod the kubelet killed for a reason (deadline) fails, whatever its containers' exit codes.
  else if (inputs.podIsTerminal && (inputs.reason || !isTerminalPhase(phase))) phase = 'Failed';

  const sandbox = inputs.observed.sandboxes[0];
  const podIP = spec.hostNetwork ? inputs.hostIPs[0] : sandbox?.ip ?? old.podIP;
  const status: PodStatus = {
    ...old,
    phase,
    observedGeneration: pod.metadata.generation,
    conditions: podConditions({
      spec,
      statuses,
      phase,
      sandboxReady: !!sandbox?.ready && !inputs.podIsTerminal,
      old: old.conditions ?? [],
      now: inputs.now,
      generation: pod.metadata.generation,
    }),
    hostIP: inputs.hostIPs[0],
    hostIPs: inputs.hostIPs.map((ip) => ({ ip })),
    startTime: old.startTime ?? rfc3339(inputs.now),
    // Empty lists are left out, as the kubelet's Go types omit them.
    ...(initContainerStatuses.length ? { initContainerStatuses } : {}),
    containerStatuses,
    ...(ephemeralContainerStatuses.length ? { ephemeralContainerStatuses } : {}),
  };
  if (podIP) {
    status.podIP = podIP;
    status.podIPs = [{ ip: podIP }];
  }
  if (inputs.resizeInfeasible) {
    const prev = old.conditions?.find((c) => c.type === 'PodResizePending');
    status.conditions!.push({ type: 'PodResizePending', status: 'True', reason: 'Infeasible', message: inputs.resizeInfeasible, lastTransitionTime: prev?.status === 'True' && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(inputs.now) });
  }
  if (inputs.reason) {
    status.reason = inputs.reason.reason;
    status.message = inputs.reason.message;
  }
  return status;
}
