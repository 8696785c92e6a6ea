import type { Node, Pod } from '@peapod/api-types';
import { podRequestsOf, resourcesOf, type Resources, addResources, subResources, zeroResources } from './resources.js';

/** A pod as the scheduler caches it, with its requests computed once. */
export interface PodInfo {
  pod: Pod;
  requests: Resources;
  /** Requests with Kubernetes' non-zero defaults (100m CPU, 200Mi memory) for scoring. */
  nonZeroRequests: Resources;
  /** `protocol/hostIP/hostPort` of every host port the pod uses. */
  hostPorts: string[];
}

export function podInfoOf(pod: Pod): PodInfo {
  const { requests, nonZero } = podRequestsOf(pod);
  const hostPorts: string[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) if (p.hostPort) hostPorts.push(`${p.protocol ?? 'TCP'}/${p.hostIP || '0.0.0.0'}/${p.hostPort}`);
  }
  return { pod, requests, nonZeroRequests: nonZero, hostPorts };
}

/**
 * Everything a Filter or Score plugin may ask about one node: the Node, the pods on it (bound and
 * assumed), their summed requests and host ports. Snapshots hold clones, so a scheduling cycle
 * never sees a half-updated node.
 */
export class NodeInfo {
  pods: PodInfo[] = [];
  requested: Resources = zeroResources();
  nonZeroRequested: Resources = zeroResources();
  allocatable: Resources = zeroResources();
  usedPorts = new Set<string>();
  /** Bumped on every change; snapshots copy only nodes whose generation moved. */
  generation = 0;

  constructor(public node: Node) {
    this.setNode(node);
  }

  get name(): string {
    return this.node.metadata.name!;
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = resourcesOf(node.status?.allocatable ?? node.status?.capacity);
  }

  addPod(pi: PodInfo): void {
    this.pods.push(pi);
    addResources(this.requested, pi.requests);
    addResources(this.nonZeroRequested, pi.nonZeroRequests);
    for (const p of pi.hostPorts) this.usedPorts.add(p);
  }

  /** Removes the pod with this uid; returns whether it was there. */
  removePod(uid: string): boolean {
    const i = this.pods.findIndex((p) => p.pod.metadata.uid === uid);
    if (i < 0) return false;
    const [pi] = this.pods.splice(i, 1);
    subResources(this.requested, pi.requests);
    subResources(this.nonZeroRequested, pi.nonZeroRequests);
    for (const p of pi.hostPorts) this.usedPorts.delete(p);
    return true;
  }

  clone(): NodeInfo {
    const c = Object.create(NodeInfo.prototype) as NodeInfo;
    c.node = this.node;
    c.pods = this.pods.slice();
    c.requested = { ...this.requested, scalar: { ...this.requested.scalar } };
    c.nonZeroRequested = { ...this.nonZeroRequested, scalar: { ...this.nonZeroRequested.scalar } };
    c.allocatable = this.allocatable;
    c.usedPorts = new Set(this.usedPorts);
    c.generation = this.generation;
    return c;
  }
}
