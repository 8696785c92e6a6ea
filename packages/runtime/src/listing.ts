import { matchesLabels } from './labels.js';
import type { Runtime } from './services.js';
import type { Container, ContainerFilter, ContainerStats, ContainerStatus, PodSandbox, PodSandboxFilter, PodSandboxStats, PodSandboxStatus } from './types.js';

/**
 * What `listPodSandbox`/`listContainers` return for an adapter's statuses: the entries matching
 * every given filter field (labels by equality, as CRI), as fresh copies the caller may keep.
 */
export function selectPodSandboxes(statuses: Iterable<PodSandboxStatus>, filter: PodSandboxFilter = {}): PodSandbox[] {
  const out: PodSandbox[] = [];
  for (const s of statuses) {
    if ((filter.id && s.id !== filter.id) || (filter.state && s.state !== filter.state) || !matchesLabels(s.labels, filter.labelSelector)) continue;
    out.push({ id: s.id, metadata: { ...s.metadata }, state: s.state, createdAt: s.createdAt, labels: { ...s.labels }, annotations: { ...s.annotations }, runtimeHandler: s.runtimeHandler });
  }
  return out;
}

export function selectContainers(statuses: Iterable<ContainerStatus>, filter: ContainerFilter = {}): Container[] {
  const out: Container[] = [];
  for (const s of statuses) {
    if ((filter.id && s.id !== filter.id) || (filter.state && s.state !== filter.state) || (filter.podSandboxId && s.podSandboxId !== filter.podSandboxId) || !matchesLabels(s.labels, filter.labelSelector)) continue;
    out.push({ id: s.id, podSandboxId: s.podSandboxId, metadata: { ...s.metadata }, image: { ...s.image }, imageRef: s.imageRef, state: s.state, createdAt: s.createdAt, labels: { ...s.labels }, annotations: { ...s.annotations } });
  }
  return out;
}

/** A sandbox's stats as the sum of its running containers' (runtimes without a pod-level cgroup). */
export function sumPodSandboxStats(sandbox: PodSandboxStatus, containers: ContainerStats[], now: number): PodSandboxStats {
  return {
    id: sandbox.id,
    metadata: { ...sandbox.metadata },
    labels: { ...sandbox.labels },
    annotations: { ...sandbox.annotations },
    cpu: { timestamp: now, usageCoreNanoSeconds: containers.reduce((a, c) => a + (c.cpu?.usageCoreNanoSeconds ?? 0), 0) },
    memory: { timestamp: now, workingSetBytes: containers.reduce((a, c) => a + (c.memory?.workingSetBytes ?? 0), 0) },
    containers,
  };
}

/**
 * `podSandboxStats` of a runtime whose pods have no cgroup of their own, from its own calls: the
 * sandbox's status and its containers' stats, summed by `sumPodSandboxStats`.
 */
export async function podSandboxStatsFromContainers(rt: Pick<Runtime, 'podSandboxStatus' | 'listContainerStats'>, id: string, now: () => number): Promise<PodSandboxStats> {
  const [sandbox, containers] = await Promise.all([rt.podSandboxStatus(id), rt.listContainerStats({ podSandboxId: id })]);
  return sumPodSandboxStats(sandbox, containers, now());
}
