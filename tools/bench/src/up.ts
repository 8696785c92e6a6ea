/**
 * `peapod up` cold start and idle memory: time from spawning the built CLI to its `ready` line on
 * a fresh data dir (median of several runs) next to a bare `node` start in the same run; RSS of
 * the idle cluster (one node, no pods) next to a bare Node HTTP server's. Needs a build
 * (`pnpm bench` builds apps/peapod first).
 * Anchors: kind ~14 s and k3d ~13 s to create a cluster; k3s ~500 MB idle, k0s ~330 MB.
 *
 *   npx tsx tools/bench/src/up.ts [--quick]
 */
import { spawn } from 'node:child_process';
import { emit } from '../../emit.mjs';
import { median, printTable, quick, repeat } from './lib.js';
import { rssOf, startPeapodUp } from './peapod-up.js';

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bareNodeStart(): Promise<number> {
  const t0 = performance.now();
  await new Promise((r) => spawn(process.execPath, ['-e', '0']).once('exit', r));
  return performance.now() - t0;
}

/** RSS of a bare Node process serving HTTP on loopback, after the same settling time. */
async function bareServerRss(idleMs: number): Promise<number> {
  const p = spawn(process.execPath, ['-e', "require('node:http').createServer((q, s) => s.end()).listen(0, '127.0.0.1', () => console.log('up'))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => p.stdout.once('data', r));
  await settle(idleMs);
  const rss = rssOf(p.pid!);
  p.kill();
  await new Promise((r) => p.once('exit', r));
  return rss;
}

const runs = quick ? 3 : 7;
const idleMs = quick ? 2_000 : 10_000;
const floor = median(await repeat(runs, bareNodeStart));
const starts = await repeat(runs - 1, async () => {
  const up = await startPeapodUp();
  await up.stop();
  return up.readyMs;
});
// The last cold start stays up to be measured idle; the bare server's idle wait overlaps it (an
// idle process's RSS does not depend on what another one does).
const last = await startPeapodUp();
starts.push(last.readyMs);
const cold = median(starts);
const [bareRss] = await Promise.all([bareServerRss(idleMs), settle(idleMs)]);
const idle = rssOf(last.pid);
await last.stop();
printTable(`peapod up: cold start (median of ${runs}) and idle memory (after ${idleMs / 1000} s)`, [
  { measure: 'cold start to ready (ms)', peapod: cold, 'same run': `bare node start ${floor.toFixed(0)} ms`, anchor: 'kind ~14,000 ms, k3d ~13,000 ms; target <= 1,500 ms' },
  { measure: 'idle RSS, one node, no pods (MB)', peapod: idle, 'same run': `bare Node HTTP server ${bareRss.toFixed(0)} MB`, anchor: 'k3s ~500 MB, k0s ~330 MB; target <= 120 MB' },
]);
emit('up.cold_start_ms', cold, 'ms', { name: 'bare `node -e 0` start', value: floor });
emit('up.idle_rss_mb', idle, 'MB', { name: 'bare Node HTTP server, idle', value: bareRss });
