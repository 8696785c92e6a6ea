import type { Node, Pod, Taint } from '@peapod/api-types';
import { addResources, copyResources, podRequestsOf, resourcesOf, subResources, zeroResources, type Resources } from './resources.js';

/** A pod as the scheduler caches it, with its requests computed once. */
export interface PodInfo {
  pod: Pod;
  requests: Resources;
  /** Requests with Kubernetes' non-zero defaults (100m CPU, 200Mi memory) for scoring. */
  nonZeroRequests: Resources;
  /** `protocol/hostIP/hostPort` of every host port the pod uses. */
  hostPorts: string[];
  /** Has pod affinity or anti-affinity terms (required or preferred). */
  hasAffinity: boolean;
  /** Has required anti-affinity terms, which every incoming pod must respect. */
  hasRequiredAntiAffinity: boolean;
}

export function podInfoOf(pod: Pod): PodInfo {
  const { requests, nonZero } = podRequestsOf(pod);
  const hostPorts: string[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) if (p.hostPort) hostPorts.push(`${p.protocol ?? 'TCP'}/${p.hostIP || '0.0.0.0'}/${p.hostPort}`);
  }
  const a = pod.spec?.affinity;
  return {
    pod, requests, nonZeroRequests: nonZero, hostPorts,
    hasAffinity: !!(a?.podAffinity || a?.podAntiAffinity),
    hasRequiredAntiAffinity: !!a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length,
  };
}

/** Normalizes `busybox` to `docker.io/library/busybox:latest` so image names from pods and node status compare. */
export function normalizedImageName(image: string): string {
  let name = image;
  if (!/[:@][^/]*$/.test(name)) name += ':latest';
  const first = name.split('/')[0];
  if (!name.includes('/')) name = `docker.io/library/${name}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') name = `docker.io/${name}`;
  return name;
}

const NO_IMAGES: ReadonlyMap<string, number> = new Map();

function imageSizesOf(node: Node): ReadonlyMap<string, number> {
  const images = node.status?.images;
  if (!images?.length) return NO_IMAGES;
  const sizes = new Map<string, number>();
  for (const img of images) for (const n of img.names ?? []) sizes.set(normalizedImageName(n), img.sizeBytes ?? 0);
  return sizes;
}

/**
 * Everything a Filter or Score plugin may ask about one node: the Node, the pods on it (bound and
 * assumed), and aggregates kept up to date on every add/remove so plugins answer in O(1) per
 * node (summed requests, host ports, counts of pods with affinity, image sizes by normalized
 * name). Snapshots hold clones, so a scheduling cycle never sees a half-updated node.
 */
export class NodeInfo {
  /** The node's name and the spec fields filters read, copied here so a cycle touches fewer objects per node. */
  name = '';
  unschedulable = false;
  labels: Readonly<Record<string, string>> = {};
  taints: readonly Taint[] | undefined;
  allocatable: Resources = zeroResources();
  requested: Resources = zeroResources();
  nonZeroRequested: Resources = zeroResources();
  pods: PodInfo[] = [];
  usedPorts = new Set<string>();
  podsWithAffinity = 0;
  podsWithRequiredAntiAffinity = 0;
  /** `node.status.images` by normalized name, for ImageLocality. */
  imageSizes: ReadonlyMap<string, number> = NO_IMAGES;
  /** Bumped on every change; snapshots copy only nodes whose generation moved. */
  generation = 0;

  constructor(public node: Node) {
    this.setNode(node);
  }

  setNode(node: Node): void {
    this.node = node;
    this.name = node.metadata.name!;
    this.unschedulable = !!node.spec?.unschedulable;
    this.labels = node.metadata.labels ?? {};
    this.taints = node.spec?.taints;
    this.allocatable = resourcesOf(node.status?.allocatable ?? node.status?.capacity);
    this.imageSizes = imageSizesOf(node);
  }

  addPod(pi: PodInfo): void {
    this.pods.push(pi);
    addResources(this.requested, pi.requests);
    addResources(this.nonZeroRequested, pi.nonZeroRequests);
    for (const p of pi.hostPorts) this.usedPorts.add(p);
    if (pi.hasAffinity) this.podsWithAffinity++;
    if (pi.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity++;
  }

  /** Removes the pod with this uid; returns whether it was there. */
  removePod(uid: string): boolean {
    const i = this.pods.findIndex((p) => p.pod.metadata.uid === uid);
    if (i < 0) return false;
    const [pi] = this.pods.splice(i, 1);
    subResources(this.requested, pi.requests);
    subResources(this.nonZeroRequested, pi.nonZeroRequests);
    for (const p of pi.hostPorts) this.usedPorts.delete(p);
    if (pi.hasAffinity) this.podsWithAffinity--;
    if (pi.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity--;
    return true;
  }

  /** A copy whose parts are allocated together (and whose pod list and sums are its own). */
  clone(): NodeInfo {
    const c = Object.create(NodeInfo.prototype) as NodeInfo;
    c.name = this.name;
    c.unschedulable = this.unschedulable;
    c.labels = this.labels;
    c.taints = this.taints;
    c.allocatable = copyResources(this.allocatable);
    c.requested = copyResources(this.requested);
    c.nonZeroRequested = copyResources(this.nonZeroRequested);
    c.pods = this.pods.slice();
    c.usedPorts = new Set(this.usedPorts);
    c.podsWithAffinity = this.podsWithAffinity;
    c.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity;
    c.imageSizes = this.imageSizes;
    c.generation = this.generation;
    c.node = this.node;
    return c;
  }
}
