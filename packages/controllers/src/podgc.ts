import { RESOURCES, isNotFound, isPodTerminal, type Pod } from '@peapod/api-types';
import type { ReconcileResult } from '@peapod/client';
import type { TimerHandle } from '@peapod/core';
import type { ControllerContext } from './context.js';
import { QueueController } from './controller.js';
import { rfc3339, timeOf } from './pod-util.js';

/** How often the collector looks (Kubernetes' gcCheckPeriod). */
export const POD_GC_PERIOD_MS = 20_000;
const PASS = 'pods';

/**
 * The pod garbage collector (Kubernetes' podgc), one pass every 20 s:
 * - terminated pods beyond `terminatedPodGCThreshold` are deleted, oldest first;
 * - pods bound to a node that no longer exists are marked Failed with a `DisruptionTarget`
 *   condition (reason `DeletionByPodGC`) and deleted at once, since no kubelet will finish them;
 * - pods being deleted that were never scheduled are deleted at once, for the same reason.
 */
export class PodGCController extends QueueController {
  private readonly pods;
  private readonly nodes;
  private timer?: TimerHandle;

  constructor(ctx: ControllerContext) {
    super('podgc', ctx);
    this.pods = this.informer(RESOURCES.pods);
    this.nodes = this.informer(RESOURCES.nodes);
  }

  override async run(workers: number, signal: AbortSignal): Promise<void> {
    this.timer = this.ctx.clock.setInterval(() => this.queue.add(PASS), POD_GC_PERIOD_MS);
    try { await super.run(1, signal); } finally { this.timer.cancel(); }
  }

  async reconcile(): Promise<ReconcileResult> {
    const pods = this.pods.lister.list();
    const threshold = this.ctx.options.terminatedPodGCThreshold;
    const terminated = pods.filter((p) => isPodTerminal(p) && !p.metadata.deletionTimestamp)
      .sort((a, b) => timeOf(a.metadata.creationTimestamp) - timeOf(b.metadata.creationTimestamp));
    if (threshold > 0 && terminated.length > threshold) {
      for (const p of terminated.slice(0, terminated.length - threshold)) await this.forceDelete(p);
    }
    const now = rfc3339(this.ctx.clock.now());
    for (const p of pods) {
      const node = p.spec?.nodeName;
      if (node && !this.nodes.lister.get(undefined, node)) {
        // The node may be missing only from the cache: confirm before acting.
        const exists = await this.ctx.client.resource(RESOURCES.nodes).get(node).then(() => true, (err) => { if (isNotFound(err)) return false; throw err; });
        if (exists) continue;
        if (!isPodTerminal(p)) await this.markFailed(p, now);
        await this.forceDelete(p);
      } else if (!node && p.metadata.deletionTimestamp) {
        await this.forceDelete(p);
      }
    }
  }

  private async markFailed(pod: Pod, now: string): Promise<void> {
    try {
      await this.ctx.client.resource(RESOURCES.pods).patch(pod.metadata.name!, 'strategic', {
        status: {
          phase: 'Failed',
          conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: now }],
        },
      }, { namespace: pod.metadata.namespace, subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async forceDelete(pod: Pod): Promise<void> {
    try {
      await this.ctx.client.resource(RESOURCES.pods).delete(pod.metadata.name!, { namespace: pod.metadata.namespace, gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      this.log.info('deleted pod', { pod: `${pod.metadata.namespace}/${pod.metadata.name}` });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
