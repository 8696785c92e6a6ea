/**
 * `peapod up` cold start and idle memory: time from spawning the built CLI to its `ready` line on a
 * fresh data dir (medians of several runs), next to a bare `node` start in the same run; RSS of
 * the idle cluster, and with simulated nodes. Needs a build (`pnpm build`).
 * Anchors: kind ~14 s and k3d ~13 s to create a cluster; k3s ~500 MB idle, k0s ~330 MB.
 *
 *   npx tsx tools/bench/src/up.ts [--quick]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median, printTable, quick, repeat } from './lib.js';

const main = resolve(import.meta.dirname, '../../../apps/peapod/dist/main.js');

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function coldStart(extra: string[] = [], idleMs = 0): Promise<{ ms: number; rss: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-bench-up-'));
  const t0 = performance.now();
  const p = spawn(process.execPath, [main, 'up', '--data-dir', dir, '--listen', '127.0.0.1:0', '--node-name', 'bench', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const ms = await new Promise<number>((res, rej) => {
    p.stdout.on('data', (d) => { out += d; if (/ready in \d+ ms/.test(out)) res(performance.now() - t0); });
    p.once('exit', (code) => rej(new Error(`peapod up exited ${code}: ${out}`)));
  });
  await new Promise((r) => setTimeout(r, idleMs));
  const rss = rssOf(p.pid!);
  p.kill('SIGTERM');
  await new Promise((r) => p.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  return { ms, rss };
}

async function bareNode(): Promise<number> {
  const t0 = performance.now();
  await new Promise((r) => spawn(process.execPath, ['-e', '0']).once('exit', r));
  return performance.now() - t0;
}

const runs = quick ? 3 : 7;
const floor = median(await repeat(runs, bareNode));
const cold = await repeat(runs, () => coldStart());
const idle = await coldStart([], quick ? 2_000 : 10_000);
const fake = quick ? undefined : await coldStart(['--fake-nodes', '100'], 10_000);
printTable('peapod up: cold start and idle memory', [
  { measure: 'cold start to ready (ms, median)', peapod: median(cold.map((c) => c.ms)), 'floor: bare node start (ms)': floor, anchor: 'kind ~14,000 ms, k3d ~13,000 ms' },
  { measure: 'idle RSS, one node, no pods (MB)', peapod: idle.rss, 'floor: bare node start (ms)': '', anchor: 'k3s ~500 MB, k0s ~330 MB; target <= 120 MB' },
  ...(fake ? [{ measure: 'RSS with 100 simulated nodes (MB)', peapod: fake.rss, 'floor: bare node start (ms)': '', anchor: `${(((fake.rss - idle.rss) * 1024) / 100).toFixed(0)} KB per node; target <= 512 KB` }] : []),
]);
