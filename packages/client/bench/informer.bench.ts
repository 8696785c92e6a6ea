/**
 * Informer and work-queue cost at cluster scale: 10,000 pods and 5,000 nodes.
 * Run: npx tsx --conditions=@peapod/source packages/client/bench/informer.bench.ts [--quick]
 * Each figure is the median of 5 runs, printed next to a floor measured in the same run
 * (a bare Map doing the same writes), so the overhead of the informer is what is compared.
 */
import { RESOURCES, type Node, type Pod } from '@peapod/api-types';
import { FakeClock, silentLogger } from '@peapod/core';
import { EventRecorder, SharedInformer, WorkQueue, createClient, type KubeClient, type KubeObject, type Transport, type WatchEvent } from '@peapod/client';
// nx-ignore-next-line -- a dev-time script helper, not a dependency of the package
import { emit } from '../../../tools/emit.mjs';

const PODS = 10_000;
const NODES = 5_000;
const EVENTS = 100_000;
const RUNS = process.argv.includes('--quick') ? 1 : 5;

const makePod = (i: number, rv: number): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: `pod-${i}`, namespace: `ns-${i % 100}`, uid: `uid-${i}`, resourceVersion: String(rv), labels: { app: `app-${i % 50}` } },
  spec: { nodeName: `node-${i % NODES}`, containers: [{ name: 'c', image: 'busybox' }] },
  status: { phase: 'Running' },
}) as Pod;
const makeNode = (i: number): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${i}`, resourceVersion: '1' } }) as Node;

/** A transport answering a prebuilt list and a prebuilt watch stream, so only the informer is measured. */
function transport(items: KubeObject[], events: WatchEvent<KubeObject>[], onWatchDone: () => void): Transport {
  return {
    async request() { return { status: 200, body: { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '1' }, items } }; },
    async *watch(req) {
      yield* events;
      onWatchDone();
      await new Promise((r) => req.signal?.addEventListener('abort', r));
    },
    async *stream() { /* unused */ },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function informerRun() {
  const pods = Array.from({ length: PODS }, (_, i) => makePod(i, 1));
  const nodes = Array.from({ length: NODES }, (_, i) => makeNode(i));
  const modified = Array.from({ length: EVENTS }, (_, j) => makePod(j % PODS, 2 + j));
  const events: WatchEvent<KubeObject>[] = modified.map((object) => ({ type: 'MODIFIED', object }));
  let watched!: () => void;
  const watchDone = new Promise<void>((r) => (watched = r));
  const clock = new FakeClock();
  const podInf = new SharedInformer(RESOURCES.pods, {}, { client: createClient(transport(pods, events, () => watched())), clock, logger: silentLogger }, {
    byNode: (p: Pod) => (p.spec?.nodeName ? [p.spec.nodeName] : []),
  });
  const nodeInf = new SharedInformer(RESOURCES.nodes, {}, { client: createClient(transport(nodes, [], () => undefined)), clock, logger: silentLogger });
  let handled = 0;
  podInf.addEventHandler({ onAdd: () => handled++, onUpdate: () => handled++ });

  const t0 = process.hrtime.bigint();
  podInf.start();
  nodeInf.start();
  await Promise.all([podInf.waitForSync(), nodeInf.waitForSync()]);
  const sync = ms(t0);
  const t1 = process.hrtime.bigint();
  await watchDone;
  const watch = ms(t1);
  const t2 = process.hrtime.bigint();
  let found = 0;
  for (let i = 0; i < 1000; i++) found += podInf.lister.list(`ns-${i % 100}`).length + podInf.store.byIndex('byNode', `node-${i}`).length;
  const lookups = ms(t2);
  await Promise.all([podInf.stop(), nodeInf.stop()]);
  if (handled !== PODS + EVENTS || found === 0) throw new Error('informer lost events');

  // Floor: the same writes into a bare Map.
  const floorMap = new Map<string, KubeObject>();
  const t3 = process.hrtime.bigint();
  for (const p of pods) floorMap.set(`${p.metadata.namespace}/${p.metadata.name}`, p);
  for (const n of nodes) floorMap.set(n.metadata.name!, n);
  const floorSync = ms(t3);
  const t4 = process.hrtime.bigint();
  for (const p of modified) floorMap.set(`${p.metadata.namespace}/${p.metadata.name}`, p);
  const floorWatch = ms(t4);
  return { sync, watch, lookups, floorSync, floorWatch };
}

async function queueRun() {
  const q = new WorkQueue<string>({ clock: new FakeClock() });
  const keys = Array.from({ length: 10_000 }, (_, i) => `ns/pod-${i}`);
  const t0 = process.hrtime.bigint();
  for (let round = 0; round < 10; round++) {
    for (const k of keys) { q.add(k); q.add(k); }
    while (q.len() > 0) q.done((await q.get())!);
  }
  const queue = ms(t0);
  const floor: string[] = [];
  const seen = new Set<string>();
  const t1 = process.hrtime.bigint();
  for (let round = 0; round < 10; round++) {
    for (const k of keys) { if (!seen.has(k)) { seen.add(k); floor.push(k); } if (!seen.has(k)) floor.push(k); }
    while (floor.length) seen.delete(floor.pop()!);
  }
  return { queue, floorQueue: ms(t1) };
}

/**
 * EventRecorder: a pod's four Events (Scheduled from the scheduler's recorder, Pulled/Created/Started
 * from one of 50 kubelets' recorders) for 20,000 pods, with a client that accepts every write at
 * once, so only the correlator (keys, its three LRU caches of 4,096 keys, spam filter) and the
 * write queue are measured; past 4,096 pods every event evicts keys. Floor: the same three keys
 * per event read and written in bare Maps.
 */
async function recorderRun() {
  const RECORDED_PODS = 20_000;
  const accept = async (o: unknown) => o;
  const client = { resource: () => ({ create: accept, patch: accept }) } as unknown as KubeClient;
  const clock = new FakeClock();
  const scheduler = new EventRecorder(client, clock, { component: 'default-scheduler' });
  const kubelets = Array.from({ length: 50 }, (_, i) => new EventRecorder(client, clock, { component: 'kubelet', host: `node-${i}` }));
  const reasons = [['Pulled', 'Container image "registry.local/app:1.0" already present on machine'], ['Created', 'Created container: app'], ['Started', 'Started container app']];
  const podOf = (i: number) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${i}`, namespace: 'default', uid: `uid-${i}-4f2c-9a7e-1b3d5e7f9a1c`, resourceVersion: String(i) } });
  const c0 = process.cpuUsage();
  const writes: Promise<void>[] = [];
  for (let i = 0; i < RECORDED_PODS; i++) {
    const pod = podOf(i);
    await clock.advance(1);
    writes.push(scheduler.event(pod, 'Normal', 'Scheduled', `Successfully assigned default/pod-${i} to node-${i % 50}`));
    for (const [reason, message] of reasons) writes.push(kubelets[i % 50].event(pod, 'Normal', reason, message));
    if (writes.length >= 800) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
  const used = process.cpuUsage(c0);
  const floor = [new Map<string, unknown>(), new Map<string, unknown>(), new Map<string, unknown>()];
  const f0 = process.cpuUsage();
  for (let i = 0; i < RECORDED_PODS; i++) {
    const { kind, apiVersion, metadata: { namespace, name, uid } } = podOf(i);
    for (const [reason, message] of [['Scheduled', `Successfully assigned default/pod-${i} to node-${i % 50}`], ...reasons]) {
      const objectKey = `${kind}\u0000${namespace}\u0000${name}\u0000${uid}\u0000${apiVersion}`;
      const similarKey = `${objectKey}\u0000Normal\u0000${reason}`;
      for (const [j, key] of [objectKey, similarKey, `${similarKey}\u0000${message}`].entries()) floor[j].set(key, floor[j].get(key) ?? i);
    }
  }
  const floorUsed = process.cpuUsage(f0);
  const perEvent = (u: NodeJS.CpuUsage) => (u.user + u.system) / (RECORDED_PODS * 4);
  return { recorder: perEvent(used), floorRecorder: perEvent(floorUsed) };
}

const results: Awaited<ReturnType<typeof informerRun>>[] = [];
const qres: Awaited<ReturnType<typeof queueRun>>[] = [];
const rres: Awaited<ReturnType<typeof recorderRun>>[] = [];
for (let i = 0; i < RUNS; i++) {
  results.push(await informerRun());
  qres.push(await queueRun());
  rres.push(await recorderRun());
}
const m = (f: (r: (typeof results)[number]) => number) => median(results.map(f)).toFixed(1);
const heap = (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0);
console.log(`informer initial sync, ${PODS} pods + ${NODES} nodes (with a byNode index): ${m((r) => r.sync)} ms   (floor, bare Map: ${m((r) => r.floorSync)} ms)`);
console.log(`informer watch, ${EVENTS} MODIFIED events through cache, index and handler: ${m((r) => r.watch)} ms = ${(EVENTS / Number(m((r) => r.watch)) * 1000).toFixed(0)} events/s   (floor, bare Map: ${m((r) => r.floorWatch)} ms)`);
console.log(`lister: 1000 namespace lists + 1000 byNode lookups over ${PODS} pods: ${m((r) => r.lookups)} ms`);
console.log(`work queue: 100,000 keys added twice (collapsed), then get/done: ${median(qres.map((r) => r.queue)).toFixed(1)} ms   (floor, array + Set dedupe: ${median(qres.map((r) => r.floorQueue)).toFixed(1)} ms)`);
console.log(`event recorder: 20,000 pods x 4 Events (3 LRU caches evicting): ${median(rres.map((r) => r.recorder)).toFixed(2)} µs of CPU per event   (floor, the same keys in bare Maps: ${median(rres.map((r) => r.floorRecorder)).toFixed(2)} µs)`);
emit('client.informer_watch_ms', median(results.map((r) => r.watch)), 'ms', { name: 'bare Map, same writes', value: median(results.map((r) => r.floorWatch)) });
console.log(`heap after runs: ${heap} MiB (node ${process.version}, median of ${RUNS} runs)`);
