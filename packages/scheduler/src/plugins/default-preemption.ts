import type { Pod } from '@peapod/api-types';
import type { CycleState, PostFilterContext, PostFilterPlugin, SchedulerHandle } from '../framework/interfaces.js';
import { podInfoOf, type NodeInfo } from '../framework/node-info.js';
import { Code, Status } from '../framework/status.js';
import { fitErrorMessage } from '../framework/fit-error.js';

export const NAME = 'DefaultPreemption';
export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_VICTIMS = 'No preemption victims found for incoming pod';

interface Candidate {
  node: string;
  victims: Pod[];
  pdbViolations: number;
}

const priorityOf = (p: Pod) => p.spec?.priority ?? 0;
const startOf = (p: Pod) => Date.parse(p.status?.startTime ?? p.metadata.creationTimestamp ?? '') || 0;

/**
 * When no node fits, finds a node where evicting lower-priority pods makes room, as kube-scheduler's
 * DefaultPreemption: per node, remove every lower-priority pod, then reprieve as many as still fit
 * (PDB-protected ones first, then by priority); pick the node with the fewest PDB violations, then
 * the lowest top victim priority, the smallest priority sum, the fewest victims. Victims are evicted
 * and the pod is nominated to the node; it schedules there once they are gone.
 */
export const defaultPreemption = (_args: unknown, handle: SchedulerHandle): PostFilterPlugin => ({
  name: NAME,
  postFilter: async (state, pod, statuses, ctx) => {
    // Per node, why preemption cannot help there; reported like the filter histogram.
    const why = new Map<string, Status>();
    const fail = () => ({ status: new Status(Code.Unschedulable, [`preemption: ${fitErrorMessage(ctx.snapshot.list.length, why).slice(0, -1)}.`]) });
    const never = pod.spec?.preemptionPolicy === 'Never';
    const budgets = handle.disruptionBudgets().map((b) => ({ ...b, allowed: b.disruptionsAllowed }));
    const candidates: Candidate[] = [];
    for (const node of ctx.snapshot.list) {
      if (never || statuses.get(node.name)?.code !== Code.Unschedulable) { why.set(node.name, Status.unresolvable(NOT_HELPFUL)); continue; }
      const c = selectVictims(state, pod, node, ctx, budgets);
      if (c) candidates.push(c);
      else why.set(node.name, Status.unschedulable(NO_VICTIMS));
    }
    if (!candidates.length) return fail();
    candidates.sort((a, b) =>
      a.pdbViolations - b.pdbViolations ||
      Math.max(...a.victims.map(priorityOf)) - Math.max(...b.victims.map(priorityOf)) ||
      a.victims.reduce((s, v) => s + priorityOf(v), 0) - b.victims.reduce((s, v) => s + priorityOf(v), 0) ||
      a.victims.length - b.victims.length ||
      Math.max(...b.victims.map(startOf)) - Math.max(...a.victims.map(startOf)));
    const best = candidates[0];
    await Promise.all(best.victims.map((v) => handle.evict(v, pod)));
    return { result: { nominatedNodeName: best.node }, status: Status.success() };
  },
});

function selectVictims(
  state: CycleState, pod: Pod, node: NodeInfo, ctx: PostFilterContext,
  budgets: { matches: (p: Pod) => boolean; allowed: number }[],
): Candidate | undefined {
  const lower = node.pods.map((p) => p.pod).filter((p) => priorityOf(p) < priorityOf(pod) && !p.metadata.deletionTimestamp);
  if (!lower.length) return undefined;
  const what = node.clone();
  const st = state.clone();
  for (const v of lower) {
    what.removePod(v.metadata.uid!);
    ctx.runPreFilterRemovePod(st, pod, v, what);
  }
  if (!ctx.runFilters(st, pod, what).ok) return undefined;
  // Highest priority first, PDB-protected ones before the rest: those are the ones we most want to keep.
  const remaining = budgets.map((b) => ({ ...b }));
  const violates = (v: Pod) => remaining.some((b) => b.matches(v) && b.allowed <= 0);
  const ordered = [...lower].sort((a, b) => priorityOf(b) - priorityOf(a) || startOf(a) - startOf(b));
  const protectedFirst = [...ordered.filter(violates), ...ordered.filter((v) => !violates(v))];
  const victims: Pod[] = [];
  let pdbViolations = 0;
  for (const v of protectedFirst) {
    what.addPod(podInfoOf(v));
    ctx.runPreFilterAddPod(st, pod, v, what);
    if (ctx.runFilters(st, pod, what).ok) continue; // reprieved
    what.removePod(v.metadata.uid!);
    ctx.runPreFilterRemovePod(st, pod, v, what);
    victims.push(v);
    for (const b of remaining) if (b.matches(v)) { if (b.allowed <= 0) pdbViolations++; b.allowed--; }
  }
  return victims.length ? { node: node.name, victims, pdbViolations } : undefined;
}
