/**
 * Pod creates per second over HTTPS against the sqlite store, with 1 and 32 concurrent clients
 * (each a keep-alive connection), with p50/p99 latency; next to a bare Node HTTPS server that
 * parses the same JSON body and answers it, measured in the same run (the ceiling). The load
 * comes from a child process (`create-load.ts`), so that client and server do not share one
 * event loop. Each line also gives the server process's CPU time per create (all its threads),
 * which moves less than the rates when other work shares the machine.
 *
 *   npx tsx --conditions=@peapod/source packages/apiserver/bench/creates.ts [--quick]
 *
 * Prints the median of several runs per configuration.
 */
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RealClock } from '@peapod/core';
import { createSqliteStore } from '@peapod/store';
import { startApiServer } from '../src/index.js';
// nx-ignore-next-line -- a dev-time script helper, not a dependency of the package
import { emit } from '../../../tools/bench/src/emit.mjs';
import type { LoadResult, LoadSpec } from './create-load.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 1 : 3;
const PER_RUN = quick ? 500 : 4000;

type Target = Pick<LoadSpec, 'url' | 'ca' | 'token' | 'path'>;
/** Figures of one configuration; `cpuUs` is this process's CPU (user + system, all threads) per create. */
type Figures = LoadResult & { cpuUs: number };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs the load in a child process (`create-load.ts`), after `warm` unmeasured creates in the same
 * child, and returns its figures with the server's CPU per measured create.
 */
function load(t: Target, clients: number, total: number, prefix: string, warm: number): Promise<Figures> {
  const spec: LoadSpec = { ...t, clients, total, prefix, warm };
  let cpu = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./create-load.ts', import.meta.url)), {
      env: { ...process.env, BENCH_TARGET: JSON.stringify(spec) },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    child.on('message', (m) => {
      if (m === 'warmed') {
        cpu = process.cpuUsage();
        return;
      }
      const used = process.cpuUsage(cpu);
      resolve({ ...(m as LoadResult), cpuUs: (used.user + used.system) / total });
    });
    child.on('exit', (code) => code !== 0 && reject(new Error(`load generator exited ${code}`)));
  });
}

async function measure(name: string, t: Target) {
  const out: Record<number, Figures> = {};
  for (const clients of [1, 32]) {
    const results: Figures[] = [];
    for (let i = 0; i < RUNS; i++) results.push(await load(t, clients, PER_RUN, `${name.length}-${clients}-${i}`, i === 0 ? Math.min(200, PER_RUN) : 0));
    const m = out[clients] = {
      rate: median(results.map((r) => r.rate)), p50: median(results.map((r) => r.p50)), p99: median(results.map((r) => r.p99)), cpuUs: median(results.map((r) => r.cpuUs)),
    };
    console.log(`${name.padEnd(34)} clients=${String(clients).padStart(2)}  ${m.rate.toFixed(0).padStart(6)} creates/s  p50 ${m.p50.toFixed(2)} ms  p99 ${m.p99.toFixed(2)} ms  server CPU ${m.cpuUs.toFixed(0)} µs/create`);
  }
  return out;
}

const dir = await mkdtemp(join(tmpdir(), 'peapod-bench-'));
const store = createSqliteStore(join(dir, 'state.db'));
const server = await startApiServer({ port: 0, pkiDir: join(dir, 'pki'), rateLimit: { qps: 1e9, burst: 1e9 } }, { store, clock: new RealClock() });
const api: Target = { url: server.url, ca: server.caCert, token: server.adminToken, path: '/api/v1/namespaces/default/pods' };

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
const bareTarget: Target = { ...api, url: `https://127.0.0.1:${(bare.address() as AddressInfo).port}` };

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
