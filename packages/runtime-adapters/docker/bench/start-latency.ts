/**
 * Time to a running container through the Docker adapter (runPodSandbox + createContainer +
 * startContainer: two containers, the pause sandbox and the app) next to floors measured in the
 * same run on the same private Engine, samples interleaved: `docker run -d` (the CLI) and the raw
 * Engine API create+start of one container. Then 20 pods started back-to-back (concurrently) until
 * all are Running. Prints p50/p99 per round and the median over rounds.
 *
 *   npx tsx --conditions=@peapod/source packages/runtime-adapters/docker/bench/start-latency.ts [runs=20] [rounds=3]
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { containerLabels, podLabels, type PodSandboxConfig } from '@peapod/runtime';
import { DockerRuntime } from '../src/index.js';

const run = promisify(execFile);
const runs = Number(process.argv[2] ?? 20);
const rounds = Number(process.argv[3] ?? 3);
const engines = resolve(import.meta.dirname, '../../../../tools/images/start-engines.sh');
const dir = mkdtempSync('/tmp/pp-bench-');
const [socketPath] = (await run(engines, ['docker', dir])).stdout.trim().split('\n');
const rt = new DockerRuntime({ socketPath });
const docker = new Docker({ socketPath, version: 'v1.41' });
const image = 'peapod/busybox:1.36';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const median = (xs: number[]) => pct(xs, 50);

async function cli(): Promise<number> {
  const t0 = performance.now();
  await run('docker', ['-H', `unix://${socketPath}`, 'run', '-d', '--network', 'none', image, 'sleep', '30']);
  return performance.now() - t0;
}

async function api(): Promise<number> {
  const t0 = performance.now();
  const c = await docker.createContainer({ Image: image, Cmd: ['sleep', '30'], HostConfig: { NetworkMode: 'none' } });
  await c.start();
  return performance.now() - t0;
}

async function pod(): Promise<number> {
  const meta = { name: `bench-${randomUUID().slice(0, 8)}`, namespace: 'bench', uid: randomUUID() };
  const config: PodSandboxConfig = { metadata: { ...meta, attempt: 0 }, logDirectory: dir, labels: podLabels(meta), annotations: {} };
  const t0 = performance.now();
  const sb = await rt.runPodSandbox(config);
  const id = await rt.createContainer(sb, {
    metadata: { name: 'app', attempt: 0 }, image: { image }, command: ['sleep', '30'], args: [], envs: [], mounts: [],
    labels: containerLabels(meta, 'app'), annotations: {}, logPath: 'app/0.log',
  }, config);
  await rt.startContainer(id);
  return performance.now() - t0;
}

async function clean(): Promise<void> {
  for (const c of await docker.listContainers({ all: true })) await docker.getContainer(c.Id).remove({ force: true });
}

const results: Record<string, number[][]> = { 'docker run -d (CLI, floor)': [], 'Engine API create+start (floor)': [], 'adapter: sandbox + container Running': [] };
const burst: number[] = [];
try {
  for (let r = 0; r < rounds; r++) {
    const samples = Object.keys(results).map(() => [] as number[]);
    for (let i = 0; i < runs; i++) {
      samples[0].push(await cli());
      samples[1].push(await api());
      samples[2].push(await pod());
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
  await run(engines, ['stop', dir]);
}
