import {
  controllerOf, isConflict, isInvalid, isNotFound, isPodTerminal, type ObjectMeta, type OwnerReference, type Pod, type PodCondition, type PodTemplateSpec,
} from '@peapod/api-types';

/**
 * Pod predicates the workload controllers share (Kubernetes' `podutil` and `controller_utils`).
 * Times are RFC 3339 strings as the API carries them; `now` is the injected clock's reading.
 */

export const podCondition = (pod: Pod, type: string): PodCondition | undefined => pod.status?.conditions?.find((c) => c.type === type);

export const isPodReady = (pod: Pod): boolean => podCondition(pod, 'Ready')?.status === 'True';

/** Ready for at least `minReadySeconds` (Kubernetes' `IsPodAvailable`). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/** Not terminal and not being deleted: a pod that counts towards a controller's replicas. */
export const isPodActive = (pod: Pod): boolean => !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;

export const isControlledBy = (obj: { metadata: Pick<ObjectMeta, 'ownerReferences'> }, uid: string | undefined): boolean =>
  uid !== undefined && controllerOf(obj)?.uid === uid;

/** Milliseconds since the epoch of an API timestamp (0 when absent). */
export const timeOf = (t: string | undefined): number => (t ? Date.parse(t) : 0);

/** The API's time format (RFC 3339, second precision, as metav1.Time serializes). */
export const rfc3339 = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** meta/v1 MicroTime (microsecond precision), used by Leases. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/**
 * A pod made from a template (Kubernetes' `GetPodFromTemplate`): the template's labels,
 * annotations, finalizers and spec, owned by `owner` as its controller.
 */
export function podFromTemplate(template: PodTemplateSpec | undefined, owner: OwnerReference, meta: Partial<ObjectMeta> = {}): Pod & { spec: NonNullable<Pod['spec']> } {
  const t = structuredClone(template ?? {});
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...meta,
      labels: { ...t.metadata?.labels, ...meta.labels },
      annotations: { ...t.metadata?.annotations, ...meta.annotations },
      ...(t.metadata?.finalizers || meta.finalizers ? { finalizers: [...(t.metadata?.finalizers ?? []), ...(meta.finalizers ?? [])] } : {}),
      ownerReferences: [owner],
    },
    spec: t.spec!,
  } as Pod & { spec: NonNullable<Pod['spec']> };
}

/** Sets (or replaces) a condition, keeping lastTransitionTime when the status did not change. Returns a new list. */
export function setCondition<C extends { type: string; status: string; lastTransitionTime?: string }>(list: readonly C[] | undefined, cond: C): C[] {
  const cur = list?.find((c) => c.type === cond.type);
  const next = cur && cur.status === cond.status && cond.lastTransitionTime !== undefined ? { ...cond, lastTransitionTime: cur.lastTransitionTime } : cond;
  return [...(list ?? []).filter((c) => c.type !== cond.type), next];
}

/**
 * fnv-1a (32 bit) of a template's canonical JSON, encoded with Kubernetes' safe alphabet
 * (no vowels, so a hash never spells a word): the `pod-template-hash` / revision-hash shape.
 */
export function templateHash(value: unknown, collisionCount?: number): string {
  let h = 0x811c9dc5;
  const feed = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  };
  feed(canonicalJson(value));
  if (collisionCount !== undefined) feed(String(collisionCount));
  return safeEncode(String(h));
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const safeEncode = (s: string) => [...s].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');

/** JSON with sorted keys and `undefined` dropped, so equal objects hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Drops zero and undefined fields (Go's `omitempty` on status counters), keeping `keep`. */
export function omitZero<T extends object>(o: T, keep: readonly (keyof T)[] = []): T {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && (v !== 0 || keep.includes(k as keyof T)))) as T;
}

/**
 * Writes `status` through the status subresource as a merge patch that also clears fields the
 * new status leaves out. A patch, unlike an update, does not fail when the cached object is
 * stale (its spec or metadata moved on since), which is common right after a controller's own
 * writes.
 */
export async function patchStatus<T extends { metadata: { name?: string; namespace?: string }; status?: object }>(
  resource: { patch(name: string, type: 'merge', patch: unknown, opts: { namespace?: string; subresource: string }): Promise<T> },
  obj: T,
  status: object,
): Promise<T> {
  return resource.patch(obj.metadata.name!, 'merge', { status: replacing((obj.status ?? {}) as Record<string, unknown>, status) }, { namespace: obj.metadata.namespace, subresource: 'status' });
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON merge patch turning `from` into `to`: fields missing from `to` (at any depth) become null. */
function replacing(from: Record<string, unknown>, to: object): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(to)) {
    if (v !== undefined) patch[k] = isPlainObject(v) && isPlainObject(from[k]) ? replacing(from[k], v) : v;
  }
  for (const k of Object.keys(from)) if (!(k in patch)) patch[k] = null;
  return patch;
}

/**
 * Removes one finalizer with a JSON patch that first tests it is still at the index seen, so a
 * concurrent change to the list fails the patch instead of removing the wrong entry. Returns
 * false when the object is gone or changed (the caller's next reconcile sees the new state).
 */
export async function removeFinalizer(
  resource: { patch(name: string, type: 'json', patch: unknown, opts: { namespace?: string }): Promise<unknown> },
  obj: { metadata: { name?: string; namespace?: string; finalizers?: string[] } },
  finalizer: string,
): Promise<boolean> {
  const i = obj.metadata.finalizers?.indexOf(finalizer) ?? -1;
  if (i < 0) return true;
  try {
    await resource.patch(obj.metadata.name!, 'json', [
      { op: 'test', path: `/metadata/finalizers/${i}`, value: finalizer },
      { op: 'remove', path: `/metadata/finalizers/${i}` },
    ], { namespace: obj.metadata.namespace });
    return true;
  } catch (err) {
    if (isNotFound(err) || isInvalid(err) || isConflict(err)) return false;
    throw err;
  }
}

/** Index of the pods informer by `spec.nodeName`, shared by the controllers that look at pods per node. */
export const NODE_NAME_INDEX = 'controllers/spec.nodeName';

/** Index of a (shared) informer by controller uid; objects without a controller are under ORPHAN. */
export const CONTROLLER_UID_INDEX = 'controllers/controller-uid';
const ORPHAN = '<orphan>';

interface Indexable<T> {
  store: { byIndex(index: string, value: string): T[] };
  addIndexers(i: Record<string, (o: T) => readonly string[]>): void;
}

/** Informers (shared by every controller of a manager, and across its terms) already given an index, by index name. */
const indexed = new Map<string, WeakSet<object>>();

/** Adds a named index to a shared informer once. */
function ensureIndex<T>(inf: Indexable<T>, name: string, fn: (o: T) => readonly string[]): void {
  let set = indexed.get(name);
  if (!set) indexed.set(name, (set = new WeakSet()));
  if (set.has(inf)) return;
  inf.addIndexers({ [name]: fn });
  set.add(inf);
}

/** Adds the node-name index to a (shared) pods informer once. */
export function ensureNodeNameIndex(inf: Indexable<Pod>): void {
  ensureIndex(inf, NODE_NAME_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
}

/**
 * What `claim` needs to look at for one owner, without scanning the namespace: the objects it
 * controls and the orphans (in `namespace`), from a controller-uid index added once per informer.
 * Runs on every sync of every owner, so it builds one array and nothing else.
 */
export function claimCandidates<T extends { metadata: Pick<ObjectMeta, 'ownerReferences' | 'namespace'> }>(inf: Indexable<T>, namespace: string | undefined, uid: string | undefined): T[] {
  ensureIndex(inf, CONTROLLER_UID_INDEX, (o) => [controllerOf(o)?.uid ?? ORPHAN]);
  const out: T[] = [];
  for (const value of [uid ?? '', ORPHAN]) {
    for (const o of inf.store.byIndex(CONTROLLER_UID_INDEX, value)) if (!namespace || o.metadata.namespace === namespace) out.push(o);
  }
  return out;
}
