/**
 * SchedulingBasic, as Kubernetes' scheduler_perf: N nodes, 1,000 initial pods, then M measured
 * pods created while the scheduler runs; throughput is pods bound per second, sampled every second
 * (average and p50/p90/p99 of the samples), through the API server and the sqlite store in this
 * process. kube-scheduler's CI floor for 5,000 nodes / 10,000 pods is 680 pods/s (6 CPUs).
 *
 *   npx tsx --conditions=@peapod/source tools/bench/src/scheduler.ts [--quick] [--nodes N --pods M]
 *
 * `--nodes N --pods M` runs only that case (for profiling one size).
 *
 * Next to each case, the floor measured in the same run: the same scheduler over a fake binder
 * (bindings confirmed straight back into its informer handlers), i.e. the scheduling cycle's own
 * ceiling without the API server; and the round trip of a worker thread, the least a parallel
 * Filter over a worker pool would add to every cycle.
 */
import { RESOURCES, type Node, type Pod } from '@peapod/api-types';
import { ClientModule, Transport, createClient } from '@peapod/client';
import { Clock, Container, RealClock, composeModules } from '@peapod/core';
import { SchedulerImpl, SchedulerModule, Scheduler, defaultProfile, inTreeRegistry } from '@peapod/scheduler';
import { Worker } from 'node:worker_threads';
import { emit } from '../../emit.mjs';
import { gc, percentile, pool, printTable, quick, tempApiServer } from './lib.js';

const node = (i: number): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}`, 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/zone': `zone-${i % 3}` } },
  spec: {},
  status: { capacity: { cpu: '32', memory: '256Gi', pods: '110' }, allocatable: { cpu: '32', memory: '256Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
});

const pod = (name: string, uid?: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid },
  spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }] },
});

async function run(nodes: number, initial: number, measured: number) {
  const { server, close } = await tempApiServer('sqlite');
  const c = Container.create().provide(Clock, { useValue: new RealClock() }).provide(Transport, { useValue: server.transport() });
  const app = composeModules([ClientModule, SchedulerModule], c);
  const client = createClient(server.transport());
  const pods = client.resource(RESOURCES.pods);
  // Memory per node is the heap's growth: RSS of this process (API server, store and scheduler
  // together) moves with collections by more than 5,000 nodes take, and once came out negative.
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  await pool([...Array(nodes).keys()], 32, (i) => client.resource(RESOURCES.nodes).create(node(i)));
  await app.start();
  const scheduler = c.resolve(Scheduler);
  let bound = 0;
  scheduler.on('podScheduled', () => bound++);
  const waitFor = async (n: number) => { while (bound < n) await new Promise((r) => setTimeout(r, 5)); };
  await pool([...Array(initial).keys()], 32, (i) => pods.create(pod(`init-${i}`), { namespace: 'default' }));
  await waitFor(initial);
  gc();
  const heapPerNodeKB = (process.memoryUsage().heapUsed - heap0) / 1024 / nodes;

  const samples: number[] = [];
  let last = bound;
  const sampler = setInterval(() => { samples.push(bound - last); last = bound; }, 1000);
  const t0 = performance.now();
  const creating = pool([...Array(measured).keys()], 32, (i) => pods.create(pod(`m-${i}`), { namespace: 'default' }));
  await creating;
  const createdAt = performance.now();
  await waitFor(initial + measured);
  const secs = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  await app.stop();
  await close();
  return { avg: measured / secs, p50: percentile(samples, 50), p90: percentile(samples, 90), p99: percentile(samples, 99), createSecs: (createdAt - t0) / 1000, heapPerNodeKB };
}

/** The scheduler alone: every cycle, with bindings confirmed at once as the pod informer would. */
async function alone(nodes: number, count: number) {
  const confirmed: [Pod, string][] = [];
  const s = new SchedulerImpl(new RealClock(), inTreeRegistry(), {
    bind: async (p, n) => { confirmed.push([p, n]); },
    evict: async () => undefined,
    disruptionBudgets: () => [],
  }, { unschedulable: async () => undefined, event: () => undefined }, { profiles: [defaultProfile()] });
  for (let i = 0; i < nodes; i++) s.onNodeAdd(node(i));
  let bound = 0;
  s.on('podScheduled', () => bound++);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < count; i++) s.onPodAdd(pod(`p-${i}`, `uid-${i}`));
  while (bound < count) {
    await s.scheduleOne((await s.queue.pop())!);
    await new Promise((r) => setImmediate(r));
    for (const [p, n] of confirmed.splice(0)) s.onPodUpdate(p, { ...p, metadata: { ...p.metadata, resourceVersion: '2' }, spec: { ...p.spec!, nodeName: n } });
  }
  const cpu = process.cpuUsage(cpu0);
  s.close();
  return { podsPerSec: count / ((performance.now() - t0) / 1000), cpuMicrosPerPod: (cpu.user + cpu.system) / count };
}

/** Median round trip of a 500-entry message to a worker thread and back (µs). */
async function workerRoundTrip(): Promise<number> {
  const w = new Worker(`require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m));`, { eval: true });
  const payload = new Int32Array(500);
  const times: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t0 = performance.now();
    await new Promise((r) => { w.once('message', r); w.postMessage(payload); });
    times.push((performance.now() - t0) * 1000);
  }
  await w.terminate();
  return percentile(times, 50);
}

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : undefined; };
const only = arg('--nodes');
const cases = only ? [{ nodes: only, initial: 1000, measured: arg('--pods') ?? 10000 }]
  : quick ? [{ nodes: 500, initial: 200, measured: 1000 }] : [{ nodes: 500, initial: 1000, measured: 5000 }, { nodes: 5000, initial: 1000, measured: 10000 }];
const rows = [];
const floors: Record<string, string | number>[] = [];
for (const k of cases) {
  const r = await run(k.nodes, k.initial, k.measured);
  rows.push({
    case: `SchedulingBasic ${k.nodes} nodes / ${k.measured} pods`,
    'avg pods/s': r.avg,
    'p50 pods/s': r.p50,
    'p90 pods/s': r.p90,
    'p99 pods/s': r.p99,
    'creates took (s)': r.createSecs,
    'heap per node (KB)': r.heapPerNodeKB,
    'kube-scheduler floor': '680 pods/s (5,000 nodes, 6 CPUs)',
  });
  const a = await alone(k.nodes, k.measured);
  floors.push({ floor: `scheduler alone (fake binder), ${k.nodes} nodes / ${k.measured} pods`, value: a.podsPerSec, unit: 'pods/s' });
  floors.push({ floor: `scheduler alone, CPU per pod, ${k.nodes} nodes`, value: a.cpuMicrosPerPod, unit: 'µs' });
}
floors.push({ floor: 'worker thread round trip, 500-entry message (p50)', value: await workerRoundTrip(), unit: 'µs' });
const last = cases.at(-1)!;
emit('scheduler.pods_per_s', rows.at(-1)!['avg pods/s'], 'pods/s', { name: 'arrival rate: pod creates/s into the same API server', value: last.measured / rows.at(-1)!['creates took (s)'] });
printTable('Scheduler throughput (through the API server, sqlite store)', rows);
printTable('Floors measured in the same run', floors);
