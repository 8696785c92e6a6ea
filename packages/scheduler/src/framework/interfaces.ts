import type { Pod } from '@peapod/api-types';
import type { NodeInfo } from './node-info.js';
import type { MaybeStatus, Status } from './status.js';
import type { Snapshot } from '../cache/snapshot.js';

/**
 * The scheduling framework's extension points, as kube-scheduler's. A plugin implements any
 * subset; the framework calls them in profile order. Plugins must not mutate the pod or the
 * snapshot; they keep per-cycle data in `CycleState`.
 */
export interface Plugin {
  readonly name: string;
}

let slots = 0;

/**
 * A typed key of `CycleState`, made once per plugin and purpose (at module load). It names an
 * array slot rather than a Map entry: Filter and Score read their PreFilter/PreScore results once
 * per node, hundreds of times per cycle.
 */
export class StateKey<T> {
  readonly slot = slots++;
  declare private readonly type?: T;
  constructor(readonly name: string) {}
}

/** Per-cycle scratch space keyed by plugin, so PreFilter results reach Filter cheaply. */
export class CycleState {
  private readonly data: unknown[] = [];
  /**
   * The Filter plugins and weighted Score plugins of this cycle, without those whose Pre* step
   * returned Skip (kube-scheduler's SkipFilterPlugins/SkipScorePlugins); set by the framework and
   * read once per node, hence fields rather than entries of `data`.
   */
  activeFilters?: readonly FilterPlugin[];
  activeScores?: readonly { plugin: ScorePlugin; weight: number }[];
  read<T>(key: StateKey<T>): T | undefined {
    return this.data[key.slot] as T | undefined;
  }
  write<T>(key: StateKey<T>, value: T): void {
    this.data[key.slot] = value;
  }
  /** Preemption evaluates "what if these pods were gone" on a copy. */
  clone(): CycleState {
    const c = new CycleState();
    c.data.push(...this.data);
    c.activeFilters = this.activeFilters;
    c.activeScores = this.activeScores;
    return c;
  }
}

/** What kind of cluster change may make a rejected pod schedulable (queueing hints). */
export type ClusterEvent =
  | 'NodeAdded' | 'NodeLabelChanged' | 'NodeTaintChanged' | 'NodeAllocatableChanged' | 'NodeSpecUnschedulableChanged'
  | 'NodeDeleted' | 'PodAdded' | 'PodLabelChanged' | 'PodDeleted' | 'PodScaledDown' | 'PodGatesRemoved' | 'PodUpdated';

export interface EnqueueExtensions extends Plugin {
  /** Events after which a pod this plugin rejected is worth retrying. */
  eventsToRegister(): readonly ClusterEvent[];
}

export interface PreEnqueuePlugin extends Plugin {
  preEnqueue(pod: Pod): MaybeStatus;
}
export interface QueueSortPlugin extends Plugin {
  /** True when `a` should be scheduled before `b`. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}
export interface PreFilterResult {
  /** Restricts Filter to these nodes (e.g. NodeName, NodeAffinity on metadata.name). */
  nodeNames?: ReadonlySet<string>;
}
export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: Pod, snapshot: Snapshot): { result?: PreFilterResult; status?: Status } | MaybeStatus;
  /** Incremental updates for preemption's what-if evaluation. */
  addPod?(state: CycleState, pod: Pod, added: Pod, node: NodeInfo): void;
  removePod?(state: CycleState, pod: Pod, removed: Pod, node: NodeInfo): void;
}
export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, node: NodeInfo): MaybeStatus;
}
export interface PostFilterResult {
  nominatedNodeName?: string;
}
export interface PostFilterPlugin extends Plugin {
  /** Runs when no node fits; `statuses` holds each node's rejection. */
  postFilter(state: CycleState, pod: Pod, statuses: ReadonlyMap<string, Status>, ctx: PostFilterContext): Promise<{ result?: PostFilterResult; status: Status }>;
}
export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[], snapshot: Snapshot): MaybeStatus;
}
export interface ScorePlugin extends Plugin {
  /** 0..100 (MAX_NODE_SCORE) after normalization. */
  score(state: CycleState, pod: Pod, node: NodeInfo): number | Status;
  /** Rescales raw scores in place to 0..100. */
  normalizeScore?(state: CycleState, pod: Pod, scores: { name: string; score: number }[]): MaybeStatus;
}
export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: Pod, nodeName: string): MaybeStatus;
  unreserve(state: CycleState, pod: Pod, nodeName: string): void;
}
export interface PermitPlugin extends Plugin {
  /** Return Wait with `timeoutMs` to hold the pod until another party allows or rejects it. */
  permit(state: CycleState, pod: Pod, nodeName: string): { status?: Status; timeoutMs?: number } | MaybeStatus;
}
export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: Pod, nodeName: string): Promise<MaybeStatus>;
}
export interface BindPlugin extends Plugin {
  /** Skip lets the next bind plugin try. */
  bind(state: CycleState, pod: Pod, nodeName: string): Promise<MaybeStatus>;
}
export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: Pod, nodeName: string): void;
}

export const MAX_NODE_SCORE = 100;

/** A pod waiting in the scheduling queue. */
export interface QueuedPodInfo {
  pod: Pod;
  /** When the pod first entered the queue (ms), for FIFO among equal priorities. */
  initialAttemptTimestamp: number;
  timestamp: number;
  attempts: number;
  /** Plugins that rejected it last time: only their events can help. */
  unschedulablePlugins: Set<string>;
  /** Set while PreEnqueue (e.g. scheduling gates) holds the pod back. */
  gatedBy?: string;
}

/** What PostFilter (preemption) may use besides the cycle's own data. */
export interface PostFilterContext {
  snapshot: Snapshot;
  /** Re-runs the profile's filters on a what-if node. */
  runFilters(state: CycleState, pod: Pod, node: NodeInfo): Status;
  runPreFilterAddPod(state: CycleState, pod: Pod, added: Pod, node: NodeInfo): void;
  runPreFilterRemovePod(state: CycleState, pod: Pod, removed: Pod, node: NodeInfo): void;
}

/** The cluster access plugins need (binding, evictions, PDBs); implemented over the client. */
export interface SchedulerHandle {
  bind(pod: Pod, nodeName: string): Promise<void>;
  /** Deletes a victim pod for preemption (with a DisruptionTarget condition first). */
  evict(victim: Pod, preemptor: Pod): Promise<void>;
  /** PodDisruptionBudgets as `{ selector, namespace, disruptionsAllowed }`. */
  disruptionBudgets(): readonly { namespace: string; matches: (pod: Pod) => boolean; disruptionsAllowed: number }[];
}

export type PluginFactory = (args: Record<string, unknown> | undefined, handle: SchedulerHandle) => Plugin;
