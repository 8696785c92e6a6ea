import { matchesLabels } from './labels.js';
import type { Container, ContainerFilter, ContainerStatus, PodSandbox, PodSandboxFilter, PodSandboxStatus } from './types.js';

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
