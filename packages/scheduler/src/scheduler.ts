import { deepEqual, type Node, type Pod } from '@peapod/api-types';
import { TypedEmitter, type Clock, type Logger } from '@peapod/core';
import { SchedulerCache } from './cache/cache.js';
import { Snapshot } from './cache/snapshot.js';
import { fitErrorMessage } from './framework/fit-error.js';
import { Framework, type PluginRegistry, type Profile } from './framework/framework.js';
import { CycleState, type ClusterEvent, type QueuedPodInfo, type SchedulerHandle } from './framework/interfaces.js';
import type { NodeInfo } from './framework/node-info.js';
import { Code, Status } from './framework/status.js';
import { SchedulingQueue } from './queue/scheduling-queue.js';

export type SchedulerEvents = {
  podScheduled: [pod: Pod, nodeName: string];
  podUnschedulable: [pod: Pod, message: string];
  schedulingFailed: [pod: Pod, error: string];
};

/** Where the scheduler reports outcomes on the pod (status condition and Events). */
export interface SchedulingReporter {
  /** PodScheduled=False with the reason and message; `nominatedNodeName` after preemption. */
  unschedulable(pod: Pod, reason: 'Unschedulable' | 'SchedulingGated' | 'SchedulerError', message: string, nominatedNodeName?: string): Promise<void>;
  /** A Normal `Scheduled` or Warning `FailedScheduling` event. */
  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface SchedulerOptions {
  profiles: readonly Profile[];
  /** Picks among equally scored nodes; injectable for deterministic tests. */
  random?: () => number;
}

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE = 5;

/**
 * How many feasible nodes to find before scoring, as kube-scheduler's adaptive percentage, in its
 * integer arithmetic (1,100 nodes: 50 - 8 = 42%, 462 nodes).
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE, 50 - Math.floor(numAllNodes / 125));
  if (pct >= 100) return numAllNodes;
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.floor((numAllNodes * pct) / 100));
}

/** A pod without the fields that never affect scheduling (status, resourceVersion, managedFields, generation). */
/** The pod as kube-scheduler's isPodUpdated compares it: without status, resourceVersion, generation, managedFields and finalizers. */
const schedulingRelevant = (p: Pod) => ({ ...p, status: undefined, metadata: { ...p.metadata, resourceVersion: undefined, managedFields: undefined, generation: undefined, finalizers: undefined } });
const podKey = (p: Pod) => `${p.metadata.namespace}/${p.metadata.name}`;
/** Whether two label maps hold the same pairs, in any order (an absent map is an empty one). */
const sameLabels = (a: Record<string, string> | undefined, b: Record<string, string> | undefined) => deepEqual(a ?? {}, b ?? {});
const isTerminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/**
 * The scheduling loop: pops the highest-priority pending pod, filters and scores nodes on a
 * snapshot with its profile's plugins, assumes the pod on the chosen node (so the next cycle
 * already counts it), and binds asynchronously; failures park or back off the pod. Cluster state
 * arrives through the `on*` methods, fed by informers.
 */
export class Scheduler extends TypedEmitter<SchedulerEvents> {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  private readonly frameworks = new Map<string, Framework>();
  private readonly snapshot = new Snapshot();
  private readonly random: () => number;
  private nextStartNodeIndex = 0;
  private readonly inflightBindings = new Set<Promise<void>>();

  constructor(
    private readonly clock: Clock,
    registry: PluginRegistry,
    handle: SchedulerHandle,
    private readonly reporter: SchedulingReporter,
    options: SchedulerOptions,
    private readonly log?: Logger,
  ) {
    super();
    for (const p of options.profiles) this.frameworks.set(p.schedulerName, new Framework(p, registry, handle));
    const first = this.frameworks.values().next().value;
    if (!first) throw new Error('the scheduler needs at least one profile');
    this.random = options.random ?? Math.random;
    this.queue = new SchedulingQueue(
      clock,
      first.queueSort,
      (pod) => this.frameworkFor(pod)?.runPreEnqueue(pod) ?? Status.success(),
      (pod, event) => this.frameworkFor(pod)?.pluginsFor(event) ?? new Set(),
    );
  }

  /** True when a profile of this scheduler serves the pod's `schedulerName`. */
  responsibleFor(pod: Pod): boolean {
    return this.frameworks.has(pod.spec?.schedulerName ?? 'default-scheduler');
  }

  // ---- cluster state (from informers) ----

  onNodeAdd(node: Node): void {
    this.cache.addOrUpdateNode(node);
    this.queue.onEvent('NodeAdded');
  }

  onNodeUpdate(old: Node, node: Node): void {
    this.cache.addOrUpdateNode(node);
    const events: ClusterEvent[] = [];
    const json = (v: unknown) => JSON.stringify(v ?? null);
    if (!sameLabels(old.metadata.labels, node.metadata.labels)) events.push('NodeLabelChanged');
    if (json(old.spec?.taints) !== json(node.spec?.taints)) events.push('NodeTaintChanged');
    if (json(old.status?.allocatable) !== json(node.status?.allocatable)) events.push('NodeAllocatableChanged');
    if (!!old.spec?.unschedulable !== !!node.spec?.unschedulable) events.push('NodeSpecUnschedulableChanged');
    for (const e of events) this.queue.onEvent(e);
  }

  onNodeDelete(node: Node): void {
    this.cache.removeNode(node.metadata.name!);
  }

  onPodAdd(pod: Pod): void {
    if (pod.spec?.nodeName) {
      if (!isTerminal(pod)) this.cache.addOrUpdatePod(pod);
      this.queue.onEvent('PodAdded');
    } else if (this.responsibleFor(pod) && !pod.metadata.deletionTimestamp) {
      this.queue.add(pod);
    }
  }

  onPodUpdate(old: Pod, pod: Pod): void {
    const uid = pod.metadata.uid!;
    if (pod.spec?.nodeName) {
      this.queue.delete(uid);
      if (isTerminal(pod)) {
        this.cache.removePod(uid);
        this.queue.onEvent('PodDeleted');
      } else {
        this.cache.addOrUpdatePod(pod);
        if (!sameLabels(old.metadata.labels, pod.metadata.labels)) this.queue.onEvent('PodLabelChanged');
      }
      return;
    }
    if (!this.responsibleFor(pod)) return;
    if (pod.metadata.deletionTimestamp) { this.queue.delete(uid); return; }
    // Our own status writes (PodScheduled=False) must not retry the pod, as kube-scheduler's isPodUpdated.
    if (deepEqual(schedulingRelevant(old), schedulingRelevant(pod))) return;
    this.queue.update(pod);
  }

  onPodDelete(pod: Pod): void {
    const uid = pod.metadata.uid!;
    this.queue.delete(uid);
    if (pod.spec?.nodeName || this.cache.isAssumed(uid)) {
      this.cache.removePod(uid);
      this.queue.onEvent('PodDeleted');
    }
  }

  // ---- the loop ----

  /**
   * Schedules pods until `signal` aborts (the end of a leadership term: no new cycle starts after
   * it), then waits for in-flight bindings. Pods still queued stay queued, fed by the informers, for
   * a later `run`; `close` ends the queue for good.
   */
  async run(signal: AbortSignal): Promise<void> {
    const interrupt = () => this.queue.interrupt();
    signal.addEventListener('abort', interrupt, { once: true });
    while (!signal.aborted) {
      const q = await this.queue.pop();
      if (!q) break;
      await this.scheduleOne(q);
    }
    signal.removeEventListener('abort', interrupt);
    await Promise.allSettled([...this.inflightBindings]);
  }

  /** Stops the queue and its timers; call once no `run` is left. */
  close(): void {
    this.queue.close();
  }

  /** One scheduling cycle for one queued pod; the binding cycle continues in the background. */
  async scheduleOne(q: QueuedPodInfo): Promise<void> {
    const pod = q.pod;
    const fwk = this.frameworkFor(pod);
    if (!fwk) { this.queue.done(pod.metadata.uid!); return; }
    const state = new CycleState();
    this.cache.updateSnapshot(this.snapshot);
    const result = await this.schedulePod(fwk, state, pod);
    if ('error' in result) return this.handleFailure(q, result.error, result.rejectedBy, result.nominated);

    const nodeName = result.nodeName;
    this.cache.assumePod(pod, nodeName);
    const reserve = fwk.runReserve(state, pod, nodeName);
    if (!reserve.ok) {
      fwk.runUnreserve(state, pod, nodeName);
      this.cache.forgetPod(pod.metadata.uid!);
      return this.handleFailure(q, reserve, reserve.rejected ? [reserve.plugin] : []);
    }
    const permit = fwk.runPermit(state, pod, nodeName);
    if (!permit.status.ok && permit.status.code !== Code.Wait) {
      fwk.runUnreserve(state, pod, nodeName);
      this.cache.forgetPod(pod.metadata.uid!);
      return this.handleFailure(q, permit.status, [permit.status.plugin]);
    }
    const binding = this.bindingCycle(fwk, state, q, nodeName);
    this.inflightBindings.add(binding);
    void binding.finally(() => this.inflightBindings.delete(binding));
  }

  private async bindingCycle(fwk: Framework, state: CycleState, q: QueuedPodInfo, nodeName: string): Promise<void> {
    const pod = q.pod;
    let s = await fwk.runPreBind(state, pod, nodeName);
    if (s.ok) s = await fwk.runBind(state, pod, nodeName);
    if (!s.ok) {
      fwk.runUnreserve(state, pod, nodeName);
      this.cache.forgetPod(pod.metadata.uid!);
      this.queue.onEvent('PodDeleted'); // the assumed pod's resources are free again
      return this.handleFailure(q, s, []);
    }
    this.queue.done(pod.metadata.uid!);
    fwk.runPostBind(state, pod, nodeName);
    this.reporter.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${podKey(pod)} to ${nodeName}`);
    this.emit('podScheduled', pod, nodeName);
  }

  private async schedulePod(fwk: Framework, state: CycleState, pod: Pod): Promise<{ nodeName: string } | { error: Status; rejectedBy: string[]; nominated?: string }> {
    const all = this.snapshot.list;
    if (!all.length) return { error: Status.unschedulable('no nodes available to schedule pods'), rejectedBy: [] };
    const pre = fwk.runPreFilter(state, pod, this.snapshot);
    if (!pre.status.ok) {
      const statuses = new Map(all.map((n) => [n.name, pre.status]));
      return { error: new Status(pre.status.code, [fitErrorMessage(all.length, statuses)], pre.status.plugin), rejectedBy: [pre.status.plugin] };
    }
    const candidates = pre.nodeNames ? all.filter((n) => pre.nodeNames!.has(n.name)) : all;
    const { feasible, statuses } = this.findNodesThatFit(fwk, state, pod, candidates);
    if (!feasible.length) {
      for (const n of all) if (!statuses.has(n.name)) statuses.set(n.name, Status.unresolvable("node(s) didn't satisfy plugin(s) [PreFilter]"));
      const post = await fwk.runPostFilter(state, pod, statuses, {
        snapshot: this.snapshot,
        runFilters: (st, p, n) => fwk.runFilters(st, p, n),
        runPreFilterAddPod: (st, p, added, n) => fwk.runPreFilterAddPod(st, p, added, n),
        runPreFilterRemovePod: (st, p, removed, n) => fwk.runPreFilterRemovePod(st, p, removed, n),
      });
      const rejectedBy = [...new Set([...statuses.values()].map((s) => s.plugin).filter(Boolean))];
      const postMsg = post.status.ok ? '' : post.status.reasons.join(' ');
      const message = fitErrorMessage(all.length, statuses, '', postMsg);
      return { error: Status.unschedulable(message), rejectedBy, nominated: post.result?.nominatedNodeName };
    }
    if (feasible.length === 1) return { nodeName: feasible[0].name };
    const ps = fwk.runPreScore(state, pod, feasible, this.snapshot);
    if (!ps.ok) return { error: ps, rejectedBy: [] };
    const { totals, status } = fwk.runScore(state, pod, feasible);
    if (!status.ok) return { error: status, rejectedBy: [] };
    return { nodeName: this.selectHost(feasible, totals) };
  }

  /** Filters from a rotating start index until enough feasible nodes are found. */
  private findNodesThatFit(fwk: Framework, state: CycleState, pod: Pod, nodes: readonly NodeInfo[]) {
    const want = numFeasibleNodesToFind(nodes.length, fwk.profile.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    const statuses = new Map<string, Status>();
    const n = nodes.length;
    const start = this.nextStartNodeIndex % n;
    let processed = 0;
    for (; processed < n && feasible.length < want; processed++) {
      const node = nodes[(start + processed) % n];
      const s = fwk.runFilters(state, pod, node);
      if (s.ok) feasible.push(node);
      else statuses.set(node.name, s);
    }
    this.nextStartNodeIndex = (start + processed) % n;
    return { feasible, statuses };
  }

  /**
   * Highest total wins; ties are broken uniformly at random, as kube-scheduler's reservoir
   * sampling does, with one draw per cycle rather than one per tied node (with hundreds of
   * equally good nodes, each draw was a call and a boxed number).
   */
  private selectHost(nodes: readonly NodeInfo[], totals: readonly number[]): string {
    let max = totals[0];
    let ties = 0;
    for (let i = 0; i < nodes.length; i++) {
      if (totals[i] > max) { max = totals[i]; ties = 1; }
      else if (totals[i] === max) ties++;
    }
    let pick = Math.min(ties - 1, Math.floor(this.random() * ties));
    for (let i = 0; ; i++) if (totals[i] === max && pick-- === 0) return nodes[i].name;
  }

  private async handleFailure(q: QueuedPodInfo, status: Status, rejectedBy: string[], nominated?: string): Promise<void> {
    const pod = q.pod;
    const message = status.message();
    if (status.rejected) {
      this.queue.addUnschedulable(q, rejectedBy.filter(Boolean));
      this.emit('podUnschedulable', pod, message);
      this.reporter.event(pod, 'Warning', 'FailedScheduling', message);
      await this.reporter.unschedulable(pod, 'Unschedulable', message, nominated).catch((err) => this.log?.warn('cannot update pod status', { pod: podKey(pod), err: String(err) }));
    } else {
      this.queue.addBackoff(q);
      this.emit('schedulingFailed', pod, message);
      this.reporter.event(pod, 'Warning', 'FailedScheduling', message);
      await this.reporter.unschedulable(pod, 'SchedulerError', message).catch(() => undefined);
    }
  }

  private frameworkFor(pod: Pod): Framework | undefined {
    return this.frameworks.get(pod.spec?.schedulerName ?? 'default-scheduler');
  }
}
