import { containerIdentityOf, podIdentityOf, type ContainerIdentity, type ContainerStatus, type PodIdentity, type PodSandboxStatus, type Runtime } from '@peapod/runtime';
import { emptyObservedPod, type ObservedContainer, type ObservedPod, type ObservedSandbox, type ContainerRunState } from './observed.js';

/** A sandbox or container as last built, for its `state`; `seen` is the relist generation that last saw it. */
interface Known<I, O> {
  state: string;
  identity: I;
  observed: O;
  seen: number;
}

interface PodRecord {
  /** From the labels of what was listed or observed; absent while only `track` knows the pod. */
  identity?: PodIdentity;
  /** Ids of the pod's sandboxes and containers: from relists plus what the kubelet created since. */
  sandboxes: Set<string>;
  containers: Set<string>;
  /** The pod as of the last relist or observation. */
  view: ObservedPod;
  /** The generation in progress when the kubelet last observed the pod or told of something it created (0: never). */
  observedIn: number;
}

/** What housekeeping sees of a pod the runtime has something for. */
export interface RelistedPod {
  identity?: PodIdentity;
  view: ObservedPod;
}

const STATE: Record<ContainerStatus['state'], ContainerRunState> = { Created: 'created', Running: 'running', Exited: 'exited', Unknown: 'unknown' };

const NOTHING_CHANGED: ReadonlySet<string> = new Set();

/**
 * The kubelet's view of the runtime, kept by relisting (the PLEG of kubelet): every sandbox and
 * container the runtime lists, grouped by the pod uid label the kubelet put on them, so a
 * restarted kubelet sees what the previous one started. Details of a container (exit code, times)
 * are fetched only when its listed state changes; an exited container never changes again.
 *
 * A relist compares each listed state with the one known and rebuilds only the pods where
 * something appeared, changed state or went away, so relisting a quiet node (every second, on
 * each of a thousand simulated nodes) allocates nothing per container.
 */
export class Relister {
  private readonly sandboxes = new Map<string, Known<PodIdentity, ObservedSandbox>>();
  private readonly containers = new Map<string, Known<ContainerIdentity, ObservedContainer>>();
  private readonly pods = new Map<string, PodRecord>();
  /** Bumped as each relist starts; what an observation adds meanwhile counts as seen by that relist. */
  private generation = 0;
  /** The generation of the last relist that completed. */
  private listed = 0;
  /** False until the first relist: what exited before this kubelet started is not reported as an exit. */
  private primed = false;

  /** `onExited` hears of each container exit once, as soon as any relist or observation sees it. */
  constructor(private readonly runtime: Runtime, private readonly onExited: (uid: string, c: ObservedContainer) => void = () => undefined) {}

  /** The pod as of the last relist or observation (empty when the runtime has nothing for it). */
  observed(uid: string): ObservedPod {
    return this.pods.get(uid)?.view ?? emptyObservedPod();
  }

  /**
   * The pod as of the last relist, provided one that started after the kubelet last observed the
   * pod (or created something for it) has completed: kubelet's PLEG cache read newer than the
   * worker's last sync (`GetNewerThan`). Undefined otherwise: ask the runtime (`observePod`).
   * A pod the runtime has nothing for reads as empty, as `observePod` would return it.
   */
  cached(uid: string): ObservedPod | undefined {
    const r = this.pods.get(uid);
    if (!r) return emptyObservedPod();
    return this.listed > r.observedIn ? r.view : undefined;
  }

  /** Every pod the runtime has something for, as of the last relist or observation (live: do not keep). */
  *relisted(): IterableIterator<[string, RelistedPod]> {
    for (const [uid, r] of this.pods) if (r.view.sandboxes.length || r.view.containers.length) yield [uid, r];
  }

  /**
   * Relists the runtime; what it finds also becomes what `observed` returns. Resolves with the uids
   * of pods whose sandboxes or containers changed (appeared, changed state, went away) since the
   * previous relist or observation of the pod.
   */
  async relist(): Promise<ReadonlySet<string>> {
    const gen = ++this.generation;
    const [sandboxes, containers] = await Promise.all([this.runtime.listPodSandbox(), this.runtime.listContainers()]);
    let touched: Set<string> | undefined;
    const touch = (uid: string) => (touched ??= new Set()).add(uid);
    const pending: Promise<void>[] = [];
    let sandboxHits = 0;
    let containerHits = 0;
    for (const s of sandboxes) {
      const known = this.sandboxes.get(s.id);
      if (known?.state === s.state) {
        known.seen = gen;
        sandboxHits++;
        continue;
      }
      const identity = known?.identity ?? podIdentityOf(s.labels);
      if (!identity) continue;
      touch(identity.uid);
      pending.push(this.runtime.podSandboxStatus(s.id).then((status) => this.addSandbox(identity, status, gen), () => undefined));
    }
    for (const c of containers) {
      const known = this.containers.get(c.id);
      if (known?.state === c.state) {
        known.seen = gen;
        containerHits++;
        continue;
      }
      const identity = known?.identity ?? containerIdentityOf(c.labels, c.annotations);
      if (!identity) continue;
      touch(identity.uid);
      pending.push(this.runtime.containerStatus(c.id).then((status) => this.addContainer(identity, status, gen), () => undefined));
    }
    await Promise.all(pending);
    this.primed = true;
    // When every known id was listed in its known state, nothing went away and nothing needs a look.
    if (sandboxHits !== this.sandboxes.size) this.sweep(this.sandboxes, 'sandboxes', gen, touch);
    if (containerHits !== this.containers.size) this.sweep(this.containers, 'containers', gen, touch);
    this.listed = gen;
    if (!touched) return NOTHING_CHANGED;
    const changed = new Set<string>();
    for (const uid of touched) if (this.rebuild(uid)) changed.add(uid);
    return changed;
  }

  /** Records a sandbox or container the kubelet just created, so `observePod` sees it before the next relist. */
  track(uid: string, kind: 'sandbox' | 'container', id: string): void {
    const r = this.record(uid);
    r[kind === 'sandbox' ? 'sandboxes' : 'containers'].add(id);
    r.observedIn = this.generation;
  }

  /** Forgets a pod that is gone; should anything of it still be listed, the next relist finds it anew (an orphan). */
  forget(uid: string): void {
    const r = this.pods.get(uid);
    if (!r) return;
    for (const id of r.sandboxes) this.sandboxes.delete(id);
    for (const id of r.containers) this.containers.delete(id);
    this.pods.delete(uid);
  }

  /**
   * Refreshes one pod (after a sync changed it), so the next relist does not report it again.
   * It asks the runtime about the pod's known ids only, so its cost does not grow with the node.
   */
  async observePod(uid: string): Promise<ObservedPod> {
    const r = this.pods.get(uid);
    if (!r) return emptyObservedPod();
    const gen = this.generation;
    r.observedIn = gen;
    // An id the runtime no longer answers for is dropped; should it still be listed, the next relist finds it anew.
    const lost = (map: Map<string, unknown>, ids: Set<string>, id: string) => () => {
      map.delete(id);
      ids.delete(id);
    };
    await Promise.all([
      ...[...r.sandboxes].map((id) => this.runtime.podSandboxStatus(id).then(
        (s) => this.addSandbox(this.sandboxes.get(id)?.identity ?? podIdentityOf(s.labels), s, gen),
        lost(this.sandboxes, r.sandboxes, id))),
      ...[...r.containers].map((id) => this.runtime.containerStatus(id).then(
        (c) => this.addContainer(this.containers.get(id)?.identity ?? containerIdentityOf(c.labels, c.annotations), c, gen),
        lost(this.containers, r.containers, id))),
    ]);
    this.rebuild(uid);
    return this.observed(uid);
  }

  private record(uid: string): PodRecord {
    let r = this.pods.get(uid);
    if (!r) this.pods.set(uid, (r = { sandboxes: new Set(), containers: new Set(), view: emptyObservedPod(), observedIn: 0 }));
    return r;
  }

  private addSandbox(identity: PodIdentity | undefined, s: PodSandboxStatus, gen: number): void {
    if (!identity) return;
    const observed: ObservedSandbox = { id: s.id, ready: s.state === 'Ready', attempt: s.metadata.attempt, createdAt: s.createdAt, ip: s.network?.ip };
    this.sandboxes.set(s.id, { state: s.state, identity, observed, seen: gen });
    const r = this.record(identity.uid);
    r.identity ??= identity;
    r.sandboxes.add(s.id);
  }

  private addContainer(identity: ContainerIdentity | undefined, c: ContainerStatus, gen: number): void {
    if (!identity) return;
    const before = this.containers.get(c.id)?.state;
    const observed = toObserved(c, identity.containerName, identity.hash ?? '', identity.restartCount);
    this.containers.set(c.id, { state: c.state, identity, observed, seen: gen });
    const r = this.record(identity.uid);
    r.identity ??= identity;
    r.containers.add(c.id);
    if (c.state === 'Exited' && before !== 'Exited' && this.primed) this.onExited(identity.uid, observed);
  }

  /** Drops what the relist of generation `gen` did not list (and no observation found meanwhile). */
  private sweep(map: Map<string, Known<PodIdentity, unknown>>, kind: 'sandboxes' | 'containers', gen: number, touch: (uid: string) => void): void {
    for (const [id, k] of map) {
      if (k.seen >= gen) continue;
      map.delete(id);
      this.pods.get(k.identity.uid)?.[kind].delete(id);
      touch(k.identity.uid);
    }
  }

  /** Rebuilds the pod's view from what is known of its ids; true when it differs from the previous one. */
  private rebuild(uid: string): boolean {
    const r = this.pods.get(uid);
    if (!r) return false;
    const view = emptyObservedPod();
    for (const id of r.sandboxes) {
      const k = this.sandboxes.get(id);
      if (k) view.sandboxes.push(k.observed);
    }
    for (const id of r.containers) {
      const k = this.containers.get(id);
      if (k) view.containers.push(k.observed);
    }
    if (view.sandboxes.length > 1) view.sandboxes.sort((a, b) => b.createdAt - a.createdAt || b.attempt - a.attempt);
    if (view.containers.length > 1) view.containers.sort((a, b) => b.createdAt - a.createdAt || b.restartCount - a.restartCount);
    const changed = !sameRuntimeState(r.view, view);
    r.view = view;
    if (!r.sandboxes.size && !r.containers.size) this.pods.delete(uid);
    return changed;
  }
}

/** The same sandboxes and containers, in the same states (details of one state never change). */
function sameRuntimeState(a: ObservedPod, b: ObservedPod): boolean {
  return a.sandboxes.length === b.sandboxes.length && a.containers.length === b.containers.length
    && a.sandboxes.every((s, i) => s.id === b.sandboxes[i].id && s.ready === b.sandboxes[i].ready)
    && a.containers.every((c, i) => c.id === b.containers[i].id && c.state === b.containers[i].state);
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
