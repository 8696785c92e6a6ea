import {
  RESOURCES, deepEqual, isConflict, isNotFound, resourceForKind, type OwnerReference, type ResourceInfo,
} from '@peapod/api-types';
import type { KubeObject, ReconcileResult } from '@peapod/client';
import type { ControllerContext } from './context.js';
import { QueueController } from './controller.js';
import { removeFinalizer } from './pod-util.js';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

type Obj = KubeObject & {
  metadata: { uid?: string; ownerReferences?: OwnerReference[]; finalizers?: string[]; deletionTimestamp?: string };
};
interface Node { info: ResourceInfo<Obj>; obj: Obj }

/** Every served resource except Events (never owners, never owned in practice, and the busiest). */
const MONITORED = Object.entries(RESOURCES).filter(([key]) => !key.startsWith('events')).map(([, info]) => info as unknown as ResourceInfo<Obj>);

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

/**
 * The garbage collector (Kubernetes' `garbagecollector`): keeps a graph of ownerReferences from
 * informers on every resource, keyed by uid, and
 * - deletes an object once none of its owners exists any more (a dangling reference is checked
 *   against the API server before it counts, since the owner may simply not be cached yet);
 * - for an owner deleted with `propagationPolicy: Orphan` (the `orphan` finalizer), removes its
 *   ownerReferences from the dependents, then the finalizer;
 * - for an owner deleted with `Foreground` (the `foregroundDeletion` finalizer), deletes the
 *   dependents (in the foreground themselves when they have dependents) and removes the
 *   finalizer once no dependent with `blockOwnerDeletion` is left;
 * - Background (the default) is the first rule: the owner goes at once and the dependents follow.
 * An object with several owners survives while any of them exists; references to owners that
 * are gone are removed from it.
 */
export class GarbageCollector extends QueueController {
  private readonly nodes = new Map<string, Node>();
  private readonly dependents = new Map<string, Set<string>>();

  constructor(ctx: ControllerContext) {
    super('garbagecollector', ctx);
    for (const info of MONITORED) {
      this.watch(info, {
        onAdd: (obj) => this.upsert(info, undefined, obj),
        onUpdate: (old, obj) => this.upsert(info, old, obj),
        onDelete: (obj) => this.remove(obj),
      });
    }
  }

  /**
   * Updates the graph with an object's current state and, as Kubernetes' GraphBuilder, enqueues
   * only what may need action: the object itself when one of its owners is not in the graph (it
   * may be gone) or is being deleted, or when it is being deleted with the orphan/foreground
   * finalizer; and foreground owners waiting on it when its references or deletion changed. An
   * owner already in the graph and alive needs no check (its removal enqueues its dependents),
   * which keeps a busy workload's pod updates from each costing a reconcile.
   */
  private upsert(info: ResourceInfo<Obj>, old: Obj | undefined, obj: Obj): void {
    const uid = obj.metadata.uid!;
    this.nodes.set(uid, { info, obj });
    const before = old?.metadata.ownerReferences ?? [];
    const after = obj.metadata.ownerReferences ?? [];
    for (const r of before) if (!after.some((a) => a.uid === r.uid)) { this.dependents.get(r.uid)?.delete(uid); this.enqueueIfWaiting(r.uid); }
    for (const r of after) {
      let set = this.dependents.get(r.uid);
      if (!set) this.dependents.set(r.uid, (set = new Set()));
      set.add(uid);
    }
    const deleting = obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).some((f) => f === ORPHAN_FINALIZER || f === FOREGROUND_FINALIZER);
    if (deleting || after.some((r) => this.nodes.get(r.uid)?.obj.metadata.deletionTimestamp !== undefined || !this.nodes.has(r.uid))) this.queue.add(uid);
    // A changed blockOwnerDeletion, or a dependent starting to go, may unblock a foreground owner.
    if (old && (!deepEqual(before, after) || (!old.metadata.deletionTimestamp && obj.metadata.deletionTimestamp))) for (const r of after) this.enqueueIfWaiting(r.uid);
  }

  private remove(obj: Obj): void {
    const uid = obj.metadata.uid!;
    this.nodes.delete(uid);
    for (const r of obj.metadata.ownerReferences ?? []) {
      this.dependents.get(r.uid)?.delete(uid);
      this.enqueueIfWaiting(r.uid);
    }
    for (const d of this.dependents.get(uid) ?? []) this.queue.add(d);
  }

  /** Enqueues an owner that is being deleted in the foreground: it waits on its dependents. */
  private enqueueIfWaiting(uid: string): void {
    const owner = this.nodes.get(uid)?.obj;
    if (owner?.metadata.deletionTimestamp && owner.metadata.finalizers?.includes(FOREGROUND_FINALIZER)) this.queue.add(uid);
  }

  async reconcile(uid: string): Promise<ReconcileResult> {
    const node = this.nodes.get(uid);
    if (!node) return;
    const { obj, info } = node;
    const finalizers = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && finalizers.includes(ORPHAN_FINALIZER)) return this.orphanDependents(node);
    if (obj.metadata.deletionTimestamp && finalizers.includes(FOREGROUND_FINALIZER)) return this.deleteDependents(node);
    const refs = obj.metadata.ownerReferences ?? [];
    if (!refs.length) return;

    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const owner = await this.lookupOwner(obj, info, ref);
      if (!owner) dangling.push(ref);
      else if (owner.metadata.deletionTimestamp && owner.metadata.finalizers?.includes(FOREGROUND_FINALIZER)) waiting.push(ref);
      else solid.push(ref);
    }
    if (solid.length === refs.length) return;
    const resource = this.ctx.client.resource(info);
    if (solid.length) {
      // Some owner remains: drop references to owners that are gone, and stop blocking owners being deleted.
      const goneUids = new Set(dangling.map((r) => r.uid));
      const waitingUids = new Set(waiting.map((r) => r.uid));
      const next = refs.filter((r) => !goneUids.has(r.uid)).map((r) => (waitingUids.has(r.uid) && r.blockOwnerDeletion ? { ...r, blockOwnerDeletion: false } : r));
      await this.patchOwners(info, obj, next);
      return;
    }
    if (obj.metadata.deletionTimestamp) return;
    const hasDependents = (this.dependents.get(uid)?.size ?? 0) > 0;
    const propagationPolicy = waiting.length && hasDependents ? 'Foreground' : 'Background';
    this.log.info('deleting object whose owners are gone', { kind: info.kind, name: obj.metadata.name, namespace: obj.metadata.namespace, propagationPolicy });
    try {
      await resource.delete(obj.metadata.name!, { namespace: obj.metadata.namespace, preconditions: { uid }, propagationPolicy });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  /**
   * The owner a reference points to, or undefined when it is gone. Not being in the cache is not
   * proof (the owner's informer may lag), so a miss is confirmed with a GET: absent, or present
   * with another uid, means gone. An owner of an unknown kind is assumed to exist.
   */
  private async lookupOwner(dep: Obj, depInfo: ResourceInfo<Obj>, ref: OwnerReference): Promise<Obj | undefined> {
    const cached = this.nodes.get(ref.uid);
    if (cached) return cached.obj;
    const info = resourceForKind(groupOf(ref.apiVersion), ref.kind) as ResourceInfo<Obj> | undefined;
    if (!info) return { metadata: { uid: ref.uid } };
    // A namespaced dependent's namespaced owner lives in its namespace; a cluster-scoped dependent cannot have one.
    if (info.namespaced && !depInfo.namespaced) return undefined;
    try {
      const live = await this.ctx.client.resource(info).get(ref.name, { namespace: info.namespaced ? dep.metadata.namespace : undefined });
      return live.metadata.uid === ref.uid ? live : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async orphanDependents({ obj, info }: Node): Promise<ReconcileResult> {
    const uid = obj.metadata.uid!;
    for (const d of [...(this.dependents.get(uid) ?? [])]) {
      const dep = this.nodes.get(d);
      if (dep) await this.patchOwners(dep.info, dep.obj, (dep.obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid));
    }
    await removeFinalizer(this.ctx.client.resource(info), obj, ORPHAN_FINALIZER);
  }

  private async deleteDependents({ obj, info }: Node): Promise<ReconcileResult> {
    const uid = obj.metadata.uid!;
    const deps = [...(this.dependents.get(uid) ?? [])].map((d) => this.nodes.get(d)).filter((d): d is Node => !!d);
    for (const dep of deps) {
      if (dep.obj.metadata.deletionTimestamp) continue;
      const hasDependents = (this.dependents.get(dep.obj.metadata.uid!)?.size ?? 0) > 0;
      try {
        await this.ctx.client.resource(dep.info).delete(dep.obj.metadata.name!, {
          namespace: dep.obj.metadata.namespace, preconditions: { uid: dep.obj.metadata.uid }, propagationPolicy: hasDependents ? 'Foreground' : 'Background',
        });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    const blocking = deps.filter((d) => d.obj.metadata.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion));
    if (blocking.length) return;
    await removeFinalizer(this.ctx.client.resource(info), obj, FOREGROUND_FINALIZER);
  }

  /** Replaces an object's ownerReferences, guarded by its resourceVersion (a conflict retries the key). */
  private async patchOwners(info: ResourceInfo<Obj>, obj: Obj, ownerReferences: OwnerReference[]): Promise<void> {
    try {
      await this.ctx.client.resource(info).patch(obj.metadata.name!, 'merge', {
        metadata: { ownerReferences: ownerReferences.length ? ownerReferences : null, resourceVersion: obj.metadata.resourceVersion },
      }, { namespace: obj.metadata.namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
