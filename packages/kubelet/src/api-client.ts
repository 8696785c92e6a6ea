import { RESOURCES, isNotFound, type ConfigMap, type Lease, type Node, type Pod, type PodStatus, type Secret } from '@peapod/api-types';
import { SharedInformer, type KubeClient } from '@peapod/client';
import type { Clock, Logger } from '@peapod/core';

/**
 * The narrow views of the API each kubelet part needs. Parts depend on one of these, so unit
 * tests hand them a small fake; `kubeletApiFromClient` backs them all with a `KubeClient`.
 * Failures are `StatusError`s (`isNotFound`, `isConflict`, ...).
 */

/** The status manager's only door: write a pod's status through the `status` subresource. */
export interface PodStatusWriter {
  /** Rejects with NotFound when the pod is gone. */
  writePodStatus(pod: Pod, status: PodStatus): Promise<void>;
}

/** Finishing a graceful deletion once every container has stopped (grace 0, uid precondition). */
export interface PodDeleter {
  /** Resolves when the pod is gone (NotFound included). */
  deletePod(pod: Pod): Promise<void>;
}

/** Node registration, status and heartbeat. */
export interface NodeApi {
  /** With `resourceVersion` "0" the API server may answer from its cache (possibly stale). */
  getNode(name: string, resourceVersion?: string): Promise<Node | undefined>;
  /** Rejects with AlreadyExists when the node is registered already. */
  createNode(node: Node): Promise<Node>;
  /** Writes `node.status` (and labels through the main resource when they changed). */
  updateNode(node: Node): Promise<Node>;
  updateNodeStatus(node: Node): Promise<Node>;
  getLease(namespace: string, name: string): Promise<Lease | undefined>;
  createLease(lease: Lease): Promise<Lease>;
  updateLease(lease: Lease): Promise<Lease>;
}

export interface PodSourceHandler {
  /** A pod bound to this node was added or changed. */
  upsert(pod: Pod): void;
  /** A pod bound to this node is gone from the API. */
  remove(pod: Pod): void;
}

/** Pods bound to one node, as a stream of changes (list+watch behind it). */
export interface PodSource {
  /** Starts delivering; resolves once the initial list has been delivered. `stop` ends it. */
  start(nodeName: string, handler: PodSourceHandler): Promise<{ stop(): Promise<void> }>;
}

/** ConfigMaps and Secrets referenced by pods (env and volumes); undefined when absent. */
export interface ObjectLookup {
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
}

/** Everything the kubelet asks of the API; mirror pods use `getPod`/`createPod`/`deletePod`. */
export interface KubeletApi extends PodStatusWriter, PodDeleter, PodSource, ObjectLookup, NodeApi {
  getPod(namespace: string, name: string): Promise<Pod | undefined>;
  /** Rejects with AlreadyExists when a pod of that name exists. */
  createPod(pod: Pod): Promise<Pod>;
}

const orUndefined = async <T>(p: Promise<T>): Promise<T | undefined> => {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
};

/** Backs every narrow view with a `KubeClient`; pods bound to the node come from a shared informer. */
export function kubeletApiFromClient(client: KubeClient, clock: Clock, logger: Logger): KubeletApi {
  const pods = client.resource(RESOURCES.pods);
  const nodes = client.resource(RESOURCES.nodes);
  const leases = client.resource(RESOURCES.leases);
  const configMaps = client.resource(RESOURCES.configmaps);
  const secrets = client.resource(RESOURCES.secrets);
  const ns = (pod: Pod) => ({ namespace: pod.metadata.namespace ?? 'default' });
  return {
    async writePodStatus(pod, status) {
      // A strategic merge patch merges conditions by type, so conditions others set meanwhile survive.
      await pods.patch(pod.metadata.name!, 'strategic', { status }, { ...ns(pod), subresource: 'status' });
    },
    async deletePod(pod) {
      try {
        await pods.delete(pod.metadata.name!, { ...ns(pod), gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
    getPod: (namespace, name) => orUndefined(pods.get(name, { namespace })),
    createPod: (pod) => pods.create(pod, ns(pod)),
    getConfigMap: (namespace, name) => orUndefined(configMaps.get(name, { namespace })),
    getSecret: (namespace, name) => orUndefined(secrets.get(name, { namespace })),
    getNode: (name, resourceVersion) => orUndefined(nodes.get(name, { resourceVersion })),
    createNode: (node) => nodes.create(node),
    updateNode: (node) => nodes.update(node),
    updateNodeStatus: (node) => nodes.updateStatus(node),
    getLease: (namespace, name) => orUndefined(leases.get(name, { namespace })),
    createLease: (lease) => leases.create(lease, { namespace: lease.metadata.namespace }),
    updateLease: (lease) => leases.update(lease, { namespace: lease.metadata.namespace }),
    async start(nodeName, handler) {
      const informer = new SharedInformer(RESOURCES.pods, { fieldSelector: `spec.nodeName=${nodeName}` }, { client, clock, logger });
      informer.addEventHandler({
        onAdd: (pod) => handler.upsert(pod),
        onUpdate: (_old, pod) => handler.upsert(pod),
        onDelete: (pod) => handler.remove(pod),
      });
      informer.start();
      await informer.waitForSync();
      return { stop: () => informer.stop() };
    },
  };
}

