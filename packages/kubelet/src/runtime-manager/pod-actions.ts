import type { Container, Pod } from '@peapod/api-types';
import { isSidecar, restartPolicyOf } from '../pod-util.js';
import type { LinuxContainerResources } from '@peapod/runtime';
import { containerHash, latest, type ObservedContainer, type ObservedPod } from './observed.js';
import { linuxResources, resizedResources } from './resources.js';

/** Probe results the action computation consults (kubelet's liveness and startup managers). */
export type ProbeResult = 'success' | 'failure';
export interface ProbeResultsView {
  liveness(containerId: string): ProbeResult | undefined;
  startup(containerId: string): ProbeResult | undefined;
}

export type KillReason = 'LivenessProbe' | 'StartupProbe' | 'DefinitionChanged' | 'ResizeRestart' | 'Unknown';

export interface ContainerToKill {
  name: string;
  container: Container;
  message: string;
  reason: KillReason;
  /** Whether the container was the pod's init container list (sidecars), for ordering and events. */
  init: boolean;
}

/** What one sync must do to bring the runtime to the pod's spec (kubelet's `podActions`). */
export interface PodActions {
  /** Kill every container and the sandbox (the sandbox changed, or nothing is left to run). */
  killPod: boolean;
  createSandbox: boolean;
  /** The sandbox to start containers in when it is kept. */
  sandboxId?: string;
  attempt: number;
  /** Indexes into `spec.initContainers`, in start order. */
  initContainersToStart: number[];
  /** Indexes into `spec.containers`. */
  containersToStart: number[];
  /** Indexes into `spec.ephemeralContainers`. */
  ephemeralContainersToStart: number[];
  /** By container id. */
  containersToKill: Map<string, ContainerToKill>;
  /** Running containers to resize in place, with the resources to apply. */
  containersToResize: { id: string; name: string; resources: LinuxContainerResources }[];
}

/**
 * Whether a container that is not running should be (re)started: never once the pod is being
 * deleted; always if it never ran, or was created but not started, or is in an unknown state;
 * otherwise per the pod's restart policy and the last exit code.
 */
export function shouldContainerBeRestarted(c: Container, pod: Pod, observed: ObservedPod): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  const s = latest(observed, c.name);
  if (!s) return true;
  if (s.state === 'running') return false;
  if (s.state === 'unknown' || s.state === 'created') return true;
  const policy = restartPolicyOf(pod.spec!);
  if (policy === 'Never') return false;
  return !(policy === 'OnFailure' && s.exitCode === 0);
}

const restartsOnFailure = (pod: Pod) => restartPolicyOf(pod.spec!) !== 'Never';
const succeededOnce = (c: Container, observed: ObservedPod) => {
  const s = latest(observed, c.name);
  return s?.state === 'exited' && s.exitCode === 0;
};
const initFailed = (s: ObservedContainer) => s.state === 'unknown' || (s.state === 'exited' && s.exitCode !== 0);

/**
 * Compares the pod's spec with what runs (kubelet's `computePodActions`): a changed or missing
 * sandbox restarts the pod from its first init container; init containers run one at a time, a
 * sidecar counting as done once started (its startup probe passed); after initialization, regular
 * containers are started or restarted per policy, killed on liveness/startup failure or changed
 * definition; when no regular container runs or will start, the pod is killed so that sidecars
 * stop and the pod can finish.
 */
export function computePodActions(pod: Pod, observed: ObservedPod, probes: ProbeResultsView): PodActions {
  const spec = pod.spec!;
  const sandbox = sandboxChange(observed);
  const actions: PodActions = {
    killPod: sandbox.create,
    createSandbox: sandbox.create,
    sandboxId: sandbox.id,
    attempt: sandbox.attempt,
    initContainersToStart: [],
    containersToStart: [],
    ephemeralContainersToStart: [],
    containersToKill: new Map(),
    containersToResize: [],
  };

  if (sandbox.create) {
    if (!restartsOnFailure(pod) && sandbox.attempt !== 0 && observed.containers.length) {
      actions.createSandbox = false;
      return actions;
    }
    const toStart = spec.containers.flatMap((c, i) => (restartPolicyOf(spec) === 'OnFailure' && succeededOnce(c, observed) ? [] : [i]));
    const initialized = spec.containers.some((c) => latest(observed, c.name));
    if (initialized && toStart.length === 0) {
      actions.createSandbox = false;
      return actions;
    }
    if (spec.initContainers?.length) actions.initContainersToStart = [0];
    else actions.containersToStart = toStart;
    return actions;
  }

  // Ephemeral containers start even during initialization, and never twice.
  (spec.ephemeralContainers ?? []).forEach((c, i) => {
    if (!latest(observed, c.name)) actions.ephemeralContainersToStart.push(i);
  });

  const initialized = computeInitContainerActions(pod, observed, probes, actions);
  if (actions.killPod || !initialized) return actions;

  let keep = 0;
  spec.containers.forEach((c, i) => {
    const s = latest(observed, c.name);
    if (!s || s.state !== 'running') {
      if (shouldContainerBeRestarted(c, pod, observed)) {
        actions.containersToStart.push(i);
        if (s?.state === 'unknown') actions.containersToKill.set(s.id, kill(c, `Container ${c.name} is in an unknown state`, 'Unknown', false));
      }
      return;
    }
    let restart = restartsOnFailure(pod);
    let why: [string, KillReason];
    if (s.hash !== containerHash(c)) {
      why = [`Container ${c.name} definition changed`, 'DefinitionChanged'];
      restart = true;
    } else if (probes.liveness(s.id) === 'failure') why = [`Container ${c.name} failed liveness probe`, 'LivenessProbe'];
    else if (probes.startup(s.id) === 'failure') why = [`Container ${c.name} failed startup probe`, 'StartupProbe'];
    else {
      keep++;
      // In-place resize: resources whose resizePolicy says RestartContainer restart it instead.
      const desired = linuxResources(c);
      const changed = resizedResources(s.resources, desired);
      if (!changed.length) return;
      if (!changed.some((r) => c.resizePolicy?.find((p) => p.resourceName === r)?.restartPolicy === 'RestartContainer')) {
        actions.containersToResize.push({ id: s.id, name: c.name, resources: desired });
        return;
      }
      keep--;
      why = [`Container ${c.name} resized`, 'ResizeRestart'];
      restart = true;
    }
    if (restart) actions.containersToStart.push(i);
    actions.containersToKill.set(s.id, kill(c, restart ? `${why[0]}, will be restarted` : why[0], why[1], false));
  });

  if (keep === 0 && actions.containersToStart.length === 0) {
    actions.killPod = true;
    actions.initContainersToStart = [];
  }
  return actions;
}

const kill = (container: Container, message: string, reason: KillReason, init: boolean): ContainerToKill => ({ name: container.name, container, message, reason, init });

function sandboxChange(observed: ObservedPod): { create: boolean; attempt: number; id?: string } {
  const [newest] = observed.sandboxes;
  if (!newest) return { create: true, attempt: 0 };
  const ready = observed.sandboxes.filter((s) => s.ready).length;
  if (!newest.ready || ready > 1) return { create: true, attempt: newest.attempt + 1, id: newest.id };
  return { create: false, attempt: newest.attempt, id: newest.id };
}

/**
 * Init containers, walked from last to first so that the furthest one known decides where
 * initialization stands (earlier ones may have been removed from the runtime). Returns whether
 * the pod is initialized; fills `actions` with init containers to (re)start in spec order and
 * sidecars to restart.
 */
function computeInitContainerActions(pod: Pod, observed: ObservedPod, probes: ProbeResultsView, actions: PodActions): boolean {
  const inits = pod.spec!.initContainers ?? [];
  if (!inits.length) return true;
  let initialized = pod.spec!.containers.some((c) => {
    const s = latest(observed, c.name);
    return s?.state === 'created' || s?.state === 'running';
  });
  let previouslyInitialized = initialized;
  const toStart: number[] = [];
  const restartInit = (i: number, s: ObservedContainer, message: string, reason: KillReason) => {
    actions.containersToKill.set(s.id, kill(inits[i], message, reason, true));
    toStart.push(i);
  };

  for (let i = inits.length - 1; i >= 0; i--) {
    const c = inits[i];
    const sidecar = isSidecar(c);
    const s = latest(observed, c.name);
    if (!s) {
      if (previouslyInitialized && sidecar) toStart.push(i);
      continue;
    }
    if (previouslyInitialized && !sidecar) continue;

    if (s.state === 'created') toStart.push(i);
    else if (s.state === 'running') {
      if (sidecar) sidecarRunning(i, c, s);
    } else if (s.state === 'exited') {
      if (sidecar) toStart.push(i);
      else if (initFailed(s)) {
        if (!restartsOnFailure(pod)) return failInit();
        toStart.push(i);
      } else if (i === inits.length - 1) initialized = true;
      else toStart.push(i + 1);
    } else if (sidecar) restartInit(i, s, `Init container ${c.name} is in an unknown state`, 'Unknown');
    else {
      if (!restartsOnFailure(pod)) return failInit();
      restartInit(i, s, `Init container ${c.name} is in an unknown state`, 'Unknown');
    }
    previouslyInitialized = true;
  }
  if (!previouslyInitialized) toStart.push(0);
  actions.initContainersToStart = toStart.reverse();
  return initialized;

  function failInit(): false {
    actions.killPod = true;
    actions.initContainersToStart = [];
    return false;
  }

  /** A running sidecar counts as initialized once its startup probe (if any) succeeded. */
  function sidecarRunning(i: number, c: Container, s: ObservedContainer): void {
    if (c.startupProbe) {
      const startup = probes.startup(s.id);
      if (startup === 'failure') restartInit(i, s, `Init container ${c.name} failed startup probe`, 'StartupProbe');
      if (startup !== 'success') return;
    }
    if (i === inits.length - 1) initialized = true;
    else if (!previouslyInitialized) toStart.push(i + 1);
    if (s.hash !== containerHash(c)) return restartInit(i, s, `Init container ${c.name} definition changed`, 'DefinitionChanged');
    if (c.livenessProbe && probes.liveness(s.id) === 'failure') restartInit(i, s, `Init container ${c.name} failed liveness probe`, 'LivenessProbe');
  }
}
