/**
 * Pod creates per second over HTTPS against the sqlite store, with 1 and 32 concurrent clients
 * (each a keep-alive connection), with p50/p99 latency; next to a bare Node HTTPS server that
 * parses the same JSON body and answers it, measured in the same run (the ceiling). The servers
 * run in a child process of their own (`serve.mjs`) from the built `dist/` JavaScript, as
 * `peapod up` and the published packages run them (this script first brings `dist/` up to date
 * with `tsc -b`); the load comes from another child (`create-load.ts`), so that client and server
 * do not share one event loop. Each line also gives the server process's CPU time per create (all
 * its threads), which moves less than the rates when other work shares the machine.
 *
 *   npx tsx --conditions=@peapod/source packages/apiserver/bench/creates.ts [--quick]
 *
 * Prints the median of several runs per configuration.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// nx-ignore-next-line -- a dev-time script helper, not a dependency of the package
import { emit } from '../../../tools/emit.mjs';
import type { LoadResult, LoadSpec } from './create-load.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 1 : 3;
const PER_RUN = quick ? 500 : 4000;

type Target = Pick<LoadSpec, 'url' | 'ca' | 'token' | 'path'>;
/** Figures of one configuration; `cpuUs` is the server process's CPU (user + system, all threads) per create. */
type Figures = LoadResult & { cpuUs: number };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A server child (`serve.mjs`): its first message says where it listens, 'cpu' asks for its CPU time. */
interface ServerChild { child: ChildProcess; target: Target }

function startServer(kind: 'peapod' | 'bare', dir: string): Promise<ServerChild> {
  // Plain node: no tsx loader and no `@peapod/source` condition, so the packages load from dist/.
  const child = fork(fileURLToPath(new URL('./serve.mjs', import.meta.url)), [kind, dir], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, target: { path: '/api/v1/namespaces/default/pods', ca: '', token: '', ...(m as Partial<Target>) } as Target }));
    child.once('exit', (code) => reject(new Error(`${kind} server exited ${code}`)));
  });
}

/** The server child's CPU time so far (user + system, all its threads), in µs. */
const serverCpu = (s: ServerChild) => new Promise<number>((resolve) => {
  s.child.once('message', (m) => resolve((m as { cpu: number }).cpu));
  s.child.send('cpu');
});

/**
 * Runs the load in a child process (`create-load.ts`), after `warm` unmeasured creates in the same
 * child, and returns its figures with the server's CPU per measured create.
 */
function load(s: ServerChild, clients: number, total: number, prefix: string, warm: number): Promise<Figures> {
  const spec: LoadSpec = { ...s.target, clients, total, prefix, warm };
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./create-load.ts', import.meta.url)), {
      env: { ...process.env, BENCH_TARGET: JSON.stringify(spec) },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let cpu = serverCpu(s);
    child.on('message', (m) => {
      if (m === 'warmed') {
        cpu = serverCpu(s);
        void cpu.then(() => child.send('go'));
        return;
      }
      void Promise.all([cpu, serverCpu(s)]).then(([before, after]) => resolve({ ...(m as LoadResult), cpuUs: (after - before) / total }));
    });
    child.on('exit', (code) => code !== 0 && reject(new Error(`load generator exited ${code}`)));
  });
}

async function measure(name: string, s: ServerChild) {
  const out: Record<number, Figures> = {};
  for (const clients of [1, 32]) {
    const results: Figures[] = [];
    for (let i = 0; i < RUNS; i++) results.push(await load(s, clients, PER_RUN, `${name.length}-${clients}-${i}`, i === 0 ? Math.min(200, PER_RUN) : 0));
    const m = out[clients] = {
      rate: median(results.map((r) => r.rate)), p50: median(results.map((r) => r.p50)), p99: median(results.map((r) => r.p99)), cpuUs: median(results.map((r) => r.cpuUs)),
    };
    console.log(`${name.padEnd(34)} clients=${String(clients).padStart(2)}  ${m.rate.toFixed(0).padStart(6)} creates/s  p50 ${m.p50.toFixed(2)} ms  p99 ${m.p99.toFixed(2)} ms  server CPU ${m.cpuUs.toFixed(0)} µs/create`);
  }
  return out;
}

// Runs the build's up-to-date check (and builds what changed), so that dist/ is the code checked
// out, unless `pnpm bench` has just built it (PEAPOD_BENCH_BUILT).
if (!process.env.PEAPOD_BENCH_BUILT) execFileSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-b', fileURLToPath(new URL('..', import.meta.url))], { stdio: 'inherit' });
const dir = await mkdtemp(join(tmpdir(), 'peapod-bench-'));
const api = await startServer('peapod', dir);
const bare = await startServer('bare', dir);
bare.target = { ...api.target, url: bare.target.url };

console.log(`pod creates over HTTPS, ${RUNS} run(s) of ${PER_RUN} per configuration, medians (node ${process.version})`);
const floor = await measure('bare Node HTTPS (parse + echo)', bare);
bare.child.send('exit');
const peapod = await measure('peapod apiserver + sqlite store', api);
const bareName = (clients: number) => `bare Node HTTPS server (parse + echo), ${clients} client${clients > 1 ? 's' : ''}`;
emit('apiserver.creates_per_s', peapod[32].rate, 'creates/s', { name: bareName(32), value: floor[32].rate });
emit('apiserver.create_p50_ms', peapod[1].p50, 'ms', { name: bareName(1), value: floor[1].p50 });
emit('apiserver.create_p99_ms', peapod[1].p99, 'ms', { name: bareName(1), value: floor[1].p99 });
await new Promise((resolve) => { api.child.once('exit', resolve); api.child.send('exit'); });
await rm(dir, { recursive: true, force: true });
