import {
  RESOURCES, controllerRef, deepEqual, isNotFound, labelSelectorFromObject, type Pod, type ReplicaSet, type ReplicaSetStatus,
} from '@peapod/api-types';
import { splitKey, type ReconcileResult } from '@peapod/client';
import { claim } from './claim.js';
import type { ControllerContext } from './context.js';
import { recorderFor } from './context.js';
import { QueueController } from './controller.js';
import { Expectations } from './expectations.js';
import { podOwnerHandler } from './pod-events.js';
import { claimCandidates, isPodActive, isPodAvailable, isPodReady, omitZero, patchStatus, podFromTemplate, rfc3339, setCondition, timeOf } from './pod-util.js';

export const REPLICASET_GVK = { apiVersion: 'apps/v1', kind: 'ReplicaSet' } as const;
/** At most this many creates or deletes per reconcile (Kubernetes' burstReplicas). */
const BURST_REPLICAS = 500;
/** Creates go out in batches of 1, 2, 4, ... so a failing create (quota, admission) stops early (slow start). */
const SLOW_START_INITIAL_BATCH = 1;

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * The sort key of Kubernetes' `ActivePods` deletion ranking, most deletable first:
 * unscheduled < scheduled; Pending < Unknown < Running; not ready < ready; ready for less time
 * < longer; more container restarts < fewer; newer < older.
 */
function deletionKey(p: Pod): number[] {
  const ready = isPodReady(p);
  return [
    p.spec?.nodeName ? 1 : 0,
    PHASE_RANK[p.status?.phase ?? 'Pending'] ?? 0,
    ready ? 1 : 0,
    ready ? -timeOf(p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime) : 0,
    -Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0)),
    -timeOf(p.metadata.creationTimestamp),
  ];
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Pods ordered for deletion, most deletable first (see `deletionKey`). */
export const compareForDeletion = (a: Pod, b: Pod): number => compareKeys(deletionKey(a), deletionKey(b));

/** `pods` sorted by `compareForDeletion`, each pod's key computed once (a scale-down sorts thousands). */
export function sortForDeletion(pods: readonly Pod[]): Pod[] {
  return pods.map((p) => ({ p, key: deletionKey(p) })).sort((a, b) => compareKeys(a.key, b.key)).map(({ p }) => p);
}

/**
 * Keeps `spec.replicas` pods that match the selector (Kubernetes' ReplicaSet controller): adopts
 * matching orphans, releases pods that stop matching, creates missing pods from the template
 * and deletes surplus ones in `compareForDeletion` order, and reports replicas / fullyLabeled /
 * ready / available counts in status. Expectations hold off a second round of creates or
 * deletes until the informer has seen the first.
 */
export class ReplicaSetController extends QueueController {
  private readonly rsInformer;
  private readonly podInformer;
  private readonly expectations: Expectations;
  private readonly recorder;

  constructor(ctx: ControllerContext) {
    super('replicaset', ctx);
    this.expectations = new Expectations(ctx.clock);
    this.recorder = recorderFor(ctx, 'replicaset-controller');
    this.rsInformer = this.watch(RESOURCES.replicasets, {
      onAdd: (rs) => this.enqueue(rs),
      onUpdate: (_old, rs) => this.enqueue(rs),
      onDelete: (rs) => { this.expectations.delete(`${rs.metadata.namespace}/${rs.metadata.name}`); this.enqueue(rs); },
    });
    this.podInformer = this.watch(RESOURCES.pods, podOwnerHandler('ReplicaSet', (k) => this.queue.add(k), (pod) => {
      for (const rs of this.rsInformer.lister.list(pod.metadata.namespace)) {
        if (labelSelectorFromObject(rs.spec?.selector).matches(pod.metadata.labels)) this.enqueue(rs);
      }
    }, this.expectations));
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const rs = this.rsInformer.lister.get(namespace, name);
    if (!rs) { this.expectations.delete(key); return; }
    const selector = labelSelectorFromObject(rs.spec?.selector);
    const pods = this.ctx.client.resource(RESOURCES.pods);
    const owned = await claim(rs, controllerRef(rs, REPLICASET_GVK), selector, claimCandidates(this.podInformer, namespace, rs.metadata.uid), pods);
    const active = owned.filter(isPodActive);

    let manageError: unknown;
    if (this.expectations.satisfied(key) && !rs.metadata.deletionTimestamp) {
      try { await this.manageReplicas(key, rs, active); } catch (err) { manageError = err; }
    }
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const status = this.status(rs, active, manageError);
    if (!deepEqual(status, rs.status)) {
      try {
        await patchStatus(this.ctx.client.resource(RESOURCES.replicasets), rs, status);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (manageError) throw manageError;
    // Pods that are ready but not yet available become available by time alone.
    if (minReady > 0 && status.readyReplicas !== status.availableReplicas) return { requeueAfter: minReady * 1000 };
  }

  private async manageReplicas(key: string, rs: ReplicaSet, active: Pod[]): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    const diff = active.length - want;
    const pods = this.ctx.client.resource(RESOURCES.pods);
    if (diff < 0) {
      const n = Math.min(-diff, BURST_REPLICAS);
      this.expectations.expectCreations(key, n);
      const ref = controllerRef(rs, REPLICASET_GVK);
      let created = 0;
      let failure: unknown;
      for (let batch = SLOW_START_INITIAL_BATCH; created < n && !failure; batch *= 2) {
        const size = Math.min(batch, n - created);
        const results = await Promise.allSettled(Array.from({ length: size }, () => pods.create(
          podFromTemplate(rs.spec?.template, ref, { generateName: `${rs.metadata.name}-`, namespace: rs.metadata.namespace }),
        )));
        for (const r of results) {
          if (r.status === 'fulfilled') {
            this.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
          } else {
            failure ??= r.reason;
            this.expectations.creationObserved(key);
          }
        }
        created += size;
      }
      // Creates never attempted will never be observed.
      for (let i = created; i < n; i++) this.expectations.creationObserved(key);
      if (failure) {
        this.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${String((failure as Error).message ?? failure)}`);
        throw failure;
      }
    } else if (diff > 0) {
      const victims = sortForDeletion(active).slice(0, Math.min(diff, BURST_REPLICAS));
      this.expectations.expectDeletions(key, victims.map((p) => p.metadata.uid!));
      const results = await Promise.allSettled(victims.map((p) => pods.delete(p.metadata.name!, {
        namespace: p.metadata.namespace, preconditions: { uid: p.metadata.uid },
      })));
      let failure: unknown;
      results.forEach((r, i) => {
        const pod = victims[i];
        if (r.status === 'fulfilled') {
          this.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        } else {
          this.expectations.deletionObserved(key, pod.metadata.uid!);
          if (!isNotFound(r.reason)) failure ??= r.reason;
        }
      });
      if (failure) {
        this.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${String((failure as Error).message ?? failure)}`);
        throw failure;
      }
    }
  }

  private status(rs: ReplicaSet, active: Pod[], manageError: unknown): ReplicaSetStatus {
    const now = this.ctx.clock.now();
    const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
    const minReady = rs.spec?.minReadySeconds ?? 0;
    // One pass: this runs on every sync of a ReplicaSet of possibly thousands of pods.
    const labels = Object.entries(templateLabels);
    let fullyLabeled = 0;
    let ready = 0;
    let available = 0;
    for (const p of active) {
      if (labels.every(([k, v]) => p.metadata.labels?.[k] === v)) fullyLabeled++;
      if (!isPodReady(p)) continue;
      ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
    let conditions = rs.status?.conditions;
    if (manageError) {
      conditions = setCondition(conditions, {
        type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: String((manageError as Error).message ?? manageError),
        lastTransitionTime: rfc3339(now),
      });
    } else if (conditions?.some((c) => c.type === 'ReplicaFailure')) {
      conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
    }
    return omitZero({
      replicas: active.length,
      fullyLabeledReplicas: fullyLabeled,
      readyReplicas: ready,
      availableReplicas: available,
      observedGeneration: rs.metadata.generation,
      conditions: conditions?.length ? conditions : undefined,
    }, ['replicas']);
  }
}
