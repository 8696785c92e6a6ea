import type { StringMap } from './types.js';

/**
 * The labels and annotations the kubelet puts on sandboxes and containers so that a restarted
 * kubelet can find what it started and adopt it (same keys as upstream's kuberuntime labels, so
 * tooling that reads them on a real node reads them here). Runtimes store them verbatim and
 * return them from list/status calls; they never interpret them.
 */
export const PodLabel = {
  name: 'io.kubernetes.pod.name',
  namespace: 'io.kubernetes.pod.namespace',
  uid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
} as const;

export const ContainerAnnotation = {
  /** The kubelet's hash of the container spec: a changed hash means the container must be replaced. */
  hash: 'io.kubernetes.container.hash',
  /** Restart count of the container when this instance was created. */
  restartCount: 'io.kubernetes.container.restartCount',
  terminationMessagePath: 'io.kubernetes.container.terminationMessagePath',
  terminationMessagePolicy: 'io.kubernetes.container.terminationMessagePolicy',
  /** Grace period of the pod, so an adopted pod can be stopped with the right grace. */
  terminationGracePeriod: 'io.kubernetes.pod.terminationGracePeriod',
} as const;

/** Who a sandbox or container belongs to, read back from its labels. */
export interface PodIdentity {
  name: string;
  namespace: string;
  uid: string;
}

export interface ContainerIdentity extends PodIdentity {
  containerName: string;
  /** The spec hash annotation, when present. */
  hash?: string;
  restartCount: number;
}

export function podLabels(pod: PodIdentity): StringMap {
  return { [PodLabel.name]: pod.name, [PodLabel.namespace]: pod.namespace, [PodLabel.uid]: pod.uid };
}

export function containerLabels(pod: PodIdentity, containerName: string): StringMap {
  return { ...podLabels(pod), [PodLabel.containerName]: containerName };
}

export function containerAnnotations(a: { hash: string; restartCount: number; terminationMessagePath?: string; terminationMessagePolicy?: string; terminationGracePeriodSeconds?: number }): StringMap {
  return {
    [ContainerAnnotation.hash]: a.hash,
    [ContainerAnnotation.restartCount]: String(a.restartCount),
    ...(a.terminationMessagePath !== undefined ? { [ContainerAnnotation.terminationMessagePath]: a.terminationMessagePath } : {}),
    ...(a.terminationMessagePolicy !== undefined ? { [ContainerAnnotation.terminationMessagePolicy]: a.terminationMessagePolicy } : {}),
    ...(a.terminationGracePeriodSeconds !== undefined ? { [ContainerAnnotation.terminationGracePeriod]: String(a.terminationGracePeriodSeconds) } : {}),
  };
}

/** The pod a sandbox or container belongs to; undefined when it was not started by a kubelet. */
export function podIdentityOf(labels: StringMap): PodIdentity | undefined {
  const name = labels[PodLabel.name];
  const namespace = labels[PodLabel.namespace];
  const uid = labels[PodLabel.uid];
  return name !== undefined && namespace !== undefined && uid !== undefined ? { name, namespace, uid } : undefined;
}

/** The container identity for adoption; undefined when the labels are not the kubelet's. */
export function containerIdentityOf(labels: StringMap, annotations: StringMap): ContainerIdentity | undefined {
  const pod = podIdentityOf(labels);
  const containerName = labels[PodLabel.containerName];
  if (!pod || containerName === undefined) return undefined;
  const restartCount = Number(annotations[ContainerAnnotation.restartCount] ?? 0);
  return {
    ...pod,
    containerName,
    hash: annotations[ContainerAnnotation.hash],
    restartCount: Number.isInteger(restartCount) && restartCount >= 0 ? restartCount : 0,
  };
}

/** Equality match of every selector pair, as CRI's `label_selector`. */
export function matchesLabels(labels: StringMap, selector: StringMap | undefined): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}
