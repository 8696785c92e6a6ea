import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, Taint, Toleration } from './core/v1.js';

/**
 * Placement predicates shared by the scheduler, the DaemonSet controller and the node lifecycle
 * controller (Kubernetes keeps these in component-helpers for the same reason).
 */

function matchesRequirement(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1 || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0])) return false;
      const [v, bound] = [Number(value), Number(values[0])];
      return r.operator === 'Gt' ? v > bound : v < bound;
    }
    default: return false;
  }
}

/** A term matches when all its label expressions and field expressions (only `metadata.name`) match; an empty term matches nothing. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  const labels = node.metadata.labels ?? {};
  return exprs.every((r) => matchesRequirement(r, labels[r.key])) &&
    fields.every((r) => r.key === 'metadata.name' && matchesRequirement(r, node.metadata.name));
}

/** Terms are ORed. */
export const nodeSelectorTermsMatch = (terms: readonly NodeSelectorTerm[], node: Node): boolean => terms.some((t) => nodeSelectorTermMatches(t, node));

/** `spec.nodeSelector` and required node affinity both hold (as `RequiredNodeAffinity.Match`). */
export function podMatchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return !required || nodeSelectorTermsMatch(required.nodeSelectorTerms ?? [], node);
}

/** Whether one toleration tolerates one taint (empty key with Exists tolerates everything; empty effect matches all effects). */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;
  return (t.operator ?? 'Equal') === 'Exists' || (t.value ?? '') === (taint.value ?? '');
}

/** The first taint with one of `effects` that no toleration tolerates. */
export function findUntoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, effects: readonly string[]): Taint | undefined {
  return (taints ?? []).find((taint) => effects.includes(taint.effect) && !(tolerations ?? []).some((t) => toleratesTaint(t, taint)));
}
