import type { NodeInfo } from '../framework/node-info.js';

/**
 * An immutable view of the nodes for one scheduling cycle. Built incrementally by the cache
 * (only nodes whose generation moved are re-cloned), so taking one is cheap at 5,000 nodes.
 */
export class Snapshot {
  readonly byName = new Map<string, NodeInfo>();
  list: NodeInfo[] = [];
  /** Nodes with at least one pod that has (anti-)affinity terms, for InterPodAffinity. */
  withAffinityPods: NodeInfo[] = [];
  generation = -1;

  get(name: string): NodeInfo | undefined {
    return this.byName.get(name);
  }
}
