import { join } from 'node:path';
import type { Container, EphemeralContainer, Pod } from '@peapod/api-types';
import type { Clock, Logger, TypedEmitter } from '@peapod/core';
import { expandCommandAndArgs, payloadVolumeKind, type EnvVarValue } from '@peapod/downward-api';
import {
  containerAnnotations,
  containerLabels,
  podLabels,
  reasonOf,
  RuntimeReason,
  type ContainerConfig,
  type Mount,
  type PodSandboxConfig,
  type Runtime,
} from '@peapod/runtime';
import { Backoff } from '../backoff.js';
import type { KubeletEvents, PodRef } from '../events.js';
import { isSidecar } from '../pod-util.js';
import type { HandlerRunner } from '../prober/handlers.js';
import type { StartError } from '../status/generate.js';
import type { VolumePaths } from '../volumes.js';
import { containerHash, latest, type ObservedPod } from './observed.js';
import { computePodActions, type ContainerToKill, type PodActions, type ProbeResultsView } from './pod-actions.js';
import { containerPlatformConfig, sandboxPlatformConfig } from './security-context.js';
import { TerminationOrdering } from './termination-ordering.js';

/** Every container gets at least this long between the stop signal and the kill. */
export const MIN_GRACE_SECONDS = 2;
const DEFAULT_GRACE_SECONDS = 30;
/** A failed step (sandbox, image, config) is retried after this long, as the pod worker's error backoff. */
export const ERROR_RETRY_MS = 10_000;

/** Resolves a container's environment (env, envFrom, downward API fields, `$(VAR)`). */
export type EnvResolver = (pod: Pod, container: Container, podIPs: readonly string[]) => Promise<EnvVarValue[]>;

export interface RuntimeManagerDeps {
  runtime: Runtime;
  clock: Clock;
  logger: Logger;
  events: TypedEmitter<KubeletEvents>;
  handlers: HandlerRunner;
  probes: ProbeResultsView;
  resolveEnv: EnvResolver;
  /** Root of pod log directories (`<logDir>/<ns>_<name>_<uid>/<container>/<n>.log`). */
  logDir: string;
  /** `kubernetes.io/os` of the node: which platform's security contexts the runtime gets. */
  os: string;
  /** Directory `Localhost` seccomp profiles are relative to (`<root>/seccomp`). */
  seccompProfileRoot: string;
  /** Whether the runtime resizes running containers (`RuntimeFeatures.inPlaceResize`). */
  inPlaceResize(): boolean;
  /** Told of every sandbox and container created, so the next observation of the pod includes it. */
  track(uid: string, kind: 'sandbox' | 'container', id: string): void;
}

export interface SyncOutcome {
  actions: PodActions;
  /** The runtime changed (something was created, started or killed): the pod's status is stale. */
  changed: boolean;
  /** A start or resize error the status shows was set, changed or cleared (the status is stale even if the runtime is not). */
  reasonsChanged: boolean;
  /** Sync again after this long (a back-off expires, a failed step is retried). */
  retryInMs?: number;
}

type Kind = 'init' | 'regular' | 'ephemeral';

/** Go's `time.Duration` formatting for whole seconds, as back-off messages show it (`10s`, `1m20s`, `5m0s`). */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}

const pullPolicyOf = (c: Container): string => {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const image = c.image ?? '';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  return !lastSegment.includes(':') || image.endsWith(':latest') ? 'Always' : 'IfNotPresent';
};

/**
 * Carries out what `computePodActions` decides, against the runtime (kubelet's
 * `kuberuntime_manager.SyncPod` and `killPodWithSyncResult`): sandbox creation, container starts
 * with restart and image-pull back-off, postStart hooks, and graceful kills with preStop hooks and
 * the sidecar termination order. Start failures are remembered per container (the reason cache)
 * so the status shows them as the waiting reason.
 */
export class RuntimeManager {
  readonly backoff: Backoff;
  private readonly imageBackoff: Backoff;
  private readonly startErrors = new Map<string, Map<string, StartError>>();
  /** Why a pod's resize cannot be done (reported as PodResizePending/Infeasible). */
  private readonly resizeErrors = new Map<string, string>();
  /** Bumped whenever a start or resize error changes, so a sync tells whether it changed any (any pod's: at worst a needless status). */
  private reasonChanges = 0;

  constructor(private readonly deps: RuntimeManagerDeps) {
    this.backoff = new Backoff(deps.clock);
    this.imageBackoff = new Backoff(deps.clock);
  }

  startError(uid: string, container: string): StartError | undefined {
    return this.startErrors.get(uid)?.get(container);
  }

  resizeError(uid: string): string | undefined {
    return this.resizeErrors.get(uid);
  }

  /** Forgets a pod's start and resize errors (its worker is gone). */
  forgetPod(uid: string): void {
    this.startErrors.delete(uid);
    this.resizeErrors.delete(uid);
  }

  /** Drops expired back-off entries (housekeeping). */
  gcBackoff(): void {
    this.backoff.gc();
    this.imageBackoff.gc();
  }

  sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig {
    const { name = '', namespace = 'default', uid = '' } = pod.metadata;
    const spec = pod.spec!;
    return {
      metadata: { name, namespace, uid, attempt },
      hostname: spec.hostname ?? name,
      // Names and uids hold no `/`: plain concatenation is the joined path.
      logDirectory: `${this.deps.logDir}/${namespace}_${name}_${uid}`,
      labels: podLabels({ name, namespace, uid }),
      annotations: { ...(pod.metadata.annotations ?? {}) },
      portMappings: [...(spec.initContainers ?? []), ...spec.containers].flatMap((c) =>
        (c.ports ?? []).filter((p) => p.hostPort).map((p) => ({ protocol: p.protocol ?? 'TCP', containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIP }))),
      ...sandboxPlatformConfig(pod, this.deps.os),
    };
  }

  /** Whether a sync would find anything to do for the pod as observed. */
  hasWork(pod: Pod, observed: ObservedPod): boolean {
    const a = computePodActions(pod, observed, this.deps.probes);
    return a.killPod || a.createSandbox || a.containersToKill.size > 0 || a.containersToResize.length > 0
      || [a.initContainersToStart, a.containersToStart, a.ephemeralContainersToStart].some((l) => l.length > 0);
  }

  /** One sync of a running pod: compute the actions and carry them out. */
  async syncPod(pod: Pod, ref: PodRef, observed: ObservedPod, volumes: VolumePaths, hostIPs: readonly string[]): Promise<SyncOutcome> {
    const reasons = this.reasonChanges;
    const outcome: SyncOutcome = { actions: computePodActions(pod, observed, this.deps.probes), changed: false, reasonsChanged: false };
    await this.carryOut(outcome, pod, ref, observed, volumes, hostIPs);
    outcome.reasonsChanged = this.reasonChanges !== reasons;
    return outcome;
  }

  private async carryOut(outcome: SyncOutcome, pod: Pod, ref: PodRef, observed: ObservedPod, volumes: VolumePaths, hostIPs: readonly string[]): Promise<void> {
    const { actions } = outcome;
    const retryIn = (ms: number) => (outcome.retryInMs = Math.min(outcome.retryInMs ?? ms, ms));

    if (actions.killPod) {
      if (observed.containers.some((c) => c.state !== 'exited') || observed.sandboxes.some((s) => s.ready)) {
        await this.killPod(pod, ref, observed);
        outcome.changed = true;
      }
      if (!actions.createSandbox) return;
    } else if (actions.containersToKill.size) {
      await Promise.all([...actions.containersToKill].map(([id, k]) => this.killForRestart(pod, ref, id, k)));
      outcome.changed = true;
    }

    if (actions.containersToResize.length) {
      if (this.deps.inPlaceResize()) {
        this.setResizeError(ref.uid, undefined);
        await Promise.all(actions.containersToResize.map((r) => this.deps.runtime.updateContainerResources(r.id, r.resources)));
        outcome.changed = true;
      } else this.setResizeError(ref.uid, `the container runtime cannot resize containers in place (${actions.containersToResize.map((r) => r.name).join(', ')})`);
    } else this.setResizeError(ref.uid, undefined);

    let sandboxId = actions.sandboxId;
    let podIP = observed.sandboxes[0]?.ip;
    // Most syncs (a running pod's resync) start nothing and need no sandbox config.
    let config: PodSandboxConfig | undefined;
    if (actions.createSandbox) {
      try {
        config = this.sandboxConfig(pod, actions.attempt);
        sandboxId = await this.deps.runtime.runPodSandbox(config);
        this.deps.track(ref.uid, 'sandbox', sandboxId);
        podIP = (await this.deps.runtime.podSandboxStatus(sandboxId)).network?.ip;
      } catch (err) {
        this.deps.events.emit('syncFailed', ref, `Failed to create pod sandbox: ${errorMessage(err)}`);
        retryIn(ERROR_RETRY_MS);
        return;
      }
      outcome.changed = true;
      this.deps.events.emit('sandboxCreated', ref, sandboxId, actions.attempt);
    }
    if (!actions.ephemeralContainersToStart.length && !actions.initContainersToStart.length && !actions.containersToStart.length) return;
    const sandbox = { id: sandboxId!, config: config ?? this.sandboxConfig(pod, actions.attempt), podIPs: podIP ? [podIP] : hostIPs };
    const spec = pod.spec!;
    const start = async (c: Container, kind: Kind): Promise<boolean> => {
      const r = await this.startContainer(pod, ref, c, kind, observed, sandbox, volumes);
      if (r === true) outcome.changed = true;
      else if (typeof r === 'number') retryIn(r);
      return r === true;
    };

    for (const i of actions.ephemeralContainersToStart) await start(spec.ephemeralContainers![i] as Container, 'ephemeral');
    for (const i of actions.initContainersToStart) {
      const c = spec.initContainers![i];
      if (!(await start(c, 'init')) && !isSidecar(c)) return;
    }
    await Promise.all(actions.containersToStart.map((i) => start(spec.containers[i], 'regular')));
  }

  /**
   * Stops every container of the pod and its sandbox: preStop hooks of all containers start
   * together; regular containers are signalled once their hook is done, sidecars only after every
   * regular container and every later sidecar has exited; each gets what is left of the grace
   * period, but never less than 2 s, before the kill. When `signal` aborts, it stops waiting and
   * rejects with the signal's reason; stops already asked of the runtime go on, and a later call
   * with a shorter grace makes the runtime kill sooner.
   */
  async killPod(pod: Pod, ref: PodRef, observed: ObservedPod, gracePeriodOverride?: number, signal?: AbortSignal): Promise<void> {
    const running = observed.containers.filter((c) => c.state !== 'exited');
    const ordering = new TerminationOrdering(pod, new Set(running.map((c) => c.name)), this.deps.clock);
    await Promise.all(running.map(async (c) => {
      const spec = findSpec(pod, c.name);
      await this.killContainer(pod, ref, c.id, c.name, spec, `Stopping container ${c.name}`, gracePeriodOverride ?? this.graceFor(pod), { ordering, signal });
    }));
    await Promise.all(observed.sandboxes.filter((s) => s.ready).map((s) => this.deps.runtime.stopPodSandbox(s.id)));
  }

  /** Removes the pod's sandboxes (and with them its containers) once it is terminated and gone. */
  async removePod(observed: ObservedPod): Promise<void> {
    await Promise.all(observed.sandboxes.map((s) => this.deps.runtime.removePodSandbox(s.id)));
    await Promise.all(observed.containers.map((c) => this.deps.runtime.removeContainer(c.id)));
  }

  /**
   * Removes exited attempts beyond the two newest of each container (the newest and the one
   * `lastState` shows). Undefined when there are none: housekeeping looks at every pod of the
   * node every two seconds, and most pods have nothing to remove.
   */
  gcContainers(observed: ObservedPod): Promise<void> | undefined {
    if (observed.containers.length <= 2) return undefined;
    const seen = new Map<string, number>();
    const old = observed.containers.filter((c) => {
      const n = (seen.get(c.name) ?? 0) + 1;
      seen.set(c.name, n);
      return n > 2 && c.state === 'exited';
    });
    return old.length ? Promise.all(old.map((c) => this.deps.runtime.removeContainer(c.id))).then(() => undefined) : undefined;
  }

  private graceFor(pod: Pod, probeGrace?: number): number {
    return pod.metadata.deletionGracePeriodSeconds ?? probeGrace ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  }

  private killForRestart(pod: Pod, ref: PodRef, id: string, k: ContainerToKill): Promise<void> {
    const probe = k.reason === 'LivenessProbe' ? k.container.livenessProbe : k.reason === 'StartupProbe' ? k.container.startupProbe : undefined;
    return this.killContainer(pod, ref, id, k.name, k.container, k.message, this.graceFor(pod, probe?.terminationGracePeriodSeconds));
  }

  private async killContainer(
    pod: Pod, ref: PodRef, id: string, name: string, spec: Container | undefined, message: string, graceSeconds: number,
    { ordering, signal }: { ordering?: TerminationOrdering; signal?: AbortSignal } = {},
  ): Promise<void> {
    const { clock, events, runtime } = this.deps;
    events.emit('containerKilling', ref, name, message);
    let grace = graceSeconds;
    const preStop = spec?.lifecycle?.preStop;
    if (preStop && grace > 0) {
      const started = clock.now();
      const ac = new AbortController();
      const hookSignal = signal ? AbortSignal.any([signal, ac.signal]) : ac.signal;
      const outcome = await Promise.race([
        this.runHook(pod, id, spec!, preStop, grace * 1000, hookSignal),
        clock.sleep(grace * 1000, hookSignal).then(() => ({ ok: false, output: `PreStop hook did not finish within ${grace}s` }), () => ({ ok: true, output: '' })),
      ]);
      ac.abort();
      signal?.throwIfAborted();
      if (!outcome.ok) events.emit('hookFailed', ref, name, 'preStop', outcome.output);
      grace -= Math.floor((clock.now() - started) / 1000);
    }
    if (ordering && grace > 0) grace -= await ordering.waitForTurn(name, grace, signal);
    signal?.throwIfAborted();
    try {
      await unlessAborted(runtime.stopContainer(id, Math.max(grace, MIN_GRACE_SECONDS) * 1000), signal);
    } finally {
      ordering?.terminated(name);
    }
  }

  private runHook(pod: Pod, containerId: string, c: Container, handler: NonNullable<NonNullable<Container['lifecycle']>['preStop']>, timeoutMs: number, signal?: AbortSignal) {
    if (handler.tcpSocket && !handler.exec && !handler.httpGet && !handler.sleep) {
      return Promise.resolve({ ok: false, output: 'invalid handler: tcpSocket is not supported for lifecycle hooks' });
    }
    return this.deps.handlers.run(handler, { containerId, podIP: pod.status?.podIP, ports: c.ports }, timeoutMs, signal);
  }

  private setResizeError(uid: string, message: string | undefined): void {
    if (this.resizeErrors.get(uid) === message) return;
    if (message === undefined) this.resizeErrors.delete(uid);
    else this.resizeErrors.set(uid, message);
    this.reasonChanges++;
  }

  private setStartError(ref: PodRef, name: string, e: StartError | undefined): void {
    let m = this.startErrors.get(ref.uid);
    if (!e) {
      if (m?.delete(name)) this.reasonChanges++;
      return;
    }
    if (!m) this.startErrors.set(ref.uid, (m = new Map()));
    const prev = m.get(name);
    if (prev?.reason !== e.reason || prev.message !== e.message) this.reasonChanges++;
    m.set(name, e);
    this.deps.events.emit('containerFailed', ref, name, e.reason, e.message);
  }

  /** Starts one container. Returns true when it runs, or the milliseconds after which to try again. */
  private async startContainer(
    pod: Pod, ref: PodRef, c: Container, kind: Kind, observed: ObservedPod,
    sandbox: { id: string; config: PodSandboxConfig; podIPs: readonly string[] }, volumes: VolumePaths,
  ): Promise<true | number> {
    const { runtime, clock, events } = this.deps;
    const hash = containerHash(c);
    const prev = latest(observed, c.name);
    const key = `${ref.uid}/${c.name}/${hash}`;
    if (prev?.state === 'exited' && kind !== 'ephemeral') {
      const exitedAt = prev.finishedAt ?? clock.now();
      if (this.backoff.isInBackOffSince(key, exitedAt)) {
        const delay = this.backoff.get(key);
        this.setStartError(ref, c.name, { reason: 'CrashLoopBackOff', message: `back-off ${goDuration(delay)} restarting failed container=${c.name} pod=${ref.name}_${ref.namespace}(${ref.uid})` });
        events.emit('containerBackedOff', ref, c.name, delay);
        return Math.max(1, this.backoff.remaining(key, exitedAt));
      }
      this.backoff.next(key, exitedAt);
    }
    const fail = (reason: string, message: string, retryMs = ERROR_RETRY_MS) => {
      this.setStartError(ref, c.name, { reason, message });
      return retryMs;
    };

    const image = c.image ?? '';
    const imageKey = `${ref.uid}/${image}`;
    try {
      const present = await runtime.imageStatus({ image });
      const policy = pullPolicyOf(c);
      if (policy === 'Never' && !present) return fail(RuntimeReason.ErrImageNeverPull, `Container image "${image}" is not present with pull policy of Never`);
      if (policy === 'Always' || !present) {
        if (this.imageBackoff.isInBackOffSinceUpdate(imageKey)) return fail('ImagePullBackOff', `Back-off pulling image "${image}"`, this.imageBackoff.get(imageKey));
        try {
          events.emit('imagePulling', ref, c.name, image);
          const t0 = clock.now();
          await runtime.pullImage({ image });
          const durationMs = clock.now() - t0;
          events.emit('imagePulled', ref, c.name, image, { durationMs, size: (await runtime.imageStatus({ image }).catch(() => undefined))?.size ?? 0 });
        } catch (err) {
          this.imageBackoff.next(imageKey, clock.now());
          return fail(reasonOf(err, RuntimeReason.ErrImagePull), `Failed to pull image "${image}": ${errorMessage(err)}`, this.imageBackoff.get(imageKey));
        }
      } else events.emit('imagePulled', ref, c.name, image);
    } catch (err) {
      return fail(reasonOf(err, RuntimeReason.ImageInspectError), `Failed to inspect image "${image}": ${errorMessage(err)}`);
    }

    // An ephemeral container with a target shares the target's PID namespace (`kubectl debug --target`).
    const targetName = kind === 'ephemeral' ? (c as EphemeralContainer).targetContainerName : undefined;
    const targetId = targetName ? latest(observed, targetName)?.id : undefined;
    if (targetName && !targetId) return fail('CreateContainerConfigError', `unable to find target container ${targetName}`);
    let config: ContainerConfig;
    const restartCount = prev ? prev.restartCount + 1 : 0;
    try {
      config = await this.containerConfig(pod, c, hash, restartCount, sandbox.podIPs, volumes, targetId);
    } catch (err) {
      // Env that cannot be resolved (a missing ConfigMap key) or a mount of an unknown volume.
      return fail('CreateContainerConfigError', errorMessage(err));
    }
    let id: string;
    try {
      id = await runtime.createContainer(sandbox.id, config, sandbox.config);
      this.deps.track(ref.uid, 'container', id);
    } catch (err) {
      return fail(reasonOf(err, RuntimeReason.CreateContainerError), errorMessage(err));
    }
    try {
      await runtime.startContainer(id);
    } catch (err) {
      return fail(reasonOf(err, RuntimeReason.RunContainerError), errorMessage(err));
    }
    this.setStartError(ref, c.name, undefined);
    events.emit('containerStarted', ref, c.name, id, restartCount);

    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      const outcome = await this.runHook(pod, id, c, postStart, this.graceFor(pod) * 1000);
      if (!outcome.ok) {
        events.emit('hookFailed', ref, c.name, 'postStart', outcome.output);
        await this.killContainer(pod, ref, id, c.name, c, `FailedPostStartHook`, this.graceFor(pod));
        return fail('PostStartHookError', outcome.output, 0);
      }
    }
    return true;
  }

  private async containerConfig(
    pod: Pod, c: Container, hash: string, restartCount: number, podIPs: readonly string[], volumes: VolumePaths, targetId: string | undefined,
  ): Promise<ContainerConfig> {
    const { name = '', namespace = 'default', uid = '' } = pod.metadata;
    const env = await this.deps.resolveEnv(pod, c, podIPs);
    const { command = [], args = [] } = expandCommandAndArgs(c, env);
    const mounts: Mount[] = (c.volumeMounts ?? []).map((m) => {
      const hostPath = volumes.get(m.name);
      if (hostPath === undefined) throw new Error(`unable to find volume "${m.name}" for mount "${m.mountPath}"`);
      // configMap, secret, downwardAPI and projected volumes are always read-only to containers, as in Kubernetes.
      const volume = pod.spec?.volumes?.find((v) => v.name === m.name);
      const readonly = m.readOnly || (volume !== undefined && payloadVolumeKind(volume) !== undefined);
      return { containerPath: m.mountPath, hostPath: m.subPath ? join(hostPath, m.subPath) : hostPath, readonly };
    });
    return {
      metadata: { name: c.name, attempt: restartCount },
      image: { image: c.image ?? '' },
      command,
      args,
      workingDir: c.workingDir,
      envs: env.map((e) => ({ key: e.name, value: e.value })),
      mounts,
      labels: containerLabels({ name, namespace, uid }, c.name),
      annotations: containerAnnotations({
        hash,
        restartCount,
        terminationMessagePath: c.terminationMessagePath,
        terminationMessagePolicy: c.terminationMessagePolicy,
        terminationGracePeriodSeconds: pod.spec?.terminationGracePeriodSeconds,
      }),
      logPath: `${c.name}/${restartCount}.log`,
      stdin: c.stdin,
      stdinOnce: c.stdinOnce,
      tty: c.tty,
      ...(await containerPlatformConfig(pod, c, { ...this.deps, targetId, imageUser: async () => (await this.deps.runtime.imageStatus({ image: c.image ?? '' }))?.user })),
    };
  }
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Settles as `work` does, or rejects with the signal's reason once it aborts (the work goes on; its outcome is then ignored). */
function unlessAborted<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function findSpec(pod: Pod, name: string): Container | undefined {
  const spec = pod.spec!;
  return [...spec.containers, ...(spec.initContainers ?? []), ...((spec.ephemeralContainers ?? []) as Container[])].find((c) => c.name === name);
}

