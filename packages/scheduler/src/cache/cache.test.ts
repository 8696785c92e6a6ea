import type { Pod } from '@peapod/api-types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizedImageName } from '../framework/node-info.js';
import { makeNode, makePod } from '../testing/fixtures.js';
import { SchedulerCache } from './cache.js';
import { Snapshot } from './snapshot.js';

type Op =
  | { op: 'addNode'; node: string; image: number }
  | { op: 'removeNode'; node: string }
  | { op: 'bindPod' | 'assumePod'; uid: string; node: string; cpu: number; affinity: 0 | 1 | 2 }
  | { op: 'removePod' | 'forgetPod' | 'updateStatus'; uid: string }
  | { op: 'snapshot' };

const NODES = ['n1', 'n2', 'n3'];
const UIDS = ['a', 'b', 'c', 'd', 'e'];
const IMAGES = [[], ['app:1'], ['app:1', 'db:2']];
/** Each node kind's taints: only the third has a PreferNoSchedule one. */
const TAINTS = [[], [{ key: 'a', effect: 'NoSchedule' as const }], [{ key: 'b', effect: 'PreferNoSchedule' as const }]];
const node = fc.constantFrom(...NODES);
const uid = fc.constantFrom(...UIDS);
// Pod changes between snapshots outnumber node churn, as in a cluster (and so that in-place updates get exercised).
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('addNode' as const), node, image: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeNode' as const), node }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('bindPod' as const, 'assumePod' as const), uid, node, cpu: fc.integer({ min: 1, max: 4 }), affinity: fc.constantFrom(0 as const, 1 as const, 2 as const) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('removePod' as const, 'forgetPod' as const), uid }) },
  // A bound pod's later version with the same spec object, as an informer shares an unchanged spec.
  { weight: 3, arbitrary: fc.record({ op: fc.constant('updateStatus' as const), uid }) },
  { weight: 3, arbitrary: fc.constant({ op: 'snapshot' as const }) },
);

/** affinity 1: preferred pod affinity only; 2: required anti-affinity as well. */
function pod(u: string, cpu: number, affinity: 0 | 1 | 2, nodeName?: string): Pod {
  const term = { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'x' } } };
  const p = makePod(`pod-${u}`, {
    cpu: `${cpu * 100}m`,
    nodeName,
    affinity: affinity === 0 ? undefined : {
      podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: term }] },
      podAntiAffinity: affinity === 2 ? { requiredDuringSchedulingIgnoredDuringExecution: [term] } : undefined,
    },
  });
  p.metadata.uid = u;
  return p;
}

/** What a snapshot must say, computed from a plain model of the operations rather than from the cache. */
function expected(nodes: Map<string, number>, pods: Map<string, { node: string; cpu: number; affinity: number; version: number }>) {
  const names = [...nodes.keys()].sort();
  const images = new Map<string, number>();
  for (const i of nodes.values()) for (const img of IMAGES[i]) images.set(normalizedImageName(img), (images.get(normalizedImageName(img)) ?? 0) + 1);
  const on = (n: string) => [...pods].filter(([, p]) => p.node === n);
  return {
    nodes: names.map((n) => ({
      name: n,
      pods: on(n).map(([u, p]) => `${u}@${p.version}`).sort(),
      milliCPU: on(n).reduce((s, [, p]) => s + p.cpu * 100, 0),
      withAffinity: on(n).filter(([, p]) => p.affinity > 0).length,
      withAnti: on(n).filter(([, p]) => p.affinity === 2).length,
    })),
    withAffinityPods: names.filter((n) => on(n).some(([, p]) => p.affinity > 0)),
    withRequiredAntiAffinityPods: names.filter((n) => on(n).some(([, p]) => p.affinity === 2)),
    images: Object.fromEntries([...images].sort()),
    preferNoScheduleNodes: [...nodes.values()].filter((i) => i === 2).length,
  };
}

function describeSnapshot(s: Snapshot) {
  return {
    nodes: s.list.map((n) => ({
      name: n.name,
      pods: n.pods.map((p) => `${p.pod.metadata.uid!}@${p.pod.metadata.labels?.version ?? 0}`).sort(),
      milliCPU: n.requestedMilliCPU,
      withAffinity: n.podsWithAffinity,
      withAnti: n.podsWithRequiredAntiAffinity,
    })),
    withAffinityPods: s.withAffinityPods.map((n) => n.name),
    withRequiredAntiAffinityPods: s.withRequiredAntiAffinityPods.map((n) => n.name),
    images: Object.fromEntries([...s.imageNodes].sort()),
    preferNoScheduleNodes: s.preferNoScheduleNodes,
  };
}

describe('SchedulerCache snapshots', () => {
  it('an incrementally updated snapshot always equals the model and a freshly built one', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
      const cache = new SchedulerCache();
      const snap = new Snapshot();
      const nodes = new Map<string, number>();
      /** Pods the cache knows, bound or assumed, and where; `present` ones sit on an existing node. */
      const known = new Map<string, { node: string; cpu: number; affinity: number; assumed: boolean; version: number }>();
      /** The last object of each bound pod the cache was given. */
      const objects = new Map<string, Pod>();
      const check = () => {
        cache.updateSnapshot(snap);
        const present = new Map([...known].filter(([, p]) => nodes.has(p.node)));
        const want = expected(nodes, present);
        expect(describeSnapshot(snap)).toEqual(want);
        expect(describeSnapshot(cache.updateSnapshot(new Snapshot()))).toEqual(want);
        for (const ni of snap.list) expect(snap.get(ni.name)).toBe(ni);
      };
      for (const o of ops) {
        switch (o.op) {
          case 'addNode': cache.addOrUpdateNode(makeNode(o.node, { images: IMAGES[o.image].map((n) => ({ names: [n], sizeBytes: 100 << 20 })), taints: TAINTS[o.image] })); nodes.set(o.node, o.image); break;
          case 'removeNode': cache.removeNode(o.node); nodes.delete(o.node); break;
          case 'bindPod': {
            const p = pod(o.uid, o.cpu, o.affinity, o.node);
            cache.addOrUpdatePod(p);
            objects.set(o.uid, p);
            known.set(o.uid, { ...o, assumed: false, version: 0 });
            break;
          }
          case 'updateStatus': {
            const k = known.get(o.uid);
            const last = objects.get(o.uid);
            if (!k || k.assumed || !last) break;
            k.version++;
            const p: Pod = { ...last, metadata: { ...last.metadata, labels: { version: String(k.version) } }, status: { phase: 'Running' } };
            cache.addOrUpdatePod(p);
            objects.set(o.uid, p);
            break;
          }
          case 'assumePod':
            if (known.has(o.uid)) break; // the scheduler assumes only pods it has not placed
            cache.assumePod(pod(o.uid, o.cpu, o.affinity), o.node);
            known.set(o.uid, { ...o, assumed: true, version: 0 });
            break;
          case 'removePod': cache.removePod(o.uid); known.delete(o.uid); break;
          case 'forgetPod': cache.forgetPod(o.uid); if (known.get(o.uid)?.assumed) known.delete(o.uid); break;
          case 'snapshot': check(); break;
        }
      }
      check();
    }), { numRuns: 300 });
  });

  it('never changes a node a cycle already holds, and re-clones only what changed', () => {
    const cache = new SchedulerCache();
    for (const n of NODES) cache.addOrUpdateNode(makeNode(n));
    const snap = cache.updateSnapshot(new Snapshot());
    const before = snap.list.slice();
    const held = snap.get('n2')!;
    cache.addOrUpdatePod(pod('a', 2, 0, 'n2'));
    expect(held.pods).toHaveLength(0);
    expect(held.requestedMilliCPU).toBe(0);
    cache.updateSnapshot(snap);
    expect(snap.get('n2')!.requestedMilliCPU).toBe(200);
    expect(snap.list.filter((n, i) => n !== before[i]).map((n) => n.name)).toEqual(['n2']);
  });

  it('takes a bound pod\'s status update (same spec object) into the next snapshot, its sums unchanged', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(makeNode('n1'));
    const bound = pod('a', 2, 0, 'n1');
    cache.addOrUpdatePod(bound);
    const snap = cache.updateSnapshot(new Snapshot());
    const held = snap.get('n1')!;
    const running: Pod = { ...bound, metadata: { ...bound.metadata, labels: { app: 'x' } }, status: { phase: 'Running' } };
    cache.addOrUpdatePod(running);
    expect(held.pods[0].pod).toBe(bound);
    cache.updateSnapshot(snap);
    const n1 = snap.get('n1')!;
    expect(n1.pods.map((p) => p.pod)).toEqual([running]);
    expect(n1.requestedMilliCPU).toBe(200);
    // A new spec is accounted afresh.
    cache.addOrUpdatePod({ ...running, spec: { ...running.spec!, containers: [{ name: 'c', image: 'app:1', resources: { requests: { cpu: '500m' } } }] } });
    cache.updateSnapshot(snap);
    expect(snap.get('n1')!.requestedMilliCPU).toBe(500);
  });

  it('drops a node from the affinity lists when its last such pod leaves', () => {
    const cache = new SchedulerCache();
    cache.addOrUpdateNode(makeNode('n1'));
    cache.addOrUpdatePod(pod('a', 1, 2, 'n1'));
    const snap = cache.updateSnapshot(new Snapshot());
    expect(snap.withRequiredAntiAffinityPods.map((n) => n.name)).toEqual(['n1']);
    cache.removePod('a');
    cache.updateSnapshot(snap);
    expect(snap.withAffinityPods).toEqual([]);
    expect(snap.withRequiredAntiAffinityPods).toEqual([]);
  });
});
