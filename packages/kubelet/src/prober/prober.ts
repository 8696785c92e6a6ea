import type { Container, Pod, Probe } from '@peapod/api-types';
import type { Clock, TimerHandle, TypedEmitter } from '@peapod/core';
import type { KubeletEvents, PodRef, ProbeType } from '../events.js';
import { isSidecar } from '../pod-util.js';
import { latest, type ObservedPod } from '../runtime-manager/observed.js';
import type { ProbeResult, ProbeResultsView } from '../runtime-manager/pod-actions.js';
import type { HandlerRunner } from './handlers.js';

/** Probe defaults (Kubernetes API defaults; the API server fills them, the kubelet does not rely on it). */
const seconds = (v: number | undefined, dflt: number) => (v ?? dflt) * 1000;

/** A probe result changed; the kubelet re-syncs the pod (to restart it, or to update readiness). */
export type ProbeChangeListener = (podUid: string, type: ProbeType) => void;

interface PodEntry {
  pod: Pod;
  ref: PodRef;
  observed: ObservedPod;
  podIP?: string;
  terminating: boolean;
  workers: ProbeWorker[];
}

/**
 * The kubelet's prober manager: one worker per container and probe type, each on its own period.
 * Results are kept per container id, so a restarted container starts from the initial results
 * again: readiness Failure, liveness Success, startup none (unknown).
 */
export class ProbeManager implements ProbeResultsView {
  private readonly pods = new Map<string, PodEntry>();
  readonly results: Record<ProbeType, Map<string, ProbeResult>> = { liveness: new Map(), readiness: new Map(), startup: new Map() };

  constructor(
    private readonly clock: Clock,
    private readonly handlers: HandlerRunner,
    private readonly events: TypedEmitter<KubeletEvents>,
    private readonly onChange: ProbeChangeListener,
  ) {}

  liveness(id: string): ProbeResult | undefined {
    return this.results.liveness.get(id);
  }

  startup(id: string): ProbeResult | undefined {
    return this.results.startup.get(id);
  }

  /**
   * Starts workers for the pod's probed containers (regular containers and sidecars; plain init
   * and ephemeral containers have none). Repeated calls update the pod the workers read.
   */
  addPod(pod: Pod, ref: PodRef): void {
    const existing = this.pods.get(ref.uid);
    if (existing) {
      existing.pod = pod;
      return;
    }
    const entry: PodEntry = { pod, ref, observed: { sandboxes: [], containers: [] }, terminating: false, workers: [] };
    this.pods.set(ref.uid, entry);
    const probed = [...(pod.spec?.initContainers ?? []).filter(isSidecar), ...(pod.spec?.containers ?? [])];
    for (const c of probed) {
      for (const type of ['startup', 'readiness', 'liveness'] as const) {
        const probe = c[`${type}Probe`];
        if (probe) entry.workers.push(new ProbeWorker(this, entry, c, type, probe));
      }
    }
  }

  /** The runtime view workers probe against; also kicks readiness of newly started containers. */
  observe(uid: string, observed: ObservedPod, podIP: string | undefined): void {
    const entry = this.pods.get(uid);
    if (!entry) return;
    entry.observed = observed;
    entry.podIP = podIP;
    for (const w of entry.workers) w.noticeContainer();
  }

  /** Liveness and startup probing stops for a pod being terminated; readiness goes on through preStop. */
  setTerminating(uid: string): void {
    const entry = this.pods.get(uid);
    if (entry) entry.terminating = true;
  }

  removePod(uid: string): void {
    const entry = this.pods.get(uid);
    if (!entry) return;
    for (const w of entry.workers) w.stop();
    this.pods.delete(uid);
  }

  hasProbe(uid: string, container: string, type: ProbeType): boolean {
    return !!this.pods.get(uid)?.workers.some((w) => w.container.name === container && w.type === type);
  }

  /** `started` of a running container: its startup probe succeeded, or it has none. */
  started(uid: string, container: string, containerId: string): boolean {
    const r = this.results.startup.get(containerId);
    return r !== undefined ? r === 'success' : !this.hasProbe(uid, container, 'startup');
  }

  /** `ready` of a running, started container: its readiness probe succeeded, or it has none. */
  ready(uid: string, container: string, containerId: string): boolean {
    const r = this.results.readiness.get(containerId);
    return r !== undefined ? r === 'success' : !this.hasProbe(uid, container, 'readiness');
  }

  /** @internal used by workers */
  set(type: ProbeType, entry: PodEntry, containerId: string, result: ProbeResult | undefined): void {
    const map = this.results[type];
    const before = map.get(containerId);
    if (result === undefined) map.delete(containerId);
    else map.set(containerId, result);
    if (before !== result && result !== undefined) this.onChange(entry.ref.uid, type);
  }

  /** @internal */
  get deps() {
    return { clock: this.clock, handlers: this.handlers, events: this.events };
  }
}

/** One probe of one container (kubelet's prober `worker`). */
class ProbeWorker {
  private containerId?: string;
  private lastResult?: ProbeResult;
  private resultRun = 0;
  /** After a liveness/startup failure, nothing more is probed until the container is replaced. */
  private onHold = false;
  private inFlight = false;
  private readonly timer: TimerHandle;

  constructor(
    private readonly manager: ProbeManager,
    private readonly entry: PodEntry,
    readonly container: Container,
    readonly type: ProbeType,
    private readonly probe: Probe,
  ) {
    this.timer = manager.deps.clock.setInterval(() => void this.doProbe(), seconds(probe.periodSeconds, 10));
  }

  stop(): void {
    this.timer.cancel();
    if (this.containerId) this.manager.set(this.type, this.entry, this.containerId, undefined);
  }

  /** A new container instance gets fresh results; readiness is probed at once (kubelet's manual trigger). */
  noticeContainer(): void {
    const c = latest(this.entry.observed, this.container.name);
    if (!c || c.state !== 'running' || c.id === this.containerId) return;
    this.switchTo(c.id);
    if (this.type === 'readiness') void this.doProbe();
  }

  private switchTo(id: string): void {
    if (this.containerId) this.manager.set(this.type, this.entry, this.containerId, undefined);
    this.containerId = id;
    this.onHold = false;
    this.lastResult = undefined;
    this.resultRun = 0;
    const initial: Record<ProbeType, ProbeResult | undefined> = { readiness: 'failure', liveness: 'success', startup: undefined };
    this.manager.set(this.type, this.entry, id, initial[this.type]);
  }

  private async doProbe(): Promise<void> {
    if (this.inFlight) return;
    const { clock, handlers, events } = this.manager.deps;
    const c = latest(this.entry.observed, this.container.name);
    if (!c || c.state !== 'running') {
      if (this.containerId && this.type === 'readiness') this.manager.set(this.type, this.entry, this.containerId, 'failure');
      return;
    }
    if (c.id !== this.containerId) this.switchTo(c.id);
    if (this.onHold) return;
    if (this.entry.terminating && this.type !== 'readiness') {
      this.manager.set(this.type, this.entry, c.id, 'success');
      return;
    }
    if (c.startedAt !== undefined && clock.now() - c.startedAt < seconds(this.probe.initialDelaySeconds, 0)) return;
    const started = this.manager.started(this.entry.ref.uid, this.container.name, c.id);
    if (this.type === 'startup' ? started : !started) return;

    this.inFlight = true;
    let outcome;
    try {
      outcome = await handlers.run(this.probe, { containerId: c.id, podIP: this.entry.podIP, ports: this.container.ports }, seconds(this.probe.timeoutSeconds, 1));
    } finally {
      this.inFlight = false;
    }
    if (this.containerId !== c.id || this.onHold) return;
    const result: ProbeResult = outcome.ok ? 'success' : 'failure';
    if (result === 'failure') events.emit('probeFailed', this.entry.ref, this.container.name, this.type, outcome.output);
    if (this.lastResult === result) this.resultRun++;
    else {
      this.lastResult = result;
      this.resultRun = 1;
    }
    const threshold = result === 'failure' ? (this.probe.failureThreshold ?? 3) : (this.probe.successThreshold ?? 1);
    if (this.resultRun < threshold) return;
    if (result === 'success' && this.manager.results[this.type].get(c.id) !== 'success') events.emit('probeSucceeded', this.entry.ref, this.container.name, this.type);
    this.manager.set(this.type, this.entry, c.id, result);
    if (result === 'failure' && this.type !== 'readiness') {
      this.onHold = true;
      this.resultRun = 0;
    }
  }
}
