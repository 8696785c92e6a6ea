import type { Pod } from '@peapod/api-types';
import type { CycleState, EnqueueExtensions, FilterPlugin, PreFilterPlugin, ScorePlugin } from '../framework/interfaces.js';
import { MAX_NODE_SCORE, StateKey } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import { podRequestsOf, type Resources } from '../framework/resources.js';
import { Status } from '../framework/status.js';

export const NAME = 'NodeResourcesFit';
export const ERR_TOO_MANY_PODS = 'Too many pods';
export const insufficient = (resource: string) => `Insufficient ${resource}`;

export type ScoringStrategy = 'LeastAllocated' | 'MostAllocated';

interface Computed {
  requests: Resources;
  nonZero: Resources;
  /** The requested extended resources, listed once per cycle rather than per node. */
  scalars: [string, number][];
}

const KEY = new StateKey<Computed>(`${NAME}/requests`);

const computed = (state: CycleState, pod: Pod): Computed => {
  let c = state.read(KEY);
  if (!c) {
    const r = podRequestsOf(pod);
    c = { requests: r.requests, nonZero: r.nonZero, scalars: Object.entries(r.requests.scalar).filter(([, v]) => v > 0) };
    state.write(KEY, c);
  }
  return c;
};

const INSUFFICIENT_CPU = insufficient('cpu');
const INSUFFICIENT_MEMORY = insufficient('memory');
const INSUFFICIENT_EPHEMERAL_STORAGE = insufficient('ephemeral-storage');

/**
 * Every resource the node lacks for the pod's requests, as Kubernetes' `fitsRequest` reports them;
 * undefined when it fits (the per-node fast path allocates nothing).
 */
function missingResources(req: Resources, node: NodeInfo, scalars: readonly [string, number][]): string[] | undefined {
  let out: string[] | undefined;
  if (node.requestedPods + 1 > node.allocatablePods) (out ??= []).push(ERR_TOO_MANY_PODS);
  if (req.milliCPU > 0 && req.milliCPU > node.allocatableMilliCPU - node.requestedMilliCPU) (out ??= []).push(INSUFFICIENT_CPU);
  if (req.memory > 0 && req.memory > node.allocatableMemory - node.requestedMemory) (out ??= []).push(INSUFFICIENT_MEMORY);
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > node.allocatableEphemeralStorage - node.requestedEphemeralStorage) (out ??= []).push(INSUFFICIENT_EPHEMERAL_STORAGE);
  for (let i = 0; i < scalars.length; i++) {
    const [name, v] = scalars[i];
    if (v > (node.allocatableScalar[name] ?? 0) - (node.requestedScalar[name] ?? 0)) (out ??= []).push(insufficient(name));
  }
  return out;
}

/** Share of `allocatable` left free (LeastAllocated) or used (MostAllocated) after placement, 0..100. */
function allocationScore(strategy: ScoringStrategy, requested: number, allocatable: number): number {
  if (allocatable <= 0) return 0;
  const r = Math.min(requested, allocatable);
  return strategy === 'LeastAllocated' ? ((allocatable - r) * MAX_NODE_SCORE) / allocatable : (r * MAX_NODE_SCORE) / allocatable;
}

const fraction = (requested: number, allocatable: number) => (allocatable > 0 ? Math.min(1, requested / allocatable) : 1);

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
      const { requests, scalars } = computed(state, pod);
      const missing = missingResources(requests, node, scalars);
      return missing ? Status.unschedulable(...missing) : undefined;
    },
    score: (state, pod, node) => {
      const req = computed(state, pod).nonZero;
      const cpu = allocationScore(strategy, node.nonZeroMilliCPU + req.milliCPU, node.allocatableMilliCPU);
      const mem = allocationScore(strategy, node.nonZeroMemory + req.memory, node.allocatableMemory);
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
    const cpu = fraction(node.nonZeroMilliCPU + req.milliCPU, node.allocatableMilliCPU);
    const mem = fraction(node.nonZeroMemory + req.memory, node.allocatableMemory);
    const std = Math.abs(cpu - mem) / 2;
    return Math.floor((1 - std) * MAX_NODE_SCORE);
  },
});
