import {
  RESOURCES, controllerOf, deepEqual, getScaledValueFromIntOrPercent, isNotFound, labelSelectorFromObject,
  type Pod, type PodDisruptionBudget,
} from '@peapod/api-types';
import { splitKey, type ReconcileResult } from '@peapod/client';
import type { ControllerContext } from './context.js';
import { QueueController } from './controller.js';
import { isPodReady, rfc3339, setCondition, timeOf } from './pod-util.js';

/** An eviction not followed by the pod's deletion within this long no longer counts (Kubernetes' DeletionTimeout). */
const DISRUPTED_POD_TIMEOUT_MS = 2 * 60_000;

/**
 * PodDisruptionBudget status (Kubernetes' disruption controller), which the eviction subresource
 * consults: `expectedPods` (the pods' controllers' scale, or the matching pods for an integer
 * minAvailable), `desiredHealthy` from minAvailable or maxUnavailable, `currentHealthy` (ready
 * pods not being deleted or just evicted), `disruptionsAllowed`, the `DisruptionAllowed`
 * condition, and `disruptedPods` pruned of evictions that completed or timed out.
 */
export class DisruptionController extends QueueController {
  private readonly pdbs;
  private readonly pods;
  private readonly replicaSets;
  private readonly deployments;
  private readonly statefulSets;

  constructor(ctx: ControllerContext) {
    super('disruption', ctx);
    this.pdbs = this.watch(RESOURCES.poddisruptionbudgets, {
      onAdd: (p) => this.enqueue(p),
      onUpdate: (_o, p) => this.enqueue(p),
    });
    const onPod = (pod: Pod) => {
      for (const pdb of this.pdbs.lister.list(pod.metadata.namespace)) {
        if (labelSelectorFromObject(pdb.spec?.selector).matches(pod.metadata.labels)) this.enqueue(pdb);
      }
    };
    this.pods = this.watch(RESOURCES.pods, { onAdd: onPod, onUpdate: (o, p) => { onPod(o); onPod(p); }, onDelete: onPod });
    const onScale = (o: { metadata: { namespace?: string } }) => { for (const pdb of this.pdbs.lister.list(o.metadata.namespace)) this.enqueue(pdb); };
    this.replicaSets = this.watch(RESOURCES.replicasets, { onUpdate: (_o, x) => onScale(x) });
    this.deployments = this.watch(RESOURCES.deployments, { onUpdate: (_o, x) => onScale(x) });
    this.statefulSets = this.watch(RESOURCES.statefulsets, { onUpdate: (_o, x) => onScale(x) });
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const pdb = this.pdbs.lister.get(namespace, name);
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const spec = pdb.spec ?? {};
    const now = this.ctx.clock.now();
    // A nil selector selects nothing; an empty one everything (policy/v1).
    const selector = spec.selector ? labelSelectorFromObject(spec.selector) : undefined;
    const pods = selector ? this.pods.lister.list(namespace).filter((p) => selector.matches(p.metadata.labels)) : [];

    const disrupted = Object.fromEntries(Object.entries(pdb.status?.disruptedPods ?? {}).filter(([pod, at]) => {
      const p = pods.find((x) => x.metadata.name === pod);
      return p && !p.metadata.deletionTimestamp && timeOf(at) + DISRUPTED_POD_TIMEOUT_MS > now;
    }));
    const healthy = pods.filter((p) => !p.metadata.deletionTimestamp && !(p.metadata.name! in disrupted) && isPodReady(p)).length;

    let expected: number;
    let desired: number;
    let failure: string | undefined;
    const integerMin = typeof spec.minAvailable === 'number';
    if (integerMin) {
      expected = pods.length;
      desired = spec.minAvailable as number;
    } else {
      const scale = this.expectedScale(pods);
      expected = scale.count;
      failure = scale.error;
      desired = spec.maxUnavailable !== undefined
        ? Math.max(0, expected - getScaledValueFromIntOrPercent(spec.maxUnavailable, expected, true))
        : getScaledValueFromIntOrPercent(spec.minAvailable ?? '100%', expected, true);
    }
    const allowed = failure ? 0 : Math.max(0, healthy - desired);
    const at = rfc3339(now);
    const condition = failure
      ? { type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: failure, lastTransitionTime: at, observedGeneration: pdb.metadata.generation }
      : allowed > 0
        ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', lastTransitionTime: at, observedGeneration: pdb.metadata.generation }
        : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', lastTransitionTime: at, observedGeneration: pdb.metadata.generation };
    const status: PodDisruptionBudget['status'] = {
      observedGeneration: pdb.metadata.generation,
      disruptedPods: Object.keys(disrupted).length ? disrupted : undefined,
      currentHealthy: healthy,
      desiredHealthy: desired,
      expectedPods: expected,
      disruptionsAllowed: allowed,
      conditions: setCondition(pdb.status?.conditions, condition),
    };
    if (deepEqual(status, pdb.status)) return;
    try {
      // An update, so an eviction that changed the budget meanwhile makes this write retry.
      await this.ctx.client.resource(RESOURCES.poddisruptionbudgets).updateStatus({ ...pdb, status });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const next = Object.values(disrupted).map((t) => timeOf(t) + DISRUPTED_POD_TIMEOUT_MS - now).filter((ms) => ms > 0);
    if (next.length) return { requeueAfter: Math.min(...next) };
  }

  /** The sum of the scales of the pods' controllers (Deployment over its ReplicaSet, StatefulSet), as Kubernetes' finders. */
  private expectedScale(pods: Pod[]): { count: number; error?: string } {
    const seen = new Map<string, number>();
    for (const p of pods) {
      const ref = controllerOf(p);
      if (!ref) return { count: 0, error: `found no controllers for pod "${p.metadata.name}"` };
      const ns = p.metadata.namespace;
      let owner: { uid: string; replicas: number } | undefined;
      if (ref.kind === 'ReplicaSet') {
        const rs = this.replicaSets.lister.get(ns, ref.name);
        const dRef = rs && controllerOf(rs);
        const d = dRef?.kind === 'Deployment' ? this.deployments.lister.get(ns, dRef.name) : undefined;
        if (d) owner = { uid: d.metadata.uid!, replicas: d.spec?.replicas ?? 1 };
        else if (rs) owner = { uid: rs.metadata.uid!, replicas: rs.spec?.replicas ?? 1 };
      } else if (ref.kind === 'StatefulSet') {
        const s = this.statefulSets.lister.get(ns, ref.name);
        if (s) owner = { uid: s.metadata.uid!, replicas: s.spec?.replicas ?? 1 };
      }
      if (!owner) return { count: 0, error: `found no controllers for pod "${p.metadata.name}"` };
      seen.set(owner.uid, owner.replicas);
    }
    return { count: [...seen.values()].reduce((a, b) => a + b, 0) };
  }
}
