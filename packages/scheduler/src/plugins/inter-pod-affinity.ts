import { labelSelectorFromObject, type LabelMatcher, type Pod, type PodAffinityTerm } from '@peapod/api-types';
import type { EnqueueExtensions, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { MAX_NODE_SCORE, StateKey } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import { Status } from '../framework/status.js';

export const NAME = 'InterPodAffinity';
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
const FILTER_KEY = new StateKey<FilterState>(`${NAME}/filter`);
const SCORE_KEY = new StateKey<TopologyCounts>(`${NAME}/score`);

/** A term resolved against its owner: which namespaces and labels it selects. */
interface Term {
  topologyKey: string;
  selector: LabelMatcher;
  /** undefined: every namespace (an empty namespaceSelector). */
  namespaces?: ReadonlySet<string>;
  weight: number;
}

function termOf(owner: Pod, t: PodAffinityTerm, weight = 1): Term {
  const allNamespaces = t.namespaceSelector !== undefined && !t.namespaceSelector.matchLabels && !t.namespaceSelector.matchExpressions;
  const namespaces = allNamespaces ? undefined : new Set(t.namespaces?.length ? t.namespaces : [owner.metadata.namespace ?? 'default']);
  return { topologyKey: t.topologyKey, selector: labelSelectorFromObject(t.labelSelector), namespaces, weight };
}

const termMatches = (term: Term, pod: Pod) => (!term.namespaces || term.namespaces.has(pod.metadata.namespace ?? '')) && term.selector.matches(pod.metadata.labels);

/** Counts by topology key, then value. Entries that fall to zero are removed, as Kubernetes' topologyToMatchedTermCount. */
type TopologyCounts = Map<string, Map<string, number>>;

function bump(m: TopologyCounts, key: string, value: string, d: number): void {
  let byValue = m.get(key);
  if (!byValue) m.set(key, (byValue = new Map()));
  const n = (byValue.get(value) ?? 0) + d;
  if (n) byValue.set(value, n);
  else byValue.delete(value);
  if (!byValue.size) m.delete(key);
}

const countAt = (m: TopologyCounts, key: string, labels: Record<string, string>) => {
  const v = labels[key];
  return v === undefined ? 0 : (m.get(key)?.get(v) ?? 0);
};

/** Sum over the node's topology pairs present in `m`: O(topology keys), not O(node labels). */
function sumAt(m: TopologyCounts, labels: Record<string, string>): number {
  let total = 0;
  for (const key of m.keys()) total += countAt(m, key, labels);
  return total;
}

const copyCounts = (m: TopologyCounts): TopologyCounts => new Map([...m].map(([k, v]) => [k, new Map(v)]));

interface FilterState {
  affinity: Term[];
  antiAffinity: Term[];
  /** Existing pods' required anti-affinity terms that match the incoming pod. */
  existingAnti: TopologyCounts;
  /** Pods matching every affinity term of the incoming pod, at each term's topology pair. */
  affinityCounts: TopologyCounts;
  /** Pods matching each anti-affinity term of the incoming pod. */
  antiCounts: TopologyCounts;
}

const required = (pod: Pod) => ({
  affinity: (pod.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => termOf(pod, t)),
  antiAffinity: (pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => termOf(pod, t)),
});

/** Adds (delta 1) or removes (-1) one existing pod's contribution to the filter state. */
function account(st: FilterState, incoming: Pod, existing: Pod, node: NodeInfo, delta: number): void {
  const labels = node.node.metadata.labels ?? {};
  for (const t of required(existing).antiAffinity) {
    if (labels[t.topologyKey] !== undefined && termMatches(t, incoming)) bump(st.existingAnti, t.topologyKey, labels[t.topologyKey], delta);
  }
  if (st.affinity.length && st.affinity.every((t) => termMatches(t, existing))) {
    for (const t of st.affinity) if (labels[t.topologyKey] !== undefined) bump(st.affinityCounts, t.topologyKey, labels[t.topologyKey], delta);
  }
  for (const t of st.antiAffinity) {
    if (labels[t.topologyKey] !== undefined && termMatches(t, existing)) bump(st.antiCounts, t.topologyKey, labels[t.topologyKey], delta);
  }
}

const copyState = (s: FilterState): FilterState => ({ ...s, existingAnti: copyCounts(s.existingAnti), affinityCounts: copyCounts(s.affinityCounts), antiCounts: copyCounts(s.antiCounts) });

/**
 * Required pod (anti-)affinity filters nodes by the pods already in each topology domain, both
 * ways (the incoming pod's terms and existing pods' anti-affinity); preferred terms score.
 */
export const interPodAffinity = (): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions => ({
  name: NAME,
  preFilter: (state, pod, snapshot) => {
    const { affinity, antiAffinity } = required(pod);
    const own = affinity.length > 0 || antiAffinity.length > 0;
    // Nothing to check: no terms of its own and no existing pod with required anti-affinity.
    if (!own && !snapshot.withRequiredAntiAffinityPods.length) return Status.skip();
    const st: FilterState = { affinity, antiAffinity, existingAnti: new Map(), affinityCounts: new Map(), antiCounts: new Map() };
    // Existing anti-affinity lives only on nodes with such pods; the incoming terms need every pod.
    for (const node of own ? snapshot.list : snapshot.withRequiredAntiAffinityPods) for (const p of node.pods) account(st, pod, p.pod, node, 1);
    state.write(FILTER_KEY, st);
    return undefined;
  },
  addPod: (state, pod, added, node) => {
    const st = state.read(FILTER_KEY);
    if (st) { const c = copyState(st); account(c, pod, added, node, 1); state.write(FILTER_KEY, c); }
  },
  removePod: (state, pod, removed, node) => {
    const st = state.read(FILTER_KEY);
    if (st) { const c = copyState(st); account(c, pod, removed, node, -1); state.write(FILTER_KEY, c); }
  },
  filter: (state, pod, node) => {
    const st = state.read(FILTER_KEY);
    if (!st) return undefined;
    const labels = node.node.metadata.labels ?? {};
    if (sumAt(st.existingAnti, labels) > 0) return Status.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
    if (st.affinity.length) {
      const satisfied = st.affinity.every((t) => countAt(st.affinityCounts, t.topologyKey, labels) > 0);
      // The first pod of a group that selects itself may go anywhere the topology keys exist.
      const firstOfGroup = st.affinityCounts.size === 0 && st.affinity.every((t) => termMatches(t, pod) && labels[t.topologyKey] !== undefined);
      if (!satisfied && !firstOfGroup) return Status.unresolvable(ERR_REASON_AFFINITY);
    }
    for (const t of st.antiAffinity) if (countAt(st.antiCounts, t.topologyKey, labels) > 0) return Status.unschedulable(ERR_REASON_ANTI_AFFINITY);
    return undefined;
  },
  preScore: (state, pod, _nodes, snapshot) => {
    const weighted = (terms: { podAffinityTerm: PodAffinityTerm; weight: number }[] | undefined, sign: number) =>
      (terms ?? []).map((w) => termOf(pod, w.podAffinityTerm, sign * w.weight));
    const mine = [
      ...weighted(pod.spec?.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution, 1),
      ...weighted(pod.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution, -1),
    ];
    if (!mine.length && !snapshot.withAffinityPods.length) return Status.skip();
    const scores: TopologyCounts = new Map();
    for (const node of mine.length ? snapshot.list : snapshot.withAffinityPods) {
      const labels = node.node.metadata.labels ?? {};
      for (const { pod: existing } of node.pods) {
        const theirs = [
          ...(existing.spec?.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => termOf(existing, w.podAffinityTerm, w.weight)),
          ...(existing.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => termOf(existing, w.podAffinityTerm, -w.weight)),
        ];
        for (const t of mine) if (labels[t.topologyKey] !== undefined && termMatches(t, existing)) bump(scores, t.topologyKey, labels[t.topologyKey], t.weight);
        for (const t of theirs) if (labels[t.topologyKey] !== undefined && termMatches(t, pod)) bump(scores, t.topologyKey, labels[t.topologyKey], t.weight);
      }
    }
    if (!scores.size) return Status.skip();
    state.write(SCORE_KEY, scores);
    return undefined;
  },
  score: (state, _pod, node) => {
    const scores = state.read(SCORE_KEY);
    return scores ? sumAt(scores, node.node.metadata.labels ?? {}) : 0;
  },
  /** Raw scores may be negative: map [min, max] onto [0, 100]. */
  normalizeScore: (_state, _pod, scores) => {
    const max = Math.max(...scores.map((s) => s.score));
    const min = Math.min(...scores.map((s) => s.score));
    for (const s of scores) s.score = max > min ? Math.floor((MAX_NODE_SCORE * (s.score - min)) / (max - min)) : 0;
  },
  eventsToRegister: () => ['NodeAdded', 'NodeLabelChanged', 'PodAdded', 'PodDeleted', 'PodLabelChanged'],
});

