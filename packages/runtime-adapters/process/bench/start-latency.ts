/**
 * Sandbox + container start latency of the process runtime, next to floors measured in the same
 * run: a raw `child_process.spawn` (until the child runs) and a raw bubblewrap sandbox with a
 * minimal layout (until its child runs the command). Samples are interleaved so all three see the same
 * machine. Prints p50/p99 per measure; each round's figures, then the median over rounds.
 *
 *   npx tsx --conditions=@peapod/source packages/runtime-adapters/process/bench/start-latency.ts [runs=100] [rounds=3]
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { containerLabels, podLabels, type PodSandboxConfig } from '@peapod/runtime';
import { ProcessRuntime } from '../src/index.js';
// nx-ignore-next-line -- a dev-time script helper, not a dependency of the package
import { emit } from '../../../../tools/emit.mjs';

const runs = Number(process.argv[2] ?? 100);
const rounds = Number(process.argv[3] ?? 3);
const stateDir = mkdtempSync(join(tmpdir(), 'peapod-bench-'));
const rt = new ProcessRuntime({ stateDir });

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const median = (xs: number[]) => pct(xs, 50);

function rawSpawn(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn('/bin/sleep', ['5'], { stdio: 'ignore', detached: true });
    c.once('spawn', () => { const dt = performance.now() - t0; c.kill('SIGKILL'); resolve(dt); });
    c.once('error', reject);
  });
}

const bwrapExe = realpathSync('/usr/bin/bwrap');

/** bwrap with a minimal layout, until its child runs the command (what the runtime waits for too). */
function rawBwrap(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn(bwrapExe, ['--info-fd', '3', '--tmpfs', '/', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64',
      '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--unshare-uts', '--hostname', 'bench', '--unshare-ipc', '--unshare-pid', '--as-pid-1', '--', '/bin/sleep', '5'],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], detached: true });
    let info = '';
    c.stdio[3]!.on('data', (d: Buffer) => { info += d.toString(); }).once('end', async () => {
      const pid = Number(/"child-pid":\s*(\d+)/.exec(info)![1]);
      while (readlinkSync(`/proc/${pid}/exe`) === bwrapExe) await new Promise((r) => setTimeout(r, 0));
      const dt = performance.now() - t0;
      process.kill(pid, 'SIGKILL');
      resolve(dt);
    });
    c.once('error', reject);
  });
}

async function podStart(logDirectory: string): Promise<number> {
  const meta = { name: `bench-${randomUUID().slice(0, 8)}`, namespace: 'bench', uid: randomUUID() };
  const config: PodSandboxConfig = { metadata: { ...meta, attempt: 0 }, logDirectory, labels: podLabels(meta), annotations: {} };
  const t0 = performance.now();
  const sb = await rt.runPodSandbox(config);
  const id = await rt.createContainer(sb, {
    metadata: { name: 'main', attempt: 0 }, image: { image: 'busybox' }, command: ['/bin/sleep', '5'], args: [], envs: [], mounts: [],
    labels: containerLabels(meta, 'main'), annotations: {}, logPath: 'main/0.log',
  }, config);
  await rt.startContainer(id);
  const dt = performance.now() - t0;
  await rt.removePodSandbox(sb);
  return dt;
}

const logDirectory = join(stateDir, 'logs');
// the runtime's timers and children are unref'd (they never keep an app alive on their own); this script has nothing else
const keepAlive = setInterval(() => undefined, 1000);
const results: Record<string, { p50: number[]; p99: number[] }> = { 'child_process.spawn (floor)': { p50: [], p99: [] }, 'raw bwrap sandbox (floor)': { p50: [], p99: [] }, 'process runtime: sandbox + container Running': { p50: [], p99: [] } };
for (let r = 0; r < rounds; r++) {
  const s: number[][] = [[], [], []];
  for (let i = 0; i < runs; i++) {
    s[0].push(await rawSpawn());
    s[1].push(await rawBwrap());
    s[2].push(await podStart(logDirectory));
  }
  Object.values(results).forEach((v, k) => { v.p50.push(pct(s[k], 50)); v.p99.push(pct(s[k], 99)); });
  console.log(`round ${r + 1}: ${Object.keys(results).map((k, i) => `${k} p50 ${pct(s[i], 50).toFixed(2)} ms p99 ${pct(s[i], 99).toFixed(2)} ms`).join(' | ')}`);
}
console.log(`\n${runs} runs x ${rounds} rounds (median over rounds)`);
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(46)} p50 ${median(v.p50).toFixed(2).padStart(7)} ms   p99 ${median(v.p99).toFixed(2).padStart(7)} ms`);
const [, bwrapFloor, runtime] = Object.values(results);
emit('runtime.process.start_p50_ms', median(runtime.p50), 'ms', { name: 'raw bwrap sandbox until its command runs', value: median(bwrapFloor.p50) });
await rt.close();
clearInterval(keepAlive);
rmSync(stateDir, { recursive: true, force: true });
