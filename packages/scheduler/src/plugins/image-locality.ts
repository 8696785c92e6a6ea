import type { PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import { MAX_NODE_SCORE, StateKey } from '../framework/interfaces.js';
import { normalizedImageName } from '../framework/node-info.js';
import { Status } from '../framework/status.js';

export const NAME = 'ImageLocality';
const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;
const KEY = new StateKey<Spread>(`${NAME}/spread`);

interface Spread {
  /** Each container's image (normalized) and the share of nodes that hold it. */
  images: { name: string; spread: number }[];
  containers: number;
}

/**
 * Prefers nodes that already hold the pod's images (from `node.status.images`), weighting each
 * image by the share of nodes that have it, so a popular image does not pull every pod to one node.
 */
export const imageLocality = (): PreScorePlugin & ScorePlugin => ({
  name: NAME,
  /** The pod's images with the share of nodes holding each; Skip when no node holds any (every score would be 0). */
  preScore: (state, pod, _nodes, snapshot) => {
    if (!snapshot.imageNodes.size) return Status.skip();
    const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    const images = containers.map((c) => normalizedImageName(c.image ?? ''));
    if (!images.some((name) => snapshot.imageNodes.has(name))) return Status.skip();
    const spread: Spread = { images: images.map((name) => ({ name, spread: (snapshot.imageNodes.get(name) ?? 0) / snapshot.list.length })), containers: containers.length };
    state.write(KEY, spread);
    return undefined;
  },
  score: (state, _pod, node) => {
    const spread = state.read(KEY);
    if (!spread || !node.imageSizes.size) return 0;
    let sum = 0;
    for (const { name, spread: share } of spread.images) {
      const size = node.imageSizes.get(name);
      if (size) sum += Math.floor(size * share);
    }
    const max = MAX_CONTAINER_THRESHOLD * Math.max(1, spread.containers);
    const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), max);
    return Math.floor(((clamped - MIN_THRESHOLD) * MAX_NODE_SCORE) / (max - MIN_THRESHOLD));
  },
});
