import type { Node, Pod } from '@peapod/api-types';
import { NodeInfo, podInfoOf } from '../framework/node-info.js';
import { Snapshot } from './snapshot.js';

interface PodState {
  nodeName: string;
  /** Assumed: placed by us, binding not yet confirmed by an informer event. */
  assumed: boolean;
  pod: Pod;
}

/**
 * The scheduler's view of nodes and the pods on them, fed by informers plus its own assumptions
 * (a pod is assumed on its node the moment the cycle picks it, so a burst does not overcommit
 * a node before bindings land). Pods without a node never enter the cache.
 */
export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodState>();
  /** Pods bound to nodes the cache has not seen yet, by node name; placed when the node appears. */
  private readonly waiting = new Map<string, Set<string>>();
  private generation = 0;

  addOrUpdateNode(node: Node): void {
    const name = node.metadata.name!;
    const ni = this.nodes.get(name);
    if (ni) {
      ni.setNode(node);
      this.touch(ni);
      return;
    }
    const fresh = new NodeInfo(node);
    this.nodes.set(name, fresh);
    for (const uid of this.waiting.get(name) ?? []) fresh.addPod(podInfoOf(this.pods.get(uid)!.pod));
    this.waiting.delete(name);
    this.touch(fresh);
  }

  /** Pods bound to a removed node stay known, waiting for a node of that name to come back. */
  removeNode(name: string): void {
    const ni = this.nodes.get(name);
    if (!ni) return;
    this.nodes.delete(name);
    if (ni.pods.length) this.waiting.set(name, new Set(ni.pods.map((p) => p.pod.metadata.uid!)));
    this.generation++;
  }

  /** An informer saw a pod bound to a node (or its update). Confirms an assumption. */
  addOrUpdatePod(pod: Pod): void {
    const uid = pod.metadata.uid!;
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    this.removePod(uid);
    this.place(uid, nodeName, pod, false);
  }

  removePod(uid: string): void {
    const st = this.pods.get(uid);
    if (!st) return;
    this.pods.delete(uid);
    this.waiting.get(st.nodeName)?.delete(uid);
    const ni = this.nodes.get(st.nodeName);
    if (ni?.removePod(uid)) this.touch(ni);
  }

  assumePod(pod: Pod, nodeName: string): void {
    this.place(pod.metadata.uid!, nodeName, { ...pod, spec: { ...pod.spec!, nodeName } }, true);
  }

  /** Binding failed: drop the assumption (no-op if an informer already confirmed it). */
  forgetPod(uid: string): void {
    if (this.pods.get(uid)?.assumed) this.removePod(uid);
  }

  isAssumed(uid: string): boolean {
    return this.pods.get(uid)?.assumed ?? false;
  }

  nodeCount(): number {
    return this.nodes.size;
  }

  /** Brings `snap` up to date, cloning only nodes changed since it was last updated. */
  updateSnapshot(snap: Snapshot): Snapshot {
    if (snap.generation === this.generation) return snap;
    let structural = snap.byName.size !== this.nodes.size;
    for (const [name, ni] of this.nodes) {
      const cur = snap.byName.get(name);
      if (!cur) structural = true;
      if (!cur || cur.generation !== ni.generation) snap.byName.set(name, ni.clone());
    }
    for (const name of snap.byName.keys()) if (!this.nodes.has(name)) { snap.byName.delete(name); structural = true; }
    // Rebuild the lists: cheap relative to a cycle, and keeps `list` order stable by name.
    if (structural || snap.list.length !== snap.byName.size) {
      snap.list = [...snap.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } else {
      snap.list = snap.list.map((n) => snap.byName.get(n.name)!);
    }
    snap.withAffinityPods = snap.list.filter((n) => n.pods.some((p) => hasPodAffinity(p.pod)));
    snap.generation = this.generation;
    return snap;
  }

  private place(uid: string, nodeName: string, pod: Pod, assumed: boolean): void {
    this.pods.set(uid, { nodeName, assumed, pod });
    const ni = this.nodes.get(nodeName);
    if (!ni) {
      let w = this.waiting.get(nodeName);
      if (!w) this.waiting.set(nodeName, (w = new Set()));
      w.add(uid);
      return;
    }
    ni.addPod(podInfoOf(pod));
    this.touch(ni);
  }

  private touch(ni: NodeInfo): void {
    ni.generation = ++this.generation;
  }
}

export const hasPodAffinity = (pod: Pod): boolean => !!(pod.spec?.affinity?.podAffinity || pod.spec?.affinity?.podAntiAffinity);
