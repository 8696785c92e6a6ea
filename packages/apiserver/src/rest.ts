import { randomBytes, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  alreadyExists, badRequest, conflict, invalid, isAlreadyExists, isNotFound, nextGeneration, isStatusError, notFound, parseFieldSelector,
  type FieldValidation,
} from '@peapod/api-types';
import type { Clock } from '@peapod/core';
import { deepCopy, type Store, type Watch } from '@peapod/store';
import { checkFieldSelector } from './field-selectors.js';
import { admitCreate, decodeFor, defaultObject, validateCreate, validateUpdate } from './admission.js';
import type { UserInfo } from './auth.js';
import { listPrefix, objectKey, type ResourceRegistry, type ServedResource } from './registry.js';
import { strategyFor, type Strategy } from './strategies.js';
import type { Obj } from './obj.js';
import type { PodSecurityAdmission } from './pod-security/admission.js';

/** Per-request settings every write carries. */
export interface WriteContext {
  user: UserInfo;
  dryRun: boolean;
  fieldManager: string;
  fieldValidation: FieldValidation;
  /** Collected `Warning` headers. */
  warnings: string[];
}

export interface DeleteRequest {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface WatchQuery extends ListQuery {
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

/**
 * Records managedFields on writes (the patch module's `updateManagedFields`); returns `previous`
 * itself when the result equals it as JSON (a no-op write).
 */
export type ManagedFieldsUpdater = (previous: Obj | undefined, next: Obj, manager: string, operation: 'Update' | 'Apply', subresource?: string) => Obj;

/** Looks up whether a namespace accepts new objects; the namespace lifecycle implements it. */
export interface NamespaceGate {
  check(namespace: string, resource: ServedResource, name: string): Promise<void>;
}

/** Rebuilds a store error so that its details name the resource (plural and group) as Kubernetes' do. */
function retarget(err: unknown, r: ServedResource, name: string): unknown {
  // Only errors raised by the store (which names objects by storage key) are rebuilt.
  if (!isStatusError(err) || err.status.details?.kind !== r.storageName) return err;
  const t = { kind: r.info.plural, group: r.info.group || undefined, name };
  switch (err.reason) {
    case 'NotFound': return notFound(t);
    case 'AlreadyExists': return alreadyExists(t);
    case 'Conflict': {
      const detail = /: (.*)$/.exec(err.message)?.[1];
      return conflict(t, detail && !detail.startsWith('the object has been modified') ? detail : undefined);
    }
    default: return err;
  }
}

/** The served form of a stored object. */
const served = (r: ServedResource, obj: Obj): Obj => (r.conversion ? r.conversion.fromStorage(obj) : obj);
const stored = (r: ServedResource, obj: Obj): Obj => (r.conversion ? r.conversion.toStorage(obj) : obj);

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const generateSuffix = () => [...randomBytes(5)].map((b) => GENERATE_ALPHABET[b % GENERATE_ALPHABET.length]).join('');
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * A part of a stored object for the object that replaces it: the part itself when the store shares
 * it deep-frozen (the watch cache's, which then keeps it without copying or comparing it again),
 * else a copy. Nothing may change it in place: a write into a frozen value throws.
 */
const shared = <T>(v: T): T => (v !== null && typeof v === 'object' && Object.isFrozen(v) ? v : deepCopy(v));

/** Fields of metadata that only the server sets, carried from the stored object into every update. */
const SYSTEM_META = ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'name', 'namespace'] as const;

/**
 * Generic REST storage for every resource (kube-apiserver's registry `Store`): create with
 * generateName and system fields, update through compare-and-swap with strategy rules, graceful
 * and finalizer-aware deletion, list and watch. Objects coming out of the store are shared and
 * never mutated here; every write works on a copy.
 */
export class Rest {
  private nowSecond = NaN;
  private nowText = '';

  constructor(
    private readonly store: Store,
    readonly registry: ResourceRegistry,
    private readonly clock: Clock,
    private readonly namespaces: NamespaceGate,
    private readonly managedFields: ManagedFieldsUpdater,
    private readonly podSecurity?: PodSecurityAdmission,
  ) {}

  strategy(r: ServedResource): Strategy {
    return strategyFor(r.info.group, r.info.plural, r.info.subresources ?? []);
  }

  /** The current time as RFC 3339 seconds, as Kubernetes writes timestamps (metadata and managedFields). */
  now(): string {
    const second = Math.floor(this.clock.now() / 1000);
    if (second !== this.nowSecond) {
      this.nowSecond = second;
      this.nowText = rfc3339(second * 1000);
    }
    return this.nowText;
  }

  /** The latest state, or with `resourceVersion` any state not older than it ("0": any), which the watch cache serves from memory. */
  async get(r: ServedResource, namespace: string, name: string, resourceVersion?: string): Promise<Obj> {
    try {
      return served(r, (await this.store.get<Obj>(objectKey(r, namespace, name), { resourceVersion }))!);
    } catch (err) {
      throw retarget(err, r, name);
    }
  }

  async list(r: ServedResource, namespace: string, q: ListQuery) {
    const res = await this.store.list<Obj>(listPrefix(r, namespace), { ...q, fieldSelector: checkFieldSelector(r, q.fieldSelector) });
    return {
      apiVersion: r.apiVersion,
      kind: r.info.listKind,
      metadata: {
        resourceVersion: res.resourceVersion,
        ...(res.continue ? { continue: res.continue } : {}),
        ...(res.remainingItemCount !== undefined ? { remainingItemCount: res.remainingItemCount } : {}),
      },
      items: r.conversion ? res.items.map((i) => served(r, i)) : res.items,
    };
  }

  watch(r: ServedResource, namespace: string, q: WatchQuery): Watch<Obj> {
    const w = this.storeWatch(r, namespace, q);
    const conversion = r.conversion;
    if (!conversion) return w;
    return {
      stop: () => w.stop(),
      async *[Symbol.asyncIterator]() {
        for await (const ev of w) yield ev.type === 'ERROR' || ev.type === 'BOOKMARK' ? ev : { type: ev.type, object: conversion.fromStorage(ev.object) };
      },
    };
  }

  private storeWatch(r: ServedResource, namespace: string, q: WatchQuery): Watch<Obj> {
    if (q.sendInitialEvents && q.resourceVersionMatch !== 'NotOlderThan') {
      throw invalid({ kind: 'ListOptions' }, [{ type: 'FieldValueForbidden', field: 'resourceVersionMatch', message: 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan' }]);
    }
    // Without a resourceVersion (or with "0"), a watch first replays the current state as ADDED
    // events ("get state and start"), unless the client opted out with sendInitialEvents=false.
    const fromState = !q.resourceVersion || q.resourceVersion === '0';
    const fieldSelector = checkFieldSelector(r, q.fieldSelector);
    // A watch of one named object watches its key alone, as kube-apiserver's registry does
    // (SelectionPredicate.MatchesSingle): the store then offers it that object's writes only.
    const name = fieldSelector ? parseFieldSelector(fieldSelector).requires('metadata.name') : undefined;
    const single = name !== undefined && (namespace !== '' || !r.info.namespaced);
    return this.store.watch<Obj>(single ? objectKey(r, namespace, name) : listPrefix(r, namespace), {
      labelSelector: q.labelSelector,
      fieldSelector,
      resourceVersion: fromState ? undefined : q.resourceVersion,
      sendInitialEvents: q.sendInitialEvents ?? fromState,
      allowBookmarks: q.allowWatchBookmarks,
      recursive: !single,
    });
  }

  /** POST: decode, system fields, defaults, managedFields, admission, strategy, validation, store. */
  async create(r: ServedResource, namespace: string, body: unknown, ctx: WriteContext): Promise<Obj> {
    const obj = decodeFor(r, body, ctx.fieldValidation, ctx.warnings);
    return this.createDecoded(r, namespace, obj, ctx);
  }

  /** Create from an already decoded object (owned by the caller). */
  async createDecoded(r: ServedResource, namespace: string, obj: Obj, ctx: WriteContext, operation: 'Update' | 'Apply' = 'Update'): Promise<Obj> {
    const meta = obj.metadata;
    if (r.info.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    const generated = !meta.name && meta.generateName;
    const strategy = this.strategy(r);
    await this.namespaces.check(namespace, r, meta.name ?? '');
    for (let attempt = 0; ; attempt++) {
      if (generated) meta.name = `${meta.generateName}${generateSuffix()}`;
      const now = this.now();
      meta.uid = randomUUID();
      meta.creationTimestamp = now;
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
      if (strategy.tracksGeneration) meta.generation = 1;
      else delete meta.generation;
      if (strategy.statusSubresource && !strategy.keepStatusOnCreate) delete obj.status;
      defaultObject(r, obj);
      // As Kubernetes records the creator's fields: after decoding and defaulting, before mutating
      // admission and the strategy, so what those add (default tolerations, serviceAccountName,
      // priority, a Job's selector, a namespace's finalizer) belongs to no manager.
      const out = this.managedFields(undefined, obj, ctx.fieldManager, operation);
      admitCreate(r, out);
      strategy.prepareForCreate?.(out, now);
      validateCreate(r, out);
      await this.podSecurity?.validate(r, out, undefined, undefined, ctx.warnings);
      if (ctx.dryRun) return out;
      try {
        return served(r, await this.store.create(objectKey(r, namespace, meta.name), stored(r, out)));
      } catch (err) {
        if (generated && isAlreadyExists(err) && attempt < 3) continue;
        throw retarget(err, r, meta.name);
      }
    }
  }

  /**
   * Read-modify-write of one object. `mutate` returns the desired object (a fresh copy) from the
   * current one, or throws; the system rules below then apply. `subresource` selects which part the
   * request may change (`status` takes only status; the main resource keeps status). With
   * `createIfMissing`, `mutate(undefined)` builds a new object (server-side apply).
   */
  async update(
    r: ServedResource, namespace: string, name: string, ctx: WriteContext,
    mutate: (current: Obj | undefined) => Obj | Promise<Obj>,
    opts: { subresource?: string; createIfMissing?: boolean; operation?: 'Update' | 'Apply' } = {},
  ): Promise<Obj> {
    const key = objectKey(r, namespace, name);
    const strategy = this.strategy(r);
    const operation = opts.operation ?? 'Update';
    // An absent object with `createIfMissing` leaves the CAS loop through CreateInstead and is created.
    const apply = async (current: Obj | undefined): Promise<Obj> => {
      if (!current) {
        if (!opts.createIfMissing) throw notFound({ kind: r.info.plural, group: r.info.group || undefined, name });
        throw new CreateInstead(await mutate(undefined));
      }
      const next = await mutate(current);
      if (next.metadata?.name !== undefined && next.metadata.name !== name) {
        throw badRequest(`the name of the object (${String(next.metadata.name)}) does not match the name on the URL (${name})`);
      }
      if (r.info.namespaced && next.metadata?.namespace && next.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      const out = this.prepareUpdate(r, strategy, next, current, ctx, opts.subresource, operation);
      if (out !== current) await this.podSecurity?.validate(r, out, current, opts.subresource, ctx.warnings);
      return out;
    };
    let result: Obj;
    try {
      if (ctx.dryRun) {
        const obj = await this.store.get<Obj>(key, { ignoreNotFound: true });
        return await apply(obj && served(r, obj));
      }
      result = await this.store.guaranteedUpdate<Obj>(key, {
        ignoreNotFound: opts.createIfMissing,
        tryUpdate: async (inStore) => {
          if (!r.conversion) return apply(inStore);
          const cur = inStore && served(r, inStore);
          const next = await apply(cur);
          return next === cur ? inStore! : stored(r, next);
        },
      });
    } catch (err) {
      if (err instanceof CreateInstead) return this.createDecoded(r, namespace, err.object, ctx, operation);
      throw retarget(err, r, name);
    }
    return served(r, await this.finishIfDeleted(r, key, result));
  }

  /**
   * A write the server fully controls, straight to storage: no defaulting, update validation or
   * managedFields (Kubernetes' BindingREST updates a pod's node and PodScheduled condition this
   * way). `mutate` gets the stored object and returns a new one; a dry run stores nothing.
   */
  async updateInStorage(r: ServedResource, namespace: string, name: string, ctx: WriteContext, mutate: (current: Obj) => Obj): Promise<Obj> {
    const key = objectKey(r, namespace, name);
    try {
      if (ctx.dryRun) return mutate((await this.store.get<Obj>(key))!);
      return await this.store.guaranteedUpdate<Obj>(key, { tryUpdate: (cur) => mutate(cur!) });
    } catch (err) {
      throw retarget(err, r, name);
    }
  }

  private prepareUpdate(r: ServedResource, strategy: Strategy, next: Obj, current: Obj, ctx: WriteContext, subresource: string | undefined, operation: 'Update' | 'Apply'): Obj {
    next.apiVersion = r.apiVersion;
    next.kind = r.info.kind;
    next.metadata ??= {};
    for (const f of SYSTEM_META) {
      if (current.metadata[f] === undefined) delete next.metadata[f];
      else next.metadata[f] = current.metadata[f];
    }
    if (subresource === 'status') {
      next.spec = shared(current.spec);
      next.metadata.ownerReferences = shared(current.metadata.ownerReferences);
      if (next.metadata.ownerReferences === undefined) delete next.metadata.ownerReferences;
      strategy.prepareForStatusUpdate?.(next, current);
    } else if (subresource === undefined) {
      if (strategy.statusSubresource) {
        if (current.status === undefined) delete next.status;
        else next.status = deepCopy(current.status);
      }
      strategy.prepareForUpdate?.(next, current);
    }
    if (current.metadata.deletionTimestamp) {
      const added = (next.metadata.finalizers ?? []).filter((f: string) => !(current.metadata.finalizers ?? []).includes(f));
      if (added.length) {
        throw invalid({ kind: r.info.kind, name: current.metadata.name }, [{ type: 'FieldValueForbidden', field: 'metadata.finalizers', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` }]);
      }
    }
    try {
      defaultObject(r, next);
    } catch (err) {
      // A default missing from a spec shared frozen (written before that default existed) is set on a copy.
      if (!(err instanceof TypeError) || next.spec !== current.spec) throw err;
      next.spec = deepCopy(current.spec);
      defaultObject(r, next);
    }
    validateUpdate(r, next, current, subresource);
    if (strategy.tracksGeneration) next.metadata.generation = nextGeneration(next as { spec?: unknown }, current as Parameters<typeof nextGeneration>[1]);
    const rv = next.metadata.resourceVersion;
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    const withFields = this.managedFields(current, next, ctx.fieldManager, operation, subresource);
    if (withFields === current) return current;
    // A caller-pinned resourceVersion is compared by the store (409 when stale); unset means unconditional.
    if (rv) withFields.metadata.resourceVersion = rv;
    else delete withFields.metadata.resourceVersion;
    return withFields;
  }

  /** An update that removed the last finalizer of an object whose grace has run out deletes it. */
  private async finishIfDeleted(r: ServedResource, key: string, obj: Obj): Promise<Obj> {
    const m = obj.metadata;
    if (!m.deletionTimestamp || (m.finalizers ?? []).length || this.strategy(r).holdsDeletion?.(obj) || (m.deletionGracePeriodSeconds ?? 0) !== 0) return obj;
    try {
      return await this.store.delete<Obj>(key, { preconditions: { uid: m.uid, resourceVersion: m.resourceVersion } });
    } catch (err) {
      if (isNotFound(err)) return obj;
      throw retarget(err, r, m.name);
    }
  }

  /**
   * DELETE of one object. Pods are deleted gracefully (deletionTimestamp + grace; the kubelet
   * finishes with grace 0); finalizers, including those the propagation policy adds, hold the
   * object with a deletionTimestamp until they are removed. Returns the object and whether it is gone.
   */
  async delete(r: ServedResource, namespace: string, name: string, opts: DeleteRequest, ctx: WriteContext): Promise<{ object: Obj; deleted: boolean }> {
    const key = objectKey(r, namespace, name);
    const strategy = this.strategy(r);
    const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : opts.orphanDependents === false ? 'Background' : undefined);
    if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0 && strategy.gracePeriod === undefined) {
      throw invalid({ kind: 'DeleteOptions' }, [{ type: 'FieldValueInvalid', field: 'gracePeriodSeconds', message: `Invalid value: ${opts.gracePeriodSeconds}: must be >= 0` }]);
    }
    let deleteNow = false;
    const decide = (current: Obj): Obj => {
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) throw conflict({ kind: r.info.plural, group: r.info.group || undefined, name }, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) throw conflict({ kind: r.info.plural, group: r.info.group || undefined, name }, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
      strategy.checkDelete?.(current);
      const next = deepCopy(current);
      const m = next.metadata;
      let finalizers: string[] = m.finalizers ?? [];
      if (policy === 'Orphan') finalizers = [...finalizers.filter((f) => f !== 'foregroundDeletion'), ...(finalizers.includes('orphan') ? [] : ['orphan'])];
      else if (policy === 'Foreground') finalizers = [...finalizers.filter((f) => f !== 'orphan'), ...(finalizers.includes('foregroundDeletion') ? [] : ['foregroundDeletion'])];
      else if (policy === 'Background') finalizers = finalizers.filter((f) => f !== 'orphan' && f !== 'foregroundDeletion');
      if (finalizers.length) m.finalizers = finalizers;
      else delete m.finalizers;
      const nowMs = this.clock.now();
      let grace: number | undefined;
      if (m.deletionTimestamp && strategy.gracePeriod && m.deletionGracePeriodSeconds) {
        // Already in its grace period: a repeated delete may only shorten it (a negative request means 1 s),
        // and the deletion time moves as if the first request had asked for the shorter grace. A repeat
        // without a grace, or with one no shorter, leaves the pending deletion as it is (Kubernetes' BeforeDelete).
        const requested = opts.gracePeriodSeconds === undefined || opts.gracePeriodSeconds >= 0 ? opts.gracePeriodSeconds : 1;
        if (requested === undefined || requested >= m.deletionGracePeriodSeconds) {
          deleteNow = false;
          return current;
        }
        m.deletionTimestamp = rfc3339(Date.parse(m.deletionTimestamp) + (requested - m.deletionGracePeriodSeconds) * 1000);
        m.deletionGracePeriodSeconds = grace = requested;
      } else if (!m.deletionTimestamp) {
        grace = strategy.gracePeriod?.(current, opts.gracePeriodSeconds);
        if (grace !== undefined && grace > 0) {
          if (strategy.tracksGeneration) m.generation = (m.generation ?? 0) + 1;
          m.deletionTimestamp = rfc3339(nowMs + grace * 1000);
          m.deletionGracePeriodSeconds = grace;
        }
      }
      if (grace !== undefined && grace > 0) {
        strategy.markDeleting?.(next);
        deleteNow = false;
        return next;
      }
      if (finalizers.length || strategy.holdsDeletion?.(next)) {
        if (!m.deletionTimestamp) m.deletionTimestamp = rfc3339(nowMs);
        m.deletionGracePeriodSeconds = 0;
        strategy.markDeleting?.(next);
        deleteNow = false;
        return isDeepStrictEqual(next, current) ? current : next;
      }
      deleteNow = true;
      return current;
    };
    try {
      if (ctx.dryRun) {
        const current = (await this.store.get<Obj>(key))!;
        const next = decide(current);
        return { object: served(r, next), deleted: deleteNow };
      }
      const marked = await this.store.guaranteedUpdate<Obj>(key, { tryUpdate: (current) => decide(current!) });
      if (!deleteNow) return { object: served(r, marked), deleted: false };
      const gone = await this.store.delete<Obj>(key, { preconditions: { uid: marked.metadata.uid, resourceVersion: marked.metadata.resourceVersion } });
      return { object: served(r, gone), deleted: true };
    } catch (err) {
      throw retarget(err, r, name);
    }
  }

  /** DELETE on a collection: deletes each matching object with the same options; returns what it deleted or marked. */
  async deleteCollection(r: ServedResource, namespace: string, q: ListQuery, opts: DeleteRequest, ctx: WriteContext) {
    const list = await this.list(r, namespace, { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector });
    const items: Obj[] = [];
    for (const item of list.items) {
      try {
        items.push((await this.delete(r, item.metadata.namespace ?? '', item.metadata.name, opts, ctx)).object);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return { ...list, items };
  }
}

/** Signals from inside a CAS loop that the object is absent and must be created instead. */
class CreateInstead extends Error {
  constructor(readonly object: Obj) {
    super('create instead of update');
  }
}
