import { findUntoleratedTaint, labelSelectorFromObject, podMatchesNodeSelectorAndAffinity, type LabelMatcher, type Pod, type TopologySpreadConstraint } from '@peapod/api-types';
import type { CycleState, EnqueueExtensions, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { MAX_NODE_SCORE, StateKey } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import { Status } from '../framework/status.js';
import type { Snapshot } from '../cache/snapshot.js';

export const NAME = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;
const FILTER_KEY = new StateKey<FilterState>(`${NAME}/filter`);
const SCORE_KEY = new StateKey<FilterState>(`${NAME}/score`);

interface Constraint {
  c: TopologySpreadConstraint;
  selector: LabelMatcher;
}

interface FilterState {
  constraints: Constraint[];
  /** Per constraint: topology value -> matching pods in that domain (eligible nodes only). */
  counts: Map<string, number>[];
}

/** The constraint's selector, narrowed by `matchLabelKeys` with the pod's own label values. */
function constraintsOf(pod: Pod, when: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  return (pod.spec?.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === when).map((c) => {
    const labels = pod.metadata.labels ?? {};
    const extra = (c.matchLabelKeys ?? []).filter((k) => k in labels).map((k) => ({ key: k, operator: 'In', values: [labels[k]] }));
    const sel = c.labelSelector ? { ...c.labelSelector, matchExpressions: [...(c.labelSelector.matchExpressions ?? []), ...extra] } : undefined;
    return { c, selector: labelSelectorFromObject(sel) };
  });
}

/** Which nodes count as domains: they carry every topology key and pass the node inclusion policies. */
function eligible(pod: Pod, node: NodeInfo, constraints: Constraint[]): boolean {
  const labels = node.node.metadata.labels ?? {};
  return constraints.every(({ c }) => {
    if (!(c.topologyKey in labels)) return false;
    if ((c.nodeAffinityPolicy ?? 'Honor') === 'Honor' && !podMatchesNodeSelectorAndAffinity(pod, node.node)) return false;
    if (c.nodeTaintsPolicy === 'Honor' && findUntoleratedTaint(node.node.spec?.taints, pod.spec?.tolerations, ['NoSchedule', 'NoExecute'])) return false;
    return true;
  });
}

const countsMatching = (pod: Pod, node: NodeInfo, selector: LabelMatcher) =>
  node.pods.filter((p) => p.pod.metadata.namespace === pod.metadata.namespace && !p.pod.metadata.deletionTimestamp && selector.matches(p.pod.metadata.labels)).length;

/** Matching pods per topology domain for the pod's constraints of one kind; undefined when it has none. */
function domainCounts(pod: Pod, when: 'DoNotSchedule' | 'ScheduleAnyway', snapshot: Snapshot): FilterState | undefined {
  const constraints = constraintsOf(pod, when);
  if (!constraints.length) return undefined;
  const counts = constraints.map(() => new Map<string, number>());
  for (const node of snapshot.list) {
    if (!eligible(pod, node, constraints)) continue;
    constraints.forEach(({ c, selector }, i) => {
      const v = node.node.metadata.labels![c.topologyKey];
      counts[i].set(v, (counts[i].get(v) ?? 0) + countsMatching(pod, node, selector));
    });
  }
  return { constraints, counts };
}

/**
 * Spreads pods across topology domains: DoNotSchedule constraints filter nodes whose domain would
 * exceed `maxSkew` over the least-loaded domain (honouring `minDomains`), ScheduleAnyway ones
 * score nodes in less-loaded domains higher.
 */
export const podTopologySpread = (): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions => ({
  name: NAME,
  preFilter: (state, pod, snapshot) => {
    const st = domainCounts(pod, 'DoNotSchedule', snapshot);
    if (!st) return Status.skip();
    state.write(FILTER_KEY, st);
    return undefined;
  },
  addPod: (state, pod, added, node) => adjust(state, pod, added, node, 1),
  removePod: (state, pod, removed, node) => adjust(state, pod, removed, node, -1),
  filter: (state, pod, node) => {
    const st = state.read(FILTER_KEY);
    if (!st) return undefined;
    const labels = node.node.metadata.labels ?? {};
    for (let i = 0; i < st.constraints.length; i++) {
      const { c, selector } = st.constraints[i];
      const value = labels[c.topologyKey];
      if (value === undefined) return Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
      const domains = st.counts[i];
      let min = domains.size ? Math.min(...domains.values()) : 0;
      if (c.minDomains && domains.size < c.minDomains) min = 0;
      const self = selector.matches(pod.metadata.labels) ? 1 : 0;
      if ((domains.get(value) ?? 0) + self - min > c.maxSkew) return Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
    }
    return undefined;
  },
  preScore: (state, pod, _nodes, snapshot) => {
    const st = domainCounts(pod, 'ScheduleAnyway', snapshot);
    if (!st) return Status.skip();
    state.write(SCORE_KEY, st);
    return undefined;
  },
  score: (state, _pod, node) => {
    const st = state.read(SCORE_KEY);
    if (!st) return 0;
    const labels = node.node.metadata.labels ?? {};
    let score = 0;
    st.constraints.forEach(({ c }, i) => {
      const v = labels[c.topologyKey];
      // Kubernetes weighs each constraint by log(domains + 2) so larger topologies matter more.
      if (v !== undefined) score += (st.counts[i].get(v) ?? 0) * Math.log(st.counts[i].size + 2);
    });
    return Math.round(score);
  },
  /** Fewer matching pods in the domain is better: invert so the least-loaded domain scores 100. */
  normalizeScore: (_state, _pod, scores) => {
    const max = Math.max(0, ...scores.map((s) => s.score));
    const min = Math.min(...scores.map((s) => s.score));
    for (const s of scores) s.score = max === 0 ? MAX_NODE_SCORE : Math.floor((MAX_NODE_SCORE * (max + min - s.score)) / max);
  },
  eventsToRegister: () => ['NodeAdded', 'NodeLabelChanged', 'PodAdded', 'PodDeleted', 'PodLabelChanged'],
});

/** What-if update for preemption; copies the counts first because cloned cycle states share them. */
function adjust(state: CycleState, pod: Pod, other: Pod, node: NodeInfo, delta: number): void {
  const prev = state.read(FILTER_KEY);
  if (!prev || other.metadata.namespace !== pod.metadata.namespace || !eligible(pod, node, prev.constraints)) return;
  const st = { constraints: prev.constraints, counts: prev.counts.map((m) => new Map(m)) };
  state.write(FILTER_KEY, st);
  st.constraints.forEach(({ c, selector }, i) => {
    if (!selector.matches(other.metadata.labels)) return;
    const v = node.node.metadata.labels![c.topologyKey];
    st.counts[i].set(v, (st.counts[i].get(v) ?? 0) + delta);
  });
}

