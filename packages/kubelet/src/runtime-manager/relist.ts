import { containerIdentityOf, podIdentityOf, type Container, type ContainerIdentity, type ContainerStatus, type PodIdentity, type PodSandbox, type PodSandboxStatus, type Runtime } from '@peapod/runtime';
import type { ObservedContainer, ObservedPod, ObservedSandbox, ContainerRunState } from './observed.js';

interface Cached<I, O> {
  state: string;
  identity: I;
  observed: O;
}

const STATE: Record<ContainerStatus['state'], ContainerRunState> = { Created: 'created', Running: 'running', Exited: 'exited', Unknown: 'unknown' };

export interface RelistResult {
  pods: Map<string, ObservedPod>;
  /** Who each uid is, from the runtime's labels (for pods the kubelet no longer knows). */
  identities: Map<string, PodIdentity>;
  /** Pods whose containers or sandboxes changed since the previous relist. */
  changed: Set<string>;
}

/**
 * The kubelet's view of the runtime, rebuilt by relisting (the PLEG of kubelet): every sandbox and
 * container the runtime lists, grouped by the pod uid label the kubelet put on them, so a
 * restarted kubelet sees what the previous one started. Details of a container (exit code, times)
 * are fetched only when its listed state changes; an exited container never changes again.
 */
export class Relister {
  /** What the last relist or observation built for each container and sandbox, by id, with the state it was built for. */
  private readonly containerCache = new Map<string, Cached<ContainerIdentity, ObservedContainer>>();
  private readonly sandboxCache = new Map<string, Cached<PodIdentity, ObservedSandbox>>();
  private readonly fingerprints = new Map<string, string>();
  private readonly last = new Map<string, ObservedPod>();
  private identities = new Map<string, PodIdentity>();
  /** Ids of each pod's sandboxes and containers: from the last relist plus what the kubelet created since. */
  private readonly ids = new Map<string, { sandbox: Set<string>; container: Set<string> }>();

  /** False until the first relist: what exited before this kubelet started is not reported as an exit. */
  private primed = false;

  /** `onExited` hears of each container exit once, as soon as any relist or observation sees it. */
  constructor(private readonly runtime: Runtime, private readonly onExited: (uid: string, c: ObservedContainer) => void = () => undefined) {}

  /** The pod as of the last relist (empty when the runtime has nothing for it). */
  observed(uid: string): ObservedPod {
    return this.last.get(uid) ?? { sandboxes: [], containers: [] };
  }

  /** Every pod seen by the last relist, with who it is (for pods the kubelet no longer knows). */
  snapshot(): { pods: ReadonlyMap<string, ObservedPod>; identities: ReadonlyMap<string, PodIdentity> } {
    return { pods: this.last, identities: this.identities };
  }

  /** Relists the runtime; the result also becomes what `observed` returns. */
  async relist(): Promise<RelistResult> {
    const [sandboxes, containers] = await Promise.all([this.runtime.listPodSandbox(), this.runtime.listContainers()]);
    const { pods, identities } = await this.collect(sandboxes, containers);
    this.identities = identities;
    this.primed = true;
    const seenContainers = new Set(containers.map((c) => c.id));
    const seenSandboxes = new Set(sandboxes.map((s) => s.id));
    for (const id of this.containerCache.keys()) if (!seenContainers.has(id)) this.containerCache.delete(id);
    for (const id of this.sandboxCache.keys()) if (!seenSandboxes.has(id)) this.sandboxCache.delete(id);
    const changed = new Set<string>();
    for (const [uid, p] of pods) if (this.remember(uid, p)) changed.add(uid);
    for (const uid of [...this.fingerprints.keys()]) {
      if (pods.has(uid)) continue;
      changed.add(uid);
      this.fingerprints.delete(uid);
      this.last.delete(uid);
    }
    return { pods, identities, changed };
  }

  /** Records a sandbox or container the kubelet just created, so `observePod` sees it before the next relist. */
  track(uid: string, kind: 'sandbox' | 'container', id: string): void {
    let ids = this.ids.get(uid);
    if (!ids) this.ids.set(uid, (ids = { sandbox: new Set(), container: new Set() }));
    ids[kind].add(id);
  }

  /** Forgets a pod that is gone (its sandboxes and containers were removed). */
  forget(uid: string): void {
    this.ids.delete(uid);
    this.last.delete(uid);
    this.fingerprints.delete(uid);
  }

  /**
   * Refreshes one pod (after a sync changed it), so the next relist does not report it again.
   * It asks the runtime about the pod's known ids only, so its cost does not grow with the node.
   */
  async observePod(uid: string): Promise<ObservedPod> {
    const ids = this.ids.get(uid);
    const get = async <T>(id: string, kind: 'sandbox' | 'container', fn: (id: string) => Promise<T>) => {
      try {
        return await fn(id);
      } catch {
        ids![kind].delete(id);
        return undefined;
      }
    };
    const [sandboxes, containers] = ids
      ? await Promise.all([
        Promise.all([...ids.sandbox].map((id) => get(id, 'sandbox', (i) => this.runtime.podSandboxStatus(i)))),
        Promise.all([...ids.container].map((id) => get(id, 'container', (i) => this.runtime.containerStatus(i)))),
      ])
      : [[], []];
    const p = (await this.collect(sandboxes.filter((x) => !!x), containers.filter((x) => !!x), true)).pods.get(uid) ?? { sandboxes: [], containers: [] };
    this.remember(uid, p);
    return p;
  }

  /** Stores the pod's view; true when it differs from the previous one. */
  private remember(uid: string, p: ObservedPod): boolean {
    const fp = [...p.sandboxes.map((s) => `${s.id}:${s.ready}`), ...p.containers.map((c) => `${c.id}:${c.state}`)].join(',');
    this.last.set(uid, p);
    if (this.fingerprints.get(uid) === fp) return false;
    this.fingerprints.set(uid, fp);
    return true;
  }

  /**
   * Groups by pod uid; `fresh` says the items are full statuses already (no status call needed).
   * A container or sandbox whose listed state is unchanged reuses what the previous relist built
   * (its labels and details never change without a state change), so a relist of a quiet node
   * allocates little and awaits only for what changed.
   */
  private async collect(sandboxes: PodSandbox[], containers: Container[], fresh = false): Promise<Pick<RelistResult, 'pods' | 'identities'>> {
    const pods = new Map<string, ObservedPod>();
    const identities = new Map<string, PodIdentity>();
    const pod = (id: PodIdentity) => {
      identities.set(id.uid, id);
      let p = pods.get(id.uid);
      if (!p) pods.set(id.uid, (p = { sandboxes: [], containers: [] }));
      return p;
    };
    const pending: Promise<void>[] = [];
    for (const s of sandboxes) {
      const cached = fresh ? undefined : this.sandboxCache.get(s.id);
      if (cached?.state === s.state) {
        this.track(cached.identity.uid, 'sandbox', s.id);
        pod(cached.identity).sandboxes.push(cached.observed);
        continue;
      }
      const identity = podIdentityOf(s.labels);
      if (!identity) continue;
      this.track(identity.uid, 'sandbox', s.id);
      const add = (status: PodSandboxStatus | undefined) => {
        if (!status) return;
        const observed = { id: s.id, ready: s.state === 'Ready', attempt: s.metadata.attempt, createdAt: s.createdAt, ip: status.network?.ip };
        this.sandboxCache.set(s.id, { state: s.state, identity, observed });
        pod(identity).sandboxes.push(observed);
      };
      if (fresh) add(s as PodSandboxStatus);
      else pending.push(this.runtime.podSandboxStatus(s.id).then(add, () => undefined));
    }
    for (const c of containers) {
      const cached = fresh ? undefined : this.containerCache.get(c.id);
      if (cached?.state === c.state) {
        this.track(cached.identity.uid, 'container', c.id);
        pod(cached.identity).containers.push(cached.observed);
        continue;
      }
      const identity = cached?.identity ?? containerIdentityOf(c.labels, c.annotations);
      if (!identity) continue;
      this.track(identity.uid, 'container', c.id);
      const add = (status: ContainerStatus | undefined) => {
        if (!status) return;
        const before = this.containerCache.get(c.id)?.state;
        const observed = toObserved(status, identity.containerName, identity.hash ?? '', identity.restartCount);
        this.containerCache.set(c.id, { state: status.state, identity, observed });
        if (status.state === 'Exited' && before !== 'Exited' && this.primed) this.onExited(identity.uid, observed);
        pod(identity).containers.push(observed);
      };
      if (fresh) add(c as ContainerStatus);
      else pending.push(this.runtime.containerStatus(c.id).then(add, () => undefined));
    }
    await Promise.all(pending);
    for (const p of pods.values()) {
      if (p.sandboxes.length > 1) p.sandboxes.sort((a, b) => b.createdAt - a.createdAt || b.attempt - a.attempt);
      if (p.containers.length > 1) p.containers.sort((a, b) => b.createdAt - a.createdAt || b.restartCount - a.restartCount);
    }
    return { pods, identities };
  }
}

function toObserved(s: ContainerStatus, name: string, hash: string, restartCount: number): ObservedContainer {
  return {
    id: s.id,
    name,
    state: STATE[s.state],
    createdAt: s.createdAt,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    exitCode: s.exitCode,
    reason: s.reason,
    message: s.message,
    image: s.image.image,
    imageRef: s.imageRef,
    hash,
    restartCount,
    resources: s.resources,
  };
}
