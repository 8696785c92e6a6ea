/**
 * Pod workers: one worker per pod, each an explicit state machine (kubelet's `pod_workers.go`).
 *
 *               update(pod)
 *     (new) ─────────────────▶ syncing ◀─┐ resync: timer, runtime change, probe result, pod update
 *                                 │  └───┘
 *                                 │ deleted, removed from the API, terminal phase, past its
 *                                 │ deadline, or asked to stop
 *                                 ▼
 *                            terminating ◀─┐ stop every container (preStop, grace, sidecars last);
 *                                 │  └─────┘ a shorter grace period abandons the step, which starts
 *                                 │          again with it (the runtime then kills sooner)
 *                                 ▼
 *                             terminated    final status, volumes torn down, deletion finished
 *                                 │
 *                                 ▼ removed from the API
 *                             (forgotten)   sandbox and containers removed
 *
 * A worker runs one step at a time; triggers that arrive meanwhile collapse into one more step.
 * Jittered waits (the periodic resync, a failed step's retry) only make the pod due: `syncDue`,
 * called on kubelet's sync tick, starts every pod due by then (kubelet's work queue and
 * `getPodsToSync`), so pods of one node resync in one go instead of each on its own timer.
 * States only move forward: a terminating pod never syncs again, whatever updates arrive.
 */
import type { Pod } from '@peapod/api-types';
import type { Clock, Logger, TimerHandle } from '@peapod/core';
import { isTerminalPhase, podKey } from './pod-util.js';

export type PodWorkerState = 'syncing' | 'terminating' | 'terminated';

/** What each state does; the kubelet implements it. */
export interface PodSyncer {
  /** One sync of a running pod. `terminal`: the pod has finished (phase Succeeded/Failed) or must stop. */
  syncPod(pod: Pod): Promise<{ terminal: boolean; resyncInMs?: number }>;
  /**
   * Stops every container of the pod within `gracePeriodSeconds`; throws to be retried. `signal`
   * aborts when the grace period got shorter: stop waiting (containers may still be stopping) and
   * throw; the step is then run again with the shorter grace.
   */
  syncTerminatingPod(pod: Pod, gracePeriodSeconds: number, signal: AbortSignal): Promise<void>;
  /** Writes the final status and releases the pod's resources; idempotent. */
  syncTerminatedPod(pod: Pod): Promise<void>;
  /** The pod is gone from the API and terminated: remove what is left of it in the runtime. */
  forgetPod(pod: Pod): Promise<void>;
}

export interface PodWorkerOptions {
  /** Resync of a healthy running pod (kubelet's sync frequency), jittered (see JITTER), from the next `syncDue` on. */
  syncPeriodMs: number;
  /** Retry after a failed step (kubelet's worker back-off period), jittered (see JITTER). */
  errorBackoffMs: number;
}

/**
 * kubelet's workerResyncIntervalJitterFactor and workerBackOffPeriodJitterFactor: a resync or retry
 * period d waits between d and 1.5 d, so pods that started together (a burst of creates) do not all
 * resync in the same instant every period. Waits a sync asks for (back-off, probes) are exact.
 */
const JITTER = 0.5;

/** Immediate re-syncs in a row before the worker waits for its timer: a sync that always changes something must not spin. */
const MAX_IMMEDIATE_RESYNCS = 10;
const SPIN_BACKOFF_MS = 1000;

interface Worker {
  pod: Pod;
  immediate: number;
  state: PodWorkerState;
  running: boolean;
  pending: boolean;
  removed: boolean;
  stopRequested: boolean;
  /** Seconds; only ever decreases once termination started. */
  gracePeriod?: number;
  /** The termination step in progress: the grace it was given, and how to abandon it. */
  terminating?: { grace: number; abort: AbortController };
  timer?: TimerHandle;
  /** Clock time from which `syncDue` starts the next step (a jittered wait). */
  dueAt?: number;
  done?: Promise<void>;
}

const DEFAULT_GRACE = 30;

export class PodWorkers {
  private readonly workers = new Map<string, Worker>();

  constructor(private readonly syncer: PodSyncer, private readonly clock: Clock, private readonly logger: Logger, private readonly options: PodWorkerOptions) {}

  /** A new or changed pod from its source; `sync` false only refreshes the object (a status-only update). */
  update(pod: Pod, sync = true): void {
    const uid = pod.metadata.uid!;
    let w = this.workers.get(uid);
    if (!w) this.workers.set(uid, (w = { pod, immediate: 0, state: 'syncing', running: false, pending: false, removed: false, stopRequested: false }));
    w.pod = pod;
    if (sync) this.trigger(w);
    this.shortenGrace(w);
  }

  /** Stops the pod (deadline exceeded, rejected, static pod file removed); it then terminates. */
  stop(uid: string, gracePeriodSeconds?: number): void {
    const w = this.workers.get(uid);
    if (!w) return;
    w.stopRequested = true;
    if (gracePeriodSeconds !== undefined) w.gracePeriod = Math.min(w.gracePeriod ?? gracePeriodSeconds, gracePeriodSeconds);
    this.trigger(w);
    this.shortenGrace(w);
  }

  /** The pod is gone from the API: terminate it if needed, then forget it. */
  remove(uid: string): void {
    const w = this.workers.get(uid);
    if (!w) return;
    w.removed = true;
    this.trigger(w);
  }

  /** Something about the pod changed (runtime, probe, timer): sync it again. */
  resync(uid: string): void {
    const w = this.workers.get(uid);
    if (w) this.trigger(w);
  }

  state(uid: string): PodWorkerState | undefined {
    return this.workers.get(uid)?.state;
  }

  uids(): string[] {
    return [...this.workers.keys()];
  }

  /** Resolves once no worker is running a step (tests, benchmarks, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.workers.values()].map((w) => w.done).filter((d): d is Promise<void> => !!d);
      if (!busy.length) return;
      await Promise.all(busy);
    }
  }

  /** Starts every pod whose jittered resync or retry is due (kubelet's sync tick, every second). */
  syncDue(): void {
    const now = this.clock.now();
    for (const w of this.workers.values()) if (w.dueAt !== undefined && w.dueAt <= now) this.trigger(w);
  }

  /** Cancels every timer; running steps finish on their own. */
  shutdown(): void {
    for (const w of this.workers.values()) w.timer?.cancel();
  }

  private trigger(w: Worker): void {
    w.pending = true;
    if (w.running) return;
    w.running = true;
    w.done = this.run(w).finally(() => {
      w.running = false;
      w.done = undefined;
    });
  }

  /** Makes the pod due after `ms` jittered: the sync tick then starts it. */
  private due(w: Worker, ms: number): void {
    w.dueAt = this.clock.now() + ms * (1 + JITTER * Math.random());
  }

  private schedule(w: Worker, ms: number): void {
    w.timer = this.clock.setTimeout(() => this.trigger(w), ms);
  }

  private shouldTerminate(w: Worker): boolean {
    return w.removed || w.stopRequested || !!w.pod.metadata.deletionTimestamp || isTerminalPhase(w.pod.status?.phase);
  }

  /** A termination in progress with a longer grace than the pod now has is abandoned; the pending step starts over with the new grace (`pod_workers.go` cancels the running sync). */
  private shortenGrace(w: Worker): void {
    if (w.terminating && this.gracePeriod(w) < w.terminating.grace) w.terminating.abort.abort();
  }

  /** Kubelet's effective grace period: the pod's deletion grace, else its spec, never below 1 s, never increasing. */
  private gracePeriod(w: Worker): number {
    const requested = w.pod.metadata.deletionGracePeriodSeconds ?? w.pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE;
    w.gracePeriod = Math.max(1, Math.min(w.gracePeriod ?? requested, requested));
    return w.gracePeriod;
  }

  private async run(w: Worker): Promise<void> {
    while (w.pending) {
      w.pending = false;
      w.timer?.cancel();
      w.dueAt = undefined;
      try {
        await this.step(w);
      } catch (err) {
        this.logger.warn('pod sync failed; will retry', { pod: podKey(w.pod), state: w.state, error: String(err) });
        this.due(w, this.options.errorBackoffMs);
      }
    }
  }

  private async step(w: Worker): Promise<void> {
    if (w.state === 'syncing') {
      if (this.shouldTerminate(w)) w.state = 'terminating';
      else {
        const r = await this.syncer.syncPod(w.pod);
        if (r.terminal) {
          w.state = 'terminating';
          w.pending = true;
        } else if (r.resyncInMs === 0 && w.immediate < MAX_IMMEDIATE_RESYNCS) {
          w.immediate++;
          w.pending = true;
        } else {
          w.immediate = 0;
          if (r.resyncInMs === undefined) this.due(w, this.options.syncPeriodMs);
          else this.schedule(w, r.resyncInMs || SPIN_BACKOFF_MS);
        }
        return;
      }
    }
    if (w.state === 'terminating') {
      const t = (w.terminating = { grace: this.gracePeriod(w), abort: new AbortController() });
      try {
        await this.syncer.syncTerminatingPod(w.pod, t.grace, t.abort.signal);
      } catch (err) {
        // abandoned for a shorter grace: the trigger that aborted it runs the step again
        if (t.abort.signal.aborted) return;
        throw err;
      } finally {
        w.terminating = undefined;
      }
      w.state = 'terminated';
    }
    await this.syncer.syncTerminatedPod(w.pod);
    if (w.removed && this.workers.get(w.pod.metadata.uid!) === w) {
      this.workers.delete(w.pod.metadata.uid!);
      await this.syncer.forgetPod(w.pod);
    }
  }
}
