import { describe, expect, it } from 'vitest';
import type { Pod } from '@peapod/api-types';
import { CycleState } from '../framework/interfaces.js';
import { Status } from '../framework/status.js';
import { NodeInfo, normalizedImageName, podInfoOf } from '../framework/node-info.js';
import { podRequestsOf } from '../framework/resources.js';
import { Snapshot } from '../cache/snapshot.js';
import { makeNode, makePod } from '../testing/fixtures.js';
import { imageLocality } from './image-locality.js';
import { nodeAffinity } from './node-affinity.js';
import { nodePorts } from './node-ports.js';
import { nodeResourcesBalancedAllocation, nodeResourcesFit } from './node-resources-fit.js';
import { taintToleration } from './taint-toleration.js';
import { nodeUnschedulable } from './node-unschedulable.js';

const c = (name: string, cpu: string, sidecar = false) => ({ name, image: 'busybox', resources: { requests: { cpu } }, ...(sidecar ? { restartPolicy: 'Always' as const } : {}) });

describe('pod requests (init and sidecar rules)', () => {
  it.each([
    ['regular containers sum', [], [c('a', '100m'), c('b', '200m')], 300],
    ['a larger init container dominates', [c('i', '500m')], [c('a', '100m')], 500],
    ['sidecars add to the steady state', [c('s', '200m', true)], [c('a', '100m')], 300],
    ['an init container after a sidecar runs beside it', [c('s', '200m', true), c('i', '500m')], [c('a', '100m')], 700],
    ['an init container before a sidecar does not', [c('i', '500m'), c('s', '200m', true)], [c('a', '100m')], 500],
  ])('%s', (_name, initContainers, containers, milli) => {
    const pod = { metadata: {}, spec: { initContainers, containers } } as unknown as Pod;
    expect(podRequestsOf(pod).requests.milliCPU).toBe(milli);
  });

  it('adds pod overhead and defaults non-zero requests for scoring only', () => {
    const pod = { metadata: {}, spec: { containers: [{ name: 'a', image: 'x' }], overhead: { cpu: '50m', memory: '10Mi' } } } as unknown as Pod;
    const { requests, nonZero } = podRequestsOf(pod);
    expect(requests).toMatchObject({ milliCPU: 50, memory: 10 * 1024 * 1024, pods: 1 });
    expect(nonZero).toMatchObject({ milliCPU: 150, memory: 210 * 1024 * 1024 });
  });
});

const nodeWith = (node = makeNode('n'), pods: Pod[] = []) => {
  const ni = new NodeInfo(node);
  for (const p of pods) ni.addPod(podInfoOf(p));
  return ni;
};
/** The snapshot a cycle over these nodes would see. */
const snapshotOf = (nodes: NodeInfo[]) => {
  const snap = new Snapshot();
  snap.apply(nodes, [], 1);
  return snap;
};

describe('NodeResourcesFit', () => {
  it('reports every insufficient resource and too many pods', () => {
    const plugin = nodeResourcesFit();
    const ni = nodeWith(makeNode('n', { cpu: '1', memory: '1Gi', pods: '1' }), [makePod('x', { cpu: '500m' })]);
    const s = plugin.filter(new CycleState(), makePod('p', { cpu: '600m', memory: '2Gi' }), ni);
    expect(s?.reasons).toEqual(['Too many pods', 'Insufficient cpu', 'Insufficient memory']);
  });

  it('LeastAllocated prefers the emptier node, MostAllocated the fuller one', () => {
    const empty = nodeWith(makeNode('empty'));
    const busy = nodeWith(makeNode('busy'), [makePod('x', { cpu: '3', memory: '6Gi' })]);
    const pod = makePod('p', { cpu: '100m', memory: '100Mi' });
    const least = nodeResourcesFit();
    const most = nodeResourcesFit({ scoringStrategy: 'MostAllocated' });
    expect(least.score(new CycleState(), pod, empty)).toBeGreaterThan(least.score(new CycleState(), pod, busy) as number);
    expect(most.score(new CycleState(), pod, busy)).toBeGreaterThan(most.score(new CycleState(), pod, empty) as number);
  });

  it('BalancedAllocation prefers nodes whose cpu and memory use stay even', () => {
    const cpuHeavy = nodeWith(makeNode('a'), [makePod('x', { cpu: '3', memory: '100Mi' })]);
    const even = nodeWith(makeNode('b'), [makePod('y', { cpu: '2', memory: '4Gi' })]);
    const pod = makePod('p', { cpu: '100m', memory: '200Mi' });
    const plugin = nodeResourcesBalancedAllocation();
    expect(plugin.score(new CycleState(), pod, even)).toBeGreaterThan(plugin.score(new CycleState(), pod, cpuHeavy) as number);
  });
});

describe('TaintToleration', () => {
  it('scores nodes with fewer untolerated PreferNoSchedule taints higher after normalization', () => {
    const plugin = taintToleration();
    const pod = makePod('p', { tolerations: [{ key: 'b', operator: 'Exists', effect: 'PreferNoSchedule' }] });
    const nodes = [
      nodeWith(makeNode('clean')),
      nodeWith(makeNode('one', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }] })),
      nodeWith(makeNode('tolerated', { taints: [{ key: 'b', effect: 'PreferNoSchedule' }] })),
      nodeWith(makeNode('two', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'c', effect: 'PreferNoSchedule' }] })),
    ];
    const state = new CycleState();
    plugin.preScore(state, pod, nodes, snapshotOf(nodes));
    const scores = nodes.map((n) => ({ name: n.name, score: plugin.score(state, pod, n) as number }));
    plugin.normalizeScore!(state, pod, scores);
    expect(scores.map((s) => s.score)).toEqual([100, 50, 100, 0]);
  });

  it('skips Score when no feasible node has a PreferNoSchedule taint, as every node would score the same', () => {
    const nodes = [nodeWith(makeNode('clean')), nodeWith(makeNode('cordoned', { taints: [{ key: 'a', effect: 'NoSchedule' }] }))];
    expect(taintToleration().preScore(new CycleState(), makePod('p'), nodes, snapshotOf(nodes))).toBe(Status.skip());
    // A PreferNoSchedule taint elsewhere in the cluster changes nothing for these nodes.
    const elsewhere = nodeWith(makeNode('elsewhere', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }] }));
    expect(taintToleration().preScore(new CycleState(), makePod('p'), nodes, snapshotOf([...nodes, elsewhere]))).toBe(Status.skip());
  });

  it('rejects NoExecute taints as well as NoSchedule', () => {
    const s = taintToleration().filter(new CycleState(), makePod('p'), nodeWith(makeNode('n', { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] })));
    expect(s?.reasons).toEqual(['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']);
  });
});

describe('NodeUnschedulable', () => {
  it('refuses cordoned nodes unless the pod tolerates the unschedulable taint', () => {
    const cordoned = nodeWith(makeNode('n', { unschedulable: true }));
    expect(nodeUnschedulable().filter(new CycleState(), makePod('p'), cordoned)?.reasons).toEqual(['node(s) were unschedulable']);
    const tolerant = makePod('t', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(nodeUnschedulable().filter(new CycleState(), tolerant, cordoned)).toBeUndefined();
  });
});

describe('NodeAffinity', () => {
  it('sums the weights of matching preferred terms, normalized to 100', () => {
    const plugin = nodeAffinity();
    const pod = makePod('p', { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 80, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
      { weight: 20, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
    ] } } });
    const nodes = [nodeWith(makeNode('za', { labels: { zone: 'a' } })), nodeWith(makeNode('ssd', { labels: { disk: 'ssd' } })), nodeWith(makeNode('both', { labels: { zone: 'a', disk: 'ssd' } }))];
    const scores = nodes.map((n) => ({ name: n.name, score: plugin.score(new CycleState(), pod, n) as number }));
    plugin.normalizeScore!(new CycleState(), pod, scores);
    expect(scores.map((s) => s.score)).toEqual([80, 20, 100]);
  });

  it('narrows PreFilter to nodes pinned by metadata.name', () => {
    const pod = makePod('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] },
    ] } } } });
    const r = nodeAffinity().preFilter(new CycleState(), pod, new Snapshot());
    expect(r && 'result' in r ? [...r.result!.nodeNames!] : undefined).toEqual(['n2']);
  });

  it('filters by nodeSelector AND required terms (terms ORed), the same with or without the PreFilter state', () => {
    const plugin = nodeAffinity();
    const pod = makePod('p', { nodeSelector: { disk: 'ssd' }, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] },
    ] } } } });
    const nodes = [
      makeNode('ssd-a', { labels: { disk: 'ssd', zone: 'a' } }),
      makeNode('ssd-b', { labels: { disk: 'ssd', zone: 'b' } }),
      makeNode('ssd-c', { labels: { disk: 'ssd', zone: 'c' } }),
      makeNode('hdd-a', { labels: { disk: 'hdd', zone: 'a' } }),
    ].map((n) => nodeWith(n));
    const state = new CycleState();
    plugin.preFilter(state, pod, new Snapshot());
    for (const st of [state, new CycleState()]) {
      expect(nodes.filter((n) => !plugin.filter(st, pod, n)).map((n) => n.name)).toEqual(['ssd-a', 'ssd-b']);
      expect(plugin.filter(st, pod, nodes[3])?.reasons).toEqual(["node(s) didn't match Pod's node affinity/selector"]);
    }
  });
});

describe('NodePorts', () => {
  it('conflicts on the same protocol and port with a wildcard host IP', () => {
    const plugin = nodePorts();
    const state = new CycleState();
    const pod = makePod('p', { hostPort: 8080 });
    plugin.preFilter(state, pod, new Snapshot());
    expect(plugin.filter(state, pod, nodeWith(makeNode('n'), [makePod('x', { hostPort: 8080 })]))?.reasons).toEqual(["node(s) didn't have free ports for the requested pod ports"]);
    expect(plugin.filter(state, pod, nodeWith(makeNode('n'), [makePod('y', { hostPort: 9090 })]))).toBeUndefined();
  });
});

describe('ImageLocality', () => {
  it('normalizes image names as the container runtime reports them', () => {
    expect(normalizedImageName('busybox')).toBe('docker.io/library/busybox:latest');
    expect(normalizedImageName('me/app:1')).toBe('docker.io/me/app:1');
    expect(normalizedImageName('registry.local:5000/app')).toBe('registry.local:5000/app:latest');
  });

  it('prefers the node that already has a large image', () => {
    const plugin = imageLocality();
    const big = 500 * 1024 * 1024;
    const nodes = [nodeWith(makeNode('has', { images: [{ names: ['docker.io/library/app:1'], sizeBytes: big }] })), nodeWith(makeNode('lacks', { images: [{ names: ['other'], sizeBytes: big }] }))];
    const state = new CycleState();
    const pod = makePod('p', { image: 'app:1' });
    plugin.preScore(state, pod, nodes, snapshotOf(nodes));
    expect(plugin.score(state, pod, nodes[0])).toBeGreaterThan(0);
    expect(plugin.score(state, pod, nodes[1])).toBe(0);
  });

  it('skips Score when no node holds the pod\'s images, or no node reports any image', () => {
    const pod = makePod('p', { image: 'app:1' });
    const others = [nodeWith(makeNode('a', { images: [{ names: ['other'], sizeBytes: 1 << 30 }] }))];
    const bare = [nodeWith(makeNode('b'))];
    expect(imageLocality().preScore(new CycleState(), pod, others, snapshotOf(others))).toBe(Status.skip());
    expect(imageLocality().preScore(new CycleState(), pod, bare, snapshotOf(bare))).toBe(Status.skip());
  });
});
