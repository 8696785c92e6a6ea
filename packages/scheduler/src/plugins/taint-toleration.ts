import { findUntoleratedTaint, toleratesTaint, type Toleration } from '@peapod/api-types';
import type { EnqueueExtensions, FilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { StateKey } from '../framework/interfaces.js';
import { Status } from '../framework/status.js';
import { defaultNormalizeScore } from './normalize.js';

export const NAME = 'TaintToleration';
export const untoleratedTaintReason = (key: string, value = '') => `node(s) had untolerated taint {${key}: ${value}}`;
const FILTER_EFFECTS = ['NoSchedule', 'NoExecute'];
const KEY = new StateKey<Toleration[]>(`${NAME}/preferNoSchedule`);

/** NoSchedule/NoExecute taints must be tolerated; each untolerated PreferNoSchedule taint lowers the score. */
export const taintToleration = (): FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions => ({
  name: NAME,
  filter: (_state, pod, node) => {
    const taints = node.taints;
    const taint = taints?.length ? findUntoleratedTaint(taints, pod.spec?.tolerations, FILTER_EFFECTS) : undefined;
    return taint ? Status.unresolvable(untoleratedTaintReason(taint.key, taint.value)) : undefined;
  },
  /**
   * The pod's tolerations that can tolerate PreferNoSchedule, once per cycle. Without a
   * PreferNoSchedule taint on any feasible node every node would score 100 after normalization,
   * which moves no node ahead of another: skip Score then.
   */
  preScore: (state, pod, nodes, snapshot) => {
    if (!snapshot.preferNoScheduleNodes || !nodes.some((n) => n.taints?.some((t) => t.effect === 'PreferNoSchedule'))) return Status.skip();
    state.write(KEY, (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule'));
    return undefined;
  },
  score: (state, _pod, node) => {
    const taints = node.taints;
    if (!taints?.length) return 0;
    const tolerations = state.read(KEY) ?? [];
    let n = 0;
    for (const taint of taints) if (taint.effect === 'PreferNoSchedule' && !tolerations.some((t) => toleratesTaint(t, taint))) n++;
    return n;
  },
  normalizeScore: (_state, _pod, scores) => defaultNormalizeScore(scores, true),
  eventsToRegister: () => ['NodeAdded', 'NodeTaintChanged'],
});
