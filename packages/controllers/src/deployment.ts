import {
  RESOURCES, controllerOf, controllerRef, deepEqual, getScaledValueFromIntOrPercent, isAlreadyExists, isNotFound,
  labelSelectorFromObject, type Deployment, type DeploymentCondition, type DeploymentStatus, type PodTemplateSpec, type ReplicaSet,
} from '@peapod/api-types';
import { splitKey, type ReconcileResult } from '@peapod/client';
import { claim } from './claim.js';
import { recorderFor, type ControllerContext } from './context.js';
import { QueueController } from './controller.js';
import { claimCandidates, omitZero, patchStatus, rfc3339, setCondition, templateHash, timeOf } from './pod-util.js';

export const DEPLOYMENT_GVK = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;

/** Annotations Kubernetes' deployment controller keeps on Deployments and their ReplicaSets (kubectl reads them). */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** Deployment annotations never copied onto ReplicaSets. */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration', REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, 'deprecated.deployment.rollback.to',
]);

/** Condition reasons, as `kubectl rollout status` and `kubectl describe` know them. */
export const REASONS = {
  newRSAvailable: 'NewReplicaSetAvailable',
  rsUpdated: 'ReplicaSetUpdated',
  newRSCreated: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minAvailable: 'MinimumReplicasAvailable',
  minUnavailable: 'MinimumReplicasUnavailable',
} as const;

const replicasOf = (rs: ReplicaSet | undefined) => rs?.spec?.replicas ?? 0;
const revisionOf = (o: { metadata: { annotations?: Record<string, string> } }) => Number(o.metadata.annotations?.[REVISION_ANNOTATION] ?? 0) || 0;
const byCreation = (a: ReplicaSet, b: ReplicaSet) => timeOf(a.metadata.creationTimestamp) - timeOf(b.metadata.creationTimestamp) || (a.metadata.name! < b.metadata.name! ? -1 : 1);
const sum = (rss: readonly ReplicaSet[], f: (rs: ReplicaSet) => number) => rss.reduce((n, rs) => n + f(rs), 0);

/** A template without the pod-template-hash label, for comparing a ReplicaSet's template with the Deployment's. */
function withoutHash(t: PodTemplateSpec | undefined): PodTemplateSpec | undefined {
  if (!t?.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL]) return t;
  const { [POD_TEMPLATE_HASH_LABEL]: _h, ...labels } = t.metadata.labels;
  return { ...t, metadata: { ...t.metadata, labels } };
}

/** maxSurge and maxUnavailable as numbers (Kubernetes' ResolveFenceposts: never both 0). */
export function fenceposts(d: Deployment): { surge: number; unavailable: number } {
  const replicas = d.spec?.replicas ?? 1;
  const ru = d.spec?.strategy?.rollingUpdate;
  if (d.spec?.strategy?.type === 'Recreate') return { surge: 0, unavailable: replicas };
  const surge = getScaledValueFromIntOrPercent(ru?.maxSurge ?? '25%', replicas, true);
  const unavailable = getScaledValueFromIntOrPercent(ru?.maxUnavailable ?? '25%', replicas, false);
  return surge === 0 && unavailable === 0 ? { surge, unavailable: 1 } : { surge, unavailable };
}

/**
 * Rolls Deployments out through ReplicaSets (Kubernetes' deployment controller): one ReplicaSet
 * per pod template, named `<deployment>-<pod-template-hash>`, with revision annotations that
 * `kubectl rollout history/undo` read; RollingUpdate scales the new ReplicaSet up and old ones
 * down within maxSurge/maxUnavailable, Recreate scales old ones to zero and waits for their pods
 * to go first; scaling a Deployment mid-rollout scales its ReplicaSets proportionally; pause
 * stops rollouts but not scaling. Status carries observedGeneration and the Progressing and
 * Available conditions with Kubernetes' reasons and messages, so `kubectl rollout status` works.
 */
export class DeploymentController extends QueueController {
  private readonly deployments;
  private readonly replicaSets;
  private readonly pods;
  private readonly recorder;

  constructor(ctx: ControllerContext) {
    super('deployment', ctx);
    this.recorder = recorderFor(ctx, 'deployment-controller');
    this.deployments = this.watch(RESOURCES.deployments, {
      onAdd: (d) => this.enqueue(d),
      onUpdate: (_o, d) => this.enqueue(d),
      onDelete: (d) => this.enqueue(d),
    });
    const onRS = (rs: ReplicaSet) => {
      const ref = controllerOf(rs);
      if (ref?.kind === 'Deployment') this.queue.add(`${rs.metadata.namespace}/${ref.name}`);
      else if (!ref) for (const d of this.deployments.lister.list(rs.metadata.namespace)) {
        if (labelSelectorFromObject(d.spec?.selector).matches(rs.metadata.labels)) this.enqueue(d);
      }
    };
    this.replicaSets = this.watch(RESOURCES.replicasets, {
      onAdd: onRS,
      onUpdate: (old, rs) => { if (controllerOf(old)?.uid !== controllerOf(rs)?.uid) onRS(old); onRS(rs); },
      onDelete: onRS,
    });
    // Recreate waits for old pods to be gone: their deletion wakes the Deployment (only a Recreate
    // one, as in Kubernetes; a rolling update learns from its ReplicaSets' status).
    this.pods = this.watch(RESOURCES.pods, {
      onDelete: (pod) => {
        const rsRef = controllerOf(pod);
        const rs = rsRef?.kind === 'ReplicaSet' ? this.replicaSets.lister.get(pod.metadata.namespace, rsRef.name) : undefined;
        const dRef = rs && controllerOf(rs);
        const d = dRef?.kind === 'Deployment' ? this.deployments.lister.get(pod.metadata.namespace, dRef.name) : undefined;
        if (d?.spec?.strategy?.type === 'Recreate') this.enqueue(d);
      },
    });
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const d = this.deployments.lister.get(namespace, name);
    if (!d) return;
    const selector = labelSelectorFromObject(d.spec?.selector);
    if (selector.empty) {
      this.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      return;
    }
    const rsClient = this.ctx.client.resource(RESOURCES.replicasets);
    const rss = await claim(d, controllerRef(d, DEPLOYMENT_GVK), selector, claimCandidates(this.replicaSets, namespace, d.metadata.uid), rsClient);
    if (d.metadata.deletionTimestamp) return this.syncStatus(d, rss);

    const paused = d.spec?.paused === true;
    if (paused || this.isScalingEvent(d, rss)) {
      const { newRS, old } = this.split(d, rss);
      await this.scale(d, newRS, old);
      if (paused) await this.cleanup(d, old);
      return this.syncStatus(d, rss);
    }
    return d.spec?.strategy?.type === 'Recreate' ? this.rolloutRecreate(d, rss) : this.rolloutRolling(d, rss);
  }

  /** The ReplicaSet whose template equals the Deployment's (oldest if several) and the others. */
  private split(d: Deployment, rss: ReplicaSet[]): { newRS?: ReplicaSet; old: ReplicaSet[] } {
    const sorted = [...rss].sort(byCreation);
    const newRS = sorted.find((rs) => deepEqual(withoutHash(rs.spec?.template), d.spec?.template));
    return { newRS, old: sorted.filter((rs) => rs !== newRS) };
  }

  /** A scaling event: an active ReplicaSet was sized for a different `spec.replicas` than the Deployment's. */
  private isScalingEvent(d: Deployment, rss: ReplicaSet[]): boolean {
    return rss.some((rs) => replicasOf(rs) > 0 && rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] !== String(d.spec?.replicas ?? 1));
  }

  private async rolloutRolling(d: Deployment, claimed: ReplicaSet[]): Promise<ReconcileResult> {
    const { newRS, old, all, created } = await this.syncRevision(d, claimed);
    const want = d.spec?.replicas ?? 1;
    const { surge, unavailable } = fenceposts(d);

    // Scale up the new ReplicaSet as far as maxSurge allows.
    if (newRS && replicasOf(newRS) !== want) {
      let target = want;
      if (replicasOf(newRS) < want) {
        const total = sum(all, replicasOf);
        target = total >= want + surge ? replicasOf(newRS) : replicasOf(newRS) + Math.min(want + surge - total, want - replicasOf(newRS));
      }
      if (target !== replicasOf(newRS)) {
        await this.scaleRS(d, newRS, target, 'up');
        return this.syncStatus(d, await this.refreshed(d, claimed), created);
      }
    }

    // Scale old ReplicaSets down as far as maxUnavailable allows: unhealthy replicas first.
    const oldTotal = sum(old, replicasOf);
    if (oldTotal > 0 && newRS) {
      const minAvailable = want - unavailable;
      const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
      let budget = sum(all, replicasOf) - minAvailable - newUnavailable;
      let scaledDown = 0;
      const targets = new Map<ReplicaSet, number>();
      for (const rs of old) {
        if (budget <= 0) break;
        const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
        const n = Math.min(unhealthy, budget);
        if (n > 0) { targets.set(rs, replicasOf(rs) - n); budget -= n; scaledDown += n; }
      }
      const available = sum(all, (rs) => rs.status?.availableReplicas ?? 0);
      let toScale = Math.max(0, available - minAvailable);
      for (const rs of old) {
        if (toScale <= 0) break;
        const cur = targets.get(rs) ?? replicasOf(rs);
        const n = Math.min(cur, toScale);
        if (n > 0) { targets.set(rs, cur - n); toScale -= n; scaledDown += n; }
      }
      if (scaledDown > 0) {
        for (const [rs, n] of targets) if (n !== replicasOf(rs)) await this.scaleRS(d, rs, n, 'down');
        return this.syncStatus(d, await this.refreshed(d, claimed));
      }
    }
    if (this.complete(d, this.calculateStatus(d, all))) await this.cleanup(d, old);
    return this.syncStatus(d, all, created);
  }

  private async rolloutRecreate(d: Deployment, claimed: ReplicaSet[]): Promise<ReconcileResult> {
    const { newRS: existingNew, old } = this.split(d, claimed);
    const active = old.filter((rs) => replicasOf(rs) > 0);
    if (active.length) {
      for (const rs of active) await this.scaleRS(d, rs, 0, 'down');
      return this.syncStatus(d, claimed);
    }
    // Old pods must be gone (not only scaled away) before the new ones start.
    const oldUids = new Set(old.map((rs) => rs.metadata.uid));
    const oldPodsLeft = this.pods.lister.list(d.metadata.namespace).some((p) => {
      const ref = controllerOf(p);
      return ref && oldUids.has(ref.uid) && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded';
    });
    if (oldPodsLeft && (existingNew === undefined || replicasOf(existingNew) === 0)) return this.syncStatus(d, claimed);
    const { newRS, all, created } = await this.syncRevision(d, claimed);
    if (newRS && replicasOf(newRS) !== (d.spec?.replicas ?? 1)) {
      await this.scaleRS(d, newRS, d.spec?.replicas ?? 1, 'up');
      return this.syncStatus(d, await this.refreshed(d, claimed), created);
    }
    if (this.complete(d, this.calculateStatus(d, all))) await this.cleanup(d, old);
    return this.syncStatus(d, all, created);
  }

  /** The claimed ReplicaSets as the cache has them now, with any the controller just created. */
  private async refreshed(d: Deployment, claimed: ReplicaSet[]): Promise<ReplicaSet[]> {
    const byUid = new Map(claimed.map((rs) => [rs.metadata.uid, rs]));
    for (const rs of this.replicaSets.lister.list(d.metadata.namespace)) if (controllerOf(rs)?.uid === d.metadata.uid) byUid.set(rs.metadata.uid, rs);
    return [...byUid.values()];
  }

  /**
   * Finds or creates the new ReplicaSet and brings revision annotations up to date: the new
   * ReplicaSet's revision is one more than the highest old one, and the Deployment carries it.
   */
  private async syncRevision(d: Deployment, claimed: ReplicaSet[]): Promise<{ newRS?: ReplicaSet; old: ReplicaSet[]; all: ReplicaSet[]; created: boolean }> {
    const split = this.split(d, claimed);
    const old = split.old;
    let newRS = split.newRS;
    let created = false;
    const maxOld = Math.max(0, ...old.map(revisionOf));
    const newRevision = String(maxOld + 1);
    const rsClient = this.ctx.client.resource(RESOURCES.replicasets);
    const want = d.spec?.replicas ?? 1;
    const { surge } = fenceposts(d);

    if (newRS) {
      const annotations = { ...newRS.metadata.annotations };
      const cur = annotations[REVISION_ANNOTATION];
      if (cur !== undefined && Number(cur) < Number(newRevision)) {
        // A rollback to an older template: remember the revisions this ReplicaSet had.
        annotations[REVISION_HISTORY_ANNOTATION] = [annotations[REVISION_HISTORY_ANNOTATION], cur].filter(Boolean).join(',');
      }
      if (cur === undefined || Number(cur) < Number(newRevision)) annotations[REVISION_ANNOTATION] = newRevision;
      if (!deepEqual(annotations, newRS.metadata.annotations)) {
        newRS = await rsClient.update({ ...newRS, metadata: { ...newRS.metadata, annotations } });
      }
    } else {
      const hash = templateHash(d.spec?.template, d.status?.collisionCount);
      const template = structuredClone(d.spec!.template);
      template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash } };
      const selector = structuredClone(d.spec!.selector);
      selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
      const total = sum(old, replicasOf);
      const initial = d.spec?.strategy?.type === 'Recreate' ? 0 : Math.max(0, Math.min(want, want + surge - total));
      const copied = Object.fromEntries(Object.entries(d.metadata.annotations ?? {}).filter(([k]) => !NOT_COPIED.has(k)));
      const rs: ReplicaSet = {
        apiVersion: 'apps/v1', kind: 'ReplicaSet',
        metadata: {
          name: `${d.metadata.name}-${hash}`,
          namespace: d.metadata.namespace,
          labels: template.metadata.labels,
          annotations: {
            ...copied,
            [REVISION_ANNOTATION]: newRevision,
            [DESIRED_REPLICAS_ANNOTATION]: String(want),
            [MAX_REPLICAS_ANNOTATION]: String(want + surge),
          },
          ownerReferences: [controllerRef(d, DEPLOYMENT_GVK)],
        },
        spec: { replicas: initial, minReadySeconds: d.spec?.minReadySeconds, selector, template },
      };
      try {
        newRS = await rsClient.create(rs);
        this.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rs.metadata.name} from 0 to ${initial}`);
        created = true;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const existing = await rsClient.get(rs.metadata.name!, { namespace: d.metadata.namespace });
        if (controllerOf(existing)?.uid === d.metadata.uid && deepEqual(withoutHash(existing.spec?.template), d.spec?.template)) {
          newRS = existing;
        } else {
          // A hash collision with a ReplicaSet of another template: a new collisionCount makes a new name.
          await this.ctx.client.resource(RESOURCES.deployments).updateStatus({ ...d, status: { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 } });
          throw err;
        }
      }
    }
    if (d.metadata.annotations?.[REVISION_ANNOTATION] !== newRevision) {
      await this.ctx.client.resource(RESOURCES.deployments).patch(d.metadata.name!, 'merge', {
        metadata: { annotations: { [REVISION_ANNOTATION]: newRevision } },
      }, { namespace: d.metadata.namespace });
    }
    return { newRS, old, all: [...old, newRS], created };
  }

  /** Sets spec.replicas and the desired/max annotations of one ReplicaSet, with an event as Kubernetes words it. */
  private async scaleRS(d: Deployment, rs: ReplicaSet, replicas: number, how: 'up' | 'down'): Promise<void> {
    const want = d.spec?.replicas ?? 1;
    const annotations = { ...rs.metadata.annotations, [DESIRED_REPLICAS_ANNOTATION]: String(want), [MAX_REPLICAS_ANNOTATION]: String(want + fenceposts(d).surge) };
    if (replicasOf(rs) === replicas && deepEqual(annotations, rs.metadata.annotations)) return;
    await this.ctx.client.resource(RESOURCES.replicasets).update({
      ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...rs.spec!, replicas },
    });
    if (replicasOf(rs) !== replicas) {
      this.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${how} replica set ${rs.metadata.name} from ${replicasOf(rs)} to ${replicas}`);
    }
  }

  /**
   * Scaling without a rollout (Kubernetes' `scale`): a lone active ReplicaSet takes the new size;
   * during a rollout the change is spread over the active ReplicaSets in proportion to their sizes.
   */
  private async scale(d: Deployment, newRS: ReplicaSet | undefined, old: ReplicaSet[]): Promise<void> {
    const want = d.spec?.replicas ?? 1;
    const all = [...old, ...(newRS ? [newRS] : [])];
    const active = all.filter((rs) => replicasOf(rs) > 0);
    if (active.length <= 1) {
      const target = active[0] ?? newRS ?? [...all].sort(byCreation).at(-1);
      if (target) await this.scaleRS(d, target, want, replicasOf(target) < want ? 'up' : 'down');
      return;
    }
    const { surge } = fenceposts(d);
    const allowed = d.spec?.strategy?.type === 'RollingUpdate' ? want + surge : want;
    const current = sum(active, replicasOf);
    let toAdd = allowed - current;
    // Larger first when growing, smaller first when shrinking (newest first on ties), as Kubernetes sorts.
    const order = [...active].sort((a, b) => (toAdd > 0 ? replicasOf(b) - replicasOf(a) : replicasOf(a) - replicasOf(b)) || byCreation(b, a));
    const targets = new Map<ReplicaSet, number>();
    let added = 0;
    for (const rs of order) {
      const share = Math.trunc((replicasOf(rs) * toAdd) / current);
      const n = toAdd > 0 ? Math.min(share, toAdd - added) : Math.max(share, toAdd - added);
      targets.set(rs, replicasOf(rs) + n);
      added += n;
    }
    // The rounding leftover goes to the first ReplicaSet in order.
    toAdd -= added;
    const first = order[0];
    targets.set(first, Math.max(0, targets.get(first)! + toAdd));
    for (const [rs, n] of targets) await this.scaleRS(d, rs, n, n > replicasOf(rs) ? 'up' : 'down');
  }

  /** Deletes old, empty ReplicaSets beyond `revisionHistoryLimit`, oldest revision first. */
  private async cleanup(d: Deployment, old: ReplicaSet[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit;
    if (limit === undefined) return;
    const empty = old.filter((rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && (rs.status?.observedGeneration ?? 0) >= (rs.metadata.generation ?? 0) && !rs.metadata.deletionTimestamp);
    const excess = empty.length - limit;
    if (excess <= 0) return;
    empty.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of empty.slice(0, excess)) {
      try {
        await this.ctx.client.resource(RESOURCES.replicasets).delete(rs.metadata.name!, { namespace: rs.metadata.namespace, preconditions: { uid: rs.metadata.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private complete(d: Deployment, s: DeploymentStatus): boolean {
    const want = d.spec?.replicas ?? 1;
    return (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want && (s.availableReplicas ?? 0) === want && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
  }

  private calculateStatus(d: Deployment, rss: ReplicaSet[]): DeploymentStatus {
    const { newRS } = this.split(d, rss);
    const want = d.spec?.replicas ?? 1;
    const available = sum(rss, (rs) => rs.status?.availableReplicas ?? 0);
    const now = rfc3339(this.ctx.clock.now());
    const minAvailable = want - fenceposts(d).unavailable;
    const availableCond: DeploymentCondition = available >= minAvailable
      ? { type: 'Available', status: 'True', reason: REASONS.minAvailable, message: 'Deployment has minimum availability.', lastUpdateTime: now, lastTransitionTime: now }
      : { type: 'Available', status: 'False', reason: REASONS.minUnavailable, message: 'Deployment does not have minimum availability.', lastUpdateTime: now, lastTransitionTime: now };
    return omitZero({
      observedGeneration: d.metadata.generation,
      replicas: sum(rss, (rs) => rs.status?.replicas ?? 0),
      updatedReplicas: newRS?.status?.replicas ?? 0,
      readyReplicas: sum(rss, (rs) => rs.status?.readyReplicas ?? 0),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, want - available),
      collisionCount: d.status?.collisionCount,
      conditions: mergeCondition(d.status?.conditions, availableCond),
    });
  }

  /** Writes status with the Progressing condition; asks to come back when the progress deadline would pass. */
  private async syncStatus(d: Deployment, rss: ReplicaSet[], createdNewRS = false): Promise<ReconcileResult> {
    const status = this.calculateStatus(d, rss);
    const { newRS } = this.split(d, rss);
    const nowMs = this.ctx.clock.now();
    const now = rfc3339(nowMs);
    const deadline = d.spec?.progressDeadlineSeconds;
    const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
    let requeueAfter: number | undefined;
    if (d.spec?.paused) {
      if (progressing?.reason !== REASONS.paused) {
        status.conditions = mergeCondition(status.conditions, { type: 'Progressing', status: 'Unknown', reason: REASONS.paused, message: 'Deployment is paused', lastUpdateTime: now, lastTransitionTime: now });
      }
    } else if (progressing?.reason === REASONS.paused) {
      status.conditions = mergeCondition(status.conditions, { type: 'Progressing', status: 'Unknown', reason: REASONS.resumed, message: 'Deployment is resumed', lastUpdateTime: now, lastTransitionTime: now });
    } else if (deadline !== undefined && newRS) {
      const rsName = newRS.metadata.name;
      const old = d.status ?? {};
      const moved = (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0)
        || (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
        || ((old.replicas ?? 0) - (old.updatedReplicas ?? 0)) > ((status.replicas ?? 0) - (status.updatedReplicas ?? 0));
      if (this.complete(d, status)) {
        status.conditions = mergeCondition(status.conditions, { type: 'Progressing', status: 'True', reason: REASONS.newRSAvailable, message: `ReplicaSet "${rsName}" has successfully progressed.`, lastUpdateTime: now, lastTransitionTime: now });
      } else if (createdNewRS || !progressing) {
        const [reason, message] = createdNewRS ? [REASONS.newRSCreated, `Created new replica set "${rsName}"`] : [REASONS.foundNewRS, `Found new replica set "${rsName}"`];
        status.conditions = setCondition(status.conditions, { type: 'Progressing', status: 'True', reason, message, lastUpdateTime: now, lastTransitionTime: progressing?.status === 'True' ? progressing.lastTransitionTime : now });
        requeueAfter = deadline * 1000 + 1000;
      } else if (moved) {
        // Progress moves lastUpdateTime (the deadline is measured from it) but not lastTransitionTime.
        status.conditions = setCondition(status.conditions, { type: 'Progressing', status: 'True', reason: REASONS.rsUpdated, message: `ReplicaSet "${rsName}" is progressing.`, lastUpdateTime: now, lastTransitionTime: progressing.status === 'True' ? progressing.lastTransitionTime : now });
        requeueAfter = deadline * 1000 + 1000;
      } else if (progressing.reason !== REASONS.timedOut && progressing.reason !== REASONS.newRSAvailable) {
        const until = timeOf(progressing.lastUpdateTime) + deadline * 1000;
        if (nowMs > until) {
          status.conditions = mergeCondition(status.conditions, { type: 'Progressing', status: 'False', reason: REASONS.timedOut, message: `ReplicaSet "${rsName}" has timed out progressing.`, lastUpdateTime: now, lastTransitionTime: now });
          this.recorder.event(d, 'Warning', REASONS.timedOut, `Deployment "${d.metadata.name}" has timed out progressing.`);
        } else {
          requeueAfter = until - nowMs + 1000;
        }
      } else if (progressing.reason === REASONS.newRSAvailable && !this.complete(d, status)) {
        // A completed rollout that lost pods: progressing again (a new deadline starts).
        status.conditions = mergeCondition(status.conditions, { type: 'Progressing', status: 'True', reason: REASONS.rsUpdated, message: `ReplicaSet "${rsName}" is progressing.`, lastUpdateTime: now, lastTransitionTime: now });
      }
    }
    if (!deepEqual(status, d.status)) {
      try {
        await patchStatus(this.ctx.client.resource(RESOURCES.deployments), d, status);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return requeueAfter !== undefined ? { requeueAfter } : undefined;
  }
}

/**
 * Sets a Deployment condition: an unchanged status keeps lastTransitionTime; an unchanged
 * status, reason and message also keeps lastUpdateTime (so a status write is not needed).
 */
function mergeCondition(list: DeploymentCondition[] | undefined, cond: DeploymentCondition): DeploymentCondition[] {
  const cur = list?.find((c) => c.type === cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason && cur.message === cond.message) {
    return setCondition(list, { ...cond, lastUpdateTime: cur.lastUpdateTime, lastTransitionTime: cur.lastTransitionTime });
  }
  return setCondition(list, cond);
}
