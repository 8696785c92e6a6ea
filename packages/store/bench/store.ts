// Store benchmarks: write throughput per backend next to the raw SQLite and etcd floors, CPU per
// write of a real Running pod through the watch cache, watch fan-out latency, and listing 10,000
// pods from the watch cache. Prints medians of several runs.
// --quick (the CI gate) runs only what it gates, once: the 32-writer rows of sqlite and etcd next to
// their raw floors, the CPU per write, the fan-out; no memory backend, 1-writer column or listing.
//
//   npx tsx --conditions=@peapod/source packages/store/bench/store.ts [--quick]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import { createEtcdStore, createMemoryStore, createSqliteStore, WatchCache, watchEventJson, type Store, type StoredObject } from '../src/index.js';
import { startEtcdCluster } from '../src/testing/etcd-cluster.js';
// nx-ignore-next-line -- a dev-time script helper, not a dependency of the package
import { emit } from '../../../tools/emit.mjs';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 1 : 3;
const WRITE_MS = quick ? 400 : 1500;
const WATCHERS = 1000;
const FANOUT_WRITES = quick ? 50 : 200;
const LIST_PODS = 10_000;
const PAYLOAD = 'x'.repeat(2048 - 200); // with metadata, each object serializes to about 2 KiB

const dir = mkdtempSync(join(tmpdir(), 'peapod-bench-'));
let fileNo = 0;
const freshFile = () => join(dir, `f${fileNo++}`, 'state.db');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function pod(i: number, writer = 0): StoredObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${writer}-${i}`, namespace: 'default', uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, labels: { app: 'bench' } },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }], payload: PAYLOAD },
  };
}

/** Ops per second of `op` run by `writers` concurrent loops for WRITE_MS. */
async function rate(writers: number, op: (writer: number, i: number) => Promise<unknown>): Promise<number> {
  let ops = 0;
  const end = performance.now() + WRITE_MS;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; performance.now() < end; i++) {
      await op(w, i);
      ops++;
    }
  }));
  return (ops / (performance.now() - t0)) * 1000;
}

/** Median over RUNS of a fresh measurement each. */
async function med(run: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let r = 0; r < RUNS; r++) xs.push(await run());
  return median(xs);
}

let runId = 0;
async function storeWrites(open: () => Store, writers: number): Promise<number> {
  return med(async () => {
    const s = open();
    const id = runId++;
    await s.create(`/pods/default/warmup-${id}`, pod(0)); // connection set-up is not throughput
    const r = await rate(writers, (w, i) => s.create(`/pods/default/r${id}-${w}-${i}`, pod(i, w)));
    await s.close();
    return r;
  });
}

/** Raw SQLite: inserts of the same 2 KiB rows, `batch` per transaction, same pragmas as the backend. */
function rawSqlite(batch: number): Promise<number> {
  return med(async () => {
    const db = new Database(freshFile().replace('/state.db', '.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)');
    const ins = db.prepare('INSERT INTO t VALUES (?, ?)');
    const value = JSON.stringify(pod(0));
    const tx = db.transaction((base: number) => { for (let j = 0; j < batch; j++) ins.run(`k${base + j}`, value); });
    let rows = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < WRITE_MS) {
      tx(rows);
      rows += batch;
    }
    const r = (rows / (performance.now() - t0)) * 1000;
    db.close();
    return r;
  });
}

/** Raw etcd: plain puts of the same value through the same client library. */
function rawEtcd(endpoints: string[], writers: number): Promise<number> {
  return med(async () => {
    const client = new Etcd3({ hosts: endpoints.map((e) => `http://${e}`) });
    const value = JSON.stringify(pod(0));
    const id = runId++;
    await client.put(`/raw/${id}/warmup`).value(value).exec();
    const r = await rate(writers, (w, i) => client.put(`/raw/${id}/${w}/${i}`).value(value).exec());
    client.close();
    return r;
  });
}

/** A Running pod as `peapod up` stores it (3.5 KB: managedFields of three writers, status of one container). */
const RUNNING_POD = JSON.parse(readFileSync(new URL('pod.json', import.meta.url), 'utf8')) as StoredObject & { status: { podIP: string } };
const CPU_PODS = quick ? 2_000 : 5_000;

/**
 * CPU per write of RUNNING_POD through the watch cache over sqlite (FULL), 32 in flight, with one
 * watcher of all pods draining its events and sending each as the API server does over HTTP:
 * a create, then an update of its status (the shape of a pod's writes). Next to the floor of
 * serialising and parsing the pod once (what any store of JSON text pays per write).
 */
async function cpuPerWrite(): Promise<{ create: number; update: number; floor: number }> {
  // A buffer that holds every event: the watcher must see all of them, not be cut off for lagging.
  const s = new WatchCache(createSqliteStore(freshFile()), { watchBufferSize: 1e6 });
  const w = s.watch('/pods/', { resourceVersion: await s.currentRevision() });
  let events = 0;
  const drain = (async () => { for await (const e of w) events += watchEventJson(e).length > 0 ? 1 : 0; })();
  const perWrite = async (op: (i: number) => Promise<unknown>) => {
    const c0 = process.cpuUsage();
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => { while (next < CPU_PODS) await op(next++); }));
    await new Promise((r) => setImmediate(r));
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / CPU_PODS;
  };
  const key = (i: number) => `/pods/default/cpu-${i}`;
  const create = await med(() => perWrite((i) => s.create(key(i), { ...RUNNING_POD, metadata: { ...RUNNING_POD.metadata, name: `cpu-${i}` } })).then(async (us) => {
    await Promise.all(Array.from({ length: CPU_PODS }, (_, i) => s.delete(key(i))));
    return us;
  }));
  for (let i = 0; i < CPU_PODS; i++) await s.create(key(i), { ...RUNNING_POD, metadata: { ...RUNNING_POD.metadata, name: `cpu-${i}` } });
  let round = 0;
  const update = await med(() => {
    round++;
    return perWrite((i) => s.guaranteedUpdate<typeof RUNNING_POD>(key(i), {
      tryUpdate: (cur) => ({ ...cur!, status: { ...cur!.status, podIP: `10.${round}.${i >> 8}.${i & 255}` } }),
    }));
  });
  // Creates and deletes per run of `create`, the creates after it, the updates.
  const expected = CPU_PODS * (2 * RUNS + 1 + RUNS);
  for (const until = performance.now() + 10_000; events < expected && performance.now() < until;) await new Promise((r) => setImmediate(r));
  w.stop();
  await drain;
  await s.close();
  if (events !== expected) throw new Error(`the watcher saw ${events} of ${expected} events`);
  const floor = await med(async () => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < CPU_PODS; i++) JSON.parse(JSON.stringify({ ...RUNNING_POD, metadata: { ...RUNNING_POD.metadata, name: `cpu-${i}` } }));
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / CPU_PODS;
  });
  return { create, update, floor };
}

/** Write-to-last-delivery latency with WATCHERS watchers on one resource, one write at a time. */
async function fanout(): Promise<{ p50: number; p99: number }> {
  const s = new WatchCache(createMemoryStore());
  const rev = await s.currentRevision();
  const lastSeen = new Map<string, number>();
  let delivered = 0;
  const watches = Array.from({ length: WATCHERS }, () => s.watch('/pods/', { resourceVersion: rev }));
  const loops = watches.map(async (w) => {
    for await (const e of w) {
      lastSeen.set(e.object.metadata!.resourceVersion!, performance.now());
      delivered++;
    }
  });
  const lat: number[] = [];
  for (let i = 0; i < FANOUT_WRITES; i++) {
    const before = delivered;
    const t0 = performance.now();
    const o = await s.create(`/pods/default/f${i}`, pod(i));
    while (delivered < before + WATCHERS) await new Promise((r) => setImmediate(r));
    lat.push(lastSeen.get(o.metadata.resourceVersion!)! - t0);
  }
  for (const w of watches) w.stop();
  await Promise.all(loops);
  await s.close();
  return { p50: pct(lat, 50), p99: pct(lat, 99) };
}

/**
 * Floor for the fan-out: one value handed to WATCHERS async loops through a bare promise chain
 * (no store, no cache, no filtering), waited for the same way.
 */
async function fanoutFloor(): Promise<number> {
  interface Link { next: Promise<Link | undefined> }
  let push!: (l: Link | undefined) => void;
  const head = new Promise<Link | undefined>((r) => (push = r));
  let delivered = 0;
  const loops = Array.from({ length: WATCHERS }, async () => {
    for (let l = await head; l; l = await l.next) delivered++;
  });
  const lat: number[] = [];
  for (let i = 0; i < FANOUT_WRITES; i++) {
    const before = delivered;
    const t0 = performance.now();
    let pushNext!: (l: Link | undefined) => void;
    push({ next: new Promise((r) => (pushNext = r)) });
    push = pushNext;
    while (delivered < before + WATCHERS) await new Promise((r) => setImmediate(r));
    lat.push(performance.now() - t0);
  }
  push(undefined);
  await Promise.all(loops);
  return pct(lat, 50);
}

/** Listing LIST_PODS pods from the watch cache (resourceVersion "0", and a consistent read), next to the sqlite backend alone. */
async function listing(): Promise<{ cache: number; consistent: number; backend: number }> {
  const backend = createSqliteStore(freshFile(), { synchronous: 'normal' });
  const s = new WatchCache(backend);
  for (let i = 0; i < LIST_PODS; i += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, j) => s.create(`/pods/default/p${String(i + j).padStart(5, '0')}`, pod(i + j))));
  }
  await s.create('/services/default/other', pod(0));
  const time = async (from: Store, opts: { resourceVersion?: string }) => {
    const xs: number[] = [];
    for (let r = 0; r < 10; r++) {
      const t0 = performance.now();
      const l = await from.list('/pods/', opts);
      xs.push(performance.now() - t0);
      if (l.items.length !== LIST_PODS) throw new Error(`listed ${l.items.length} pods`);
    }
    return median(xs);
  };
  const result = { cache: await time(s, { resourceVersion: '0' }), consistent: await time(s, {}), backend: await time(backend, {}) };
  await s.close();
  return result;
}

async function main(): Promise<void> {
  console.log(`# @peapod/store benchmark${quick ? ' (--quick)' : ''}: median of ${RUNS} run(s), ${WRITE_MS} ms each, 2 KiB objects`);
  console.log(`# node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
  const etcd = await startEtcdCluster(1);
  try {
    const rows: [string, number | undefined, number][] = [];
    const both = async (name: string, f: (writers: number) => Promise<number>) => {
      rows.push([name, quick ? undefined : await f(1), await f(32)]);
      return rows.at(-1)![2];
    };
    if (!quick) await both('memory backend', (w) => storeWrites(() => createMemoryStore(), w));
    const sqlite32 = await both('sqlite backend (synchronous=FULL)', (w) => storeWrites(() => createSqliteStore(freshFile()), w));
    const raw32 = await both('raw SQLite inserts, FULL: 1 row per commit; 32 rows per commit', (w) => rawSqlite(w === 1 ? 1 : 32));
    const etcd32 = await both('etcd backend (1 member)', (w) => storeWrites(() => createEtcdStore(etcd.endpoints, { prefix: `/bench${runId++}` }), w));
    const rawEtcd32 = await both('raw etcd put loop', (w) => rawEtcd(etcd.endpoints, w));
    console.log('\n| writes/s | 1 writer | 32 writers |\n| --- | ---: | ---: |');
    for (const [name, one, many] of rows) console.log(`| ${name} | ${one === undefined ? '—' : fmt(one)} | ${fmt(many)} |`);
    console.log(`\nsqlite backend with 32 writers = ${((sqlite32 / raw32) * 100).toFixed(0)}% of raw SQLite batched commits (32 rows/commit)`);

    const cpu = await cpuPerWrite();
    console.log(`\nCPU per write of a 3.5 KB Running pod through the watch cache over sqlite, 32 in flight, one watcher sending each event as JSON: create ${cpu.create.toFixed(0)} µs, status update ${cpu.update.toFixed(0)} µs (floor, JSON.stringify + JSON.parse of the pod: ${cpu.floor.toFixed(0)} µs)`);
    emit('store.cpu_us_per_update', cpu.update, 'µs', { name: 'JSON.stringify + JSON.parse of the pod', value: cpu.floor });

    const f = await fanout();
    const floor = await fanoutFloor();
    console.log(`\nwatch fan-out, ${WATCHERS} watchers on /pods/ (watch cache), write -> last delivery: p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms (floor, a bare promise chain to ${WATCHERS} async loops: p50 ${floor.toFixed(2)} ms)`);
    emit('store.sqlite.writes_per_s', sqlite32, 'writes/s', { name: 'raw SQLite inserts, 32 rows per commit', value: raw32 });
    emit('store.etcd.writes_per_s', etcd32, 'writes/s', { name: 'raw etcd put loop, 32 writers', value: rawEtcd32 });
    emit('store.watch_fanout_p50_ms', f.p50, 'ms', { name: `bare promise chain to ${WATCHERS} async loops`, value: floor });
    if (quick) return;
    const l = await listing();
    console.log(`list of ${fmt(LIST_PODS)} pods from the watch cache: resourceVersion "0" ${l.cache.toFixed(1)} ms, consistent ${l.consistent.toFixed(1)} ms; from the sqlite backend without the cache: ${l.backend.toFixed(1)} ms`);
  } finally {
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
