import { join } from 'node:path';
import { deepEqual, isAlreadyExists, badRequest, type Pod, type PodStatus } from '@peapod/api-types';
import type { KubeClient } from '@peapod/client';
import { TypedEmitter, silentLogger, type Clock, type Logger, type TimerHandle } from '@peapod/core';
import { resolveEnv } from '@peapod/downward-api';
import type { Runtime } from '@peapod/runtime';
import { kubeletApiFromClient, type KubeletApi } from './api-client.js';
import type { KubeletEvents, PodRef, ProbeType } from './events.js';
import { NodeLifecycle, defaultCapacity, nodeArch, nodeOs } from './node.js';
import { PodWorkers, type PodSyncer } from './pod-workers.js';
import { isTerminalPhase, podKey } from './pod-util.js';
import { DefaultHandlerRunner, type HandlerRunner } from './prober/handlers.js';
import { ProbeManager } from './prober/prober.js';
import { attempts, type ObservedPod } from './runtime-manager/observed.js';
import { Relister } from './runtime-manager/relist.js';
import { ERROR_RETRY_MS, RuntimeManager } from './runtime-manager/runtime-manager.js';
import { generatePodStatus } from './status/generate.js';
import { StatusManager } from './status/status-manager.js';
import { StaticPodSource, isMirrorPod, isStaticPod, mirrorPodOf, MIRROR_ANNOTATION, CONFIG_HASH_ANNOTATION, type ManifestParser } from './static-pods.js';
import { KubeletStreamingServer, type NodeStreaming } from './streaming.js';
import { VolumeManager } from './volumes.js';

export interface KubeletOptions {
  nodeName: string;
  /** Pod directories (volumes) and logs live under it. */
  rootDir: string;
  /** Static pod manifests (`--pod-manifest-path`); none when absent. */
  podManifestPath?: string;
  /** YAML parser for `.yaml`/`.yml` static pod manifests (JSON is always read). */
  parseManifest?: ManifestParser;
  /** Resync of each running pod (default 60 s: kubelet's syncFrequency). */
  syncPeriodMs?: number;
  /** Runtime relist for container state changes (default 1 s; kubelet's PLEG period). */
  relistPeriodMs?: number;
  /** Orphan cleanup, garbage collection, mirror pods (default 2 s). */
  housekeepingPeriodMs?: number;
  /** Rescan of the manifest directory (default 20 s). */
  fileCheckPeriodMs?: number;
  /** Node IPs, primary first (default 127.0.0.1). */
  nodeIPs?: string[];
  /** `kubernetes.io/os` and `kubernetes.io/arch` (default: this machine's). */
  os?: string;
  arch?: string;
  capacity?: Record<string, string>;
  allocatable?: Record<string, string>;
  labels?: Record<string, string>;
  /** Register the Node and renew its Lease (default true). */
  registerNode?: boolean;
  kubeletVersion?: string;
  kubeletPort?: number;
}

export type KubeletDeps = {
  runtime: Runtime;
  clock: Clock;
  logger?: Logger;
  /** Probe and hook handlers (default: exec through the runtime, network handlers for real). */
  handlers?: HandlerRunner;
} & ({ client: KubeClient } | { api: KubeletApi });

/** kubelet's syncTicker: how often pods whose jittered resync or retry is due are started. */
const SYNC_TICK_MS = 1000;

const DEADLINE_EXCEEDED = { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' };

const refOf = (pod: Pod): PodRef => ({ namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' });

/**
 * The node agent. It registers its Node and renews its Lease, takes the pods bound to its node
 * from the API (and static pods from a manifest directory, mirrored into the API), admits them,
 * and runs one worker per pod that drives the runtime to the pod's spec and reports status
 * through the `status` subresource. A relist of the runtime notices container exits; probes,
 * back-offs and deadlines schedule further syncs on the injected clock. A restarted kubelet adopts
 * the containers it finds by their labels.
 */
export class Kubelet implements PodSyncer {
  readonly events = new TypedEmitter<KubeletEvents>();
  readonly streaming: NodeStreaming;
  readonly workers: PodWorkers;
  readonly statusManager: StatusManager;
  private readonly api: KubeletApi;
  private readonly runtime: Runtime;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly options: Required<Pick<KubeletOptions, 'syncPeriodMs' | 'relistPeriodMs' | 'housekeepingPeriodMs' | 'fileCheckPeriodMs' | 'nodeIPs' | 'os' | 'arch'>> & KubeletOptions;
  private readonly relister: Relister;
  private readonly prober: ProbeManager;
  private readonly runtimeManager: RuntimeManager;
  private readonly volumes: VolumeManager;
  private readonly node: NodeLifecycle;
  private readonly staticSource?: StaticPodSource;
  /** Pods this kubelet runs (from the API and static), by uid. */
  private readonly pods = new Map<string, Pod>();
  private readonly mirrors = new Map<string, Pod>();
  private readonly mirrorsInFlight = new Set<string>();
  /** Pod-level reasons for a terminal status (deadline, admission). */
  private readonly reasons = new Map<string, { reason: string; message: string }>();
  private readonly rejected = new Set<string>();
  private readonly terminatedReported = new Set<string>();
  private timers: TimerHandle[] = [];
  private source?: { stop(): Promise<void> };
  private sourcesReady = false;
  private relisting = false;
  private runtimeName = 'unknown';
  private inPlaceResize = false;
  private nodeUid?: string;

  constructor(deps: KubeletDeps, options: KubeletOptions) {
    this.options = {
      syncPeriodMs: 60_000,
      relistPeriodMs: 1000,
      housekeepingPeriodMs: 2000,
      fileCheckPeriodMs: 20_000,
      nodeIPs: ['127.0.0.1'],
      os: nodeOs(),
      arch: nodeArch(),
      ...options,
    };
    this.runtime = deps.runtime;
    this.clock = deps.clock;
    this.logger = (deps.logger ?? silentLogger).child({ component: 'kubelet', node: options.nodeName });
    this.api = 'api' in deps ? deps.api : kubeletApiFromClient(deps.client, deps.clock, this.logger);
    const allocatable = this.options.allocatable ?? this.options.capacity ?? defaultCapacity();
    const handlers = deps.handlers ?? new DefaultHandlerRunner(this.runtime, this.clock);

    this.relister = new Relister(this.runtime, (uid, c) => {
      const pod = this.pods.get(uid);
      if (pod) this.events.emit('containerExited', refOf(pod), c.name, c.id, c.exitCode ?? 0, c.reason ?? '');
    });
    this.prober = new ProbeManager(this.clock, handlers, this.events, (uid, type) => this.probeChanged(uid, type));
    this.runtimeManager = new RuntimeManager({
      runtime: this.runtime,
      clock: this.clock,
      logger: this.logger,
      events: this.events,
      handlers,
      probes: this.prober,
      logDir: join(this.options.rootDir, 'logs'),
      os: this.options.os,
      seccompProfileRoot: join(this.options.rootDir, 'seccomp'),
      track: (uid, kind, id) => this.relister.track(uid, kind, id),
      inPlaceResize: () => this.inPlaceResize,
      resolveEnv: async (pod, container, podIPs) =>
        (await resolveEnv(pod, container, { configMaps: this.api, secrets: this.api, nodeAllocatable: allocatable, podIPs, hostIPs: this.options.nodeIPs })).env,
    });
    this.volumes = new VolumeManager(this.options.rootDir, { configMaps: this.api, secrets: this.api, nodeAllocatable: allocatable });
    this.statusManager = new StatusManager(this.api, this.api, this.clock, this.logger);
    this.workers = new PodWorkers(this, this.clock, this.logger, { syncPeriodMs: this.options.syncPeriodMs, errorBackoffMs: ERROR_RETRY_MS });
    this.node = new NodeLifecycle(this.api, this.runtime, this.clock, {
      nodeName: this.options.nodeName,
      os: this.options.os,
      arch: this.options.arch,
      nodeIPs: this.options.nodeIPs,
      capacity: this.options.capacity ?? defaultCapacity(),
      allocatable,
      labels: this.options.labels,
      kubeletVersion: this.options.kubeletVersion ?? 'v1.33.0-peapod',
      kubeletPort: this.options.kubeletPort ?? 10250,
    }, this.events, this.logger);
    if (this.options.podManifestPath) {
      this.staticSource = new StaticPodSource(this.options.podManifestPath, this.options.nodeName, this.clock, this.logger, this.options.fileCheckPeriodMs, this.options.parseManifest);
    }
    this.streaming = new KubeletStreamingServer({
      attempts: (uid, container) => this.containerAttempts(uid, container),
      sandbox: (uid) => (this.pods.has(uid) ? this.relister.observed(uid).sandboxes.find((s) => s.ready)?.id : undefined),
    }, this.runtime, this.clock);
  }

  get nodeName(): string {
    return this.options.nodeName;
  }

  /** Registers the node, adopts what the runtime already runs, then starts taking pods. */
  async start(): Promise<void> {
    this.runtimeName = (await this.runtime.version()).runtimeName;
    this.inPlaceResize = (await this.runtime.status()).features.inPlaceResize;
    if (this.options.registerNode !== false) {
      await this.node.start();
    }
    this.nodeUid = (await this.api.getNode(this.options.nodeName).catch(() => undefined))?.metadata.uid;
    await this.relist();
    this.source = await this.api.start(this.options.nodeName, { upsert: (p) => this.handleUpsert(p), remove: (p) => this.handleRemove(p) });
    await this.staticSource?.start({ upsert: (p) => this.upsertStatic(p), remove: (p) => this.removeStatic(p) });
    this.sourcesReady = true;
    this.timers.push(
      this.clock.setInterval(() => void this.relist(), this.options.relistPeriodMs),
      this.clock.setInterval(() => this.workers.syncDue(), SYNC_TICK_MS),
      this.clock.setInterval(() => void this.housekeeping(), this.options.housekeepingPeriodMs),
    );
  }

  /** Stops taking work. Containers keep running: a kubelet started later adopts them. */
  async stop(): Promise<void> {
    for (const t of this.timers) t.cancel();
    this.timers = [];
    this.node.stop();
    this.staticSource?.stop();
    await this.source?.stop();
    this.workers.shutdown();
    for (const uid of this.pods.keys()) this.prober.removePod(uid);
  }

  /** Resolves once a manifest scan in progress, every pod worker and every status write have finished (tests, benchmarks). */
  async settle(): Promise<void> {
    await this.staticSource?.idle();
    await this.workers.idle();
    await this.statusManager.flush();
  }

  /** The status this kubelet last computed for a pod. */
  podStatus(uid: string): PodStatus | undefined {
    return this.statusManager.getPodStatus(uid);
  }

  // ---- pod sources ----

  private handleUpsert(pod: Pod): void {
    if (isMirrorPod(pod)) return this.upsertMirror(pod);
    const uid = pod.metadata.uid!;
    const prev = this.pods.get(uid);
    this.pods.set(uid, pod);
    if (!prev && !this.workers.state(uid)) {
      const rejection = this.admit(pod);
      if (rejection) {
        this.rejected.add(uid);
        this.reasons.set(uid, { reason: rejection.reason, message: `Pod was rejected: ${rejection.message}` });
        this.events.emit('podRejected', refOf(pod), rejection.reason, rejection.message);
        this.workers.update(pod, false);
        this.workers.stop(uid);
        return;
      }
      this.events.emit('podAdmitted', refOf(pod));
    }
    this.workers.update(pod, !prev || specChanged(prev, pod));
  }

  private handleRemove(pod: Pod): void {
    if (isMirrorPod(pod)) {
      const key = podKey(pod);
      if (this.mirrors.get(key)?.metadata.uid === pod.metadata.uid) this.mirrors.delete(key);
      this.events.emit('mirrorPodDeleted', refOf(pod));
      const staticPod = [...this.pods.values()].find((p) => isStaticPod(p) && podKey(p) === key);
      if (staticPod) void this.ensureMirror(staticPod);
      return;
    }
    this.pods.delete(pod.metadata.uid!);
    this.workers.remove(pod.metadata.uid!);
  }

  /** Kubelet admission: a pod for another OS is refused (phase Failed) and never started. */
  private admit(pod: Pod): { reason: string; message: string } | undefined {
    const selector = pod.spec?.nodeSelector?.['kubernetes.io/os'];
    if (selector !== undefined && selector !== this.options.os) {
      return { reason: 'PodOSSelectorNodeLabelDoesNotMatch', message: "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label" };
    }
    const osName = pod.spec?.os?.name;
    if (osName !== undefined && osName !== this.options.os) return { reason: 'PodOSNotSupported', message: "Failed to admit pod as the OS field doesn't match node OS" };
    return undefined;
  }

  private upsertStatic(pod: Pod): void {
    this.pods.set(pod.metadata.uid!, pod);
    this.events.emit('podAdmitted', refOf(pod));
    this.workers.update(pod);
    void this.ensureMirror(pod);
  }

  private removeStatic(pod: Pod): void {
    this.pods.delete(pod.metadata.uid!);
    this.workers.stop(pod.metadata.uid!);
    this.workers.remove(pod.metadata.uid!);
    const mirror = this.mirrors.get(podKey(pod));
    if (mirror) void this.api.deletePod(mirror).catch((err) => this.logger.warn('mirror pod deletion failed', { pod: podKey(pod), error: String(err) }));
  }

  private upsertMirror(mirror: Pod): void {
    const key = podKey(mirror);
    this.mirrors.set(key, mirror);
    const staticPod = [...this.pods.values()].find((p) => isStaticPod(p) && podKey(p) === key);
    // A mirror without its static pod is deleted by housekeeping (the static source may not have been read yet).
    if (!staticPod) return;
    if (mirror.metadata.deletionTimestamp || mirror.metadata.annotations?.[MIRROR_ANNOTATION] !== staticPod.metadata.annotations?.[CONFIG_HASH_ANNOTATION]) void this.ensureMirror(staticPod);
  }

  /** Makes the API show the static pod's mirror: created when missing, replaced when stale or being deleted. */
  private async ensureMirror(staticPod: Pod): Promise<void> {
    const key = podKey(staticPod);
    const mirror = this.mirrors.get(key);
    const hash = staticPod.metadata.annotations?.[CONFIG_HASH_ANNOTATION];
    if ((mirror && mirror.metadata.annotations?.[MIRROR_ANNOTATION] === hash && !mirror.metadata.deletionTimestamp) || this.mirrorsInFlight.has(key)) return;
    if (!this.pods.has(staticPod.metadata.uid!)) return;
    this.mirrorsInFlight.add(key);
    try {
      if (mirror) await this.api.deletePod(mirror);
      const created = await this.api.createPod(mirrorPodOf(staticPod, { name: this.options.nodeName, uid: this.nodeUid }));
      this.mirrors.set(key, created);
      this.events.emit('mirrorPodCreated', refOf(created));
      const status = this.statusManager.getPodStatus(staticPod.metadata.uid!);
      if (status) this.statusManager.setPodStatus(staticPod.metadata.uid!, created, status);
    } catch (err) {
      if (isAlreadyExists(err)) {
        const existing = await this.api.getPod(staticPod.metadata.namespace ?? 'default', staticPod.metadata.name!).catch(() => undefined);
        if (existing) this.mirrors.set(key, existing);
      } else this.logger.warn('mirror pod creation failed', { pod: key, error: String(err) });
    } finally {
      this.mirrorsInFlight.delete(key);
    }
  }

  // ---- pod worker steps (PodSyncer) ----

  async syncPod(pod: Pod): Promise<{ terminal: boolean; resyncInMs?: number }> {
    const ref = refOf(pod);
    this.prober.addPod(pod, ref);
    let observed = await this.observe(ref.uid, true);
    const deadlineIn = this.deadlineIn(pod);
    if (deadlineIn !== undefined && deadlineIn <= 0) {
      this.reasons.set(ref.uid, DEADLINE_EXCEEDED);
      this.events.emit('podDeadlineExceeded', ref);
      return { terminal: true };
    }
    if (isTerminalPhase(this.updateStatus(pod, observed, false).phase)) return { terminal: true };

    let volumes;
    try {
      volumes = await this.volumes.setUp(pod);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.events.emit('volumeFailed', ref, message.match(/volume "([^"]+)"/)?.[1] ?? '', message);
      return { terminal: false, resyncInMs: ERROR_RETRY_MS };
    }
    const outcome = await this.runtimeManager.syncPod(pod, ref, observed, volumes, this.options.nodeIPs);
    if (outcome.changed) observed = await this.observe(ref.uid);
    // Start failures and back-offs change the status even when the runtime did not change; with
    // neither (a resync of a running pod), the status is the one just computed.
    if ((outcome.changed || outcome.reasonsChanged) && isTerminalPhase(this.updateStatus(pod, observed, false).phase)) return { terminal: true };
    // Sync again at once only while the runtime has more to do (the next init container, a restart);
    // otherwise another sync would find the status just computed.
    const again = outcome.changed && this.runtimeManager.hasWork(pod, observed);
    const waits = [again ? 0 : undefined, outcome.retryInMs, deadlineIn].filter((n): n is number => n !== undefined);
    return { terminal: false, resyncInMs: waits.length ? Math.min(...waits) : undefined };
  }

  async syncTerminatingPod(pod: Pod, gracePeriodSeconds: number, signal: AbortSignal): Promise<void> {
    const ref = refOf(pod);
    this.prober.setTerminating(ref.uid);
    await this.runtimeManager.killPod(pod, ref, await this.observe(ref.uid), gracePeriodSeconds, signal);
    this.updateStatus(pod, await this.observe(ref.uid), true);
  }

  async syncTerminatedPod(pod: Pod): Promise<void> {
    const ref = refOf(pod);
    const status = this.updateStatus(pod, this.relister.observed(ref.uid), true);
    await this.volumes.tearDown(ref.uid);
    this.prober.removePod(ref.uid);
    this.statusManager.finishDeletion(ref.uid);
    if (!this.terminatedReported.has(ref.uid)) {
      this.terminatedReported.add(ref.uid);
      this.events.emit('podTerminated', ref, status.phase as 'Succeeded' | 'Failed');
    }
  }

  async forgetPod(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid!;
    await this.runtimeManager.removePod(await this.observe(uid));
    this.runtimeManager.forgetPod(uid);
    this.relister.forget(uid);
    this.statusManager.removePod(uid);
    for (const m of [this.reasons, this.rejected, this.terminatedReported]) m.delete(uid);
  }

  /**
   * A probe result changed: the worker re-syncs (to restart a container, or to report readiness).
   * A terminating pod's worker is busy stopping containers, so readiness changes during preStop
   * are reported directly, as the kubelet's status manager does.
   */
  private probeChanged(uid: string, type: ProbeType): void {
    this.workers.resync(uid);
    const pod = this.pods.get(uid);
    if (type === 'readiness' && pod && this.workers.state(uid) === 'terminating') this.updateStatus(pod, this.relister.observed(uid), false);
  }

  /**
   * The pod's runtime state, asked of the runtime; with `cached`, the relist's when it is newer than
   * what the kubelet last observed or did to the pod (a worker's sync reads kubelet's PLEG cache,
   * not the runtime: a resync of a quiet pod costs no runtime call).
   */
  private async observe(uid: string, cached = false): Promise<ObservedPod> {
    const observed = (cached ? this.relister.cached(uid) : undefined) ?? (await this.relister.observePod(uid));
    this.prober.observe(uid, observed, observed.sandboxes[0]?.ip);
    return observed;
  }

  /** Milliseconds until `activeDeadlineSeconds` passes, counted from the pod's start time. */
  private deadlineIn(pod: Pod): number | undefined {
    const deadline = pod.spec?.activeDeadlineSeconds;
    if (deadline === undefined) return undefined;
    const started = this.statusManager.getPodStatus(pod.metadata.uid!)?.startTime ?? pod.status?.startTime;
    const start = started ? Date.parse(started) : this.clock.now();
    return start + deadline * 1000 - this.clock.now();
  }

  private updateStatus(pod: Pod, observed: ObservedPod, podIsTerminal: boolean): PodStatus {
    const uid = pod.metadata.uid!;
    const old = this.statusManager.getPodStatus(uid) ?? pod.status;
    const reason = this.reasons.get(uid);
    const status: PodStatus = this.rejected.has(uid)
      ? { ...old, phase: 'Failed', ...reason }
      : generatePodStatus({ ...pod, status: old }, {
        observed,
        probes: this.prober,
        startError: (name) => this.runtimeManager.startError(uid, name),
        podIsTerminal,
        now: this.clock.now(),
        hostIPs: this.options.nodeIPs,
        runtimeName: this.runtimeName,
        reason,
        resizeInfeasible: this.runtimeManager.resizeError(uid),
      });
    if (old?.phase !== status.phase) this.events.emit('podPhaseChanged', refOf(pod), old?.phase as 'Pending' | undefined, status.phase as 'Pending');
    this.statusManager.setPodStatus(uid, isStaticPod(pod) ? this.mirrorOf(pod) : pod, status);
    return status;
  }

  /** The mirror pod of this static pod (not of an older version of its manifest). */
  private mirrorOf(staticPod: Pod): Pod | undefined {
    const mirror = this.mirrors.get(podKey(staticPod));
    return mirror?.metadata.annotations?.[MIRROR_ANNOTATION] === staticPod.metadata.annotations?.[CONFIG_HASH_ANNOTATION] ? mirror : undefined;
  }

  // ---- runtime relist and housekeeping ----

  private async relist(): Promise<void> {
    if (this.relisting) return;
    this.relisting = true;
    try {
      // Probers saw every other pod's current view when it was last observed.
      for (const uid of await this.relister.relist()) {
        if (this.workers.state(uid)) this.workers.resync(uid);
        const p = this.relister.observed(uid);
        this.prober.observe(uid, p, p.sandboxes[0]?.ip);
      }
    } catch (err) {
      this.logger.warn('runtime relist failed', { error: String(err) });
    } finally {
      this.relisting = false;
    }
  }

  private async housekeeping(): Promise<void> {
    if (!this.sourcesReady) return;
    this.runtimeManager.gcBackoff();
    for (const [uid, { identity, view }] of this.relister.relisted()) {
      if (this.pods.has(uid) || this.workers.state(uid)) {
        const gc = this.runtimeManager.gcContainers(view);
        if (gc) await gc.catch(() => undefined);
      } else {
        // Orphans: pods the kubelet no longer knows (deleted while it was down).
        this.logger.info('removing orphaned pod', { uid, pod: identity?.name });
        await this.runtimeManager.removePod(view).catch(() => undefined);
      }
    }
    const statics = [...this.pods.values()].filter(isStaticPod);
    for (const p of statics) void this.ensureMirror(p);
    // Mirrors whose static pod is gone (its file was removed while the kubelet was down).
    for (const [key, mirror] of this.mirrors) {
      if (!statics.some((p) => podKey(p) === key)) void this.api.deletePod(mirror).catch(() => undefined);
    }
  }

  private containerAttempts(uid: string, container: string) {
    const pod = this.pods.get(uid);
    if (!pod) return undefined;
    const spec = pod.spec!;
    const names = [...spec.containers, ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])].map((c) => c.name);
    if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${pod.metadata.name}`);
    return attempts(this.relister.observed(uid), container).map((c) => ({ id: c.id, running: c.state === 'running' }));
  }
}

/**
 * Whether an update needs a sync (spec, deletion, labels or annotations); status-only updates do
 * not (kubelet's `podsDifferSemantically`). Compared structurally, as Go's DeepEqual compares maps
 * (key order aside): every status write comes back as an update, and serializing both pods for
 * each was most of handling it.
 */
function specChanged(a: Pod, b: Pod): boolean {
  return a.metadata.generation !== b.metadata.generation
    || a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp
    || a.metadata.deletionGracePeriodSeconds !== b.metadata.deletionGracePeriodSeconds
    || !deepEqual(a.metadata.labels, b.metadata.labels)
    || !deepEqual(a.metadata.annotations, b.metadata.annotations)
    || !deepEqual(a.spec, b.spec);
}
