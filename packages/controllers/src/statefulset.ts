import {
  RESOURCES, controllerRef, deepEqual, isAlreadyExists, isNotFound, isPodTerminal, labelSelectorFromObject,
  type ControllerRevision, type PersistentVolumeClaim, type Pod, type StatefulSet, type StatefulSetStatus,
} from '@peapod/api-types';
import { splitKey, type ReconcileResult } from '@peapod/client';
import { claim } from './claim.js';
import { recorderFor, type ControllerContext } from './context.js';
import { QueueController } from './controller.js';
import { podOwnerHandler } from './pod-events.js';
import { claimCandidates, isPodAvailable, isPodReady, omitZero, patchStatus, podFromTemplate } from './pod-util.js';
import { CONTROLLER_REVISION_HASH_LABEL, syncRevisions, truncateHistory } from './revisions.js';

export const STATEFULSET_GVK = { apiVersion: 'apps/v1', kind: 'StatefulSet' } as const;
export const STATEFULSET_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

/** `<set>-<ordinal>` -> ordinal, or undefined for a name that is not one of the set's. */
export function ordinalOf(set: string, pod: string): number | undefined {
  const m = /^(.*)-(\d+)$/.exec(pod);
  return m && m[1] === set ? Number(m[2]) : undefined;
}
const isHealthy = (p: Pod) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && isPodReady(p);
const revisionOfPod = (p: Pod) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];

/**
 * StatefulSets (Kubernetes' StatefulSet controller): pods with stable names `<set>-<ordinal>`,
 * hostname and subdomain (`serviceName`), and PersistentVolumeClaims `<template>-<pod>` made
 * from `volumeClaimTemplates` before the pod, kept when pods go (Retain; `whenDeleted: Delete`
 * makes the set own them). OrderedReady creates ordinals in order, each after the previous is
 * Running and Ready, and removes surplus ones from the highest ordinal down, one at a time;
 * Parallel does both at once. Template changes become ControllerRevisions; RollingUpdate
 * replaces pods from the highest ordinal down to `partition`, one at a time, each once the rest
 * are healthy; OnDelete only uses the new revision for pods the user deletes.
 */
export class StatefulSetController extends QueueController {
  private readonly sets;
  private readonly pods;
  private readonly revisions;
  private readonly claims;
  private readonly recorder;

  constructor(ctx: ControllerContext) {
    super('statefulset', ctx);
    this.recorder = recorderFor(ctx, 'statefulset-controller');
    this.sets = this.watch(RESOURCES.statefulsets, {
      onAdd: (s) => this.enqueue(s),
      onUpdate: (_o, s) => this.enqueue(s),
    });
    this.pods = this.watch(RESOURCES.pods, podOwnerHandler('StatefulSet', (k) => this.queue.add(k), (pod) => {
      for (const s of this.sets.lister.list(pod.metadata.namespace)) if (labelSelectorFromObject(s.spec?.selector).matches(pod.metadata.labels)) this.enqueue(s);
    }));
    this.revisions = this.informer(RESOURCES.controllerrevisions);
    this.claims = this.informer(RESOURCES.persistentvolumeclaims);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const set = this.sets.lister.get(namespace, name);
    if (!set || set.metadata.deletionTimestamp) return;
    const spec = set.spec!;
    const podClient = this.ctx.client.resource(RESOURCES.pods);
    const owned = await claim(set, controllerRef(set, STATEFULSET_GVK), labelSelectorFromObject(spec.selector), claimCandidates(this.pods, namespace, set.metadata.uid), podClient);
    const pods = owned.filter((p) => ordinalOf(name, p.metadata.name!) !== undefined);
    const { update, revisions } = await syncRevisions(this.ctx.client, set, STATEFULSET_GVK, spec.template, this.revisions.lister.list(namespace), set.status?.collisionCount);
    const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;

    await this.sync(set, pods, current, update);
    const status = this.status(set, pods, current, update);
    await truncateHistory(this.ctx.client, revisions, new Set([current.metadata.name!, update.metadata.name!, ...pods.map((p) => revisionOfPod(p) ?? '')]), spec.revisionHistoryLimit ?? 10);
    if (!deepEqual(status, set.status)) await patchStatus(this.ctx.client.resource(RESOURCES.statefulsets), set, status).catch((err) => { if (!isNotFound(err)) throw err; });
    const minReady = spec.minReadySeconds ?? 0;
    if (minReady > 0 && status.readyReplicas !== status.availableReplicas) return { requeueAfter: minReady * 1000 };
  }

  /** One step towards the wanted pods; with OrderedReady it stops at the first pod it must wait for. */
  private async sync(set: StatefulSet, pods: Pod[], current: ControllerRevision, update: ControllerRevision): Promise<void> {
    const spec = set.spec!;
    const name = set.metadata.name!;
    const replicas = spec.replicas ?? 1;
    const parallel = spec.podManagementPolicy === 'Parallel';
    const byOrdinal = new Map(pods.map((p) => [ordinalOf(name, p.metadata.name!)!, p]));
    // Below the partition, a (re)created pod keeps the current revision; OnDelete always uses the update revision.
    const partition = spec.updateStrategy?.type === 'OnDelete' ? 0 : spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    const revisionFor = (ordinal: number) => (ordinal < partition ? current : update);

    for (let i = 0; i < replicas; i++) {
      const pod = byOrdinal.get(i);
      if (!pod) {
        await this.createPod(set, i, revisionFor(i));
        if (!parallel) return;
        continue;
      }
      if (isPodTerminal(pod) && !pod.metadata.deletionTimestamp) {
        // A failed (or completed) stateful pod is recreated under the same identity.
        await this.deletePod(set, pod, 'delete failed');
        if (!parallel) return;
        continue;
      }
      if (!parallel && !isHealthy(pod)) return;
    }

    // Surplus ordinals go from the highest down; OrderedReady waits for every other pod to be healthy.
    const condemned = [...byOrdinal.entries()].filter(([i]) => i >= replicas).sort(([a], [b]) => b - a).map(([, p]) => p);
    if (condemned.length) {
      if (parallel) {
        for (const p of condemned) if (!p.metadata.deletionTimestamp) await this.deletePod(set, p, 'delete');
        return;
      }
      if (pods.some((p) => !isHealthy(p) && p !== condemned[0])) return;
      if (!condemned[0].metadata.deletionTimestamp) await this.deletePod(set, condemned[0], 'delete');
      return;
    }

    if (spec.updateStrategy?.type === 'OnDelete') return;
    // Rolling update: the highest ordinal not on the update revision goes first, once all pods are healthy.
    if (pods.some((p) => !isHealthy(p))) return;
    for (let i = replicas - 1; i >= partition; i--) {
      const pod = byOrdinal.get(i);
      if (pod && revisionOfPod(pod) !== update.metadata.name) {
        await this.deletePod(set, pod, 'delete');
        return;
      }
    }
  }

  private async createPod(set: StatefulSet, ordinal: number, revision: ControllerRevision): Promise<void> {
    const name = `${set.metadata.name}-${ordinal}`;
    const ns = set.metadata.namespace;
    const template = (revision.data as { spec: { template: StatefulSet['spec'] extends infer S ? S extends { template: infer T } ? T : never : never } }).spec.template;
    const pod = podFromTemplate(template, controllerRef(set, STATEFULSET_GVK), {
      name, namespace: ns,
      labels: { [CONTROLLER_REVISION_HASH_LABEL]: revision.metadata.name!, [STATEFULSET_POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) },
    });
    pod.spec.hostname = name;
    if (set.spec?.serviceName) pod.spec.subdomain = set.spec.serviceName;
    const volumes = pod.spec.volumes ?? [];
    for (const t of set.spec?.volumeClaimTemplates ?? []) {
      const claimName = `${t.metadata.name}-${name}`;
      await this.ensureClaim(set, t, claimName);
      pod.spec.volumes = [...volumes.filter((v) => v.name !== t.metadata.name), { name: t.metadata.name!, persistentVolumeClaim: { claimName } }];
    }
    try {
      await this.ctx.client.resource(RESOURCES.pods).create(pod);
      this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${set.metadata.name} successful`);
    } catch (err) {
      if (isAlreadyExists(err)) return;
      this.recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
      throw err;
    }
  }

  private async ensureClaim(set: StatefulSet, template: PersistentVolumeClaim, claimName: string): Promise<void> {
    if (this.claims.lister.get(set.metadata.namespace, claimName)) return;
    const deleteWithSet = set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
    try {
      await this.ctx.client.resource(RESOURCES.persistentvolumeclaims).create({
        apiVersion: 'v1', kind: 'PersistentVolumeClaim',
        metadata: {
          name: claimName, namespace: set.metadata.namespace,
          labels: { ...set.spec?.selector.matchLabels, ...template.metadata.labels },
          annotations: template.metadata.annotations,
          ...(deleteWithSet ? { ownerReferences: [{ ...controllerRef(set, STATEFULSET_GVK), controller: false }] } : {}),
        },
        spec: template.spec,
      });
      this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${claimName} for StatefulSet ${set.metadata.name} success`);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  private async deletePod(set: StatefulSet, pod: Pod, verb: string): Promise<void> {
    try {
      await this.ctx.client.resource(RESOURCES.pods).delete(pod.metadata.name!, { namespace: pod.metadata.namespace, preconditions: { uid: pod.metadata.uid } });
      this.recorder.event(set, 'Normal', 'SuccessfulDelete', `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private status(set: StatefulSet, pods: Pod[], current: ControllerRevision, update: ControllerRevision): StatefulSetStatus {
    const now = this.ctx.clock.now();
    const live = pods.filter((p) => !p.metadata.deletionTimestamp || !isPodTerminal(p));
    const updated = live.filter((p) => revisionOfPod(p) === update.metadata.name).length;
    const replicas = set.spec?.replicas ?? 1;
    // Once every pod runs the update revision, it becomes the current one.
    const done = updated === replicas && live.length === replicas;
    const currentRevision = done ? update.metadata.name! : current.metadata.name!;
    return omitZero({
      observedGeneration: set.metadata.generation,
      replicas: live.length,
      readyReplicas: live.filter(isPodReady).length,
      availableReplicas: live.filter((p) => isPodAvailable(p, set.spec?.minReadySeconds ?? 0, now)).length,
      currentReplicas: live.filter((p) => revisionOfPod(p) === currentRevision).length,
      updatedReplicas: updated,
      currentRevision,
      updateRevision: update.metadata.name,
      collisionCount: set.status?.collisionCount ?? 0,
    }, ['replicas', 'collisionCount']);
  }
}
