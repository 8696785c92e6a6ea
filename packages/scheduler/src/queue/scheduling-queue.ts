import type { Pod } from '@peapod/api-types';
import type { Clock, TimerHandle } from '@peapod/core';
import type { ClusterEvent, QueuedPodInfo, QueueSortPlugin } from '../framework/interfaces.js';
import type { Status } from '../framework/status.js';
import { Heap } from './heap.js';

export const INITIAL_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 10_000;
/** Pods left unschedulable this long are retried even without a helpful event. */
export const MAX_UNSCHEDULABLE_MS = 5 * 60_000;

const keyOf = (q: QueuedPodInfo) => q.pod.metadata.uid!;

/**
 * kube-scheduler's scheduling queue. Three places a pending pod can be:
 *
 *   add ──PreEnqueue ok──> activeQ ──pop──> (scheduling cycle)
 *    │                        ▲   ▲              │ unschedulable        │ error
 *    └─gated─> unschedulable ─┘   └── backoffQ <─┴──────────────────────┘
 *                    │ helpful event   ▲ (1 s doubling to 10 s per attempt)
 *                    └─────────────────┘ (if still backing off)
 *
 * A pod rejected by some plugins moves out of `unschedulable` only on an event one of those
 * plugins registered for, or after MAX_UNSCHEDULABLE_MS. An event that arrives while a pod is
 * in its cycle sends the pod to backoff instead of parking it, so the event is not lost.
 */
export class SchedulingQueue {
  private readonly active: Heap<QueuedPodInfo>;
  private readonly backoff: Heap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Pods in a scheduling cycle, with the cycle number that popped them. */
  private readonly inFlight = new Map<string, number>();
  private waiters: ((q: QueuedPodInfo | undefined) => void)[] = [];
  private closed = false;
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private timers: TimerHandle[] = [];

  constructor(
    private readonly clock: Clock,
    sort: QueueSortPlugin,
    /** PreEnqueue for the pod's profile; a non-success status holds the pod as gated. */
    private readonly preEnqueue: (pod: Pod) => Status,
    /** Plugins (of the pod's profile) that registered for an event. */
    private readonly pluginsFor: (pod: Pod, event: ClusterEvent) => ReadonlySet<string>,
  ) {
    this.active = new Heap(keyOf, (a, b) => sort.less(a, b));
    this.backoff = new Heap(keyOf, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
    this.timers.push(clock.setInterval(() => this.flushBackoff(), 1_000));
    this.timers.push(clock.setInterval(() => this.flushUnschedulableLeftovers(), 30_000));
  }

  get pendingCount(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size };
  }

  /** A new pending pod. */
  add(pod: Pod): void {
    const now = this.clock.now();
    this.enqueue({ pod, initialAttemptTimestamp: now, timestamp: now, attempts: 0, unschedulablePlugins: new Set() });
  }

  /** The pod changed while pending: refresh it, and re-check gates for a gated pod. */
  update(pod: Pod): void {
    const key = pod.metadata.uid!;
    for (const heap of [this.active, this.backoff]) {
      const q = heap.get(key);
      if (q) { heap.push({ ...q, pod }); return; }
    }
    const q = this.unschedulable.get(key);
    if (q) {
      this.unschedulable.delete(key);
      if (q.gatedBy) this.enqueue({ ...q, pod, gatedBy: undefined });
      else this.moveOut({ ...q, pod });
      return;
    }
    if (!this.inFlight.has(key)) this.add(pod);
  }

  delete(uid: string): void {
    this.active.delete(uid);
    this.backoff.delete(uid);
    this.unschedulable.delete(uid);
  }

  /** Waits for the highest-priority active pod; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    const q = this.active.pop();
    if (q) return Promise.resolve(this.take(q));
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The cycle failed with an unschedulable status: park the pod until a helpful event. */
  addUnschedulable(q: QueuedPodInfo, rejectedBy: Iterable<string>): void {
    const cycle = this.inFlight.get(keyOf(q)) ?? -1;
    this.inFlight.delete(keyOf(q));
    const next = { ...q, timestamp: this.clock.now(), unschedulablePlugins: new Set(rejectedBy) };
    if (this.moveRequestCycle >= cycle) this.backoff.push(next);
    else this.unschedulable.set(keyOf(q), next);
  }

  /** The cycle failed with an error (or binding failed): retry after backoff. */
  addBackoff(q: QueuedPodInfo): void {
    this.inFlight.delete(keyOf(q));
    this.backoff.push({ ...q, timestamp: this.clock.now() });
  }

  /** The pod was bound (or deleted) while in flight. */
  done(uid: string): void {
    this.inFlight.delete(uid);
  }

  /** A cluster event: move parked pods that a plugin registered for it had rejected. */
  onEvent(event: ClusterEvent): void {
    this.moveRequestCycle = this.schedulingCycle;
    for (const [key, q] of this.unschedulable) {
      if (q.gatedBy) continue;
      const helpful = this.pluginsFor(q.pod, event);
      if (q.unschedulablePlugins.size === 0 || [...q.unschedulablePlugins].some((p) => helpful.has(p))) {
        this.unschedulable.delete(key);
        this.moveOut(q);
      }
    }
  }

  /** Ends every waiting `pop` with undefined without closing: the pods stay queued for the next loop. */
  interrupt(): void {
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) t.cancel();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** Backoff after `attempts` failures: 1 s doubling, capped at 10 s. */
  backoffDuration(attempts: number): number {
    return Math.min(INITIAL_BACKOFF_MS * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
  }

  private backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDuration(q.attempts);
  }

  private take(q: QueuedPodInfo): QueuedPodInfo {
    this.inFlight.set(keyOf(q), ++this.schedulingCycle);
    return { ...q, attempts: q.attempts + 1 };
  }

  private enqueue(q: QueuedPodInfo): void {
    const s = this.preEnqueue(q.pod);
    if (!s.ok) {
      this.unschedulable.set(keyOf(q), { ...q, gatedBy: s.plugin || 'PreEnqueue' });
      return;
    }
    this.pushActive(q);
  }

  private moveOut(q: QueuedPodInfo): void {
    if (q.attempts > 0 && this.backoffExpiry(q) > this.clock.now()) this.backoff.push(q);
    else this.pushActive(q);
  }

  private pushActive(q: QueuedPodInfo): void {
    const w = this.waiters.shift();
    if (w) w(this.take(q));
    else this.active.push(q);
  }

  private flushBackoff(): void {
    const now = this.clock.now();
    for (let q = this.backoff.peek(); q && this.backoffExpiry(q) <= now; q = this.backoff.peek()) {
      this.backoff.pop();
      this.pushActive(q);
    }
  }

  private flushUnschedulableLeftovers(): void {
    const now = this.clock.now();
    for (const [key, q] of this.unschedulable) {
      if (!q.gatedBy && now - q.timestamp >= MAX_UNSCHEDULABLE_MS) {
        this.unschedulable.delete(key);
        this.moveOut(q);
      }
    }
  }
}
