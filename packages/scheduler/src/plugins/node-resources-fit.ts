import type { Pod } from '@peapod/api-types';
import type { CycleState, EnqueueExtensions, FilterPlugin, PreFilterPlugin, ScorePlugin } from '../framework/interfaces.js';
import { MAX_NODE_SCORE } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import { podRequestsOf, type Resources } from '../framework/resources.js';
import { Status } from '../framework/status.js';

export const NAME = 'NodeResourcesFit';
export const ERR_TOO_MANY_PODS = 'Too many pods';
export const insufficient = (resource: string) => `Insufficient ${resource}`;
const KEY = `${NAME}/requests`;

export type ScoringStrategy = 'LeastAllocated' | 'MostAllocated';

interface Computed {
  requests: Resources;
  nonZero: Resources;
}

const computed = (state: CycleState, pod: Pod): Computed => {
  let c = state.read<Computed>(KEY);
  if (!c) {
    const r = podRequestsOf(pod);
    c = { requests: r.requests, nonZero: r.nonZero };
    state.write(KEY, c);
  }
  return c;
};

/** Every resource the pod requests that the node lacks, as Kubernetes' `fitsRequest` reports them. */
export function insufficientResources(req: Resources, node: NodeInfo): string[] {
  const out: string[] = [];
  const alloc = node.allocatable;
  const used = node.requested;
  if (node.pods.length + 1 > alloc.pods) out.push(ERR_TOO_MANY_PODS);
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) out.push(insufficient('cpu'));
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) out.push(insufficient('memory'));
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) out.push(insufficient('ephemeral-storage'));
  for (const [name, v] of Object.entries(req.scalar)) {
    if (v > 0 && v > (alloc.scalar[name] ?? 0) - (used.scalar[name] ?? 0)) out.push(insufficient(name));
  }
  return out;
}

/**
 * Filters nodes without room for the pod's requests (init/sidecar rules and overhead included),
 * and scores the rest by CPU and memory utilisation after placement: LeastAllocated spreads,
 * MostAllocated packs. Scores use the non-zero request defaults so empty pods still spread.
 */
export const nodeResourcesFit = (args?: { scoringStrategy?: ScoringStrategy }): PreFilterPlugin & FilterPlugin & ScorePlugin & EnqueueExtensions => {
  const strategy = args?.scoringStrategy ?? 'LeastAllocated';
  return {
    name: NAME,
    preFilter: (state, pod) => {
      computed(state, pod);
      return undefined;
    },
    filter: (state, pod, node) => {
      const reasons = insufficientResources(computed(state, pod).requests, node);
      return reasons.length ? Status.unschedulable(...reasons) : undefined;
    },
    score: (state, pod, node) => {
      const req = computed(state, pod).nonZero;
      const part = (requested: number, allocatable: number) => {
        if (allocatable <= 0) return 0;
        const r = Math.min(requested, allocatable);
        return strategy === 'LeastAllocated' ? ((allocatable - r) * MAX_NODE_SCORE) / allocatable : (r * MAX_NODE_SCORE) / allocatable;
      };
      const cpu = part(node.nonZeroRequested.milliCPU + req.milliCPU, node.allocatable.milliCPU);
      const mem = part(node.nonZeroRequested.memory + req.memory, node.allocatable.memory);
      return Math.floor((cpu + mem) / 2);
    },
    eventsToRegister: () => ['NodeAdded', 'NodeAllocatableChanged', 'PodDeleted', 'PodScaledDown'],
  };
};

export const BALANCED_NAME = 'NodeResourcesBalancedAllocation';

/** Favors nodes whose CPU and memory utilisation stay balanced after placing the pod. */
export const nodeResourcesBalancedAllocation = (): ScorePlugin => ({
  name: BALANCED_NAME,
  score: (state, pod, node) => {
    const req = computed(state, pod).nonZero;
    const frac = (requested: number, allocatable: number) => (allocatable > 0 ? Math.min(1, requested / allocatable) : 1);
    const cpu = frac(node.nonZeroRequested.milliCPU + req.milliCPU, node.allocatable.milliCPU);
    const mem = frac(node.nonZeroRequested.memory + req.memory, node.allocatable.memory);
    const std = Math.abs(cpu - mem) / 2;
    return Math.floor((1 - std) * MAX_NODE_SCORE);
  },
});
