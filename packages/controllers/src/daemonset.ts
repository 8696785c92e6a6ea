import {
  RESOURCES, controllerRef, deepEqual, findUntoleratedTaint, getScaledValueFromIntOrPercent, isNotFound, isPodTerminal,
  labelSelectorFromObject, podMatchesNodeSelectorAndAffinity, type ControllerRevision, type DaemonSet, type DaemonSetStatus, type Node, type Pod,
  type PodTemplateSpec, type Toleration,
} from '@peapod/api-types';
import { splitKey, type ReconcileResult } from '@peapod/client';
import { claim } from './claim.js';
import { recorderFor, type ControllerContext } from './context.js';
import { QueueController } from './controller.js';
import { Expectations } from './expectations.js';
import { podOwnerHandler } from './pod-events.js';
import { claimCandidates, isPodAvailable, isPodReady, omitZero, patchStatus, podFromTemplate, timeOf } from './pod-util.js';
import { CONTROLLER_REVISION_HASH_LABEL, syncRevisions, truncateHistory } from './revisions.js';

export const DAEMONSET_GVK = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;

/** Tolerations every daemon pod gets, so node conditions never keep a daemon off its node (Kubernetes' AddOrUpdateDaemonPodTolerations). */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const t = (key: string, effect: 'NoExecute' | 'NoSchedule'): Toleration => ({ key, operator: 'Exists', effect });
  return [
    t('node.kubernetes.io/not-ready', 'NoExecute'),
    t('node.kubernetes.io/unreachable', 'NoExecute'),
    t('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    t('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    t('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    t('node.kubernetes.io/unschedulable', 'NoSchedule'),
    ...(hostNetwork ? [t('node.kubernetes.io/network-unavailable', 'NoSchedule')] : []),
  ];
}

/** The node a daemon pod is for: where it is bound, or the `metadata.name` its required node affinity pins. */
export function daemonPodNode(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    const f = term.matchFields?.find((m) => m.key === 'metadata.name' && m.operator === 'In' && m.values?.length === 1);
    if (f) return f.values![0];
  }
  return undefined;
}

/** The template with the automatic tolerations merged in (existing ones win). */
function withTolerations(template: PodTemplateSpec): PodTemplateSpec {
  const spec = template.spec!;
  const have = spec.tolerations ?? [];
  const add = daemonTolerations(spec.hostNetwork === true).filter((t) => !have.some((h) => h.key === t.key && h.effect === t.effect));
  return { ...template, spec: { ...spec, tolerations: [...have, ...add] } };
}

/** Whether a daemon pod belongs on `node`: selector and affinity match, and every NoSchedule/NoExecute taint is tolerated. */
export function shouldRunOn(template: PodTemplateSpec, node: Node): boolean {
  const t = withTolerations(template);
  const pod = { metadata: {}, spec: t.spec } as Pod;
  return podMatchesNodeSelectorAndAffinity(pod, node) && !findUntoleratedTaint(node.spec?.taints, t.spec?.tolerations, ['NoSchedule', 'NoExecute']);
}

/**
 * DaemonSets (Kubernetes' DaemonSet controller): one pod per eligible node, pinned to it with a
 * required node affinity on `metadata.name` (so the scheduler still binds it, as in Kubernetes),
 * carrying the automatic daemon tolerations; pods on nodes that stop qualifying are removed, a
 * failed daemon pod is replaced, and new nodes get pods. RollingUpdate replaces old-revision
 * pods within maxUnavailable (deleting first) or, with maxSurge, starts the new pod before the
 * old one goes; OnDelete waits for users to delete pods.
 */
export class DaemonSetController extends QueueController {
  private readonly sets;
  private readonly pods;
  private readonly nodes;
  private readonly revisions;
  private readonly expectations: Expectations;
  private readonly recorder;

  constructor(ctx: ControllerContext) {
    super('daemonset', ctx);
    this.expectations = new Expectations(ctx.clock);
    this.recorder = recorderFor(ctx, 'daemonset-controller');
    this.sets = this.watch(RESOURCES.daemonsets, {
      onAdd: (s) => this.enqueue(s),
      onUpdate: (_o, s) => this.enqueue(s),
      onDelete: (s) => this.expectations.delete(`${s.metadata.namespace}/${s.metadata.name}`),
    });
    const all = () => { for (const s of this.sets.lister.list()) this.enqueue(s); };
    this.nodes = this.watch(RESOURCES.nodes, { onAdd: all, onUpdate: (o, n) => { if (!deepEqual(o.metadata.labels, n.metadata.labels) || !deepEqual(o.spec, n.spec)) all(); }, onDelete: all });
    this.pods = this.watch(RESOURCES.pods, podOwnerHandler('DaemonSet', (k) => this.queue.add(k), (pod) => {
      for (const s of this.sets.lister.list(pod.metadata.namespace)) if (labelSelectorFromObject(s.spec?.selector).matches(pod.metadata.labels)) this.enqueue(s);
    }, this.expectations));
    this.revisions = this.informer(RESOURCES.controllerrevisions);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const ds = this.sets.lister.get(namespace, name);
    if (!ds || ds.metadata.deletionTimestamp) return;
    const spec = ds.spec!;
    const owned = await claim(ds, controllerRef(ds, DAEMONSET_GVK), labelSelectorFromObject(spec.selector), claimCandidates(this.pods, namespace, ds.metadata.uid), this.ctx.client.resource(RESOURCES.pods));
    const { update, revisions } = await syncRevisions(this.ctx.client, ds, DAEMONSET_GVK, spec.template, this.revisions.lister.list(namespace), ds.status?.collisionCount);
    const hash = update.metadata.name!;
    const nodes = this.nodes.lister.list();
    const byNode = new Map<string, Pod[]>();
    for (const p of owned) {
      const n = daemonPodNode(p);
      if (n) byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    const now = this.ctx.clock.now();
    const minReady = spec.minReadySeconds ?? 0;
    const isNew = (p: Pod) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash;

    if (this.expectations.satisfied(key)) {
      const create: string[] = [];
      const remove: Pod[] = [];
      for (const node of nodes) {
        const pods = (byNode.get(node.metadata.name!) ?? []).filter((p) => !p.metadata.deletionTimestamp);
        if (!shouldRunOn(spec.template, node)) { remove.push(...pods); continue; }
        const failed = pods.filter(isPodTerminal);
        remove.push(...failed);
        const live = pods.filter((p) => !isPodTerminal(p)).sort((a, b) => timeOf(a.metadata.creationTimestamp) - timeOf(b.metadata.creationTimestamp));
        if (!live.length) create.push(node.metadata.name!);
        else if (live.length > 1 && !(spec.updateStrategy?.type !== 'OnDelete' && this.surge(ds, nodes.length) > 0)) remove.push(...live.slice(1));
      }
      for (const [n, pods] of byNode) if (!nodes.some((x) => x.metadata.name === n)) remove.push(...pods.filter((p) => !p.metadata.deletionTimestamp));
      if (!create.length && !remove.length && spec.updateStrategy?.type !== 'OnDelete') this.rollingUpdate(ds, nodes, byNode, isNew, now, create, remove);
      await this.apply(key, ds, create, remove, update);
    }

    const scheduled = nodes.filter((n) => shouldRunOn(spec.template, n));
    const onNode = (n: Node) => (byNode.get(n.metadata.name!) ?? []).filter((p) => !p.metadata.deletionTimestamp && !isPodTerminal(p));
    const current = scheduled.filter((n) => onNode(n).length > 0);
    const ready = current.filter((n) => onNode(n).some(isPodReady)).length;
    const available = current.filter((n) => onNode(n).some((p) => isPodAvailable(p, minReady, now))).length;
    const status: DaemonSetStatus = omitZero({
      observedGeneration: ds.metadata.generation,
      desiredNumberScheduled: scheduled.length,
      currentNumberScheduled: current.length,
      numberMisscheduled: nodes.filter((n) => !shouldRunOn(spec.template, n) && onNode(n).length > 0).length,
      numberReady: ready,
      numberAvailable: available,
      numberUnavailable: scheduled.length - available,
      updatedNumberScheduled: scheduled.filter((n) => onNode(n).some(isNew)).length,
      collisionCount: ds.status?.collisionCount,
    }, ['desiredNumberScheduled', 'currentNumberScheduled', 'numberMisscheduled', 'numberReady']);
    await truncateHistory(this.ctx.client, revisions, new Set([hash, ...owned.map((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '')]), spec.revisionHistoryLimit ?? 10);
    if (!deepEqual(status, ds.status)) await patchStatus(this.ctx.client.resource(RESOURCES.daemonsets), ds, status).catch((err) => { if (!isNotFound(err)) throw err; });
    if (minReady > 0 && ready !== available) return { requeueAfter: minReady * 1000 };
  }

  private surge(ds: DaemonSet, total: number): number {
    return getScaledValueFromIntOrPercent(ds.spec?.updateStrategy?.rollingUpdate?.maxSurge ?? 0, total, true);
  }

  /**
   * Plans one round of a rolling update into `create`/`remove` (Kubernetes' rollingUpdate):
   * without surge, old pods are deleted (unavailable ones first) while fewer than maxUnavailable
   * nodes are without an available pod; with surge, a new pod starts next to an available old
   * one (up to maxSurge at a time) and the old one goes once the new one is available.
   */
  private rollingUpdate(ds: DaemonSet, nodes: Node[], byNode: Map<string, Pod[]>, isNew: (p: Pod) => boolean, now: number, create: string[], remove: Pod[]): void {
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const avail = (p: Pod) => isPodAvailable(p, minReady, now);
    const eligible = nodes.filter((n) => shouldRunOn(ds.spec!.template, n));
    const surge = this.surge(ds, eligible.length);
    const maxUnavailable = getScaledValueFromIntOrPercent(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, eligible.length, surge === 0);
    const live = (n: Node) => (byNode.get(n.metadata.name!) ?? []).filter((p) => !p.metadata.deletionTimestamp && !isPodTerminal(p));
    if (surge > 0) {
      let surging = eligible.filter((n) => live(n).some(isNew) && live(n).some((p) => !isNew(p))).length;
      for (const n of eligible) {
        const pods = live(n);
        const old = pods.filter((p) => !isNew(p));
        const fresh = pods.filter(isNew);
        if (!old.length) continue;
        if (fresh.some(avail)) remove.push(...old);
        else if (!fresh.length && (surging < surge || !old.some(avail))) { create.push(n.metadata.name!); surging++; }
      }
      return;
    }
    let unavailable = eligible.filter((n) => !live(n).some(avail)).length;
    const oldPods = eligible.flatMap((n) => live(n).filter((p) => !isNew(p)).map((p) => ({ p, ok: avail(p) })));
    for (const { p } of oldPods.filter((x) => !x.ok)) remove.push(p);
    for (const { p } of oldPods.filter((x) => x.ok)) {
      if (unavailable >= maxUnavailable) break;
      remove.push(p);
      unavailable++;
    }
  }

  private async apply(key: string, ds: DaemonSet, create: string[], remove: Pod[], revision: ControllerRevision): Promise<void> {
    const pods = this.ctx.client.resource(RESOURCES.pods);
    this.expectations.expectCreations(key, create.length);
    const template = withTolerations((revision.data as { spec: { template: PodTemplateSpec } }).spec.template);
    const ref = controllerRef(ds, DAEMONSET_GVK);
    const hash = revision.metadata.name!;
    const results = await Promise.allSettled([
      ...create.map(async (node) => {
        const pod = podFromTemplate(template, ref, { generateName: `${ds.metadata.name}-`, namespace: ds.metadata.namespace, labels: { [CONTROLLER_REVISION_HASH_LABEL]: hash } });
        const nodeAffinity = pod.spec.affinity?.nodeAffinity;
        // Pin to the node the way Kubernetes does, replacing any required terms: the scheduler binds it there.
        pod.spec.affinity = {
          ...pod.spec.affinity,
          nodeAffinity: { ...nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } },
        };
        try {
          await pods.create(pod);
        } catch (err) {
          this.expectations.creationObserved(key);
          this.recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
          throw err;
        }
        this.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod on node ${node}`);
      }),
      ...remove.map(async (p) => {
        try {
          await pods.delete(p.metadata.name!, { namespace: p.metadata.namespace, preconditions: { uid: p.metadata.uid } });
          this.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
