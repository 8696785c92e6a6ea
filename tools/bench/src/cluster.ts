/**
 * The whole cluster at scale, through the real `peapod up` process (built CLI) and its HTTPS API:
 * - pods to Running: 10,000 pods created over HTTPS (64 in flight) on `peapod up --fake-nodes
 *   1000`, timed from the first create until a watch has seen every one Running. Floor: the same
 *   10,000 creates on an idle `peapod up` without fake nodes, for pods no scheduler serves (the
 *   API and store work alone). Target <= 10 s; KWOK's published figure is 10,000 pods within 60 s.
 *   Both are the medians of 3 rounds, each on a fresh `peapod up` (single runs of this leg differ
 *   by a tenth to a quarter on these 2-core machines); the tables show the range too.
 * - memory: RSS after a full GC of `peapod up` with no fake nodes, with 1,000 fake nodes, and with
 *   30,000 pods Running on them; the deltas per node and per pod, next to what the API objects
 *   themselves take (each Node with its Lease, each Pod as an informer holds it, in this
 *   process's heap). Targets <= 512 KB per node and <= 50 KB per pod.
 * - CPU: seconds of CPU the `peapod up` process spent per pod (from first create until all Running),
 *   next to the same figure for the floor's creates; the API writes per pod in that window; and the
 *   share of a core the fake nodes take while idle (heartbeats: Lease renewals, node status,
 *   relists), before any pod and with every pod Running (relists, resyncs). On a loaded machine
 *   these are the figures to compare, since wall time then mostly measures the neighbours.
 * - what bounds it (full run only): the CPU of each API write a pod needs, in process as `peapod up`'s
 *   scheduler and kubelets make them (an API server on a sqlite store in this process, requests
 *   from in-process clients under the scheduler's and a node's identities): create, binding, the
 *   kubelet's status patch, an Event, and a Lease renewal (1,000 nodes renew 100 a second).
 * `--quick`: 100 fake nodes, 200 pods timed in one round, 400 for memory, 1 s of settling instead of 2, no write costs.
 *
 *   pnpm build && node --expose-gc --import tsx --conditions=@peapod/source tools/bench/src/cluster.ts [--quick]
 */
import { RESOURCES, isTooManyRequests, type Event, type Lease, type Pod, type PodStatus } from '@peapod/api-types';
import { nodeUser } from '@peapod/apiserver';
import { HttpTransport, SharedInformer, createClient, loadKubeconfig, type KubeClient, type ResourceClient } from '@peapod/client';
import { RealClock, silentLogger } from '@peapod/core';
import { emit } from '../../emit.mjs';
import { gc, median, pool, printTable, quick, tempApiServer } from './lib.js';
import { cpuSecsOf, startPeapodUp, type RunningUp } from './peapod-up.js';

const NODES = quick ? 100 : 1_000;
const TIMED_PODS = quick ? 200 : 10_000;
/** Timed rounds, each on a fresh cluster (and floor rounds): the figures are their medians. */
const ROUNDS = quick ? 1 : 3;
const MEMORY_PODS = quick ? 400 : 30_000;
const IN_FLIGHT = 64;
const UNSERVED = 'bench-no-such-scheduler';
const deadlineMs = quick ? 60_000 : 300_000;
/** Time a fresh cluster is left alone before its RSS (and the idle nodes' CPU) is read. */
const SETTLE_MS = quick ? 1_000 : 2_000;

if (!(globalThis as { gc?: unknown }).gc) throw new Error('run with node --expose-gc (the memory floors need a full GC)');

const pod = (i: number, schedulerName?: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `bench-${i}`, namespace: 'default', labels: { app: 'bench' } },
  spec: {
    ...(schedulerName ? { schedulerName } : {}),
    nodeSelector: { 'peapod.dev/fake-node': 'true' },
    containers: [{ name: 'app', image: 'registry.local/app:1.0', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
  },
});

/** Progress on stderr, so a slow phase shows where the time goes (stdout carries the figures). */
const t00 = performance.now();
const progress = (what: string) => console.error(`cluster bench: ${what} (${((performance.now() - t00) / 1000).toFixed(0)} s)`);

const heapMB = () => { gc(); return process.memoryUsage().heapUsed / 2 ** 20; };
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The store's revision: every write in the cluster (etcd's and Peapod's stores count them all) moves it by one. */
const revision = async (client: KubeClient) => Number((await client.resource(RESOURCES.namespaces).list()).metadata?.resourceVersion);

async function clientOf(up: RunningUp): Promise<KubeClient> {
  return createClient(new HttpTransport(await loadKubeconfig(up.kubeconfig)));
}

/** Creates pods `from`..`to`-1 with IN_FLIGHT requests at a time; a 429 waits and retries. */
async function createPods(pods: ResourceClient<Pod>, from: number, to: number, schedulerName?: string): Promise<void> {
  const create = async (i: number): Promise<void> => {
    try {
      await pods.create(pod(i, schedulerName), { namespace: 'default' });
    } catch (err) {
      if (!isTooManyRequests(err)) throw err;
      await settle(100);
      await create(i);
    }
  };
  await pool(Array.from({ length: to - from }, (_, k) => from + k), IN_FLIGHT, create);
}

/**
 * Follows the bench pods with an informer (it relists when the server drops a watcher that fell
 * behind, as any client must), keeping each pod's latest state and the names seen Running.
 */
async function follow(client: KubeClient) {
  const running = new Set<string>();
  const informer = new SharedInformer(RESOURCES.pods, { namespace: 'default', labelSelector: 'app=bench' }, { client, clock: new RealClock(), logger: silentLogger });
  const seen = (p: Pod) => { if (p.status?.phase === 'Running') running.add(p.metadata.name!); };
  informer.addEventHandler({ onAdd: seen, onUpdate: (_old, p) => seen(p) });
  informer.start();
  await informer.waitForSync();
  const until = async (count: number) => {
    const deadline = performance.now() + deadlineMs;
    while (running.size < count) {
      if (performance.now() > deadline) throw new Error(`only ${running.size} of ${count} pods Running after ${deadlineMs / 1000} s`);
      await settle(10);
    }
  };
  return { informer, until };
}

/**
 * CPU per API write of each kind a pod needs, served in this process (µs; `n` writes of each kind,
 * 32 in flight), with the objects `peapod up`'s components send: the sum over one pod's writes is
 * what the API alone costs per pod before any scheduling, kubelet or watch work.
 */
async function podWriteCosts(n: number): Promise<Record<string, number>> {
  const { server, close } = await tempApiServer('sqlite');
  try {
    const admin = createClient(server.transport());
    const node = createClient(server.transport(nodeUser('fake-node-0')));
    await admin.resource(RESOURCES.nodes).create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'fake-node-0' } });
    const pods = admin.resource(RESOURCES.pods);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const created: Pod[] = [];
    const cpuPerWrite = async (fn: (i: number) => Promise<unknown>, inFlight = 32) => {
      const c0 = process.cpuUsage();
      await pool(Array.from({ length: n }, (_, i) => i), inFlight, fn);
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / n;
    };
    const running = (i: number): PodStatus => ({
      phase: 'Running',
      conditions: [...['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'].map((type) => ({ type, status: 'True', lastTransitionTime: now, observedGeneration: 1 })), { type: 'PodScheduled', status: 'True', lastTransitionTime: now }],
      hostIP: '127.0.0.1', hostIPs: [{ ip: '127.0.0.1' }], podIP: `10.88.${i >> 8}.${i & 255}`, podIPs: [{ ip: `10.88.${i >> 8}.${i & 255}` }],
      startTime: now, qosClass: 'Burstable', observedGeneration: 1,
      containerStatuses: [{ name: 'app', state: { running: { startedAt: now } }, ready: true, started: true, restartCount: 0, image: 'registry.local/app:1.0', imageID: 'sha256:b08a02e9a7bfdc23a71c5db549d6ec6163161758e908c86164c98bd9847c5723', containerID: `fake://c${i}` }],
    });
    const event = (i: number): Event => ({
      apiVersion: 'v1', kind: 'Event', metadata: { name: `bench-${i}.${(Date.now() * 1000 + i).toString(16)}`, namespace: 'default' },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: `bench-${i}`, namespace: 'default', uid: created[i]!.metadata.uid },
      reason: 'Started', message: 'Started container app', type: 'Normal', count: 1, firstTimestamp: now, lastTimestamp: now,
      source: { component: 'kubelet', host: 'fake-node-0' }, reportingComponent: 'kubelet', reportingInstance: 'fake-node-0',
    });
    const leases = node.resource(RESOURCES.leases);
    let lease: Lease = await leases.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'fake-node-0', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'fake-node-0', leaseDurationSeconds: 40 } }, { namespace: 'kube-node-lease' });
    const costs = {
      create: await cpuPerWrite(async (i) => { created[i] = await pods.create(pod(i), { namespace: 'default' }); }),
      binding: await cpuPerWrite((i) => pods.createSubresource(`bench-${i}`, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: `bench-${i}`, namespace: 'default', uid: created[i]!.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: 'fake-node-0' } }, { namespace: 'default' })),
      'status patch': await cpuPerWrite((i) => node.resource(RESOURCES.pods).patch(`bench-${i}`, 'strategic', { status: running(i) }, { namespace: 'default', subresource: 'status' })),
      event: await cpuPerWrite((i) => node.resource(RESOURCES.events).create(event(i), { namespace: 'default' })),
      // One Lease renewed over and over, one at a time, as each node renews its own.
      'lease renewal': await cpuPerWrite(async () => { lease = await leases.update({ ...lease, spec: { ...lease.spec, renewTime: new Date().toISOString().replace('Z', '000Z') } }); }, 1),
    };
    return costs;
  } finally {
    await close();
  }
}

/** The median of `xs` and, with more than one, their range: what a table cell shows. */
const spread = (xs: readonly number[], digits: number) => {
  const m = median(xs).toFixed(digits);
  return xs.length > 1 ? `${m} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})` : m;
};

// The floor: the same creates on an idle cluster without fake nodes, a fresh one per round; the
// first round's RSS after GC is the idle figure.
const floors: { secs: number; cpuMsPerPod: number }[] = [];
let rssIdle = NaN;
for (let round = 0; round < ROUNDS; round++) {
  const idle = await startPeapodUp([], { gcOnSignal: true });
  try {
    await settle(SETTLE_MS);
    if (round === 0) rssIdle = await idle.rssAfterGc();
    const pods = (await clientOf(idle)).resource(RESOURCES.pods);
    const t0 = performance.now();
    const cpu0 = cpuSecsOf(idle.pid);
    await createPods(pods, 0, TIMED_PODS, UNSERVED);
    floors.push({ secs: (performance.now() - t0) / 1000, cpuMsPerPod: ((cpuSecsOf(idle.pid) - cpu0) * 1000) / TIMED_PODS });
    progress(`floor ${round + 1}/${ROUNDS}: ${TIMED_PODS} creates on the idle cluster took ${floors[round]!.secs.toFixed(1)} s`);
  } finally {
    await idle.stop();
  }
}

interface Round { runningSecs: number; createdSecs: number; cpuMsPerPod: number; mainCpuMsPerPod: number; writesPerPod: number; idleCorePct: number }

/**
 * One timed round on a fresh `peapod up --fake-nodes`: the idle nodes' CPU (and, for the round
 * that goes on to the memory figures, the RSS after GC and the node objects' heap floor), then
 * TIMED_PODS pods created and followed until Running. Returns the cluster still up.
 */
async function timedRound(round: number) {
  const up = await startPeapodUp(['--fake-nodes', String(NODES)], { gcOnSignal: true, timeoutMs: deadlineMs });
  try {
    progress(`round ${round + 1}/${ROUNDS}: ${NODES} fake nodes ready after ${(up.readyMs / 1000).toFixed(1)} s`);
    const idleCpu0 = cpuSecsOf(up.pid);
    await settle(SETTLE_MS);
    const idleCorePct = ((cpuSecsOf(up.pid) - idleCpu0) / (SETTLE_MS / 1000)) * 100;
    const client = await clientOf(up);
    let memory: { rssNodes: number; nodeFloorKB: number; h1: number } | undefined;
    if (round === ROUNDS - 1) {
      const rssNodes = await up.rssAfterGc();
      const h0 = heapMB();
      const nodeObjects = [await client.resource(RESOURCES.nodes).list(), await client.resource(RESOURCES.leases).list({ namespace: 'kube-node-lease' })];
      const nodeFloorKB = ((heapMB() - h0) * 1024) / (nodeObjects[0].items.length || 1);
      nodeObjects.length = 0;
      memory = { rssNodes, nodeFloorKB, h1: heapMB() };
    }
    const watcher = await follow(client);
    const rv0 = await revision(client);
    const t0 = performance.now();
    const cpu0 = cpuSecsOf(up.pid);
    const mainCpu0 = cpuSecsOf(up.pid, up.pid);
    await createPods(client.resource(RESOURCES.pods), 0, TIMED_PODS);
    const createdSecs = (performance.now() - t0) / 1000;
    await watcher.until(TIMED_PODS);
    const r: Round = {
      runningSecs: (performance.now() - t0) / 1000,
      createdSecs,
      cpuMsPerPod: ((cpuSecsOf(up.pid) - cpu0) * 1000) / TIMED_PODS,
      // Wall time follows the busiest thread: the main one (API server, store, scheduler, controllers).
      mainCpuMsPerPod: ((cpuSecsOf(up.pid, up.pid) - mainCpu0) * 1000) / TIMED_PODS,
      writesPerPod: ((await revision(client)) - rv0) / TIMED_PODS,
      idleCorePct,
    };
    progress(`round ${round + 1}/${ROUNDS}: ${TIMED_PODS} pods Running after ${r.runningSecs.toFixed(1)} s (creates acknowledged after ${createdSecs.toFixed(1)} s; ${r.cpuMsPerPod.toFixed(2)} ms CPU (${r.mainCpuMsPerPod.toFixed(2)} ms on the main thread) and ${r.writesPerPod.toFixed(2)} API writes per pod)`);
    return { r, up, client, watcher, memory };
  } catch (err) {
    await up.stop();
    throw err;
  }
}

// Timed rounds, each on a fresh cluster; the last one's goes on to the memory figures.
const rounds: Round[] = [];
for (let round = 0; round < ROUNDS - 1; round++) {
  const { r, up, watcher } = await timedRound(round);
  rounds.push(r);
  await watcher.informer.stop();
  await up.stop();
}
const { r: last, up, client, watcher, memory } = await timedRound(ROUNDS - 1);
rounds.push(last);
try {
  const { rssNodes, nodeFloorKB, h1 } = memory!;
  await createPods(client.resource(RESOURCES.pods), TIMED_PODS, MEMORY_PODS);
  await watcher.until(MEMORY_PODS);
  progress(`${MEMORY_PODS} pods Running`);
  const busyCpu0 = cpuSecsOf(up.pid);
  await settle(SETTLE_MS);
  const busyCorePct = ((cpuSecsOf(up.pid) - busyCpu0) / (SETTLE_MS / 1000)) * 100;
  const podFloorKB = ((heapMB() - h1) * 1024) / watcher.informer.lister.list('default').length;
  await watcher.informer.stop();
  const rssPods = await up.rssAfterGc();
  const perNodeKB = ((rssNodes - rssIdle) * 1024) / NODES;
  const perPodKB = ((rssPods - rssNodes) * 1024) / MEMORY_PODS;

  const of = (k: keyof Round) => rounds.map((r) => r[k]);
  const floorSecs = median(floors.map((f) => f.secs));
  const runningSecs = median(of('runningSecs'));
  const cpuMsPerPod = median(of('cpuMsPerPod'));
  const floorCpuMsPerPod = median(floors.map((f) => f.cpuMsPerPod));
  const floorCol = 'floor: same creates, idle cluster, no scheduler (s)';
  printTable(`peapod up --fake-nodes ${NODES}: pods to Running (${ROUNDS > 1 ? `medians of ${ROUNDS} rounds, each on a fresh cluster; the range in brackets` : 'one round'})`, [
    { measure: `${TIMED_PODS} pods created -> all Running (s)`, peapod: spread(of('runningSecs'), 1), [floorCol]: spread(floors.map((f) => f.secs), 2), 'creates acknowledged after (s)': spread(of('createdSecs'), 1), anchor: 'target <= 10 s; KWOK 10,000 pods within 60 s' },
    { measure: 'peapod up CPU per pod (ms)', peapod: spread(of('cpuMsPerPod'), 2), [floorCol]: `${spread(floors.map((f) => f.cpuMsPerPod), 2)} ms`, anchor: '<= 1 ms per pod for 10,000 pods in 10 s on one core' },
    { measure: 'of which on the main thread (ms)', peapod: spread(of('mainCpuMsPerPod'), 2) },
    { measure: 'API writes per pod (store revisions / pods; Lease renewals in the window included)', peapod: spread(of('writesPerPod'), 2), anchor: 'Kubernetes: create, binding, status, Events Scheduled, Pulled, Created, Started' },
    { measure: `${NODES} idle fake nodes (% of a core)`, peapod: spread(of('idleCorePct'), 1) },
    { measure: `${NODES} fake nodes with ${MEMORY_PODS} pods Running, nothing changing (% of a core)`, peapod: busyCorePct },
  ]);
  printTable('peapod up: memory (RSS after a full GC)', [
    { measure: 'idle, one node, no pods (MB)', rss: rssIdle },
    { measure: `with ${NODES} fake nodes (MB)`, rss: rssNodes, 'per node (KB)': perNodeKB, 'floor: Node + Lease objects (KB)': nodeFloorKB, target: '<= 512 KB per node' },
    { measure: `with ${MEMORY_PODS} pods Running (MB)`, rss: rssPods, 'per pod (KB)': perPodKB, 'floor: Pod objects in an informer (KB)': podFloorKB, target: '<= 50 KB per pod' },
  ]);
  emit('cluster.pods_running_s', runningSecs, 's', { name: `${TIMED_PODS} creates on an idle cluster, no scheduler serving them`, value: floorSecs });
  emit('cluster.cpu_ms_per_pod', cpuMsPerPod, 'ms', { name: 'CPU per create on an idle cluster, no scheduler serving them', value: floorCpuMsPerPod });
  emit('cluster.mem_per_node_kb', perNodeKB, 'KB', { name: 'the Node and Lease objects themselves (heap)', value: nodeFloorKB });
  emit('cluster.mem_per_pod_kb', perPodKB, 'KB', { name: 'the Pod objects themselves, in an informer (heap)', value: podFloorKB });
} finally {
  await up.stop();
}

if (!quick) {
  const c = await podWriteCosts(2_000);
  const perPod = c.create + c.binding + c['status patch'] + 4 * c.event;
  printTable('What bounds it: CPU per API write, in process (an API server on sqlite in this bench process)', [
    ...Object.entries(c).map(([write, us]) => ({ write, 'CPU per write (µs)': us })),
    { write: "one pod's writes: create + binding + status patch + 4 Events (Scheduled, Pulled, Created, Started)", 'CPU per write (µs)': perPod },
    { write: `${NODES} nodes' Lease renewals, per second of CPU (% of a core)`, 'CPU per write (µs)': (NODES / 10) * c['lease renewal'] / 10_000 },
  ]);
}
process.exit(0);
