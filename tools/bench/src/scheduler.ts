/**
 * SchedulingBasic, as Kubernetes' scheduler_perf: N nodes, 1,000 initial pods, then M measured
 * pods created while the scheduler runs; throughput is pods bound per second, sampled every second
 * (average and p50/p90/p99 of the samples), through the API server and the sqlite store in this
 * process. kube-scheduler's CI floor for 5,000 nodes / 10,000 pods is 680 pods/s (6 CPUs).
 *
 *   npx tsx --conditions=@peapod/source tools/bench/src/scheduler.ts [--quick]
 */
import { RESOURCES, type Node, type Pod } from '@peapod/api-types';
import { ClientModule, Transport, createClient } from '@peapod/client';
import { Clock, Container, RealClock, composeModules } from '@peapod/core';
import { SchedulerModule, Scheduler } from '@peapod/scheduler';
import { emit } from './emit.mjs';
import { gc, percentile, pool, printTable, quick, rssMB, tempApiServer } from './lib.js';

const node = (i: number): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}`, 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/zone': `zone-${i % 3}` } },
  spec: {},
  status: { capacity: { cpu: '32', memory: '256Gi', pods: '110' }, allocatable: { cpu: '32', memory: '256Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
});

const pod = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }] },
});

async function run(nodes: number, initial: number, measured: number) {
  const { server, close } = await tempApiServer('sqlite');
  const c = Container.create().provide(Clock, { useValue: new RealClock() }).provide(Transport, { useValue: server.transport() });
  const app = composeModules([ClientModule, SchedulerModule], c);
  const client = createClient(server.transport());
  const pods = client.resource(RESOURCES.pods);
  gc();
  const rss0 = rssMB();
  await pool([...Array(nodes).keys()], 32, (i) => client.resource(RESOURCES.nodes).create(node(i)));
  await app.start();
  const scheduler = c.resolve(Scheduler);
  let bound = 0;
  scheduler.on('podScheduled', () => bound++);
  const waitFor = async (n: number) => { while (bound < n) await new Promise((r) => setTimeout(r, 5)); };
  await pool([...Array(initial).keys()], 32, (i) => pods.create(pod(`init-${i}`), { namespace: 'default' }));
  await waitFor(initial);
  gc();
  const perNodeKB = ((rssMB() - rss0) * 1024) / nodes;

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
  return { avg: measured / secs, p50: percentile(samples, 50), p90: percentile(samples, 90), p99: percentile(samples, 99), createSecs: (createdAt - t0) / 1000, perNodeKB };
}

const cases = quick ? [{ nodes: 500, initial: 200, measured: 1000 }] : [{ nodes: 500, initial: 1000, measured: 5000 }, { nodes: 5000, initial: 1000, measured: 10000 }];
const rows = [];
for (const k of cases) {
  const r = await run(k.nodes, k.initial, k.measured);
  rows.push({
    case: `SchedulingBasic ${k.nodes} nodes / ${k.measured} pods`,
    'avg pods/s': r.avg,
    'p50 pods/s': r.p50,
    'p90 pods/s': r.p90,
    'p99 pods/s': r.p99,
    'creates took (s)': r.createSecs,
    'RSS per node (KB)': r.perNodeKB,
    'kube-scheduler floor': '680 pods/s (5,000 nodes, 6 CPUs)',
  });
}
const last = cases.at(-1)!;
emit('scheduler.pods_per_s', rows.at(-1)!['avg pods/s'], 'pods/s', { name: 'arrival rate: pod creates/s into the same API server', value: last.measured / rows.at(-1)!['creates took (s)'] });
printTable('Scheduler throughput (through the API server, sqlite store)', rows);
