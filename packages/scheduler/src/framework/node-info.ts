import type { Node, Pod, Taint } from '@peapod/api-types';
import { podRequestsOf, resourcesOf, type Resources } from './resources.js';

/** A pod as the scheduler caches it, with its requests computed once. */
export interface PodInfo {
  pod: Pod;
  /** `pod.metadata.uid`, read from this one shape of object when a node looks a pod up. */
  uid: string;
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
    pod, uid: pod.metadata.uid!, requests, nonZeroRequests: nonZero, hostPorts,
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
 *
 * The amounts Filter and Score read for hundreds of nodes per cycle (allocatable, requested and
 * non-zero requested CPU, memory, ephemeral storage, pods) are fields of this object rather than
 * `Resources` objects of their own: a cycle then touches one object per node, and at 1,000 nodes
 * the cycle's cost is the memory it touches, not its arithmetic.
 */
export class NodeInfo {
  // Fields in the order a cycle reads them (filters, then scores), so the first cache lines of
  // the object serve every in-tree Filter and Score plugin.
  unschedulable = false;
  taints: readonly Taint[] | undefined;
  labels: Readonly<Record<string, string>> = {};
  /** The pods on the node (each pod requests one slot). */
  requestedPods = 0;
  allocatablePods = 0;
  requestedMilliCPU = 0;
  allocatableMilliCPU = 0;
  requestedMemory = 0;
  allocatableMemory = 0;
  /** Requested CPU and memory with the non-zero defaults, for scoring. */
  nonZeroMilliCPU = 0;
  nonZeroMemory = 0;
  requestedEphemeralStorage = 0;
  allocatableEphemeralStorage = 0;
  /** Extended and hugepages resources requested and offered, by name. */
  requestedScalar: Record<string, number> = {};
  allocatableScalar: Readonly<Record<string, number>> = {};
  name = '';
  pods: PodInfo[] = [];
  usedPorts = new Set<string>();
  podsWithAffinity = 0;
  podsWithRequiredAntiAffinity = 0;
  /** `node.status.images` by normalized name, for ImageLocality. */
  imageSizes: ReadonlyMap<string, number> = NO_IMAGES;
  /** Bumped on every change; snapshots copy only nodes whose generation moved. */
  generation = 0;

  /**
   * A NodeInfo for `node`, or a copy of `from` (see `clone`). Copies are built here rather than by
   * `Object.create`: an object made that way holds only 4 properties in itself and the rest in a
   * separate array, so every Filter and Score read past the 4th field cost a second cache miss.
   */
  constructor(public node: Node, from?: NodeInfo) {
    if (from) this.copyFrom(from);
    else this.setNode(node);
  }

  setNode(node: Node): void {
    this.node = node;
    this.name = node.metadata.name!;
    this.unschedulable = !!node.spec?.unschedulable;
    this.labels = node.metadata.labels ?? {};
    this.taints = node.spec?.taints;
    const a = resourcesOf(node.status?.allocatable ?? node.status?.capacity);
    this.allocatableMilliCPU = a.milliCPU;
    this.allocatableMemory = a.memory;
    this.allocatableEphemeralStorage = a.ephemeralStorage;
    this.allocatablePods = a.pods;
    this.allocatableScalar = a.scalar;
    this.imageSizes = imageSizesOf(node);
  }

  addPod(pi: PodInfo): void {
    this.pods.push(pi);
    this.account(pi, 1);
    for (const p of pi.hostPorts) this.usedPorts.add(p);
  }

  /** Removes the pod with this uid (the last pod takes its place, as in Kubernetes); returns whether it was there. */
  removePod(uid: string): boolean {
    const i = this.indexOf(uid);
    if (i < 0) return false;
    const pi = this.pods[i];
    this.pods[i] = this.pods[this.pods.length - 1];
    this.pods.pop();
    this.account(pi, -1);
    for (const p of pi.hostPorts) this.usedPorts.delete(p);
    return true;
  }

  /**
   * Replaces the pod with `pod.metadata.uid` by `pod`, a later version with the same spec object:
   * what the scheduler derives from a pod (requests, ports, affinity) comes from its spec alone, so
   * the sums stay and nothing is computed again. False when the pod is not here or its spec differs.
   */
  replacePod(pod: Pod): boolean {
    const i = this.indexOf(pod.metadata.uid!);
    if (i < 0 || this.pods[i].pod.spec !== pod.spec) return false;
    this.pods[i] = { ...this.pods[i], pod };
    return true;
  }

  private indexOf(uid: string): number {
    for (let i = 0; i < this.pods.length; i++) if (this.pods[i].uid === uid) return i;
    return -1;
  }

  /** Adds (sign 1) or takes away (-1) a pod's requests and affinity counts. */
  private account(pi: PodInfo, sign: 1 | -1): void {
    const r = pi.requests;
    this.requestedMilliCPU += sign * r.milliCPU;
    this.requestedMemory += sign * r.memory;
    this.requestedEphemeralStorage += sign * r.ephemeralStorage;
    this.requestedPods += sign * r.pods;
    for (const k in r.scalar) this.requestedScalar[k] = (this.requestedScalar[k] ?? 0) + sign * r.scalar[k];
    this.nonZeroMilliCPU += sign * pi.nonZeroRequests.milliCPU;
    this.nonZeroMemory += sign * pi.nonZeroRequests.memory;
    if (pi.hasAffinity) this.podsWithAffinity += sign;
    if (pi.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity += sign;
  }

  /** A copy whose parts are allocated together (and whose pod list and sums are its own). */
  clone(): NodeInfo {
    return new NodeInfo(this.node, this);
  }

  private copyFrom(c: NodeInfo): void {
    this.unschedulable = c.unschedulable;
    this.taints = c.taints;
    this.labels = c.labels;
    this.requestedPods = c.requestedPods;
    this.allocatablePods = c.allocatablePods;
    this.requestedMilliCPU = c.requestedMilliCPU;
    this.allocatableMilliCPU = c.allocatableMilliCPU;
    this.requestedMemory = c.requestedMemory;
    this.allocatableMemory = c.allocatableMemory;
    this.nonZeroMilliCPU = c.nonZeroMilliCPU;
    this.nonZeroMemory = c.nonZeroMemory;
    this.requestedEphemeralStorage = c.requestedEphemeralStorage;
    this.allocatableEphemeralStorage = c.allocatableEphemeralStorage;
    this.requestedScalar = { ...c.requestedScalar };
    this.allocatableScalar = c.allocatableScalar;
    this.name = c.name;
    this.pods = c.pods.slice();
    this.usedPorts = new Set(c.usedPorts);
    this.podsWithAffinity = c.podsWithAffinity;
    this.podsWithRequiredAntiAffinity = c.podsWithRequiredAntiAffinity;
    this.imageSizes = c.imageSizes;
    this.generation = c.generation;
  }
}
