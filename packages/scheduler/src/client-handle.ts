import { RESOURCES, labelSelectorFromObject, type Pod, type PodCondition, type PodDisruptionBudget } from '@peapod/api-types';
import type { EventRecorder, KubeClient, Lister } from '@peapod/client';
import type { Clock } from '@peapod/core';
import type { SchedulerHandle } from './framework/interfaces.js';
import type { SchedulingReporter } from './scheduler.js';

/** The scheduler's cluster access over `@peapod/client`: the binding subresource, status patches, Events. */
export class ClientSchedulerHandle implements SchedulerHandle, SchedulingReporter {
  constructor(
    private readonly client: KubeClient,
    private readonly clock: Clock,
    private readonly recorder: EventRecorder,
    private readonly budgets: Lister<PodDisruptionBudget>,
  ) {}

  private get pods() {
    return this.client.resource(RESOURCES.pods);
  }

  async bind(pod: Pod, nodeName: string): Promise<void> {
    const { name, namespace, uid } = pod.metadata;
    await this.pods.createSubresource(name!, 'binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace, uid },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    }, { namespace });
  }

  /** Preemption: mark the victim with DisruptionTarget, then delete it with its own grace period. */
  async evict(victim: Pod, preemptor: Pod): Promise<void> {
    const { name, namespace } = victim.metadata;
    const condition: PodCondition = {
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'PreemptionByScheduler',
      message: `default-scheduler: preempting to accommodate a higher priority pod ${preemptor.metadata.namespace}/${preemptor.metadata.name}`,
      lastTransitionTime: new Date(this.clock.now()).toISOString(),
    };
    await this.pods.patch(name!, 'strategic', { status: { conditions: [condition] } }, { namespace, subresource: 'status' }).catch(() => undefined);
    await this.pods.delete(name!, { namespace, preconditions: { uid: victim.metadata.uid } });
    this.recorder.event(victim, 'Normal', 'Preempted', `Preempted by pod ${preemptor.metadata.uid} on node ${victim.spec?.nodeName}`);
  }

  disruptionBudgets() {
    return this.budgets.list().map((pdb) => {
      const selector = labelSelectorFromObject(pdb.spec?.selector);
      return {
        namespace: pdb.metadata.namespace!,
        matches: (pod: Pod) => pod.metadata.namespace === pdb.metadata.namespace && selector.matches(pod.metadata.labels),
        disruptionsAllowed: pdb.status?.disruptionsAllowed ?? 0,
      };
    });
  }

  async unschedulable(pod: Pod, reason: 'Unschedulable' | 'SchedulingGated' | 'SchedulerError', message: string, nominatedNodeName?: string): Promise<void> {
    const cur = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (cur?.status === 'False' && cur.reason === reason && cur.message === message && !nominatedNodeName) return;
    const condition: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason,
      message,
      lastTransitionTime: cur?.status === 'False' ? cur.lastTransitionTime : new Date(this.clock.now()).toISOString(),
    };
    const status: Record<string, unknown> = { conditions: [condition] };
    if (nominatedNodeName) status.nominatedNodeName = nominatedNodeName;
    await this.pods.patch(pod.metadata.name!, 'strategic', { status }, { namespace: pod.metadata.namespace, subresource: 'status' });
  }

  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, type, reason, message);
  }
}
