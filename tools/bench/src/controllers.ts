/**
 * A 1,000-replica Deployment (500 with --quick) on 100 nodes (issue 8): from create to every replica available, then
 * a full rolling update (new image, default 25 % surge/unavailable) to completion with only new
 * pods left. Measured two ways:
 * - simulated nodes: the ReplicaSet, Deployment and garbage-collector controllers on an
 *   in-process API server (memory store, as `tempApiServer`), with a simulated scheduler+kubelet
 *   that binds each new pod round-robin to one of 100 nodes, reports it Running and Ready, and
 *   finishes deleted pods (grace 0): the controllers' and the API's cost, with wall and CPU time.
 *   The floor is the same API work without controllers: create + bind + ready 1,000 pods directly.
 *   It also prints API writes per pod and reconciles per controller (and any reconcile that failed
 *   and was retried), the quantities the controllers' cost is made of;
 * - end to end, once and not with --quick: `peapod up --fake-nodes 100` (real scheduler, 100
 *   kubelets on the fake runtime, sqlite store, every controller) driven over HTTPS.
 *
 *   npx tsx --conditions=@peapod/source tools/bench/src/controllers.ts [--quick] [--runs N]
 */
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RESOURCES, type Deployment, type Pod } from '@peapod/api-types';
import { HttpTransport, InformerFactory, createClient, loadKubeconfig, type KubeClient, type Transport } from '@peapod/client';
import { DeploymentController, GarbageCollector, ReplicaSetController, resolveOptions, type ControllerContext, type QueueController } from '@peapod/controllers';
import { RealClock, silentLogger, type Logger } from '@peapod/core';
import { emit } from '../../emit.mjs';
import { median, printTable, quick, tempApiServer } from './lib.js';

const REPLICAS = quick ? 500 : 1_000;
const NODES = 100;
const WORKERS = 5;
const MAIN = resolve(import.meta.dirname, '../../../apps/peapod/src/main.ts');
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : quick ? 1 : 5;

/** Failed reconciles (retried with backoff), by message. */
const failures = new Map<string, number>();
const countingLogger: Logger = {
  ...silentLogger,
  warn: (msg, f) => { if (msg.startsWith('reconcile failed')) { const k = String(f?.err).slice(0, 100); failures.set(k, (failures.get(k) ?? 0) + 1); } },
  child: () => countingLogger,
};

/** A transport that counts requests by verb and resource (`PATCH replicasets/status`). */
function counting(inner: Transport, counts: Map<string, number>): Transport {
  return {
    request(req) {
      const [, , ...rest] = req.path.split('/').filter(Boolean);
      const segs = req.path.startsWith('/apis/') ? rest.slice(1) : rest;
      const [plural, , sub] = segs[0] === 'namespaces' ? segs.slice(2) : segs;
      const k = `${req.method} ${plural}${sub ? `/${sub}` : ''}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
      return inner.request(req);
    },
    watch: (req) => inner.watch(req),
    stream: (req) => inner.stream(req),
  };
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const ready = (pod: Pod): Pod => ({
  ...pod,
  status: {
    ...pod.status, phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now() }],
    containerStatuses: pod.spec!.containers.map((c) => ({ name: c.name, image: c.image ?? '', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: now() } } })),
  },
});

/** Binds a pod to a node and reports it Running and Ready, as the scheduler and a kubelet would. */
async function bindAndReady(client: KubeClient, name: string, namespace: string | undefined, node: string): Promise<void> {
  const pods = client.resource(RESOURCES.pods);
  await pods.createSubresource(name, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: node } }, { namespace });
  await pods.updateStatus(ready(await pods.get(name, { namespace })));
}

/** Plays scheduler and kubelets: binds new pods round-robin, reports them ready, finishes deletions. */
function simulateNodes(client: KubeClient, informers: InformerFactory): void {
  let next = 0;
  const handle = async (pod: Pod) => {
    const { name, namespace } = pod.metadata;
    if (pod.metadata.deletionTimestamp) await client.resource(RESOURCES.pods).delete(name!, { namespace, gracePeriodSeconds: 0 });
    else if (!pod.spec?.nodeName) await bindAndReady(client, name!, namespace, `node-${next++ % NODES}`);
  };
  const go = (p: Pod) => { handle(p).catch(() => undefined); };
  informers.informerFor(RESOURCES.pods).addEventHandler({ onAdd: go, onUpdate: (_o, p) => { if (p.metadata.deletionTimestamp) go(p); } });
}

const deployment = (nodeSelector?: Record<string, string>): Deployment => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'bench', namespace: 'default' },
  spec: { replicas: REPLICAS, selector: { matchLabels: { app: 'bench' } }, template: { metadata: { labels: { app: 'bench' } }, spec: { nodeSelector, containers: [{ name: 'app', image: 'busybox:1' }] } } },
});
const newImage = { spec: { template: { spec: { containers: [{ name: 'app', image: 'busybox:2' }] } } } };

const done = (d: Deployment | undefined, image: string) => !!d && (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  && d.status?.updatedReplicas === REPLICAS && d.status?.availableReplicas === REPLICAS && d.status?.replicas === REPLICAS
  && d.spec?.template.spec?.containers[0].image === image;

async function waitFor(check: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Phase { ms: number; cpuMs: number }
interface Run { floor: Phase; create: Phase; rollout: Phase; requests: Map<string, number>; reconciles: Map<string, number> }

/** Wall and CPU time of `fn` (CPU time of this process, which a loaded machine disturbs far less). */
async function timed(fn: () => Promise<unknown>): Promise<Phase> {
  const t = performance.now();
  const cpu = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000 };
}

async function once(): Promise<Run> {
  const { server, close } = await tempApiServer('memory');
  const clock = new RealClock();
  const requests = new Map<string, number>();
  const client = createClient(counting(server.transport(), requests));
  const informers = new InformerFactory({ client, clock, logger: silentLogger });
  try {
    // Floor: the same pod writes without controllers.
    const pods = client.resource(RESOURCES.pods);
    const floor = await timed(() => Promise.all(Array.from({ length: REPLICAS }, async (_, i) => {
      const p = await pods.create({ metadata: { name: `floor-${i}`, namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } } as Pod);
      await bindAndReady(client, p.metadata.name!, 'default', `node-${i % NODES}`);
    })));
    await pods.deleteCollection({ namespace: 'default', gracePeriodSeconds: 0 });

    simulateNodes(client, informers);
    const ctx: ControllerContext = { client, informers, clock, logger: countingLogger, options: resolveOptions() };
    const abort = new AbortController();
    setMaxListeners(0, abort.signal);
    const reconciles = new Map<string, number>();
    const controllers: QueueController[] = [new ReplicaSetController(ctx), new DeploymentController(ctx), new GarbageCollector(ctx)];
    for (const c of controllers) {
      const reconcile = c.reconcile.bind(c);
      c.reconcile = (key) => { reconciles.set(c.name, (reconciles.get(c.name) ?? 0) + 1); return reconcile(key); };
    }
    informers.start();
    const running = controllers.map((c) => c.run(WORKERS, abort.signal));
    const deploys = informers.informerFor(RESOURCES.deployments);
    await informers.waitForCacheSync();
    requests.clear();

    const create = await timed(async () => {
      await client.resource(RESOURCES.deployments).create(deployment());
      await waitFor(() => done(deploys.lister.get('default', 'bench'), 'busybox:1'));
    });
    const rollout = await timed(async () => {
      await client.resource(RESOURCES.deployments).patch('bench', 'strategic', newImage, { namespace: 'default' });
      await waitFor(() => done(deploys.lister.get('default', 'bench'), 'busybox:2')
        && informers.informerFor(RESOURCES.pods).lister.list('default').length === REPLICAS);
    });

    abort.abort();
    await Promise.all(running);
    return { floor, create, rollout, requests: new Map(requests), reconciles };
  } finally {
    await informers.stop();
    await close();
  }
}

/**
 * The same Deployment end to end: `peapod up --fake-nodes 100` from source (sqlite store, the real
 * scheduler, 100 kubelets on the fake runtime, every controller), driven over HTTPS, pods pinned to
 * the fake nodes, in a fresh data dir; the time to start the cluster is not counted.
 */
async function endToEnd(): Promise<{ create: number; rollout: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-bench-up-'));
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=@peapod/source', MAIN, 'up', '--data-dir', dir, '--listen', '127.0.0.1:0', '--node-name', 'bench', '--fake-nodes', String(NODES)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((res, rej) => {
      let text = '';
      proc.stdout.on('data', (d) => { text += d; if (/ready in \d+ ms/.test(text)) res(); });
      proc.once('exit', (code) => rej(new Error(`peapod up exited ${code}: ${text}`)));
    });
    const client = createClient(new HttpTransport(await loadKubeconfig(join(dir, 'kubeconfig'))));
    const get = () => client.resource(RESOURCES.deployments).get('bench', { namespace: 'default' });
    const poll = async (check: () => Promise<boolean>) => {
      for (const deadline = Date.now() + 300_000; !(await check());) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    let t = performance.now();
    await client.resource(RESOURCES.deployments).create(deployment({ 'peapod.dev/fake-node': 'true' }));
    await poll(async () => done(await get(), 'busybox:1'));
    const create = (performance.now() - t) / 1000;
    t = performance.now();
    await client.resource(RESOURCES.deployments).patch('bench', 'strategic', newImage, { namespace: 'default' });
    await poll(async () => done(await get(), 'busybox:2')
      && (await client.resource(RESOURCES.pods).list({ namespace: 'default', labelSelector: 'app=bench' })).items.length === REPLICAS);
    const rollout = (performance.now() - t) / 1000;
    console.log(`peapod up: create->available ${(create * 1000).toFixed(0)} ms, rolling update ${(rollout * 1000).toFixed(0)} ms`);
    return { create, rollout };
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: Run[] = [];
for (let i = 0; i < RUNS; i++) {
  const r = await once();
  results.push(r);
  for (const [err, n] of failures) console.log(`  retried reconcile x${n}: ${err}`);
  failures.clear();
  console.log(`run ${i + 1}: floor ${r.floor.ms.toFixed(0)} ms (CPU ${r.floor.cpuMs.toFixed(0)} ms), create->available ${r.create.ms.toFixed(0)} ms (CPU ${r.create.cpuMs.toFixed(0)} ms), rolling update ${r.rollout.ms.toFixed(0)} ms (CPU ${r.rollout.cpuMs.toFixed(0)} ms)`);
}
const secs = (k: 'floor' | 'create' | 'rollout', f: keyof Phase = 'ms') => median(results.map((r) => r[k][f])) / 1000;
// One end-to-end run (a cluster start and 2,000 pods through 100 kubelets); none with --quick.
const e2e = quick ? undefined : await endToEnd();
printTable(`Deployment of ${REPLICAS} replicas on ${NODES} nodes: medians of ${RUNS} runs on simulated nodes, one on peapod up (Node ${process.version}, load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`, [
  { measure: `floor: create + bind + ready ${REPLICAS} pods directly`, 'simulated nodes (s)': secs('floor'), 'its CPU (s)': secs('floor', 'cpuMs'), 'peapod up, 100 fake nodes (s)': '', target: '' },
  { measure: 'Deployment create -> all available', 'simulated nodes (s)': secs('create'), 'its CPU (s)': secs('create', 'cpuMs'), 'peapod up, 100 fake nodes (s)': e2e?.create ?? 'not with --quick', target: '< 5 s' },
  { measure: 'full rolling update -> complete', 'simulated nodes (s)': secs('rollout'), 'its CPU (s)': secs('rollout', 'cpuMs'), 'peapod up, 100 fake nodes (s)': e2e?.rollout ?? 'not with --quick', target: '< 10 s' },
]);
const last = results.at(-1)!;
const writes = [...last.requests].filter(([k]) => !k.startsWith('GET ')).sort((a, b) => b[1] - a[1]);
const total = writes.reduce((n, [, v]) => n + v, 0);
console.log(`\nSimulated nodes, last run, create + rolling update (${2 * REPLICAS} pods made): ${(total / (2 * REPLICAS)).toFixed(2)} API writes per pod made (the floor makes 2, plus 1 GET); `
  + `writes: ${writes.map(([k, v]) => `${k} ${v}`).join(', ')}; reconciles: ${[...last.reconciles].map(([k, v]) => `${k} ${v}`).join(', ')}.`);
const floor = { name: `create+bind+ready ${REPLICAS} pods directly, no controllers`, value: secs('floor') };
emit('controllers.deployment_available_s', secs('create'), 's', floor);
emit('controllers.rolling_update_s', secs('rollout'), 's', floor);
if (e2e) {
  emit('controllers.up_deployment_available_s', e2e.create, 's', { name: 'the same on simulated nodes (controllers only), this run', value: secs('create') });
  emit('controllers.up_rolling_update_s', e2e.rollout, 's', { name: 'the same on simulated nodes (controllers only), this run', value: secs('rollout') });
}
