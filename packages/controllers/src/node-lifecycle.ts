import { RESOURCES, deepEqual, isNotFound, type Node, type NodeCondition, type Pod, type Taint } from '@peapod/api-types';
import type { ReconcileResult } from '@peapod/client';
import type { TimerHandle } from '@peapod/core';
import { recorderFor, type ControllerContext } from './context.js';
import { QueueController } from './controller.js';
import { NODE_NAME_INDEX, ensureNodeNameIndex, isPodReady, rfc3339 } from './pod-util.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
/** The conditions a kubelet reports that turn Unknown when it goes silent. */
const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

interface Health {
  /** The node's last heartbeats as seen (Ready's lastHeartbeatTime and the Lease's renewTime). */
  signature: string;
  /** Local time when they last changed: grace is measured from here, not from the kubelet's clock. */
  probedAt: number;
}

/** The taints a node's Ready condition calls for (Kubernetes' NoExecute and NoSchedule condition taints). */
export function conditionTaints(ready: NodeCondition | undefined): { key: string; effect: 'NoExecute' | 'NoSchedule' }[] {
  const key = ready?.status === 'False' ? TAINT_NOT_READY : ready?.status === 'True' ? undefined : TAINT_UNREACHABLE;
  return key ? [{ key, effect: 'NoExecute' }, { key, effect: 'NoSchedule' }] : [];
}

/**
 * Node health (Kubernetes' node lifecycle controller). A node is alive while its kubelet renews
 * its Lease in `kube-node-lease` or posts status; after `nodeMonitorGracePeriodSeconds` of
 * silence, measured on this controller's clock, its kubelet-owned conditions turn Unknown with
 * reason `NodeStatusUnknown`. The Ready condition then drives the condition taints
 * (`node.kubernetes.io/unreachable` for Unknown, `not-ready` for False; NoExecute and NoSchedule),
 * and pods on a node that is not Ready are marked Ready=False. Evicting those pods is the taint
 * eviction controller's job, after their tolerations.
 */
export class NodeLifecycleController extends QueueController {
  private readonly nodes;
  private readonly leases;
  private readonly pods;
  private readonly health = new Map<string, Health>();
  private readonly recorder;
  private monitor?: TimerHandle;

  constructor(ctx: ControllerContext) {
    super('nodelifecycle', ctx);
    this.recorder = recorderFor(ctx, 'node-controller');
    this.nodes = this.watch(RESOURCES.nodes, {
      onAdd: (n) => this.enqueue(n),
      onUpdate: (_o, n) => this.enqueue(n),
      onDelete: (n) => { this.health.delete(n.metadata.name!); },
    });
    this.leases = this.watch(RESOURCES.leases, {
      onAdd: (l) => this.queue.add(l.metadata.name!),
      onUpdate: (_o, l) => this.queue.add(l.metadata.name!),
    }, { namespace: NODE_LEASE_NAMESPACE });
    this.pods = this.informer(RESOURCES.pods);
    ensureNodeNameIndex(this.pods);
  }

  override async run(workers: number, signal: AbortSignal): Promise<void> {
    // Silence produces no event: a periodic pass looks at every node.
    this.monitor = this.ctx.clock.setInterval(() => {
      for (const n of this.nodes.lister.list()) this.queue.add(n.metadata.name!);
    }, this.ctx.options.nodeMonitorPeriodSeconds * 1000);
    try { await super.run(workers, signal); } finally { this.monitor.cancel(); }
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const node = this.nodes.lister.get(undefined, name);
    if (!node) return;
    const now = this.ctx.clock.now();
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    const lease = this.leases.lister.get(NODE_LEASE_NAMESPACE, name);
    const signature = `${ready?.lastHeartbeatTime ?? ''}|${lease?.spec?.renewTime ?? ''}`;
    let h = this.health.get(name);
    // First sight (or a controller restart) starts a fresh grace period, as Kubernetes does.
    if (!h || h.signature !== signature) this.health.set(name, (h = { signature, probedAt: now }));
    const grace = this.ctx.options.nodeMonitorGracePeriodSeconds * 1000;
    const silentFor = now - h.probedAt;

    if (silentFor > grace && ready?.status !== 'Unknown') {
      await this.markUnknown(node, now, !ready);
      return;
    }
    // A node that never reported has no condition to act on until its grace period ends.
    if (!ready) return;
    await this.syncTaints(node, now);
    if (ready.status !== 'True') await this.markPodsNotReady(node, now);
  }

  private async markUnknown(node: Node, now: number, never: boolean): Promise<void> {
    const at = rfc3339(now);
    const [reason, message] = never ? ['NodeStatusNeverUpdated', 'Kubelet never posted node status.'] : ['NodeStatusUnknown', 'Kubelet stopped posting node status.'];
    const current = node.status?.conditions ?? [];
    const conditions = KUBELET_CONDITIONS.map((type) => {
      const c = current.find((x) => x.type === type);
      return { ...c, type, status: 'Unknown', reason, message, lastTransitionTime: c?.status === 'Unknown' ? c.lastTransitionTime : at, lastHeartbeatTime: c?.lastHeartbeatTime ?? at };
    });
    const others = current.filter((c) => !KUBELET_CONDITIONS.includes(c.type));
    try {
      await this.ctx.client.resource(RESOURCES.nodes).patch(node.metadata.name!, 'merge', { status: { conditions: [...conditions, ...others] } }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.recorder.event(node, 'Normal', 'NodeNotReady', `Node ${node.metadata.name} status is now: NodeNotReady`);
  }

  /** Makes the node's condition taints match its Ready condition, keeping each taint's timeAdded. */
  private async syncTaints(node: Node, now: number): Promise<void> {
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    const wanted = conditionTaints(ready);
    const current = node.spec?.taints ?? [];
    const managed = (t: Taint) => t.key === TAINT_NOT_READY || t.key === TAINT_UNREACHABLE;
    const keep = current.filter((t) => !managed(t) || wanted.some((w) => w.key === t.key && w.effect === t.effect));
    const add = wanted.filter((w) => !current.some((t) => t.key === w.key && t.effect === w.effect))
      .map((w): Taint => ({ ...w, ...(w.effect === 'NoExecute' ? { timeAdded: rfc3339(now) } : {}) }));
    const taints = [...keep, ...add];
    if (deepEqual(taints, current)) return;
    try {
      await this.ctx.client.resource(RESOURCES.nodes).patch(node.metadata.name!, 'merge', {
        spec: { taints: taints.length ? taints : null }, metadata: { resourceVersion: node.metadata.resourceVersion },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async markPodsNotReady(node: Node, now: number): Promise<void> {
    const pods = this.pods.store.byIndex(NODE_NAME_INDEX, node.metadata.name!).filter((p: Pod) => isPodReady(p));
    for (const pod of pods) {
      try {
        await this.ctx.client.resource(RESOURCES.pods).patch(pod.metadata.name!, 'strategic', {
          status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: rfc3339(now) }] },
        }, { namespace: pod.metadata.namespace, subresource: 'status' });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}
