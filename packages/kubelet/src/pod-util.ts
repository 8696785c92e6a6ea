import type { Container, ContainerStatus, Pod, PodSpec } from '@peapod/api-types';

export type RestartPolicy = NonNullable<PodSpec['restartPolicy']>;

/** The pod's restart policy with Kubernetes' default. */
export const restartPolicyOf = (spec: Pick<PodSpec, 'restartPolicy'>): RestartPolicy => spec.restartPolicy ?? 'Always';

/** An init container with `restartPolicy: Always` is a sidecar: it runs for the pod's life. */
export const isSidecar = (c: Pick<Container, 'restartPolicy'>): boolean => c.restartPolicy === 'Always';

/** `namespace/name` for logs, events and keys. */
export const podKey = (pod: Pick<Pod, 'metadata'>): string => `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;

export const statusByName = (statuses: readonly ContainerStatus[] | undefined, name: string): ContainerStatus | undefined =>
  statuses?.find((s) => s.name === name);

export const isTerminalPhase = (phase: string | undefined): boolean => phase === 'Succeeded' || phase === 'Failed';

/** Seconds as an RFC 3339 timestamp with second precision, as Kubernetes serializes `metav1.Time`. */
export function rfc3339(ms: number): string {
  const s = Math.floor(ms / 1000);
  let text = timestamps.get(s);
  if (text === undefined) {
    if (timestamps.size >= MAX_TIMESTAMPS) timestamps.clear();
    timestamps.set(s, (text = new Date(s * 1000).toISOString().replace('.000Z', 'Z')));
  }
  return text;
}
/**
 * Every status carries several timestamps: the current second (conditions, start time) and each
 * container's start and finish, mostly of the last few seconds. A cache of the last second alone
 * missed whenever a status mixed the two.
 */
const timestamps = new Map<number, string>();
const MAX_TIMESTAMPS = 4096;
