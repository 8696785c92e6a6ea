import { randomUUID } from 'node:crypto';
import { alreadyExists, conflict, notFound, type ConfigMap, type Lease, type Node, type Pod, type PodStatus, type Secret } from '@peapod/api-types';
import type { KubeletApi, PodSourceHandler } from '../api-client.js';
import { podKey } from '../pod-util.js';

/**
 * An in-memory stand-in for the API as the kubelet sees it (unit tests and the benchmark): pods
 * bound to the node, their status writes, mirror pods, nodes and leases. Status writes and
 * deletions are echoed to the kubelet as watch events, as the real informer would.
 */
export class FakeKubeletApi implements KubeletApi {
  readonly pods = new Map<string, Pod>();
  readonly statusWrites: { pod: string; status: PodStatus }[] = [];
  readonly nodes = new Map<string, Node>();
  /** What a read at a resourceVersion gets instead of `nodes` (a stale copy from the API server's cache), when set. */
  readonly cachedNodes = new Map<string, Node>();
  /** The resourceVersion of every Node read ('' for a consistent read). */
  readonly nodeReads: string[] = [];
  readonly leases = new Map<string, Lease>();
  readonly configMaps = new Map<string, ConfigMap>();
  readonly secrets = new Map<string, Secret>();
  private handler?: PodSourceHandler;
  private rv = 1;
  /** Record every status write (off in the benchmark). */
  recordWrites = true;
  /** Lease reads, by `namespace/name`. */
  readonly leaseReads = new Map<string, number>();

  /** Creates (or replaces) a pod bound to the node, as the scheduler's binding would. */
  addPod(pod: Pod): Pod {
    const stored: Pod = { ...pod, metadata: { namespace: 'default', uid: randomUUID(), generation: 1, ...pod.metadata, resourceVersion: String(this.rv++) } };
    this.pods.set(podKey(stored), stored);
    this.handler?.upsert(stored);
    return stored;
  }

  /** A graceful DELETE from a user: sets the deletion timestamp and grace; the kubelet finishes it. */
  requestDeletion(namespace: string, name: string, gracePeriodSeconds?: number, now = Date.now()): void {
    const pod = this.mustGet(namespace, name);
    const grace = gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    this.replace({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(now).toISOString(), deletionGracePeriodSeconds: grace } });
  }

  /** Removes a pod at once (a force delete, or the kubelet's final delete). */
  remove(namespace: string, name: string): void {
    const pod = this.pods.get(`${namespace}/${name}`);
    if (!pod) return;
    this.pods.delete(`${namespace}/${name}`);
    this.handler?.remove(pod);
  }

  get(namespace: string, name: string): Pod | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }

  async writePodStatus(pod: Pod, status: PodStatus): Promise<void> {
    const current = this.mustGet(pod.metadata.namespace ?? 'default', pod.metadata.name!);
    if (this.recordWrites) this.statusWrites.push({ pod: podKey(current), status: structuredClone(status) });
    this.replace({ ...current, status });
  }

  async deletePod(pod: Pod): Promise<void> {
    const current = this.pods.get(podKey(pod));
    if (current && (!pod.metadata.uid || current.metadata.uid === pod.metadata.uid)) this.remove(current.metadata.namespace!, current.metadata.name!);
  }

  async getPod(namespace: string, name: string): Promise<Pod | undefined> {
    return this.get(namespace, name);
  }

  async createPod(pod: Pod): Promise<Pod> {
    if (this.pods.has(podKey(pod))) throw alreadyExists({ kind: 'pods', name: pod.metadata.name });
    return this.addPod(pod);
  }

  async start(_nodeName: string, handler: PodSourceHandler) {
    this.handler = handler;
    for (const p of this.pods.values()) handler.upsert(p);
    return { stop: async () => { this.handler = undefined; } };
  }

  async getConfigMap(namespace: string, name: string) {
    return this.configMaps.get(`${namespace}/${name}`);
  }

  async getSecret(namespace: string, name: string) {
    return this.secrets.get(`${namespace}/${name}`);
  }

  async getNode(name: string, resourceVersion?: string) {
    this.nodeReads.push(resourceVersion ?? '');
    return (resourceVersion ? this.cachedNodes.get(name) : undefined) ?? this.nodes.get(name);
  }

  async createNode(node: Node) {
    if (this.nodes.has(node.metadata.name!)) throw alreadyExists({ kind: 'nodes', name: node.metadata.name });
    const stored = { ...node, metadata: { ...node.metadata, uid: randomUUID(), resourceVersion: String(this.rv++) } };
    this.nodes.set(node.metadata.name!, stored);
    return stored;
  }

  async updateNode(node: Node) {
    return this.putNode(node);
  }

  async updateNodeStatus(node: Node) {
    return this.putNode(node);
  }

  async getLease(namespace: string, name: string) {
    const key = `${namespace}/${name}`;
    this.leaseReads.set(key, (this.leaseReads.get(key) ?? 0) + 1);
    return this.leases.get(key);
  }

  async createLease(lease: Lease) {
    const key = `${lease.metadata.namespace}/${lease.metadata.name}`;
    if (this.leases.has(key)) throw alreadyExists({ kind: 'leases', name: lease.metadata.name });
    return this.putLease(lease);
  }

  /** As the API server's update: NotFound when absent, Conflict when `resourceVersion` is stale. */
  async updateLease(lease: Lease) {
    const current = this.leases.get(`${lease.metadata.namespace}/${lease.metadata.name}`);
    if (!current) throw notFound({ kind: 'leases', name: lease.metadata.name });
    if (lease.metadata.resourceVersion !== current.metadata.resourceVersion) throw conflict({ kind: 'leases', name: lease.metadata.name });
    return this.putLease(lease);
  }

  /** Stores a lease with the next resourceVersion (also how a test plays another writer). */
  putLease(lease: Lease): Lease {
    const stored = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(this.rv++) } };
    this.leases.set(`${lease.metadata.namespace}/${lease.metadata.name}`, stored);
    return stored;
  }

  private putNode(node: Node): Node {
    const current = this.nodes.get(node.metadata.name!);
    if (!current) throw notFound({ kind: 'nodes', name: node.metadata.name });
    if (node.metadata.resourceVersion && node.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict({ kind: 'nodes', name: node.metadata.name });
    }
    const stored = { ...node, metadata: { ...node.metadata, resourceVersion: String(this.rv++) } };
    this.nodes.set(node.metadata.name!, stored);
    return stored;
  }

  private mustGet(namespace: string, name: string): Pod {
    const pod = this.pods.get(`${namespace}/${name}`);
    if (!pod) throw notFound({ kind: 'pods', name });
    return pod;
  }

  private replace(pod: Pod): void {
    const stored = { ...pod, metadata: { ...pod.metadata, resourceVersion: String(this.rv++) } };
    this.pods.set(podKey(stored), stored);
    this.handler?.upsert(stored);
  }
}
