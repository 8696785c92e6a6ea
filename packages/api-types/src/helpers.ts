import type { Container, Pod } from './core/v1.js';
import type { ObjectMeta, OwnerReference } from './meta/v1.js';
import { badRequest } from './errors.js';
import { compareQuantities, parseQuantity, type Quantity } from './quantity.js';

/** Structural equality of JSON values (key order ignored; `undefined` fields count as absent). */
export const deepEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = (o: Record<string, unknown>) => Object.keys(o).filter((k) => o[k] !== undefined);
  const ak = keys(ao);
  return ak.length === keys(bo).length && ak.every((k) => deepEqual(ao[k], bo[k]));
};

/** A pod in phase Succeeded or Failed: it never runs again. */
export const isPodTerminal = (pod: Pick<Pod, 'status'>): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** The owner reference with `controller: true`, if any (metav1.GetControllerOf). */
export const controllerOf = (obj: { metadata: Pick<ObjectMeta, 'ownerReferences'> }): OwnerReference | undefined =>
  obj.metadata.ownerReferences?.find((r) => r.controller === true);

/** An owner reference making `owner` the controller of a dependent (metav1.NewControllerRef). */
export const controllerRef = (owner: { apiVersion?: string; kind?: string; metadata: Pick<ObjectMeta, 'name' | 'uid'> }, gvk?: { apiVersion: string; kind: string }): OwnerReference => ({
  apiVersion: gvk?.apiVersion ?? owner.apiVersion ?? '',
  kind: gvk?.kind ?? owner.kind ?? '',
  name: owner.metadata.name ?? '',
  uid: owner.metadata.uid ?? '',
  controller: true,
  blockOwnerDeletion: true,
});

/**
 * intstr.GetScaledValueFromIntOrPercent: an integer is returned as is; `"N%"` is N percent of
 * `total`, rounded up or down. Anything else is a 400 with Kubernetes' message.
 */
export const getScaledValueFromIntOrPercent = (value: number | string | undefined, total: number, roundUp: boolean): number => {
  if (value === undefined) throw badRequest('nil value for IntOrString');
  if (typeof value === 'number') return value;
  const m = /^(-?\d+)%$/.exec(value);
  if (!m) throw badRequest(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
};

/**
 * Generation bookkeeping the API server applies on writes: 1 on create; on update, the old
 * generation plus one when the spec changed (deep comparison), else unchanged.
 */
export const nextGeneration = (next: { spec?: unknown }, old?: { metadata: Pick<ObjectMeta, 'generation'>; spec?: unknown }): number => {
  if (!old) return 1;
  const gen = old.metadata.generation ?? 0;
  return deepEqual(next.spec, old.spec) ? gen : gen + 1;
};

// ---- resources ----

const QUANTITY_CACHE_SIZE = 4096;
const quantityCache = new Map<string, Quantity | null>();
/**
 * parseQuantity memoized by text (`null` for malformed text): validation and QoS see the same
 * few quantity strings over and over, and BigInt parsing dominates their cost otherwise.
 */
export const quantityOf = (text: string): Quantity | null => {
  let q = quantityCache.get(text);
  if (q === undefined) {
    try {
      q = parseQuantity(text);
    } catch {
      q = null;
    }
    if (quantityCache.size >= QUANTITY_CACHE_SIZE) quantityCache.clear();
    quantityCache.set(text, q);
  }
  return q;
};

const add = (a: Quantity, b: Quantity): Quantity => {
  const scale = Math.max(a.scale, b.scale);
  return { num: a.num * 10n ** BigInt(scale - a.scale) + b.num * 10n ** BigInt(scale - b.scale), scale };
};
const ZERO: Quantity = { num: 0n, scale: 0 };
type ResourceList = Record<string, Quantity>;
const addList = (into: ResourceList, from: Record<string, string> | undefined) => {
  for (const k in from ?? {}) into[k] = add(into[k] ?? ZERO, quantityOf(from![k]) ?? parseQuantity(from![k]));
};
const maxList = (into: ResourceList, from: ResourceList) => {
  for (const k in from) if (!into[k] || compareQuantities(from[k], into[k]) > 0) into[k] = from[k];
};
const isSidecar = (c: Container) => c.restartPolicy === 'Always';

/**
 * What a pod asks the scheduler for, as Kubernetes' `resourcehelper.PodRequests`: the sum of the
 * regular containers' and sidecars' requests, or the largest need during initialization (each
 * init container plus the sidecars started before it) when that is larger; plus the pod's
 * overhead unless `excludeOverhead`. With pod-level `spec.resources.requests`, those win for the
 * resources they name.
 */
export const podRequests = (pod: Pick<Pod, 'spec'>, opts: { excludeOverhead?: boolean } = {}): ResourceList => {
  const spec = pod.spec;
  const reqs: ResourceList = {};
  if (!spec) return reqs;
  for (const c of spec.containers ?? []) addList(reqs, c.resources?.requests);
  const sidecars: ResourceList = {};
  const initPeak: ResourceList = {};
  for (const c of spec.initContainers ?? []) {
    const own: ResourceList = {};
    addList(own, c.resources?.requests);
    if (isSidecar(c)) {
      for (const k in own) {
        reqs[k] = add(reqs[k] ?? ZERO, own[k]);
        sidecars[k] = add(sidecars[k] ?? ZERO, own[k]);
      }
      maxList(initPeak, sidecars);
    } else {
      const during: ResourceList = { ...sidecars };
      for (const k in own) during[k] = add(during[k] ?? ZERO, own[k]);
      maxList(initPeak, during);
    }
  }
  maxList(reqs, initPeak);
  for (const k in spec.resources?.requests ?? {}) reqs[k] = quantityOf(spec.resources!.requests![k]) ?? parseQuantity(spec.resources!.requests![k]);
  if (!opts.excludeOverhead) addList(reqs, spec.overhead);
  return reqs;
};

const QOS_RESOURCES = new Set(['cpu', 'memory']);

/** Adds the positive cpu and memory quantities of `m` into `into`; returns how many of the two were positive. */
const addPositive = (m: Record<string, string> | undefined, into: ResourceList): number => {
  let found = 0;
  for (const k in m) {
    if (!QOS_RESOURCES.has(k)) continue;
    const q = quantityOf(m[k]) ?? parseQuantity(m[k]);
    if (q.num > 0n) {
      found++;
      into[k] = add(into[k] ?? ZERO, q);
    }
  }
  return found;
};

/**
 * QoS class (GetPodQOS), computed from a defaulted pod (requests already defaulted from limits):
 * Guaranteed when every container has cpu and memory limits and requests equal limits;
 * BestEffort when no container requests or limits cpu or memory; otherwise Burstable.
 */
export const podQOSClass = (pod: Pick<Pod, 'spec'>): 'Guaranteed' | 'Burstable' | 'BestEffort' => {
  const requests: ResourceList = {};
  const limits: ResourceList = {};
  let guaranteed = true;
  for (const list of [pod.spec?.containers, pod.spec?.initContainers]) {
    for (const c of list ?? []) {
      addPositive(c.resources?.requests, requests);
      if (addPositive(c.resources?.limits, limits) !== QOS_RESOURCES.size) guaranteed = false;
    }
  }
  const nReq = Object.keys(requests).length;
  const nLim = Object.keys(limits).length;
  if (nReq === 0 && nLim === 0) return 'BestEffort';
  if (guaranteed) {
    for (const k in requests) if (!limits[k] || compareQuantities(limits[k], requests[k]) !== 0) guaranteed = false;
  }
  return guaranteed && nReq === nLim ? 'Guaranteed' : 'Burstable';
};
