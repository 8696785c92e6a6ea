/**
 * Time to a running container through the containerd adapter (runPodSandbox + createContainer +
 * startContainer) next to the raw floor measured in the same run on the same private containerd,
 * samples interleaved: the three CRI calls RunPodSandbox, CreateContainer, StartContainer made
 * directly over gRPC with minimal configs. Prints p50/p99 per round and the median over rounds.
 *
 *   npx tsx --conditions=@peapod/source packages/runtime-adapters/containerd/bench/start-latency.ts [runs=20] [rounds=3]
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { containerLabels, podLabels, type PodSandboxConfig } from '@peapod/runtime';
import { CriClient, CriRuntime, linuxTranslator } from '../src/index.js';

const run = promisify(execFile);
const runs = Number(process.argv[2] ?? 20);
const rounds = Number(process.argv[3] ?? 3);
const engines = resolve(import.meta.dirname, '../../../../tools/images/start-engines.sh');
const dir = mkdtempSync('/tmp/pp-bench-');
const [socket] = (await run(engines, ['containerd', dir])).stdout.trim().split('\n');
const endpoint = `unix://${socket}`;
const rt = new CriRuntime({ endpoint, translator: linuxTranslator, podNetwork: 'node', runtimeName: 'containerd' });
const raw = new CriClient(endpoint);
const image = 'docker.io/peapod/busybox:1.36';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const median = (xs: number[]) => pct(xs, 50);
const meta = () => ({ name: `bench-${randomUUID().slice(0, 8)}`, namespace: 'bench', uid: randomUUID() });

async function rawCri(): Promise<number> {
  const m = meta();
  const config = { metadata: { ...m, attempt: 0 }, logDirectory: dir, linux: { securityContext: { namespaceOptions: { network: 'NODE' } } } };
  const t0 = performance.now();
  const { podSandboxId } = await raw.call<{ podSandboxId: string }>('RuntimeService', 'RunPodSandbox', { config });
  const { containerId } = await raw.call<{ containerId: string }>('RuntimeService', 'CreateContainer', {
    podSandboxId, sandboxConfig: config, config: { metadata: { name: 'app', attempt: 0 }, image: { image }, command: ['sleep', '30'], logPath: 'app/0.log' },
  });
  await raw.call('RuntimeService', 'StartContainer', { containerId });
  return performance.now() - t0;
}

async function pod(): Promise<number> {
  const m = meta();
  const config: PodSandboxConfig = { metadata: { ...m, attempt: 0 }, logDirectory: dir, labels: podLabels(m), annotations: {} };
  const t0 = performance.now();
  const sb = await rt.runPodSandbox(config);
  const id = await rt.createContainer(sb, {
    metadata: { name: 'app', attempt: 0 }, image: { image }, command: ['sleep', '30'], args: [], envs: [], mounts: [],
    labels: containerLabels(m, 'app'), annotations: {}, logPath: 'app/0.log',
  }, config);
  await rt.startContainer(id);
  return performance.now() - t0;
}

async function clean(): Promise<void> {
  for (const s of await rt.listPodSandbox()) await rt.removePodSandbox(s.id);
}

const results: Record<string, number[][]> = { 'raw CRI RunPodSandbox+CreateContainer+StartContainer (floor)': [], 'adapter: sandbox + container Running': [] };
const burst: number[] = [];
try {
  for (let r = 0; r < rounds; r++) {
    const samples = Object.keys(results).map(() => [] as number[]);
    for (let i = 0; i < runs; i++) {
      samples[0].push(await rawCri());
      samples[1].push(await pod());
    }
    Object.values(results).forEach((v, i) => v.push(samples[i]));
    await clean();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 20 }, () => pod()));
    burst.push(performance.now() - t0);
    await clean();
    console.log(`round ${r + 1}: ${Object.keys(results).map((k, i) => `${k} p50 ${median(samples[i]).toFixed(1)} ms p99 ${pct(samples[i], 99).toFixed(1)} ms`).join('; ')}; 20 pods ${burst.at(-1)!.toFixed(0)} ms`);
  }
  console.log(`\nmedian over ${rounds} rounds of ${runs}:`);
  console.log('| measure | p50 | p99 |\n|---|---|---|');
  for (const [k, v] of Object.entries(results)) console.log(`| ${k} | ${median(v.map((s) => median(s))).toFixed(1)} ms | ${median(v.map((s) => pct(s, 99))).toFixed(1)} ms |`);
  console.log(`| 20 pods started concurrently, all Running | ${median(burst).toFixed(0)} ms | |`);
} finally {
  await rt.close();
  raw.close();
  await run(engines, ['stop', dir]);
}
