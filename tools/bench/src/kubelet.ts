/**
 * Pods to Running per second on 10 kubelets with the fake runtime, and kubelet memory per pod.
 *
 *   npx tsx --conditions=@peapod/source --expose-gc tools/bench/src/kubelet.ts [--quick] [pods=2000] [runs=3]
 *
 * Measurements in the same process, each the median of several runs, against the API server as
 * `peapod up` composes it (sqlite store in a temp dir; every client in process, kubelets under
 * their node identities):
 * - floor: the API work a pod needs without any kubelet (create, then one status write);
 * - peer: how fast created pods reach 10 node informers (list+watch with a field selector),
 *   which bounds what any kubelet behind an informer can do;
 * - kubelets through the API: 10 kubelets, each with its informer, status writes and a fake runtime;
 * - kubelets on a fake API: the same kubelets with an in-memory pod source and status writer,
 *   which isolates the kubelet's own cost.
 * Memory: heap growth per running pod of one kubelet holding all of them (needs --expose-gc).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeUser, startApiServer } from '@peapod/apiserver';
import { RESOURCES, type Pod } from '@peapod/api-types';
import { SharedInformer, createClient, type KubeClient } from '@peapod/client';
import { RealClock, silentLogger } from '@peapod/core';
import { FakeHost, FakeRuntime } from '@peapod/runtime/testing';
import { createStore } from '@peapod/store';
import { Kubelet } from '@peapod/kubelet';
import { FakeKubeletApi } from '@peapod/kubelet/testing';
import { emit } from '../../emit.mjs';
import { median, quick } from './lib.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const PODS = Number(args[0] ?? (quick ? 500 : 2000));
const RUNS = Number(args[1] ?? (quick ? 1 : 3));
const NODES = 10;
const clock = new RealClock();
const gc = (globalThis as { gc?: () => void }).gc;

const podFor = (i: number, nodeName: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `p${i}`, namespace: 'default' },
  spec: { nodeName, restartPolicy: 'Always', containers: [{ name: 'app', image: 'registry.local/app:1.0', imagePullPolicy: 'IfNotPresent' }] },
});

interface Figures {
  podsPerSecond: number;
  /** CPU time of the whole process (API server, clients, kubelets) per pod: steadier than wall time on a shared machine. */
  cpuMsPerPod: number;
}

/** Starts measuring the `PODS` pods of one run; `done()` gives their rate and CPU cost. */
function meter(): { done(): Figures } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return {
    done() {
      const cpu = process.cpuUsage(c0);
      return { podsPerSecond: PODS / ((performance.now() - t0) / 1000), cpuMsPerPod: (cpu.user + cpu.system) / 1000 / PODS };
    },
  };
}

/** A fresh API server on a sqlite store in a temp dir, as `peapod up` runs it; `client(node)` talks to it in process. */
async function withApi<T>(fn: (api: { client: (node?: string) => KubeClient; root: string }) => Promise<T>): Promise<T> {
  const root = mkdtempSync(join(tmpdir(), 'kubelet-bench-'));
  const store = createStore(`sqlite://${join(root, 'state.db')}`, { clock });
  const server = await startApiServer({ host: '127.0.0.1', port: 0, pkiDir: join(root, 'pki'), rateLimit: { qps: 1e9, burst: 1e9 } }, { store, clock });
  try {
    return await fn({ client: (node) => createClient(server.transport(node ? nodeUser(node) : undefined)), root });
  } finally {
    await server.close();
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Creates the pods through `client`, spread over the nodes, and measures until `reached` resolves. */
async function createAll(client: KubeClient, reached: Promise<unknown>): Promise<Figures> {
  const m = meter();
  const pods = client.resource(RESOURCES.pods);
  await Promise.all(Array.from({ length: PODS }, (_, i) => pods.create(podFor(i, `n${i % NODES}`))));
  await reached;
  return m.done();
}

/**
 * Resolves when `count` pods have been seen Running through an informer (list+watch), which
 * rewatches if the server drops a slow watcher.
 */
async function waitRunning(client: KubeClient, count: number): Promise<void> {
  const informer = new SharedInformer(RESOURCES.pods, {}, { client, clock, logger: silentLogger });
  const seen = new Set<string>();
  await new Promise<void>((resolve) => {
    const check = (pod: Pod) => {
      if (pod.status?.phase === 'Running') seen.add(pod.metadata.name!);
      if (seen.size >= count) resolve();
    };
    informer.addEventHandler({ onAdd: check, onUpdate: (_old, pod) => check(pod) });
    informer.start();
  });
  // not awaited: after 2,000 pods, stopping took tens of seconds more than seeing the last one Running
  // (an idle informer stops at once); closing the server ends its watch in any case
  void informer.stop();
}

/** Floor: create + one status write per pod, no kubelet. */
const floor = () => withApi(async ({ client }) => {
  const pods = client().resource(RESOURCES.pods);
  const m = meter();
  await Promise.all(Array.from({ length: PODS }, async (_, i) => {
    const p = await pods.create(podFor(i, `n${i % NODES}`));
    await pods.patch(p.metadata.name!, 'strategic', { status: { phase: 'Running' } }, { namespace: 'default', subresource: 'status' });
  }));
  return m.done();
});

/** Peer: how fast pods reach 10 node informers (watch with a field selector) through the same API, no kubelet. */
const informerDelivery = () => withApi(async ({ client }) => {
  const informers = Array.from({ length: NODES }, (_, n) => new SharedInformer(RESOURCES.pods, { fieldSelector: `spec.nodeName=n${n}` }, { client: client(`n${n}`), clock, logger: silentLogger }));
  let seen = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  for (const inf of informers) {
    inf.addEventHandler({ onAdd: () => void (++seen === PODS && done()) });
    inf.start();
  }
  await Promise.all(informers.map((i) => i.waitForSync()));
  const figures = await createAll(client(), all);
  await Promise.all(informers.map((i) => i.stop()));
  return figures;
});

const viaApi = () => withApi(async ({ client, root }) => {
  const kubelets = Array.from({ length: NODES }, (_, n) =>
    new Kubelet({ client: client(`n${n}`), runtime: new FakeRuntime({ host: new FakeHost(clock), recordCalls: false }), clock }, { nodeName: `n${n}`, rootDir: join(root, `n${n}`), os: 'linux' }));
  await Promise.all(kubelets.map((k) => k.start()));
  const figures = await createAll(client(), waitRunning(client(), PODS));
  await Promise.all(kubelets.map((k) => k.stop()));
  return figures;
});

async function withRoot<T>(fn: (root: string) => Promise<T>): Promise<T> {
  const root = mkdtempSync(join(tmpdir(), 'kubelet-bench-'));
  try {
    return await fn(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const viaFakeApi = () => withRoot(async (root) => {
  const apis = Array.from({ length: NODES }, () => new FakeKubeletApi());
  for (const a of apis) a.recordWrites = false;
  const kubelets = apis.map((api, n) =>
    new Kubelet({ api, runtime: new FakeRuntime({ host: new FakeHost(clock), recordCalls: false }), clock }, { nodeName: `n${n}`, rootDir: join(root, `n${n}`), os: 'linux' }));
  await Promise.all(kubelets.map((k) => k.start()));
  let running = 0;
  let done!: () => void;
  const allRunning = new Promise<void>((r) => (done = r));
  for (const k of kubelets) {
    k.events.on('podPhaseChanged', (_p, _from, to) => {
      if (to === 'Running' && ++running === PODS) done();
    });
  }
  const m = meter();
  for (let i = 0; i < PODS; i++) apis[i % NODES].addPod(podFor(i, `n${i % NODES}`));
  await allRunning;
  const figures = m.done();
  await Promise.all(kubelets.map((k) => k.stop()));
  return figures;
});

/** Heap growth per running pod on one kubelet (fake API and runtime included, as a node would hold them). */
async function memoryPerPod(): Promise<number | undefined> {
  if (!gc) return undefined;
  return withRoot(async (root) => {
    const api = new FakeKubeletApi();
    api.recordWrites = false;
    const host = new FakeHost(clock);
    const kubelet = new Kubelet({ api, runtime: new FakeRuntime({ host, recordCalls: false }), clock }, { nodeName: 'n0', rootDir: root, os: 'linux' });
    await kubelet.start();
    await kubelet.settle();
    const heap = () => {
      for (let i = 0; i < 3; i++) gc();
      return process.memoryUsage().heapUsed;
    };
    const before = heap();
    for (let i = 0; i < PODS; i++) api.addPod(podFor(i, 'n0'));
    await kubelet.settle();
    const perPod = (heap() - before) / PODS;
    await kubelet.stop();
    return perPod;
  });
}

// memory first, while the heap holds nothing from earlier measurements
const mem = await memoryPerPod();
const cases = {
  floor: ['floor: create + 1 status write, no kubelet', floor],
  informers: ['peer: pods delivered to 10 node informers, no kubelet', informerDelivery],
  api: ['10 kubelets through the in-process API server, to Running', viaApi],
  fake: ['10 kubelets on an in-memory pod source and writer, to Running', viaFakeApi],
} as const;
const results = new Map<string, Figures[]>();
for (let r = 0; r < RUNS; r++) {
  for (const [key, [, run]] of Object.entries(cases)) results.set(key, [...(results.get(key) ?? []), await run()]);
}
console.log(`pods: ${PODS} on ${NODES} kubelets, ${RUNS} runs (medians), node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const [key, [label]] of Object.entries(cases)) {
  const f = results.get(key)!;
  console.log(`${label.padEnd(64)} ${median(f.map((x) => x.podsPerSecond)).toFixed(0).padStart(6)} pods/s  ${median(f.map((x) => x.cpuMsPerPod)).toFixed(2).padStart(6)} ms CPU/pod`);
}
const rate = (key: string) => median(results.get(key)!.map((x) => x.podsPerSecond));
emit('kubelet.pods_per_s', rate('api'), 'pods/s', { name: 'create + 1 status write per pod, no kubelet', value: rate('floor') });
console.log(mem === undefined ? 'memory per pod: run with --expose-gc' : `kubelet memory per running pod (with its fake runtime and API objects) ${(mem / 1024).toFixed(1)} KB`);
process.exit(0);
