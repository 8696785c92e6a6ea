import type { Node, Pod, ReplicaSet } from '@peapod/api-types';

/** Parses a Kubernetes quantity ("250m", "1Gi", "2") to a number (cores, bytes, counts). */
export function quantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) return NaN;
  const scale: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  return Number(m[1]) * (m[2] ? scale[m[2]] : 1);
}

export const isTerminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/**
 * A pod's effective request of one resource, as the scheduler counts it: the larger of the sum
 * over regular containers plus sidecars and the largest init container (counting sidecars started
 * before it), plus pod overhead.
 */
export function podRequest(p: Pod, resource: string): number {
  const req = (c: { resources?: { requests?: Record<string, string | number> } }) => quantity(c.resources?.requests?.[resource]);
  let sidecars = 0;
  let initMax = 0;
  for (const c of p.spec?.initContainers ?? []) {
    if (c.restartPolicy === 'Always') sidecars += req(c);
    else initMax = Math.max(initMax, sidecars + req(c));
  }
  const main = (p.spec?.containers ?? []).reduce((s, c) => s + req(c), 0) + sidecars;
  return Math.max(main, initMax) + quantity(p.spec?.overhead?.[resource]);
}

export interface NodeUsage {
  node: Node;
  ready: boolean;
  resources: { name: string; capacity: number; requested: number }[];
}

const SHOWN = ['cpu', 'memory', 'pods'];

/** Allocatable vs requested per node, counting the non-terminal pods bound to it. */
export function nodeUsage(nodes: Node[], pods: Pod[]): NodeUsage[] {
  return nodes.map((node) => {
    const bound = pods.filter((p) => p.spec?.nodeName === node.metadata.name && !isTerminal(p));
    const alloc = node.status?.allocatable ?? node.status?.capacity ?? {};
    return {
      node,
      ready: node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      resources: SHOWN.map((name) => ({
        name,
        capacity: quantity(alloc[name]),
        requested: name === 'pods' ? bound.length : bound.reduce((s, p) => s + podRequest(p, name), 0),
      })),
    };
  });
}

export interface OwnerGroup {
  /** e.g. "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "Node"; "" for bare pods. */
  kind: string;
  name: string;
  namespace: string;
  /** The ReplicaSets between a Deployment and its pods. */
  via: string[];
  pods: Pod[];
}

const controllerOf = (o: { metadata: { ownerReferences?: { kind: string; name: string; controller?: boolean }[] } }) =>
  o.metadata.ownerReferences?.find((r) => r.controller);

/** Groups pods by their top controlling owner: a ReplicaSet owned by a Deployment groups under the Deployment. */
export function groupByOwner(pods: Pod[], replicaSets: ReplicaSet[]): OwnerGroup[] {
  const groups = new Map<string, OwnerGroup>();
  for (const p of pods) {
    const ns = p.metadata.namespace ?? '';
    let owner = controllerOf(p);
    const via: string[] = [];
    if (owner?.kind === 'ReplicaSet') {
      const rs = replicaSets.find((r) => r.metadata.namespace === ns && r.metadata.name === owner!.name);
      const top = rs && controllerOf(rs);
      if (top?.kind === 'Deployment') {
        via.push(owner.name);
        owner = top;
      }
    }
    const key = `${ns}/${owner?.kind ?? ''}/${owner?.name ?? ''}`;
    const g = groups.get(key) ?? { kind: owner?.kind ?? '', name: owner?.name ?? '', namespace: ns, via: [], pods: [] };
    for (const v of via) if (!g.via.includes(v)) g.via.push(v);
    g.pods.push(p);
    groups.set(key, g);
  }
  const order = (g: OwnerGroup) => `${g.namespace}\u0000${g.kind ? '0' : '1'}${g.kind}\u0000${g.name}`;
  return [...groups.values()].sort((a, b) => order(a).localeCompare(order(b)));
}

/** What a pod's row shows and its colour: the first waiting/terminated reason that explains trouble, else the phase. */
export function podState(p: Pod): { text: string; tone: 'ok' | 'warn' | 'bad' | 'done' | 'pending' } {
  const all = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
  const phase = p.status?.phase ?? 'Pending';
  if (p.metadata.deletionTimestamp) return { text: 'Terminating', tone: 'warn' };
  const waiting = all.map((c) => c.state?.waiting?.reason).find((r) => r && r !== 'ContainerCreating' && r !== 'PodInitializing');
  if (waiting && !isTerminal(p)) return { text: waiting, tone: /BackOff|Err|Invalid/.test(waiting) ? 'bad' : 'pending' };
  if (phase === 'Failed') return { text: p.status?.reason ?? 'Failed', tone: 'bad' };
  if (phase === 'Succeeded') return { text: 'Succeeded', tone: 'done' };
  if (phase === 'Pending') return { text: 'Pending', tone: 'pending' };
  const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  return { text: phase, tone: phase === 'Running' && ready ? 'ok' : 'warn' };
}

export function readyCount(p: Pod): string {
  const cs = p.status?.containerStatuses ?? [];
  return `${cs.filter((c) => c.ready).length}/${(p.spec?.containers.length ?? 0)}`;
}

export const restartCount = (p: Pod) =>
  [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].reduce((s, c) => s + (c.restartCount ?? 0), 0);

export function age(created: string | undefined, now: number): string {
  const s = Math.max(0, Math.floor((now - Date.parse(created ?? '')) / 1000));
  if (Number.isNaN(s)) return '';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function formatAmount(resource: string, v: number): string {
  if (resource === 'memory') return v >= 2 ** 30 ? `${(v / 2 ** 30).toFixed(1)}Gi` : `${Math.round(v / 2 ** 20)}Mi`;
  if (resource === 'cpu') return v < 1 ? `${Math.round(v * 1000)}m` : `${Math.round(v * 100) / 100}`;
  return String(v);
}
