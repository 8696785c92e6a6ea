/**
 * Benchmark: a 1,000-replica Deployment on an in-process API server (memory store), from create
 * to every replica available, then a full rolling update (new image) to completion. A simulated
 * scheduler+kubelet loop binds each new pod to one of 100 nodes, marks it Running and Ready, and
 * finishes deleted pods (grace 0) as a kubelet would. The floor is the same API work without the
 * controllers: creating, binding and readying 1,000 pods directly.
 *
 *   npx tsx --conditions=@peapod/source packages/controllers/bench/deployment.ts [runs=3]
 */
import { setMaxListeners } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESOURCES, type Deployment, type Pod } from '@peapod/api-types';
import { InformerFactory, createClient, type KubeClient, type Transport } from '@peapod/client';
import { RealClock, silentLogger, type Logger } from '@peapod/core';
import { resolveOptions, type ControllerContext } from '../src/context.js';
import { DeploymentController } from '../src/deployment.js';
import { GarbageCollector } from '../src/garbage-collector.js';
import { ReplicaSetController } from '../src/replicaset.js';

/** Counts failed reconciles (retried with backoff), which the figures should show. */
const failures = new Map<string, number>();
const countingLogger: Logger = {
  ...silentLogger,
  warn: (msg, f) => { if (msg.startsWith('reconcile failed')) { const k = String(f?.err).slice(0, 90); failures.set(k, (failures.get(k) ?? 0) + 1); } },
  child: () => countingLogger,
};

const REPLICAS = 1_000;
const NODES = 100;
const WORKERS = 5;
const runs = Number(process.argv[2] ?? 3);

interface Server { transport(): Transport; close(): Promise<void> }

async function startServer(dir: string, clock: RealClock): Promise<Server> {
  const src = (pkg: string) => new URL(`../../${pkg}/src/index.ts`, import.meta.url).href;
  const { startApiServer } = (await import(src('apiserver'))) as { startApiServer(o: object, d: object): Promise<Server> };
  const { createMemoryStore } = (await import(src('store'))) as { createMemoryStore(): unknown };
  return startApiServer({ pkiDir: join(dir, 'pki'), port: 0 }, { store: createMemoryStore(), clock });
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

/** Plays scheduler and kubelets: binds new pods round-robin, reports them ready, finishes deletions. */
function simulateNodes(client: KubeClient, informers: InformerFactory): void {
  const pods = client.resource(RESOURCES.pods);
  let next = 0;
  const handle = async (pod: Pod) => {
    const ns = pod.metadata.namespace;
    if (pod.metadata.deletionTimestamp) {
      await pods.delete(pod.metadata.name!, { namespace: ns, gracePeriodSeconds: 0 }).catch(() => undefined);
      return;
    }
    if (pod.spec?.nodeName) return;
    await pods.createSubresource(pod.metadata.name!, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata.name }, target: { kind: 'Node', name: `node-${next++ % NODES}` } }, { namespace: ns });
    await pods.updateStatus(ready(await pods.get(pod.metadata.name!, { namespace: ns })));
  };
  const go = (p: Pod) => { handle(p).catch(() => undefined); };
  informers.informerFor(RESOURCES.pods).addEventHandler({ onAdd: go, onUpdate: (_o, p) => { if (p.metadata.deletionTimestamp) go(p); } });
}

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

async function once(): Promise<{ floor: number; create: number; rollout: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'peapod-bench-'));
  const clock = new RealClock();
  const server = await startServer(dir, clock);
  const client = createClient(server.transport());
  const informers = new InformerFactory({ client, clock, logger: silentLogger });
  try {
    // Floor: the same pod writes without controllers.
    const pods = client.resource(RESOURCES.pods);
    let t = performance.now();
    await Promise.all(Array.from({ length: REPLICAS }, async (_, i) => {
      const p = await pods.create({ metadata: { name: `floor-${i}`, namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } } as Pod);
      await pods.createSubresource(p.metadata.name!, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: p.metadata.name }, target: { kind: 'Node', name: `node-${i % NODES}` } }, { namespace: 'default' });
      await pods.updateStatus(ready(await pods.get(p.metadata.name!, { namespace: 'default' })));
    }));
    const floor = performance.now() - t;
    await pods.deleteCollection({ namespace: 'default', gracePeriodSeconds: 0 });

    simulateNodes(client, informers);
    const ctx: ControllerContext = { client, informers, clock, logger: countingLogger, options: resolveOptions() };
    const abort = new AbortController();
    setMaxListeners(0, abort.signal);
    const controllers = [new ReplicaSetController(ctx), new DeploymentController(ctx), new GarbageCollector(ctx)];
    informers.start();
    const running = controllers.map((c) => c.run(WORKERS, abort.signal));
    const deploys = informers.informerFor(RESOURCES.deployments);
    await informers.waitForCacheSync();

    t = performance.now();
    await client.resource(RESOURCES.deployments).create({
      metadata: { name: 'bench', namespace: 'default' },
      spec: { replicas: REPLICAS, selector: { matchLabels: { app: 'bench' } }, template: { metadata: { labels: { app: 'bench' } }, spec: { containers: [{ name: 'app', image: 'busybox:1' }] } } },
    });
    await waitFor(() => done(deploys.lister.get('default', 'bench'), 'busybox:1'));
    const create = performance.now() - t;

    t = performance.now();
    await client.resource(RESOURCES.deployments).patch('bench', 'strategic', { spec: { template: { spec: { containers: [{ name: 'app', image: 'busybox:2' }] } } } }, { namespace: 'default' });
    await waitFor(() => done(deploys.lister.get('default', 'bench'), 'busybox:2')
      && informers.informerFor(RESOURCES.pods).lister.list('default').length === REPLICAS);
    const rollout = performance.now() - t;

    abort.abort();
    await Promise.all(running);
    return { floor, create, rollout };
  } finally {
    await informers.stop();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results: Awaited<ReturnType<typeof once>>[] = [];
for (let i = 0; i < runs; i++) {
  const r = await once();
  results.push(r);
  for (const [err, n] of failures) console.log(`  retried reconcile x${n}: ${err}`);
  failures.clear();
  console.log(`run ${i + 1}: floor ${r.floor.toFixed(0)} ms, create->available ${r.create.toFixed(0)} ms, rolling update ${r.rollout.toFixed(0)} ms`);
}
const s = (k: 'floor' | 'create' | 'rollout') => (median(results.map((r) => r[k])) / 1000).toFixed(2);
console.log(`\n${REPLICAS} replicas on ${NODES} simulated nodes, median of ${runs} runs (node ${process.version}, load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores):`);
console.log(`  floor (create+bind+ready ${REPLICAS} pods directly): ${s('floor')} s`);
console.log(`  Deployment create -> all available:               ${s('create')} s   (target < 5 s)`);
console.log(`  full rolling update (25% surge/unavailable):      ${s('rollout')} s   (target < 10 s)`);
