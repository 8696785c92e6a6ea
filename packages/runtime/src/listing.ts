import { matchesLabels } from './labels.js';
import type { Runtime } from './services.js';
import type { Container, ContainerFilter, ContainerStats, ContainerStatus, PodSandbox, PodSandboxFilter, PodSandboxStats, PodSandboxStatus } from './types.js';

/**
 * What `listPodSandbox`/`listContainers` return for an adapter's statuses: the entries matching
 * every given filter field (labels by equality, as CRI), as frozen snapshots the caller may keep.
 *
 * A status's snapshot is made once per state and handed out again while the state holds: the
 * kubelet relists every second, and on a quiet node (or a thousand simulated ones) fresh copies
 * of every entry were most of a relist's cost. So an adapter may change a status in place only
 * in `state` and in fields lists do not show (times, exit code, network); metadata, labels,
 * annotations, image and sandbox are fixed once the status is made.
 */
export function selectPodSandboxes(statuses: Iterable<PodSandboxStatus>, filter: PodSandboxFilter = {}): PodSandbox[] {
  const out: PodSandbox[] = [];
  for (const s of statuses) {
    if ((filter.id && s.id !== filter.id) || (filter.state && s.state !== filter.state) || !matchesLabels(s.labels, filter.labelSelector)) continue;
    out.push(snapshot(sandboxSnapshots, s, sandboxSnapshot));
  }
  return out;
}

export function selectContainers(statuses: Iterable<ContainerStatus>, filter: ContainerFilter = {}): Container[] {
  const out: Container[] = [];
  for (const s of statuses) {
    if ((filter.id && s.id !== filter.id) || (filter.state && s.state !== filter.state) || (filter.podSandboxId && s.podSandboxId !== filter.podSandboxId) || !matchesLabels(s.labels, filter.labelSelector)) continue;
    out.push(snapshot(containerSnapshots, s, containerSnapshot));
  }
  return out;
}

const sandboxSnapshots = new WeakMap<PodSandboxStatus, PodSandbox>();
const containerSnapshots = new WeakMap<ContainerStatus, Container>();

function snapshot<S extends { state: string }, L extends { state: string }>(made: WeakMap<S, L>, s: S, make: (s: S) => L): L {
  let l = made.get(s);
  if (l?.state !== s.state) made.set(s, (l = make(s)));
  return l;
}

const sandboxSnapshot = (s: PodSandboxStatus): PodSandbox => Object.freeze({
  id: s.id, metadata: Object.freeze({ ...s.metadata }), state: s.state, createdAt: s.createdAt,
  labels: Object.freeze({ ...s.labels }), annotations: Object.freeze({ ...s.annotations }), runtimeHandler: s.runtimeHandler,
});

const containerSnapshot = (s: ContainerStatus): Container => Object.freeze({
  id: s.id, podSandboxId: s.podSandboxId, metadata: Object.freeze({ ...s.metadata }), image: Object.freeze({ ...s.image }), imageRef: s.imageRef,
  state: s.state, createdAt: s.createdAt, labels: Object.freeze({ ...s.labels }), annotations: Object.freeze({ ...s.annotations }),
});

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
