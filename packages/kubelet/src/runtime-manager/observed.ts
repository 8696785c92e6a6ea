import { hash as digest } from 'node:crypto';
import type { Container } from '@peapod/api-types';
import type { LinuxContainerResources } from '@peapod/runtime';

/**
 * What the kubelet sees of one pod in the runtime (kubelet's `kubecontainer.PodStatus`): its
 * sandboxes and every container attempt still known to the runtime, newest first. Built from the
 * runtime's lists and from the labels the kubelet put on what it created, so a restarted kubelet
 * sees the same picture.
 */
export type ContainerRunState = 'created' | 'running' | 'exited' | 'unknown';

export interface ObservedContainer {
  id: string;
  name: string;
  state: ContainerRunState;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  /** The runtime's reason (`Completed`, `Error`, `OOMKilled`, ...) and message. */
  reason?: string;
  message?: string;
  image: string;
  imageRef: string;
  /** `containerHash` of the spec it was created from. */
  hash: string;
  /** Restart count at creation (a label), so counting continues across kubelet restarts. */
  restartCount: number;
  /** Resources the runtime applies now (after in-place resizes), when it reports them. */
  resources?: LinuxContainerResources;
}

export interface ObservedSandbox {
  id: string;
  ready: boolean;
  attempt: number;
  ip?: string;
  createdAt: number;
}

export interface ObservedPod {
  sandboxes: ObservedSandbox[];
  containers: ObservedContainer[];
}

export const emptyObservedPod = (): ObservedPod => ({ sandboxes: [], containers: [] });

/** The latest attempt of the container named `name`. */
export const latest = (pod: ObservedPod, name: string): ObservedContainer | undefined => pod.containers.find((c) => c.name === name);

/** Every attempt of `name`, newest first. */
export const attempts = (pod: ObservedPod, name: string): ObservedContainer[] => pod.containers.filter((c) => c.name === name);

/** Canonical JSON: keys sorted, undefined members left out (as `JSON.stringify` leaves them out). */
function stable(value: unknown): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i ? ',' : ''}${stable(value[i]) ?? ''}`;
    return `${out}]`;
  }
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    let out = '{';
    for (const k of Object.keys(o).sort()) {
      if (o[k] !== undefined) out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${stable(o[k])}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value);
}

/**
 * A hash of the container spec without `resources`: a running container whose hash differs from
 * its spec's was created from an older definition and is restarted; resource changes go through
 * in-place resize instead.
 */
export function containerHash(c: Container): string {
  let hash = hashes.get(c);
  if (hash === undefined) {
    const { resources: _resources, ...rest } = c;
    hash = digest('sha1', stable(rest)).slice(0, 16);
    hashes.set(c, hash);
  }
  return hash;
}

/** Every sync hashes every container of the pod; the pod object (and its specs) is only replaced, never changed in place. */
const hashes = new WeakMap<Container, string>();
