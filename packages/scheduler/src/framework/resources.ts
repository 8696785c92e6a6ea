import { quantityMilliValue, quantityValue, type Pod } from '@peapod/api-types';

/** Resource amounts in the units the scheduler compares: milli-CPU, bytes, a pod count, scalars. */
export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  pods: number;
  /** Extended and hugepages resources by name. */
  scalar: Record<string, number>;
}

const zeroResources = (): Resources => ({ milliCPU: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: {} });

/** Kubernetes' defaults for containers without requests, used only for spreading scores. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/**
 * Parsed quantities by their string: every pod event and every cycle parses the same few request
 * strings ("100m", "500Mi"), and parsing is exact (BigInt), so it is worth remembering. Bounded.
 */
const milliValues = new Map<string, number>();
const values = new Map<string, number>();
function parsed(cache: Map<string, number>, q: string, parse: (q: string) => number): number {
  let v = cache.get(q);
  if (v === undefined) {
    if (cache.size >= 4096) cache.clear();
    cache.set(q, (v = parse(q)));
  }
  return v;
}

export function resourcesOf(list: Record<string, string> | undefined): Resources {
  const r = zeroResources();
  if (!list) return r;
  for (const name in list) {
    const q = list[name];
    if (name === 'cpu') r.milliCPU = parsed(milliValues, q, quantityMilliValue);
    else if (name === 'memory') r.memory = parsed(values, q, quantityValue);
    else if (name === 'ephemeral-storage') r.ephemeralStorage = parsed(values, q, quantityValue);
    else if (name === 'pods') r.pods = parsed(values, q, quantityValue);
    else r.scalar[name] = parsed(values, q, quantityValue);
  }
  return r;
}

function addResources(into: Resources, r: Resources): void {
  into.milliCPU += r.milliCPU;
  into.memory += r.memory;
  into.ephemeralStorage += r.ephemeralStorage;
  into.pods += r.pods;
  for (const k in r.scalar) into.scalar[k] = (into.scalar[k] ?? 0) + r.scalar[k];
}

function maxInto(into: Resources, r: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = Math.max(into.scalar[k] ?? 0, v);
}

/** A copy with the same shape as `zeroResources()`, so hot code sees one hidden class. */
const copyResources = (r: Resources): Resources => ({ milliCPU: r.milliCPU, memory: r.memory, ephemeralStorage: r.ephemeralStorage, pods: r.pods, scalar: { ...r.scalar } });

/**
 * A pod's effective requests as Kubernetes' `PodRequests` computes them: the sum of regular
 * containers and sidecars, or the largest init-phase demand if higher (a regular init container
 * runs beside the sidecars started before it), plus `spec.overhead`. Every pod also takes one
 * `pods` slot. `nonZero` applies the 100m/200Mi defaults to containers without CPU/memory
 * requests, for scoring only.
 */
export function podRequestsOf(pod: Pod): { requests: Resources; nonZero: Resources } {
  const compute = (nonZero: boolean): Resources => {
    const reqOf = (c: { resources?: { requests?: Record<string, string> } }): Resources => {
      const r = resourcesOf(c.resources?.requests);
      if (nonZero) {
        if (!c.resources?.requests?.cpu) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
        if (!c.resources?.requests?.memory) r.memory = DEFAULT_MEMORY_REQUEST;
      }
      return r;
    };
    const total = zeroResources();
    for (const c of pod.spec?.containers ?? []) addResources(total, reqOf(c));
    const sidecars = zeroResources();
    const initPeak = zeroResources();
    for (const c of pod.spec?.initContainers ?? []) {
      const r = reqOf(c);
      if (c.restartPolicy === 'Always') {
        addResources(total, r);
        addResources(sidecars, r);
        maxInto(initPeak, sidecars);
      } else {
        const during = copyResources(sidecars);
        addResources(during, r);
        maxInto(initPeak, during);
      }
    }
    maxInto(total, initPeak);
    addResources(total, resourcesOf(pod.spec?.overhead));
    total.pods = 1;
    return total;
  };
  return { requests: compute(false), nonZero: compute(true) };
}
