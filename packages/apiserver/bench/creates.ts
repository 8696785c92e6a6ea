/**
 * Pod creates per second over HTTPS against the sqlite store, with 1 and 32 concurrent clients
 * (each a keep-alive connection), with p50/p99 latency; next to a bare Node HTTPS server that
 * parses the same JSON body and answers it, measured in the same run (the ceiling). The load
 * comes from a child process, so that client and server do not share one event loop.
 *
 *   npx tsx --conditions=@peapod/source packages/apiserver/bench/creates.ts [--quick]
 *
 * Prints the median of several runs per configuration.
 */
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// nx-ignore-next-line -- a dev-time script helper, not a dependency of the package
import { emit } from '../../../tools/bench/src/emit.mjs';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 1 : 3;
const PER_RUN = quick ? 1000 : 4000;

interface Target { url: URL; ca: string; token: string; path: (i: number) => string }

const body = (name: string) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'bench' } },
  spec: { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
});

function post(agent: Agent, t: Target, payload: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request({
      host: t.url.hostname, port: t.url.port, method: 'POST', path: t.path(0), agent, ca: t.ca,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${t.token}` },
    }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 201 ? resolve(performance.now() - started) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function run(t: Target, clients: number, total: number, prefix: string) {
  let seq = 0;
  const agents = Array.from({ length: clients }, () => new Agent({ keepAlive: true, maxSockets: 1, ca: t.ca }));
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(agents.map(async (agent) => {
    while (next < total) {
      next++;
      latencies.push(await post(agent, t, body(`bench-${prefix}-${seq++}`)));
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  for (const a of agents) a.destroy();
  latencies.sort((a, b) => a - b);
  return { rate: total / seconds, p50: latencies[Math.floor(latencies.length * 0.5)], p99: latencies[Math.floor(latencies.length * 0.99)] };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs the load in a child process (this script with --load) and returns its figures. */
function load(t: Target, clients: number, total: number, prefix: string): Promise<{ rate: number; p50: number; p99: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--load'], {
      env: { ...process.env, BENCH_TARGET: JSON.stringify({ url: t.url.href, ca: t.ca, token: t.token, path: t.path(0), clients, total, prefix }) },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    child.on('message', (m) => resolve(m as { rate: number; p50: number; p99: number }));
    child.on('exit', (code) => code !== 0 && reject(new Error(`load generator exited ${code}`)));
  });
}

async function measure(name: string, t: Target) {
  const out: Record<number, { rate: number; p50: number; p99: number }> = {};
  for (const clients of [1, 32]) {
    await load(t, clients, Math.min(200, PER_RUN), `${name.length}-warm-${clients}`);
    const results = [];
    for (let i = 0; i < RUNS; i++) results.push(await load(t, clients, PER_RUN, `${name.length}-${clients}-${i}`));
    const m = out[clients] = { rate: median(results.map((r) => r.rate)), p50: median(results.map((r) => r.p50)), p99: median(results.map((r) => r.p99)) };
    console.log(`${name.padEnd(34)} clients=${String(clients).padStart(2)}  ${m.rate.toFixed(0).padStart(6)} creates/s  p50 ${m.p50.toFixed(2)} ms  p99 ${m.p99.toFixed(2)} ms`);
  }
  return out;
}

if (process.argv.includes('--load')) {
  const spec = JSON.parse(process.env.BENCH_TARGET!) as { url: string; ca: string; token: string; path: string; clients: number; total: number; prefix: string };
  const result = await run({ url: new URL(spec.url), ca: spec.ca, token: spec.token, path: () => spec.path }, spec.clients, spec.total, spec.prefix);
  process.send!(result, () => process.exit(0));
} else {
// Imported here, not at the top, so that the load generator children (this file with --load) start
// in a fraction of a second instead of loading the whole API server each.
const { RealClock } = await import('@peapod/core');
const { createSqliteStore } = await import('@peapod/store');
const { startApiServer } = await import('../src/index.js');
const dir = await mkdtemp(join(tmpdir(), 'peapod-bench-'));
const store = createSqliteStore(join(dir, 'state.db'));
const server = await startApiServer({ port: 0, pkiDir: join(dir, 'pki'), rateLimit: { qps: 1e9, burst: 1e9 } }, { store, clock: new RealClock() });
const api: Target = { url: new URL(server.url), ca: server.caCert, token: server.adminToken, path: () => '/api/v1/namespaces/default/pods' };

// The floor: a bare HTTPS server with the same certificate that parses the body and answers 201 with it.
const bare = createServer({ cert: await readFile(join(dir, 'pki', 'apiserver.crt')), key: await readFile(join(dir, 'pki', 'apiserver.key')) }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const obj = JSON.parse(Buffer.concat(chunks).toString('utf8')) as object;
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
  });
});
await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
const bareTarget: Target = { ...api, url: new URL(`https://127.0.0.1:${(bare.address() as AddressInfo).port}`) };

console.log(`pod creates over HTTPS, ${RUNS} run(s) of ${PER_RUN} per configuration, medians (node ${process.version})`);
const floor = await measure('bare Node HTTPS (parse + echo)', bareTarget);
const peapod = await measure('peapod apiserver + sqlite store', api);
const bareName = (clients: number) => `bare Node HTTPS server (parse + echo), ${clients} client${clients > 1 ? 's' : ''}`;
emit('apiserver.creates_per_s', peapod[32].rate, 'creates/s', { name: bareName(32), value: floor[32].rate });
emit('apiserver.create_p50_ms', peapod[1].p50, 'ms', { name: bareName(1), value: floor[1].p50 });
emit('apiserver.create_p99_ms', peapod[1].p99, 'ms', { name: bareName(1), value: floor[1].p99 });
bare.close();
await server.close();
await store.close();
await rm(dir, { recursive: true, force: true });
}
