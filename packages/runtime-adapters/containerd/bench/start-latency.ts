/**
 * Time to a running container through the containerd adapter (runPodSandbox + createContainer +
 * startContainer) next to the raw floor measured in the same run on the same private containerd
 * (tools/images/start-engines.sh), samples interleaved: the three CRI calls RunPodSandbox,
 * CreateContainer, StartContainer made directly over gRPC with minimal configs. Then bursts of 20
 * started back-to-back, raw and through the adapter. Prints p50/p99 per round, then medians over
 * rounds with the ratio to the floor and the load average.
 *
 *   npx tsx --conditions=@peapod/source packages/runtime-adapters/containerd/bench/start-latency.ts [runs=20] [rounds=3] [--quick]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerLabels, podLabels, type PodSandboxConfig } from '@peapod/runtime';
import { latencyBenchArgs, runLatencyBench, startPrivateEngine, timed } from '@peapod/runtime/testing';
import { CriClient, CriRuntime, linuxTranslator } from '../src/index.js';
// nx-ignore-next-line -- a dev-time script helper, not a dependency of the package
import { emit } from '../../../../tools/emit.mjs';

const BURST = 20;
const engine = await startPrivateEngine('containerd');
const endpoint = `unix://${engine.socketPath}`;
const rt = new CriRuntime({ endpoint, translator: linuxTranslator, podNetwork: 'node', runtimeName: 'containerd' });
const raw = new CriClient(endpoint);
const image = 'docker.io/peapod/busybox:1.36';
const logDirectory = mkdtempSync(join(tmpdir(), 'pp-bench-logs-'));
const meta = () => ({ name: `bench-${randomUUID().slice(0, 8)}`, namespace: 'bench', uid: randomUUID() });

async function rawCri(): Promise<void> {
  const config = { metadata: { ...meta(), attempt: 0 }, logDirectory, linux: { securityContext: { namespaceOptions: { network: 'NODE' } } } };
  const { podSandboxId } = await raw.call<{ podSandboxId: string }>('RuntimeService', 'RunPodSandbox', { config });
  const { containerId } = await raw.call<{ containerId: string }>('RuntimeService', 'CreateContainer', {
    podSandboxId, sandboxConfig: config, config: { metadata: { name: 'app', attempt: 0 }, image: { image }, command: ['sleep', '3600'], logPath: 'app/0.log' },
  });
  await raw.call('RuntimeService', 'StartContainer', { containerId });
}

async function adapterPod(): Promise<void> {
  const m = meta();
  const config: PodSandboxConfig = { metadata: { ...m, attempt: 0 }, logDirectory, labels: podLabels(m), annotations: {} };
  const sb = await rt.runPodSandbox(config);
  const id = await rt.createContainer(sb, {
    metadata: { name: 'app', attempt: 0 }, image: { image }, command: ['sleep', '3600'], args: [], envs: [], mounts: [],
    labels: containerLabels(m, 'app'), annotations: {}, logPath: 'app/0.log',
  }, config);
  await rt.startContainer(id);
}

try {
  const burst = (fn: () => Promise<unknown>) => () => timed(() => Promise.all(Array.from({ length: BURST }, fn)));
  const result = await runLatencyBench({
    samplers: {
      'raw CRI RunPodSandbox+CreateContainer+StartContainer (floor)': () => timed(rawCri),
      'adapter: sandbox + container Running': () => timed(adapterPod),
    },
    bursts: {
      [`${BURST} raw CRI pods, all started (floor)`]: burst(rawCri),
      [`${BURST} pods through the adapter, all Running`]: burst(adapterPod),
    },
    async clean() {
      await Promise.all((await rt.listPodSandbox()).map(async (s) => {
        await rt.stopPodSandbox(s.id);
        await rt.removePodSandbox(s.id);
      }));
    },
  }, latencyBenchArgs());
  const [rawFloor, adapter] = Object.values(result.p50);
  emit('runtime.containerd.start_p50_ms', adapter, 'ms', { name: 'raw CRI RunPodSandbox + CreateContainer + StartContainer', value: rawFloor });
} finally {
  await rt.close();
  raw.close();
  await engine.stop();
  rmSync(logDirectory, { recursive: true, force: true });
}
