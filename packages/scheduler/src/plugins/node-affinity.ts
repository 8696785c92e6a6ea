import { nodeSelectorTermMatches, nodeSelectorTermsMatch, type Pod } from '@peapod/api-types';
import type { NodeInfo } from '../framework/node-info.js';
import type { EnqueueExtensions, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { StateKey } from '../framework/interfaces.js';
import { Status } from '../framework/status.js';
import { defaultNormalizeScore } from './normalize.js';

export const NAME = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
const KEY = new StateKey<(node: NodeInfo) => boolean>(`${NAME}/required`);

/**
 * `spec.nodeSelector` and the required terms as one test, built once per cycle in PreFilter (as
 * Kubernetes' preFilterState) rather than re-read from the pod for each of hundreds of nodes.
 */
function requiredMatcher(pod: Pod): (node: NodeInfo) => boolean {
  const selector = Object.entries(pod.spec?.nodeSelector ?? {});
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const terms = required ? required.nodeSelectorTerms ?? [] : undefined;
  return (node) => {
    const labels = node.labels;
    for (let i = 0; i < selector.length; i++) if (labels[selector[i][0]] !== selector[i][1]) return false;
    return !terms || nodeSelectorTermsMatch(terms, node.node);
  };
}

/**
 * `spec.nodeSelector` and required node affinity filter; preferred terms add their weights.
 * A required term that names nodes by `metadata.name` narrows the nodes PreFilter offers.
 */
export const nodeAffinity = (): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions => ({
  name: NAME,
  preFilter: (state, pod) => {
    const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    if (!pod.spec?.nodeSelector && !terms) return Status.skip();
    state.write(KEY, requiredMatcher(pod));
    // Only when every term pins metadata.name with In can the node set be narrowed.
    const names = new Set<string>();
    for (const t of terms ?? []) {
      const pin = t.matchFields?.find((f) => f.key === 'metadata.name' && f.operator === 'In');
      if (!pin) return undefined;
      for (const v of pin.values ?? []) names.add(v);
    }
    return terms?.length ? { result: { nodeNames: names } } : undefined;
  },
  filter: (state, pod, node) => ((state.read(KEY) ?? requiredMatcher(pod))(node) ? undefined : Status.unresolvable(ERR_REASON_POD)),
  /** Without preferred terms every node scores 0: skip Score. */
  preScore: (_state, pod) => (pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ? undefined : Status.skip()),
  score: (_state, pod, node) => {
    let score = 0;
    for (const t of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (t.weight && nodeSelectorTermMatches(t.preference, node.node)) score += t.weight;
    }
    return score;
  },
  normalizeScore: (_state, _pod, scores) => defaultNormalizeScore(scores, false),
  eventsToRegister: () => ['NodeAdded', 'NodeLabelChanged'],
});
