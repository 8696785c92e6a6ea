import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '@peapod/api-types';
import { FakeClock } from '@peapod/core';
import { Scheduler, numFeasibleNodesToFind, type SchedulingReporter } from './scheduler.js';
import type { SchedulerHandle } from './framework/interfaces.js';
import { defaultProfile, inTreeRegistry } from './plugins/registry.js';
import { makeNode, makePod } from './testing/fixtures.js';

/** A scheduler over fakes that records bindings, status reports and events. */
function harness(nodes: Node[], opts: { failBind?: (pod: Pod) => boolean; budgets?: ReturnType<SchedulerHandle['disruptionBudgets']>; random?: () => number } = {}) {
  const clock = new FakeClock(0);
  const bound = new Map<string, string>();
  const reports: { pod: string; reason: string; message: string }[] = [];
  const events: { pod: string; type: string; reason: string; message: string }[] = [];
  const evicted: string[] = [];
  const nominated = new Map<string, string>();
  const handle: SchedulerHandle = {
    bind: async (pod, node) => {
      if (opts.failBind?.(pod)) throw new Error('binding refused');
      bound.set(pod.metadata.name!, node);
    },
    evict: async (victim) => { evicted.push(victim.metadata.name!); },
    disruptionBudgets: () => opts.budgets ?? [],
  };
  const reporter: SchedulingReporter = {
    unschedulable: async (pod, reason, message, nominatedNode) => {
      reports.push({ pod: pod.metadata.name!, reason, message });
      if (nominatedNode) nominated.set(pod.metadata.name!, nominatedNode);
    },
    event: (pod, type, reason, message) => events.push({ pod: pod.metadata.name!, type, reason, message }),
  };
  let n = 0;
  const s = new Scheduler(clock, inTreeRegistry(), handle, reporter, { profiles: [defaultProfile()], random: opts.random ?? (() => (n++ % 7) / 7) });
  for (const node of nodes) s.onNodeAdd(node);
  /** Runs cycles until the active queue is empty, feeding bindings back as an informer would. */
  const drain = async () => {
    for (;;) {
      const { active } = s.queue.pendingCount;
      if (!active) break;
      const q = (await s.queue.pop())!;
      await s.scheduleOne(q);
      await clock.advance(0);
    }
  };
  const add = (pod: Pod) => { s.onPodAdd(pod); return pod; };
  /** Binds a pod directly, as if it had been scheduled earlier. */
  const running = (pod: Pod, node: string) => { const p = { ...pod, spec: { ...pod.spec!, nodeName: node } } as Pod; s.onPodAdd(p); return p; };
  return { s, clock, bound, reports, events, evicted, nominated, drain, add, running };
}

describe('Scheduler', () => {
  it('picks among equally good nodes uniformly, with one random draw per pod', async () => {
    const nodes = ['a', 'b', 'c', 'd'].map((name) => makeNode(name, { cpu: '64', memory: '256Gi' }));
    const picked: string[] = [];
    for (const r of [0, 0.3, 0.6, 0.99]) {
      let draws = 0;
      const h = harness(nodes, { random: () => { draws++; return r; } });
      h.add(makePod('p'));
      await h.drain();
      expect(draws).toBe(1);
      picked.push(h.bound.get('p')!);
    }
    // A draw in [k/4, (k+1)/4) picks the k-th of the four tied nodes.
    expect(picked).toEqual(['a', 'b', 'c', 'd']);
  });

  it('places pods where their constraints allow and explains the one that fits nowhere', async () => {
    const nodes = [
      makeNode('tainted', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], labels: { disk: 'ssd' } }),
      makeNode('small-1', { cpu: '1' }),
      makeNode('small-2', { cpu: '1' }),
    ];
    const h = harness(nodes);
    h.add(makePod('ssd', { nodeSelector: { disk: 'ssd' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }));
    h.add(makePod('big', { cpu: '2' }));
    await h.drain();
    expect(h.bound.get('ssd')).toBe('tainted');
    expect(h.bound.has('big')).toBe(false);
    const msg = '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. ' +
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.';
    expect(h.reports).toEqual([{ pod: 'big', reason: 'Unschedulable', message: msg }]);
    expect(h.events).toContainEqual({ pod: 'big', type: 'Warning', reason: 'FailedScheduling', message: msg });
    expect(h.events).toContainEqual({ pod: 'ssd', type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/ssd to tainted' });
  });

  it('counts assumed pods so a burst never overcommits a node', async () => {
    const h = harness([makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '1' })]);
    for (let i = 0; i < 5; i++) h.add(makePod(`p${i}`, { cpu: '600m' }));
    await h.drain();
    expect([...h.bound.values()].sort()).toEqual(['a', 'b']);
    expect(h.reports.map((r) => r.message)).toEqual(Array(3).fill('0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.'));
  });

  it('retries an unschedulable pod when a node that can help is added, not on unrelated events', async () => {
    const h = harness([makeNode('a', { cpu: '1' })]);
    h.add(makePod('big', { cpu: '2' }));
    await h.drain();
    expect(h.s.queue.pendingCount.unschedulable).toBe(1);
    h.s.onNodeUpdate(makeNode('a', { cpu: '1' }), makeNode('a', { cpu: '1', labels: { x: 'y' } }));
    expect(h.s.queue.pendingCount.unschedulable).toBe(1);
    h.s.onNodeAdd(makeNode('b', { cpu: '4' }));
    expect(h.s.queue.pendingCount.unschedulable).toBe(0);
    await h.clock.advance(1_000); // first attempt's backoff
    await h.drain();
    expect(h.bound.get('big')).toBe('b');
  });

  it('holds gated pods until every scheduling gate is removed', async () => {
    const h = harness([makeNode('a')]);
    const pod = h.add(makePod('gated', { gates: ['example.com/quota', 'example.com/review'] }));
    await h.drain();
    expect(h.bound.size).toBe(0);
    const oneLeft = { ...pod, spec: { ...pod.spec!, schedulingGates: [{ name: 'example.com/review' }] } } as Pod;
    h.s.onPodUpdate(pod, oneLeft);
    await h.drain();
    expect(h.bound.size).toBe(0);
    h.s.onPodUpdate(oneLeft, { ...pod, spec: { ...pod.spec!, schedulingGates: [] } } as Pod);
    await h.drain();
    expect(h.bound.get('gated')).toBe('a');
  });

  it('backs off a pod whose binding failed (1 s, 2 s, ...) and forgets its assumption', async () => {
    let fail = 2;
    const h = harness([makeNode('a', { cpu: '1' })], { failBind: () => fail-- > 0 });
    h.add(makePod('p', { cpu: '800m' }));
    await h.drain();
    expect(h.bound.size).toBe(0);
    expect(h.s.queue.pendingCount.backoff).toBe(1);
    await h.clock.advance(999);
    expect(h.s.queue.pendingCount.active).toBe(0);
    await h.clock.advance(1);
    await h.drain(); // second failure
    await h.clock.advance(1_999);
    expect(h.s.queue.pendingCount.active).toBe(0);
    await h.clock.advance(1);
    await h.drain();
    expect(h.bound.get('p')).toBe('a');
  });

  it('does not retry a parked pod when only its status, finalizers or key order change (kube-scheduler\'s isPodUpdated)', async () => {
    const h = harness([makeNode('a', { cpu: '1' })]);
    const pod = h.add(makePod('big', { cpu: '2' }));
    await h.drain();
    h.s.onPodUpdate(pod, { ...pod, metadata: { ...pod.metadata, resourceVersion: '9' }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] } } as Pod);
    h.s.onPodUpdate(pod, { ...pod, metadata: { ...pod.metadata, finalizers: ['example.com/keep'] } } as Pod);
    const { metadata, ...rest } = pod;
    h.s.onPodUpdate(pod, { metadata: Object.fromEntries(Object.entries(metadata).reverse()), ...rest } as Pod);
    expect(h.s.queue.pendingCount).toEqual({ active: 0, backoff: 0, unschedulable: 1 });
    h.s.onPodUpdate(pod, { ...pod, metadata: { ...pod.metadata, labels: { new: 'label' } } } as Pod);
    expect(h.s.queue.pendingCount.unschedulable).toBe(0);
  });

  it('schedules higher priority first', async () => {
    const h = harness([makeNode('a', { cpu: '1' })]);
    h.add(makePod('low', { cpu: '800m', priority: 0 }));
    h.add(makePod('high', { cpu: '800m', priority: 1000 }));
    await h.drain();
    expect([...h.bound.keys()]).toEqual(['high']);
  });

  it('places Windows pods only on nodes whose kubernetes.io/os matches their nodeSelector', async () => {
    const h = harness([makeNode('linux'), makeNode('win', { labels: { 'kubernetes.io/os': 'windows' } })]);
    h.add(makePod('iis', { nodeSelector: { 'kubernetes.io/os': 'windows' } }));
    await h.drain();
    expect(h.bound.get('iis')).toBe('win');
  });

  it('ignores pods for other schedulers', async () => {
    const h = harness([makeNode('a')]);
    h.add(makePod('other', { schedulerName: 'my-scheduler' }));
    await h.drain();
    expect(h.bound.size).toBe(0);
    expect(h.s.queue.pendingCount.active).toBe(0);
  });
});

describe('preemption', () => {
  it('evicts lower-priority pods on the best node and nominates it', async () => {
    const h = harness([makeNode('a', { cpu: '1' })]);
    const low = h.running(makePod('low', { cpu: '800m', priority: 0 }), 'a');
    h.add(makePod('high', { cpu: '800m', priority: 100 }));
    await h.drain();
    expect(h.evicted).toEqual(['low']);
    expect(h.nominated.get('high')).toBe('a');
    h.s.onPodDelete(low);
    await h.clock.advance(1_000);
    await h.drain();
    expect(h.bound.get('high')).toBe('a');
  });

  it('prefers a node whose victims no PodDisruptionBudget protects', async () => {
    const protectedApp = (p: Pod) => p.metadata.labels?.app === 'db';
    const h = harness([makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '1' })], { budgets: [{ namespace: 'default', matches: protectedApp, disruptionsAllowed: 0 }] });
    h.running(makePod('db', { cpu: '800m', labels: { app: 'db' } }), 'a');
    h.running(makePod('batch', { cpu: '800m', labels: { app: 'batch' } }), 'b');
    h.add(makePod('high', { cpu: '800m', priority: 100 }));
    await h.drain();
    expect(h.evicted).toEqual(['batch']);
    expect(h.nominated.get('high')).toBe('b');
  });

  it('does not preempt for pods with preemptionPolicy Never or over equal priorities', async () => {
    const h = harness([makeNode('a', { cpu: '1' })]);
    h.running(makePod('peer', { cpu: '800m', priority: 100 }), 'a');
    h.add(makePod('high', { cpu: '800m', priority: 100 }));
    await h.drain();
    expect(h.evicted).toEqual([]);
    expect(h.reports[0].message).toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
  });
});

describe('pod topology spread and inter-pod affinity', () => {
  const zones = () => [makeNode('a1', { labels: { zone: 'a' } }), makeNode('a2', { labels: { zone: 'a' } }), makeNode('b1', { labels: { zone: 'b' } })];
  const spread = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' as const, labelSelector: { matchLabels: { app: 'web' } } }] };

  it('keeps the skew between zones within maxSkew', async () => {
    const h = harness(zones());
    h.running(makePod('w0', { labels: { app: 'web' } }), 'a1');
    const pod = makePod('w1', { labels: { app: 'web' } });
    (pod.spec as Record<string, unknown>).topologySpreadConstraints = spread.topologySpreadConstraints;
    h.add(pod);
    await h.drain();
    expect(h.bound.get('w1')).toBe('b1');
  });

  it('rejects nodes without the topology key with the missing-label reason', async () => {
    const h = harness([makeNode('nolabel')]);
    const pod = makePod('w', { labels: { app: 'web' } });
    (pod.spec as Record<string, unknown>).topologySpreadConstraints = spread.topologySpreadConstraints;
    h.add(pod);
    await h.drain();
    expect(h.reports[0].message).toMatch(/^0\/1 nodes are available: 1 node\(s\) didn't match pod topology spread constraints \(missing required label\)\./);
  });

  it('spreads pods with hostname anti-affinity one per node and explains the extra one', async () => {
    const h = harness([makeNode('n1'), makeNode('n2')]);
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } }] } };
    for (const name of ['w1', 'w2', 'w3']) {
      const p = h.add(makePod(name, { labels: { app: 'web' }, affinity: anti }));
      await h.drain();
      if (h.bound.has(name)) h.running(p, h.bound.get(name)!);
    }
    expect(new Set([h.bound.get('w1'), h.bound.get('w2')])).toEqual(new Set(['n1', 'n2']));
    expect(h.bound.has('w3')).toBe(false);
    // The running pods' own anti-affinity is checked first, as kube-scheduler does.
    expect(h.reports[0].message).toMatch(/^0\/2 nodes are available: 2 node\(s\) didn't satisfy existing pods anti-affinity rules\./);

    const plain = harness([makeNode('n1')]);
    plain.running(makePod('db', { labels: { app: 'web' } }), 'n1');
    plain.add(makePod('w', { labels: { app: 'web' }, affinity: anti }));
    await plain.drain();
    expect(plain.reports[0].message).toMatch(/^0\/1 nodes are available: 1 node\(s\) didn't match pod anti-affinity rules\./);
  });

  it('co-locates a pod with required affinity, and lets the first pod of a group go anywhere', async () => {
    const h = harness(zones());
    const aff = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { app: 'cache' } } }] } };
    const first = h.add(makePod('c1', { labels: { app: 'cache' }, affinity: aff }));
    await h.drain();
    expect(h.bound.has('c1')).toBe(true);
    h.running(first, h.bound.get('c1')!);
    const zoneOf = (n: string) => (n.startsWith('a') ? 'a' : 'b');
    h.add(makePod('app', { affinity: aff }));
    await h.drain();
    expect(zoneOf(h.bound.get('app')!)).toBe(zoneOf(h.bound.get('c1')!));
  });
});

describe('numFeasibleNodesToFind', () => {
  it.each([[50, 50], [100, 100], [1000, 420], [1100, 462], [5000, 500], [20000, 1000]])('%d nodes -> %d', (n, want) => {
    expect(numFeasibleNodesToFind(n)).toBe(want);
  });
});
