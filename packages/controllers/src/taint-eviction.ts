import { RESOURCES, isNotFound, isPodTerminal, toleratesTaint, type Node, type Pod, type Taint, type Toleration } from '@peapod/api-types';
import type { ReconcileResult } from '@peapod/client';
import { recorderFor, type ControllerContext } from './context.js';
import { QueueController } from './controller.js';
import { TAINT_NOT_READY, TAINT_UNREACHABLE } from './node-lifecycle.js';
import { NODE_NAME_INDEX, ensureNodeNameIndex, rfc3339, timeOf } from './pod-util.js';

/**
 * When a pod on a node with NoExecute taints must go: now if some taint is not tolerated;
 * never if every toleration is unbounded; otherwise `tolerationSeconds` (the smallest of the
 * tolerations that apply) after the latest taint was added. Pods without any toleration for the
 * not-ready/unreachable taints get `defaultSeconds` for them, as the DefaultTolerationSeconds
 * admission plugin would have given them.
 */
export function evictionTime(pod: Pod, taints: readonly Taint[], defaultSeconds: number, now: number): number | undefined {
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  if (!noExecute.length) return undefined;
  const tolerations: Toleration[] = [...(pod.spec?.tolerations ?? [])];
  for (const key of [TAINT_NOT_READY, TAINT_UNREACHABLE]) {
    if (!tolerations.some((t) => toleratesTaint(t, { key, effect: 'NoExecute' }))) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: defaultSeconds });
  }
  let seconds = Infinity;
  for (const taint of noExecute) {
    const matching = tolerations.filter((t) => toleratesTaint(t, taint));
    if (!matching.length) return now;
    for (const t of matching) if (t.tolerationSeconds !== undefined) seconds = Math.min(seconds, Math.max(0, t.tolerationSeconds));
  }
  if (seconds === Infinity) return undefined;
  const since = Math.max(...noExecute.map((t) => timeOf(t.timeAdded) || now));
  return since + seconds * 1000;
}

/**
 * Evicts pods from nodes with NoExecute taints once their tolerations run out (Kubernetes'
 * taint eviction controller): the pod gets a `DisruptionTarget` condition (reason
 * `DeletionByTaintManager`) and is deleted, so its workload controller replaces it elsewhere.
 * Keyed by node; a node whose pods must wait comes back when the first of them is due.
 */
export class TaintEvictionController extends QueueController {
  private readonly nodes;
  private readonly pods;
  private readonly recorder;

  constructor(ctx: ControllerContext) {
    super('taint-eviction', ctx);
    this.recorder = recorderFor(ctx, 'taint-eviction-controller');
    this.nodes = this.watch(RESOURCES.nodes, {
      onAdd: (n) => this.enqueue(n),
      onUpdate: (_o, n) => this.enqueue(n),
    });
    this.pods = this.watch(RESOURCES.pods, {
      onAdd: (p) => { if (p.spec?.nodeName) this.queue.add(p.spec.nodeName); },
      onUpdate: (_o, p) => { if (p.spec?.nodeName) this.queue.add(p.spec.nodeName); },
    });
    ensureNodeNameIndex(this.pods);
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const node = this.nodes.lister.get(undefined, name);
    const taints = node?.spec?.taints ?? [];
    if (!node || !taints.some((t) => t.effect === 'NoExecute')) return;
    const now = this.ctx.clock.now();
    let next = Infinity;
    for (const pod of this.pods.store.byIndex(NODE_NAME_INDEX, name) as Pod[]) {
      if (pod.metadata.deletionTimestamp || isPodTerminal(pod)) continue;
      const at = evictionTime(pod, taints, this.ctx.options.defaultTolerationSeconds, now);
      if (at === undefined) continue;
      if (at <= now) await this.evict(node, pod, now);
      else next = Math.min(next, at);
    }
    if (next !== Infinity) return { requeueAfter: next - now };
  }

  private async evict(node: Node, pod: Pod, now: number): Promise<void> {
    const pods = this.ctx.client.resource(RESOURCES.pods);
    const opts = { namespace: pod.metadata.namespace };
    try {
      await pods.patch(pod.metadata.name!, 'strategic', {
        status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: rfc3339(now) }] },
      }, { ...opts, subresource: 'status' });
      await pods.delete(pod.metadata.name!, { ...opts, preconditions: { uid: pod.metadata.uid } });
      this.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
      this.log.info('evicted pod from tainted node', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, node: node.metadata.name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
