/**
 * CPU of the api-types work in the kubelet's status patch, the dearest write a pod needs, as the
 * API server does it (strategic merge patch of the stored pod, decode, defaults, update
 * validation, managedFields), next to a floor measured in the same run: `JSON.parse` of the
 * stored pod, which the store pays for every write anyway.
 *
 * - The stored pod is the cluster bench's pod as the API server keeps it after create and binding
 *   (defaulted, with the creator's managedFields entry, bound with PodScheduled).
 * - first status patch: Pending -> Running with the status `peapod up`'s kubelet sends (five
 *   conditions, IPs, one running container); the kubelet has no entry yet.
 * - later status patch: Ready and ContainersReady turn False and the container not ready: only
 *   fields the kubelet already owns change.
 * - managedFields alone: `updateManagedFields` of the first status patch (its share of the first line).
 * Each run parses the stored objects (and for the last line, patches them) untimed, then times one
 * operation on each.
 *
 *   npx tsx --conditions=@peapod/source packages/api-types/bench/status-patch.ts [--quick]
 *
 * Prints the median of RUNS runs of N patches each, single-threaded, in µs of CPU time per patch.
 */
import {
  RESOURCES, admitPodDefaults, applyDefaults, applyPatch, decodeObject, updateManagedFields, validateObjectUpdate, type Pod, type PodStatus,
} from '../src/index.js';
// nx-ignore-next-line -- a dev-time script helper, not a dependency of the package
import { emit } from '../../../tools/emit.mjs';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const quick = process.argv.includes('--quick');
const N = quick ? 1_000 : 5_000;
const RUNS = quick ? 3 : 7;
const info = RESOURCES.pods;
const T0 = '2026-11-21T19:00:00Z';
const T1 = '2026-11-21T19:00:05Z';

const stored = (): Obj => {
  const { object } = decodeObject(info, {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'bench-0', namespace: 'default', labels: { app: 'bench' } },
    spec: { nodeSelector: { 'peapod.dev/fake-node': 'true' }, containers: [{ name: 'app', image: 'registry.local/app:1.0', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  });
  const pod = object as Obj;
  Object.assign(pod.metadata, { uid: '59a122a0-7819-45f8-8afa-d3a265a98564', creationTimestamp: T0, generation: 1, resourceVersion: '7' });
  applyDefaults(info, pod);
  const created = updateManagedFields(undefined, pod, 'peapod-in-process', 'Update', undefined, T0);
  admitPodDefaults(created as Pod);
  return { ...created, spec: { ...created.spec, nodeName: 'fake-node-0' }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: T0 }] } };
};

const running = (): PodStatus => ({
  phase: 'Running',
  conditions: [...['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'].map((type) => ({ type, status: 'True', lastTransitionTime: T0, observedGeneration: 1 })), { type: 'PodScheduled', status: 'True', lastTransitionTime: T0 }],
  hostIP: '127.0.0.1', hostIPs: [{ ip: '127.0.0.1' }], podIP: '10.88.0.1', podIPs: [{ ip: '10.88.0.1' }],
  startTime: T0, qosClass: 'Burstable', observedGeneration: 1,
  containerStatuses: [{ name: 'app', state: { running: { startedAt: T0 } }, ready: true, started: true, restartCount: 0, image: 'registry.local/app:1.0', imageID: 'sha256:b08a02e9a7bfdc23a71c5db549d6ec6163161758e908c86164c98bd9847c5723', containerID: 'fake://c0' }],
});
const notReady = (): PodStatus => {
  const s = running();
  return {
    ...s,
    conditions: s.conditions!.map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False', lastTransitionTime: T1 } : c)),
    containerStatuses: [{ ...s.containerStatuses![0], ready: false }],
  };
};

/** What the API server's status PATCH does with api-types, `current` being the stored pod. */
const patched = (current: Obj, status: PodStatus): Obj => {
  const next = decodeObject(info, applyPatch({ type: 'strategic', current, patch: { status }, info, fieldManager: 'kubelet', force: false, subresource: 'status', now: T1 })).object as Obj;
  next.spec = structuredClone(current.spec);
  applyDefaults(info, next);
  validateObjectUpdate(info, next as Pod, current as Pod, 'status');
  return next;
};
const statusPatch = (current: Obj, status: PodStatus) => updateManagedFields(current, patched(current, status), 'kubelet', 'Update', 'status', T1);

/** Median µs of CPU per operation: each run prepares `n` inputs untimed, then times `op` on each. */
const measure = <T>(label: string, prepare: () => T, op: (input: T) => unknown) => {
  const run = (n: number) => {
    const inputs = Array.from({ length: n }, prepare);
    const c0 = process.cpuUsage();
    for (const o of inputs) op(o);
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / n;
  };
  run(500); // warm up the JIT
  const us = Array.from({ length: RUNS }, () => run(N)).sort((a, b) => a - b)[RUNS >> 1];
  console.log(`${label.padEnd(58)} ${us.toFixed(1).padStart(7)} µs`);
  return us;
};

const pendingText = JSON.stringify(stored());
const runningText = JSON.stringify(statusPatch(JSON.parse(pendingText), running()));
console.log(`node ${process.version}, ${N} patches x ${RUNS} runs, median; stored pod JSON ${pendingText.length} bytes`);
const parse = (text: string) => () => JSON.parse(text) as Obj;
const floor = measure('floor: JSON.parse of the stored pod', () => undefined, () => JSON.parse(pendingText));
const first = measure('first status patch (Pending -> Running)', parse(pendingText), (cur) => statusPatch(cur, running()));
measure('later status patch (owned fields change)', parse(runningText), (cur) => statusPatch(cur, notReady()));
const mf = measure(
  'managedFields of the first status patch alone',
  () => {
    const cur = JSON.parse(pendingText) as Obj;
    return [cur, patched(cur, running())] as const;
  },
  ([cur, next]) => updateManagedFields(cur, next, 'kubelet', 'Update', 'status', T1),
);
console.log(`first status patch / floor: ${(first / floor).toFixed(2)}; managedFields share: ${((100 * mf) / first).toFixed(0)}%`);
emit('api-types.status_patch_us', first, 'µs', { name: 'JSON.parse of the stored pod', value: floor });
