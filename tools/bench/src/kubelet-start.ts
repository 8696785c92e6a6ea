/**
 * Pod start latency with the process runtime through the API, in a `peapod up`-like composition in
 * one process: sqlite store in a temp dir, the API server, and one kubelet on the process runtime
 * talking to it through the in-process transport under its node identity.
 *
 *   npx tsx --conditions=@peapod/source tools/bench/src/kubelet-start.ts [--quick] [pods=50] [runs=3]
 *
 * Pods are created one after another, each bound to the node (no scheduler), running
 * `sh -c 'echo ready; exec sleep 1000'`. Latency: from the create call's answer to the pod's
 * phase Running seen through a watch. Floors measured in the same run, to the command's first
 * output: a bare `child_process.spawn` of the command, and the same command under `bwrap` with the
 * process runtime's sandbox flags. p50 and p99 over every pod of every run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeUser, startApiServer } from '@peapod/apiserver';
import { RESOURCES, type Pod } from '@peapod/api-types';
import { createClient } from '@peapod/client';
import { RealClock } from '@peapod/core';
import { ProcessRuntime } from '@peapod/runtime-process';
import { createStore } from '@peapod/store';
import { Kubelet } from '@peapod/kubelet';
import { emit } from '../../emit.mjs';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const quick = process.argv.includes('--quick');
const PODS = Number(args[0] ?? (quick ? 15 : 50));
const RUNS = Number(args[1] ?? (quick ? 1 : 3));
const NODE = 'bench-node';
const COMMAND = ['sh', '-c', 'echo ready; exec sleep 1000'];
const clock = new RealClock();

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

/** Milliseconds from spawn to the first byte on stdout; the process is killed then. */
function firstOutput(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout.once('data', () => {
      resolve(performance.now() - t0);
      child.kill('SIGKILL');
    });
  });
}

const bwrapPath = spawnSync('sh', ['-c', 'command -v bwrap']).stdout.toString().trim() || undefined;
/** The process runtime's flags for a pod without volumes (`layout.ts` `sandboxArgs`). */
const bwrapArgv = (shm: string) => [bwrapPath!, '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--bind', shm, '/dev/shm',
  '--unshare-uts', '--hostname', 'bench', '--unshare-ipc', '--unshare-pid', '--as-pid-1', '--die-with-parent', '--', ...COMMAND];

async function floors(dir: string): Promise<{ spawn: number[]; bwrap: number[] }> {
  const shm = join(dir, 'shm');
  mkdirSync(shm, { recursive: true });
  const out = { spawn: [] as number[], bwrap: [] as number[] };
  for (let i = 0; i < PODS; i++) {
    out.spawn.push(await firstOutput(COMMAND));
    if (bwrapPath) out.bwrap.push(await firstOutput(bwrapArgv(shm)));
  }
  return out;
}

/** One run: a fresh cluster core, `PODS` pods one after another; returns each pod's create-to-Running milliseconds. */
async function podStarts(dir: string): Promise<number[]> {
  const store = createStore(`sqlite://${join(dir, 'state.db')}`, { clock });
  const server = await startApiServer({ host: '127.0.0.1', port: 0, pkiDir: join(dir, 'pki'), rateLimit: { qps: 1e9, burst: 1e9 } }, { store, clock });
  const admin = createClient(server.transport());
  const runtime = new ProcessRuntime({ stateDir: join(dir, 'runtime'), clock });
  const kubelet = new Kubelet({ client: createClient(server.transport(nodeUser(NODE))), runtime, clock }, { nodeName: NODE, rootDir: join(dir, 'kubelet') });
  await kubelet.start();
  const pods = admin.resource(RESOURCES.pods);
  const waiting = new Map<string, (at: number) => void>();
  const ac = new AbortController();
  const watching = (async () => {
    for await (const ev of pods.watch({ namespace: 'default', signal: ac.signal })) {
      const pod = ev.object as Pod;
      if (ev.type !== 'ERROR' && pod.status?.phase === 'Running') waiting.get(pod.metadata.name!)?.(performance.now());
    }
  })().catch(() => undefined);
  const latencies: number[] = [];
  try {
    for (let i = 0; i < PODS; i++) {
      const name = `p${i}`;
      const running = new Promise<number>((r) => waiting.set(name, r));
      await pods.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox', command: COMMAND }] } });
      const acked = performance.now();
      latencies.push((await running) - acked);
      waiting.delete(name);
    }
  } finally {
    ac.abort();
    await watching;
    await kubelet.stop();
    // no process outlives the benchmark: the kubelet leaves containers running on stop, by design
    for (const sb of await runtime.listPodSandbox()) await runtime.removePodSandbox(sb.id);
    await runtime.close();
    await server.close();
    await store.close();
  }
  return latencies;
}

const all: number[] = [];
let floor = { spawn: [] as number[], bwrap: [] as number[] };
for (let r = 0; r < RUNS; r++) {
  const dir = mkdtempSync(join(tmpdir(), 'kubelet-start-'));
  try {
    const f = await floors(dir);
    floor = { spawn: [...floor.spawn, ...f.spawn], bwrap: [...floor.bwrap, ...f.bwrap] };
    all.push(...await podStarts(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const line = (label: string, xs: number[]) => console.log(`${label.padEnd(58)} p50 ${percentile(xs, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(xs, 99).toFixed(1).padStart(6)} ms`);
console.log(`pod start latency: ${PODS} pods x ${RUNS} runs, one after another, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
line('floor: child_process.spawn to first output', floor.spawn);
if (bwrapPath) line('floor: bwrap (runtime sandbox flags) to first output', floor.bwrap);
else console.log('floor: bwrap not found');
line(`pod create acknowledged -> Running via watch (${bwrapPath ? 'bwrap' : 'unsandboxed'})`, all);
emit('kubelet.process_pod_start_p50_ms', percentile(all, 50), 'ms', bwrapPath
  ? { name: 'bwrap with the runtime sandbox flags, to first output', value: percentile(floor.bwrap, 50) }
  : { name: 'child_process.spawn, to first output', value: percentile(floor.spawn, 50) });
process.exit(0);
