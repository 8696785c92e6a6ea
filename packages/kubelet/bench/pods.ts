/**
 * Pods to Running per second on 10 kubelets with the fake runtime, and kubelet memory per pod.
 *
 *   npx tsx --conditions=@peapod/source --expose-gc packages/kubelet/bench/pods.ts [pods] [runs]
 *
 * Three measurements in the same process, each the median of several runs:
 * - floor: the API work a pod needs without any kubelet (create, then one status write), through
 *   the same client and in-memory API server (`@peapod/client/testing`'s FakeApiServer);
 * - peer: how fast created pods reach 10 node informers (list+watch with a field selector) through
 *   that server, which bounds what any kubelet behind an informer can do;
 * - kubelets via the client: 10 kubelets, each with its informer, status writes and a fake
 *   runtime, all against that API server;
 * - kubelets via a fake API: the same kubelets with an in-memory status writer (no client), which
 *   isolates the kubelet's own cost.
 * Memory: heap growth per running pod of one kubelet holding all of them (needs --expose-gc).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESOURCES, type Pod } from '@peapod/api-types';
import { SharedInformer, createClient, type KubeClient } from '@peapod/client';
import { FakeApiServer } from '@peapod/client/testing';
import { RealClock, silentLogger } from '@peapod/core';
import { FakeHost, FakeRuntime } from '@peapod/runtime/testing';
import { Kubelet } from '../src/kubelet.js';
import { FakeKubeletApi } from '../src/testing/fake-api.js';

const PODS = Number(process.argv[2] ?? 2000);
const RUNS = Number(process.argv[3] ?? 3);
const NODES = 10;
const clock = new RealClock();
const gc = (globalThis as { gc?: () => void }).gc;

const podFor = (i: number, nodeName: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `p${i}`, namespace: 'default' },
  spec: { nodeName, restartPolicy: 'Always', containers: [{ name: 'app', image: 'registry.local/app:1.0', imagePullPolicy: 'IfNotPresent' }] },
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function withRoot<T>(fn: (root: string) => Promise<T>): Promise<T> {
  const root = mkdtempSync(join(tmpdir(), 'kubelet-bench-'));
  try {
    return await fn(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function newApi(): Promise<{ server: FakeApiServer; client: KubeClient }> {
  const server = new FakeApiServer({ clock, historyLimit: 100_000 });
  const client = createClient(server);
  for (const name of ['default', 'kube-node-lease']) await client.resource(RESOURCES.namespaces).create({ metadata: { name } });
  return { server, client };
}

/** Resolves when `count` pods have been seen Running through a watch. */
async function waitRunning(client: KubeClient, count: number): Promise<void> {
  const seen = new Set<string>();
  const ac = new AbortController();
  for await (const ev of client.resource(RESOURCES.pods).watch({ namespace: 'default', signal: ac.signal })) {
    if (ev.type !== 'ERROR' && (ev.object as Pod).status?.phase === 'Running') seen.add((ev.object as Pod).metadata.name!);
    if (seen.size >= count) break;
  }
  ac.abort();
}

/** Floor: create + one status write per pod, no kubelet. */
async function floor(): Promise<number> {
  const { client } = await newApi();
  const pods = client.resource(RESOURCES.pods);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: PODS }, async (_, i) => {
    const p = await pods.create(podFor(i, `n${i % NODES}`));
    await pods.patch(p.metadata.name!, 'strategic', { status: { phase: 'Running' } }, { namespace: 'default', subresource: 'status' });
  }));
  return PODS / ((performance.now() - t0) / 1000);
}

/** Peer: how fast pods reach 10 node informers (watch with a field selector) through the same API, no kubelet. */
async function informerDelivery(): Promise<number> {
  const { client } = await newApi();
  const informers = Array.from({ length: NODES }, (_, n) => new SharedInformer(RESOURCES.pods, { fieldSelector: `spec.nodeName=n${n}` }, { client, clock, logger: silentLogger }));
  let seen = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  for (const inf of informers) {
    inf.addEventHandler({ onAdd: () => void (++seen === PODS && done()) });
    inf.start();
  }
  await Promise.all(informers.map((i) => i.waitForSync()));
  const t0 = performance.now();
  const pods = client.resource(RESOURCES.pods);
  await Promise.all(Array.from({ length: PODS }, (_, i) => pods.create(podFor(i, `n${i % NODES}`))));
  await all;
  const rate = PODS / ((performance.now() - t0) / 1000);
  await Promise.all(informers.map((i) => i.stop()));
  return rate;
}

async function viaClient(): Promise<number> {
  return withRoot(async (root) => {
    const { client } = await newApi();
    const kubelets = Array.from({ length: NODES }, (_, n) =>
      new Kubelet({ client, runtime: new FakeRuntime({ host: new FakeHost(clock), recordCalls: false }), clock }, { nodeName: `n${n}`, rootDir: join(root, `n${n}`), os: 'linux' }));
    await Promise.all(kubelets.map((k) => k.start()));
    const running = waitRunning(client, PODS);
    const t0 = performance.now();
    const pods = client.resource(RESOURCES.pods);
    await Promise.all(Array.from({ length: PODS }, (_, i) => pods.create(podFor(i, `n${i % NODES}`))));
    await running;
    const rate = PODS / ((performance.now() - t0) / 1000);
    await Promise.all(kubelets.map((k) => k.stop()));
    return rate;
  });
}

async function viaFakeApi(): Promise<number> {
  return withRoot(async (root) => {
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
    const t0 = performance.now();
    for (let i = 0; i < PODS; i++) apis[i % NODES].addPod(podFor(i, `n${i % NODES}`));
    await allRunning;
    const rate = PODS / ((performance.now() - t0) / 1000);
    await Promise.all(kubelets.map((k) => k.stop()));
    return rate;
  });
}

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
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < PODS; i++) api.addPod(podFor(i, 'n0'));
    await kubelet.settle();
    gc();
    const perPod = (process.memoryUsage().heapUsed - before) / PODS;
    await kubelet.stop();
    return perPod;
  });
}

const fmt = (n: number) => n.toFixed(0).padStart(7);
const results: Record<string, number[]> = { floor: [], informers: [], client: [], fake: [] };
for (let r = 0; r < RUNS; r++) {
  results.floor.push(await floor());
  results.informers.push(await informerDelivery());
  results.client.push(await viaClient());
  results.fake.push(await viaFakeApi());
}
const mem = await memoryPerPod();
console.log(`pods: ${PODS} on ${NODES} kubelets, ${RUNS} runs (medians), node ${process.version}`);
console.log(`floor (create + 1 status write, no kubelet)  ${fmt(median(results.floor))} pods/s`);
console.log(`peer: pods delivered to 10 node informers      ${fmt(median(results.informers))} pods/s (no kubelet)`);
console.log(`10 kubelets via @peapod/client + fake API     ${fmt(median(results.client))} pods/s to Running`);
console.log(`10 kubelets via an in-memory status writer    ${fmt(median(results.fake))} pods/s to Running`);
console.log(mem === undefined ? 'memory per pod: run with --expose-gc' : `kubelet memory per running pod (with its fake runtime and API objects) ${(mem / 1024).toFixed(1)} KB`);
process.exit(0);
