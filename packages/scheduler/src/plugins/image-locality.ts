import type { PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import { MAX_NODE_SCORE } from '../framework/interfaces.js';

export const NAME = 'ImageLocality';
const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;
const KEY = `${NAME}/spread`;

/** Normalizes `busybox` to `docker.io/library/busybox:latest` so node image lists compare. */
export function normalizedImageName(image: string): string {
  let name = image;
  if (!/[:@][^/]*$/.test(name)) name += ':latest';
  const first = name.split('/')[0];
  if (!name.includes('/')) name = `docker.io/library/${name}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') name = `docker.io/${name}`;
  return name;
}

const imagesOf = (node: NodeInfo): Map<string, number> => {
  const sizes = new Map<string, number>();
  for (const img of node.node.status?.images ?? []) for (const n of img.names ?? []) sizes.set(normalizedImageName(n), img.sizeBytes ?? 0);
  return sizes;
};

/**
 * Prefers nodes that already hold the pod's images (from `node.status.images`), weighting each
 * image by the share of nodes that have it, so a popular image does not pull every pod to one node.
 */
export const imageLocality = (): PreScorePlugin & ScorePlugin => ({
  name: NAME,
  preScore: (state, pod, _nodes, snapshot) => {
    const wanted = new Set([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => normalizedImageName(c.image ?? '')));
    const holders = new Map<string, number>();
    for (const n of snapshot.list) for (const name of imagesOf(n).keys()) if (wanted.has(name)) holders.set(name, (holders.get(name) ?? 0) + 1);
    state.write(KEY, { holders, total: snapshot.list.length });
    return undefined;
  },
  score: (state, pod, node) => {
    const spread = state.read<{ holders: Map<string, number>; total: number }>(KEY);
    const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    if (!spread || !node.node.status?.images?.length) return 0;
    const sizes = imagesOf(node);
    let sum = 0;
    for (const c of containers) {
      const name = normalizedImageName(c.image ?? '');
      const size = sizes.get(name);
      if (size) sum += Math.floor((size * (spread.holders.get(name) ?? 0)) / spread.total);
    }
    const max = MAX_CONTAINER_THRESHOLD * Math.max(1, containers.length);
    const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), max);
    return Math.floor(((clamped - MIN_THRESHOLD) * MAX_NODE_SCORE) / (max - MIN_THRESHOLD));
  },
});
