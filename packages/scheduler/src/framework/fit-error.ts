import type { Status } from './status.js';

/**
 * The message users read on an unschedulable pod, as kube-scheduler's FitError:
 * `0/3 nodes are available: 1 node(s) had untolerated taint {gpu: true}, 2 Insufficient cpu.`
 * Reasons are counted over nodes and listed in string order; preemption's verdict follows.
 */
export function fitErrorMessage(numAllNodes: number, statuses: ReadonlyMap<string, Status>, preFilterMsg = '', postFilterMsg = ''): string {
  const histogram = new Map<string, number>();
  for (const s of statuses.values()) for (const r of s.reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
  const reasons = [...histogram].map(([r, n]) => `${n} ${r}`).sort();
  let msg = `0/${numAllNodes} nodes are available:`;
  if (preFilterMsg) msg += ` ${preFilterMsg}.`;
  if (reasons.length) msg += ` ${reasons.join(', ')}.`;
  if (postFilterMsg) msg += ` ${postFilterMsg}`;
  return msg;
}
