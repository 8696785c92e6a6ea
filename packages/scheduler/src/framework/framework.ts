import type { Pod } from '@peapod/api-types';
import { Registry } from '@peapod/core';
import type {
  BindPlugin, ClusterEvent, CycleState, EnqueueExtensions, FilterPlugin, Plugin, PluginFactory, PostBindPlugin,
  PostFilterContext, PostFilterPlugin, PostFilterResult, PreBindPlugin, PreEnqueuePlugin, PreFilterPlugin, PreScorePlugin,
  QueueSortPlugin, PermitPlugin, ReservePlugin, SchedulerHandle, ScorePlugin,
} from './interfaces.js';
import { MAX_NODE_SCORE } from './interfaces.js';
import type { NodeInfo } from './node-info.js';
import { Code, Status, asStatus } from './status.js';
import type { Snapshot } from '../cache/snapshot.js';

/** The host-owned registry of plugin factories by name; third parties add theirs here. */
export class PluginRegistry extends Registry<PluginFactory> {
  constructor() {
    super('scheduler plugin');
  }
}

/** One enabled plugin in a profile. A plugin takes part in every extension point it implements. */
export interface PluginConfig {
  name: string;
  /** Score weight (default 1). */
  weight?: number;
  args?: Record<string, unknown>;
}

/** A scheduling profile: pods choose it with `spec.schedulerName`. */
export interface Profile {
  schedulerName: string;
  plugins: readonly PluginConfig[];
  /** Share of nodes to find feasible before scoring (0 = Kubernetes' adaptive default). */
  percentageOfNodesToScore?: number;
}

interface WeightedScore {
  plugin: ScorePlugin;
  weight: number;
}
const implementsPoint = <T extends Plugin>(p: Plugin, method: string): p is T => typeof (p as unknown as Record<string, unknown>)[method] === 'function';

/**
 * Runs one profile's plugins at each extension point, in profile order, tagging every non-success
 * status with the plugin that produced it (the aggregated "0/N nodes" message is built from these).
 */
export class Framework {
  readonly plugins: Plugin[];
  readonly preEnqueue: PreEnqueuePlugin[];
  readonly queueSort: QueueSortPlugin;
  private readonly preFilters: PreFilterPlugin[];
  private readonly filters: FilterPlugin[];
  private readonly postFilters: PostFilterPlugin[];
  private readonly preScores: PreScorePlugin[];
  private readonly scores: WeightedScore[];
  private readonly reserves: ReservePlugin[];
  private readonly permits: PermitPlugin[];
  private readonly preBinds: PreBindPlugin[];
  private readonly binds: BindPlugin[];
  private readonly postBinds: PostBindPlugin[];
  /**
   * runScore's working lists, kept across cycles (a cycle over hundreds of nodes made one list
   * per plugin and one entry per node each time): the raw scores of each plugin, and the one list
   * every NormalizeScore rewrites in place. A cycle runs to its end synchronously, so one set serves.
   */
  private readonly raw: number[][] = [];
  private readonly scratch: { name: string; score: number }[] = [];

  constructor(readonly profile: Profile, registry: Registry<PluginFactory>, handle: SchedulerHandle) {
    this.plugins = profile.plugins.map((c) => registry.get(c.name)(c.args, handle));
    const of = <T extends Plugin>(method: string) => this.plugins.filter((p): p is T => implementsPoint<T>(p, method));
    this.preEnqueue = of('preEnqueue');
    const sorts = of<QueueSortPlugin>('less');
    if (sorts.length !== 1) throw new Error(`profile ${profile.schedulerName} must enable exactly one QueueSort plugin (has ${sorts.length})`);
    this.queueSort = sorts[0];
    this.preFilters = of('preFilter');
    this.filters = of('filter');
    this.postFilters = of('postFilter');
    this.preScores = of('preScore');
    this.scores = profile.plugins
      .map((c, i) => ({ plugin: this.plugins[i] as ScorePlugin, weight: c.weight ?? 1 }))
      .filter((s) => implementsPoint<ScorePlugin>(s.plugin, 'score'));
    this.reserves = of('reserve');
    this.permits = of('permit');
    this.preBinds = of('preBind');
    this.binds = of('bind');
    this.postBinds = of('postBind');
  }

  /** Which plugins care about an event: a pod rejected only by others need not move. */
  pluginsFor(event: ClusterEvent): Set<string> {
    const out = new Set<string>();
    for (const p of this.plugins) if (implementsPoint<EnqueueExtensions>(p, 'eventsToRegister') && p.eventsToRegister().includes(event)) out.add(p.name);
    return out;
  }

  runPreEnqueue(pod: Pod): Status {
    for (const p of this.preEnqueue) {
      const s = asStatus(p.preEnqueue(pod));
      if (!s.ok) return s.withPlugin(p.name);
    }
    return Status.success();
  }

  /** Returns a status and, when plugins narrow it, the only nodes worth filtering. */
  runPreFilter(state: CycleState, pod: Pod, snapshot: Snapshot): { status: Status; nodeNames?: Set<string> } {
    const skipped = new Set<string>();
    let nodeNames: Set<string> | undefined;
    for (const p of this.preFilters) {
      const r = p.preFilter(state, pod, snapshot);
      const out: { result?: { nodeNames?: ReadonlySet<string> }; status?: Status | void } = r instanceof Status || r === undefined ? { status: r } : r;
      const s = asStatus(out.status);
      if (s.code === Code.Skip) { skipped.add(p.name); continue; }
      if (!s.ok) return { status: s.withPlugin(p.name) };
      if (out.result?.nodeNames) {
        nodeNames = nodeNames ? new Set([...nodeNames].filter((n) => out.result!.nodeNames!.has(n))) : new Set(out.result.nodeNames);
        if (nodeNames.size === 0) return { status: Status.unresolvable('node(s) didn\'t satisfy plugin(s) [' + p.name + ']').withPlugin(p.name) };
      }
    }
    state.activeFilters = skipped.size ? this.filters.filter((p) => !skipped.has(p.name)) : this.filters;
    return { status: Status.success(), nodeNames };
  }

  /** Tells PreFilter plugins a pod was added to / removed from `node` (preemption's what-if). */
  runPreFilterAddPod(state: CycleState, pod: Pod, added: Pod, node: NodeInfo): void {
    for (const p of this.preFilters) p.addPod?.(state, pod, added, node);
  }

  runPreFilterRemovePod(state: CycleState, pod: Pod, removed: Pod, node: NodeInfo): void {
    for (const p of this.preFilters) p.removePod?.(state, pod, removed, node);
  }

  runFilters(state: CycleState, pod: Pod, node: NodeInfo): Status {
    const filters = state.activeFilters ?? this.filters;
    for (let i = 0; i < filters.length; i++) {
      const s = filters[i].filter(state, pod, node);
      if (s && !s.ok) return s.withPlugin(filters[i].name);
    }
    return Status.success();
  }

  async runPostFilter(state: CycleState, pod: Pod, statuses: ReadonlyMap<string, Status>, ctx: PostFilterContext): Promise<{ result?: PostFilterResult; status: Status }> {
    const reasons: string[] = [];
    for (const p of this.postFilters) {
      const r = await p.postFilter(state, pod, statuses, ctx);
      if (r.status.ok) return r;
      reasons.push(...r.status.reasons);
      if (r.status.code === Code.UnschedulableAndUnresolvable || r.status.code === Code.Error) return { status: r.status.withPlugin(p.name) };
    }
    return { status: new Status(Code.Unschedulable, reasons) };
  }

  runPreScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[], snapshot: Snapshot): Status {
    const skipped = new Set<string>();
    for (const p of this.preScores) {
      const s = asStatus(p.preScore(state, pod, nodes, snapshot));
      if (s.code === Code.Skip) { skipped.add(p.name); continue; }
      if (!s.ok) return s.withPlugin(p.name);
    }
    state.activeScores = skipped.size ? this.scores.filter((s) => !skipped.has(s.plugin.name)) : this.scores;
    return Status.success();
  }

  /**
   * Weighted sum of normalized scores per node, in `nodes` order. Each node is scored by every
   * plugin in turn (as kube-scheduler's RunScorePlugins), so its data is read while in cache.
   */
  runScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): { totals: number[]; status: Status } {
    const plugins = state.activeScores ?? this.scores;
    const n = nodes.length;
    // Packed number arrays (filled, not holey), on the JS heap: a typed array this long would
    // take an off-heap buffer per plugin per cycle.
    const totals = new Array<number>(n).fill(0);
    const raw = this.rawScores(plugins.length, n);
    for (let i = 0; i < n; i++) {
      const node = nodes[i];
      for (let j = 0; j < plugins.length; j++) {
        const r = plugins[j].plugin.score(state, pod, node);
        if (typeof r !== 'number') return { totals, status: r.withPlugin(plugins[j].plugin.name) };
        raw[j][i] = r;
      }
    }
    let named = false;
    for (let j = 0; j < plugins.length; j++) {
      const { plugin, weight } = plugins[j];
      const scores = raw[j];
      if (plugin.normalizeScore) {
        const scratch = this.scratch;
        if (!named) {
          scratch.length = Math.min(scratch.length, n);
          for (let i = 0; i < n; i++) {
            if (i < scratch.length) scratch[i].name = nodes[i].name;
            else scratch.push({ name: nodes[i].name, score: 0 });
          }
          named = true;
        }
        for (let i = 0; i < n; i++) scratch[i].score = scores[i];
        const ns = asStatus(plugin.normalizeScore(state, pod, scratch));
        if (!ns.ok) return { totals, status: ns.withPlugin(plugin.name) };
        for (let i = 0; i < n; i++) scores[i] = scratch[i].score;
      }
      for (let i = 0; i < n; i++) {
        const s = scores[i];
        if (s < 0 || s > MAX_NODE_SCORE) return { totals, status: Status.error(`plugin ${plugin.name} returned score ${s} outside [0, ${MAX_NODE_SCORE}] for node ${nodes[i].name}`) };
        totals[i] += s * weight;
      }
    }
    return { totals, status: Status.success() };
  }

  /** `plugins` lists of `n` raw scores each (their contents are the last cycle's until written). */
  private rawScores(plugins: number, n: number): number[][] {
    for (let j = 0; j < plugins; j++) {
      const list = (this.raw[j] ??= []);
      if (list.length > n) list.length = n;
      while (list.length < n) list.push(0);
    }
    return this.raw;
  }

  runReserve(state: CycleState, pod: Pod, nodeName: string): Status {
    for (const p of this.reserves) {
      const s = asStatus(p.reserve(state, pod, nodeName));
      if (!s.ok) return s.withPlugin(p.name);
    }
    return Status.success();
  }

  /** Unreserve runs on every reserve plugin, in reverse order. */
  runUnreserve(state: CycleState, pod: Pod, nodeName: string): void {
    for (const p of [...this.reserves].reverse()) p.unreserve(state, pod, nodeName);
  }

  /** Success, a rejection, or Wait with the longest requested timeout. */
  runPermit(state: CycleState, pod: Pod, nodeName: string): { status: Status; timeoutMs: number } {
    let timeoutMs = 0;
    let wait = false;
    for (const p of this.permits) {
      const r = p.permit(state, pod, nodeName);
      const out: { status?: Status | void; timeoutMs?: number } = r instanceof Status || r === undefined ? { status: r } : r;
      const s = asStatus(out.status);
      if (s.code === Code.Wait) { wait = true; timeoutMs = Math.max(timeoutMs, out.timeoutMs ?? 0); continue; }
      if (!s.ok) return { status: s.withPlugin(p.name), timeoutMs: 0 };
    }
    return { status: wait ? new Status(Code.Wait) : Status.success(), timeoutMs };
  }

  async runPreBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const p of this.preBinds) {
      const s = asStatus(await p.preBind(state, pod, nodeName));
      if (!s.ok) return s.withPlugin(p.name);
    }
    return Status.success();
  }

  async runBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const p of this.binds) {
      const s = asStatus(await p.bind(state, pod, nodeName));
      if (s.code === Code.Skip) continue;
      return s.withPlugin(p.name);
    }
    return Status.error(`no bind plugin bound pod ${pod.metadata.namespace}/${pod.metadata.name}`);
  }

  runPostBind(state: CycleState, pod: Pod, nodeName: string): void {
    for (const p of this.postBinds) p.postBind(state, pod, nodeName);
  }
}
