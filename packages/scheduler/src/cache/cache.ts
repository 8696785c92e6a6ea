import type { Node, Pod } from '@peapod/api-types';
import { NodeInfo, podInfoOf } from '../framework/node-info.js';
import type { Snapshot } from './snapshot.js';

interface PodState {
  nodeName: string;
  /** Assumed: placed by us, binding not yet confirmed by an informer event. */
  assumed: boolean;
  pod: Pod;
}

/** A cached node in the cache's recency list (most recently changed first). */
interface NodeItem {
  info: NodeInfo;
  prev?: NodeItem;
  next?: NodeItem;
}

/**
 * The scheduler's view of nodes and the pods on them, fed by informers plus its own assumptions
 * (a pod is assumed on its node the moment the cycle picks it, so a burst does not overcommit
 * a node before bindings land). Pods without a node never enter the cache.
 *
 * Nodes sit in a list ordered by their last change, as kube-scheduler's cache: a snapshot update
 * walks only the nodes changed since that snapshot's generation.
 */
export class SchedulerCache {
  private readonly nodes = new Map<string, NodeItem>();
  private head: NodeItem | undefined;
  private readonly pods = new Map<string, PodState>();
  /** Pods bound to nodes the cache has not seen yet, by node name; placed when the node appears. */
  private readonly waiting = new Map<string, Set<string>>();
  private generation = 0;

  addOrUpdateNode(node: Node): void {
    const name = node.metadata.name!;
    const item = this.nodes.get(name);
    if (item) {
      item.info.setNode(node);
      this.touch(item);
      return;
    }
    const fresh: NodeItem = { info: new NodeInfo(node) };
    this.nodes.set(name, fresh);
    for (const uid of this.waiting.get(name) ?? []) fresh.info.addPod(podInfoOf(this.pods.get(uid)!.pod));
    this.waiting.delete(name);
    this.touch(fresh);
  }

  /** Pods bound to a removed node stay known, waiting for a node of that name to come back. */
  removeNode(name: string): void {
    const item = this.nodes.get(name);
    if (!item) return;
    this.nodes.delete(name);
    this.unlink(item);
    const { pods } = item.info;
    if (pods.length) this.waiting.set(name, new Set(pods.map((p) => p.pod.metadata.uid!)));
    this.generation++;
  }

  /** An informer saw a pod bound to a node (or its update). Confirms an assumption. */
  addOrUpdatePod(pod: Pod): void {
    const uid = pod.metadata.uid!;
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const st = this.pods.get(uid);
    // A status or metadata update (the informer shares an unchanged spec between versions) keeps
    // what was computed from the spec; Kubernetes removes and adds the pod, to the same effect.
    const item = st && !st.assumed && st.nodeName === nodeName ? this.nodes.get(nodeName) : undefined;
    if (item?.info.replacePod(pod)) {
      st!.pod = pod;
      this.touch(item);
      return;
    }
    this.removePod(uid);
    this.place(uid, nodeName, pod, false);
  }

  removePod(uid: string): void {
    const st = this.pods.get(uid);
    if (!st) return;
    this.pods.delete(uid);
    this.waiting.get(st.nodeName)?.delete(uid);
    const item = this.nodes.get(st.nodeName);
    if (item?.info.removePod(uid)) this.touch(item);
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

  /** Brings `snap` up to date, cloning only the nodes changed since it was last updated. */
  updateSnapshot(snap: Snapshot): Snapshot {
    if (snap.generation === this.generation) return snap;
    const changed: NodeInfo[] = [];
    for (let item = this.head; item && item.info.generation > snap.generation; item = item.next) changed.push(item.info.clone());
    // Deleted nodes leave no trace in the list: find them when the snapshot has names the cache lacks.
    const removed: string[] = [];
    let extra = snap.byName.size - this.nodes.size;
    for (const ni of changed) if (!snap.byName.has(ni.name)) extra++;
    if (extra > 0) for (const name of snap.byName.keys()) if (!this.nodes.has(name)) removed.push(name);
    snap.apply(changed, removed, this.generation);
    return snap;
  }

  private place(uid: string, nodeName: string, pod: Pod, assumed: boolean): void {
    this.pods.set(uid, { nodeName, assumed, pod });
    const item = this.nodes.get(nodeName);
    if (!item) {
      let w = this.waiting.get(nodeName);
      if (!w) this.waiting.set(nodeName, (w = new Set()));
      w.add(uid);
      return;
    }
    item.info.addPod(podInfoOf(pod));
    this.touch(item);
  }

  /** Bumps the node's generation and moves it to the head of the recency list. */
  private touch(item: NodeItem): void {
    item.info.generation = ++this.generation;
    if (this.head === item) return;
    this.unlink(item);
    item.next = this.head;
    if (this.head) this.head.prev = item;
    this.head = item;
  }

  private unlink(item: NodeItem): void {
    if (item.prev) item.prev.next = item.next;
    else if (this.head === item) this.head = item.next;
    if (item.next) item.next.prev = item.prev;
    item.prev = item.next = undefined;
  }
}
