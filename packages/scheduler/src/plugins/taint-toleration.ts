import { findUntoleratedTaint, toleratesTaint } from '@peapod/api-types';
import type { EnqueueExtensions, FilterPlugin, ScorePlugin } from '../framework/interfaces.js';
import { Status } from '../framework/status.js';
import { defaultNormalizeScore } from './normalize.js';

export const NAME = 'TaintToleration';
export const untoleratedTaintReason = (key: string, value = '') => `node(s) had untolerated taint {${key}: ${value}}`;

/** NoSchedule/NoExecute taints must be tolerated; each untolerated PreferNoSchedule taint lowers the score. */
export const taintToleration = (): FilterPlugin & ScorePlugin & EnqueueExtensions => ({
  name: NAME,
  filter: (_state, pod, node) => {
    const taint = findUntoleratedTaint(node.node.spec?.taints, pod.spec?.tolerations, ['NoSchedule', 'NoExecute']);
    return taint ? Status.unresolvable(untoleratedTaintReason(taint.key, taint.value)) : undefined;
  },
  score: (_state, pod, node) => {
    const tolerations = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    return (node.node.spec?.taints ?? []).filter((taint) => taint.effect === 'PreferNoSchedule' && !tolerations.some((t) => toleratesTaint(t, taint))).length;
  },
  normalizeScore: (_state, _pod, scores) => defaultNormalizeScore(scores, true),
  eventsToRegister: () => ['NodeAdded', 'NodeTaintChanged'],
});
