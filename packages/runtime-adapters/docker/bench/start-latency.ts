/**
 * Time to a running container with Docker, through Peapod and on the floor, on one private Engine
 * in the same run (tools/images/start-engines.sh), samples interleaved:
 * - floor: `docker run -d --network none` (the CLI), and the raw Engine API create+start of one
 *   container;
 * - the adapter alone: runPodSandbox + createContainer + startContainer (two containers: the
 *   pause sandbox and the app);
 * - through the API: a pod POSTed to `peapod up --runtime docker` (spawned from source) until its
 *   watch says Running: API server, scheduler, kubelet and adapter;
 * then bursts of 20 started at once (concurrently): 20 `docker run -d` (floor), 20 Engine API
 * create+starts (the floor without 20 CLI start-ups), 20 pods through the adapter, and 20 pods
 * through the API until all are Running. Prints p50/p99 per round, then medians over
 * rounds with the ratio to the floor and the load average.
 *
 *   npx tsx --conditions=@peapod/source packages/runtime-adapters/docker/bench/start-latency.ts [runs=20] [rounds=3] [--quick]
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import type { PodSandboxConfig } from '@peapod/runtime';
import { latencyBenchArgs, runLatencyBench, startPrivateEngine, timed } from '@peapod/runtime/testing';
import { DockerRuntime } from '../src/index.js';
// nx-ignore-next-line -- a dev-time script helper, not a dependency of the package
import { emit } from '../../../../tools/emit.mjs';

const run = promisify(execFile);
const BURST = 20;
const image = 'peapod/busybox:1.36';
const engine = await startPrivateEngine('docker');
const { socketPath } = engine;
const rt = new DockerRuntime({ socketPath });
const docker = new Docker({ socketPath, version: 'v1.41' });
const logDirectory = mkdtempSync(join(tmpdir(), 'pp-bench-logs-'));

const cli = () => run('docker', ['-H', `unix://${socketPath}`, 'run', '-d', '--network', 'none', image, 'sleep', '3600']);
/** What `docker run -d --network none` asks of the Engine, without the CLI's own start-up. */
const engineRun = async () => (await docker.createContainer({ Image: image, Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: 'none' } })).start();

/** A pod through the adapter, without the kubelet's labels (so the cluster's kubelet leaves it alone). */
async function adapterPod(): Promise<void> {
  const config: PodSandboxConfig = { metadata: { name: `bench-${randomUUID().slice(0, 8)}`, namespace: 'bench', uid: randomUUID(), attempt: 0 }, logDirectory, labels: {}, annotations: {} };
  const sb = await rt.runPodSandbox(config);
  const id = await rt.createContainer(sb, {
    metadata: { name: 'app', attempt: 0 }, image: { image }, command: ['sleep', '3600'], args: [], envs: [], mounts: [], labels: {}, annotations: {}, logPath: 'app/0.log',
  }, config);
  await rt.startContainer(id);
}

/** `peapod up --runtime docker` from source on a temp data dir, and a minimal client of its API. */
async function startCluster() {
  const dataDir = mkdtempSync(join(tmpdir(), 'pp-bench-up-'));
  const main = resolve(import.meta.dirname, '../../../../apps/peapod/src/main.ts');
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=@peapod/source', main, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--node-name', 'bench', '--runtime', 'docker', '--runtime-opt', `socketPath=${socketPath}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Never outlive the benchmark, even when it dies on an error.
  const reap = () => proc.kill('SIGKILL');
  process.once('exit', reap);
  const exited = new Promise((r) => proc.once('exit', r));
  let out = '';
  try {
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`peapod up not ready within 60 s:\n${out}`)), 60_000);
      const onData = (d: Buffer) => { out += d; if (/ready in \d+ ms/.test(out)) { clearTimeout(timer); res(); } };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.once('exit', (code) => { clearTimeout(timer); rej(new Error(`peapod up exited with ${code}:\n${out}`)); });
    });
  } catch (err) {
    proc.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const kc = JSON.parse(readFileSync(join(dataDir, 'kubeconfig'), 'utf8'));
  const server = new URL(kc.clusters[0].cluster.server);
  const base: RequestOptions = {
    host: server.hostname, port: server.port, ca: Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64'),
    headers: { authorization: `Bearer ${kc.users[0].user.token}`, 'content-type': 'application/json' },
  };
  const api = (method: string, path: string, body?: object) => new Promise<{ items?: { metadata: { name: string } }[] }>((res, rej) => {
    const req = request({ ...base, method, path }, (r) => {
      let data = '';
      r.on('data', (c) => { data += c; }).on('end', () => ((r.statusCode ?? 500) < 300 ? res(JSON.parse(data)) : rej(new Error(`${method} ${path}: ${r.statusCode} ${data}`))));
    });
    req.once('error', rej).end(body ? JSON.stringify(body) : undefined);
  });

  // One watch for the whole run: each pod's creator waits for its Running event.
  const waiting = new Map<string, () => void>();
  const watch = request({ ...base, path: '/api/v1/namespaces/default/pods?watch=true' }, (r) => {
    let buf = '';
    r.on('data', (c) => {
      buf += c;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const ev = JSON.parse(buf.slice(0, nl)) as { object: { metadata: { name: string }; status?: { phase?: string } } };
        buf = buf.slice(nl + 1);
        if (ev.object.status?.phase === 'Running') waiting.get(ev.object.metadata.name)?.();
      }
    });
  });
  watch.once('error', () => undefined).end();

  /** Creates a pod and resolves once it is Running. */
  const pod = async () => {
    const name = `bench-${randomUUID().slice(0, 8)}`;
    const running = new Promise<void>((r) => waiting.set(name, r));
    await api('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image, command: ['sleep', '3600'] }] },
    });
    await running;
    waiting.delete(name);
  };
  /** Deletes every pod and waits until the kubelet has stopped them and they are gone. */
  const clean = async () => {
    const { items = [] } = await api('GET', '/api/v1/namespaces/default/pods');
    await Promise.all(items.map((p) => api('DELETE', `/api/v1/namespaces/default/pods/${p.metadata.name}`)));
    for (let i = 0; i < 600 && (await api('GET', '/api/v1/namespaces/default/pods')).items?.length; i++) await new Promise((r) => setTimeout(r, 100));
  };
  const stop = async () => {
    watch.destroy();
    proc.kill('SIGTERM');
    await exited;
    process.off('exit', reap);
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { pod, clean, stop };
}

let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
try {
  cluster = await startCluster();
  const { pod, clean } = cluster;
  const burst = (fn: () => Promise<unknown>) => () => timed(() => Promise.all(Array.from({ length: BURST }, fn)));
  const result = await runLatencyBench({
    samplers: {
      'docker run -d --network none (CLI, floor)': () => timed(cli),
      'Engine API create+start of one container': () => timed(engineRun),
      'adapter: sandbox (pause) + container Running': () => timed(adapterPod),
      'through the API: pod created to Running': () => timed(pod),
    },
    bursts: {
      [`${BURST} x docker run -d, all started (floor)`]: burst(cli),
      [`${BURST} x Engine API create+start, all started`]: burst(engineRun),
      [`${BURST} pods through the adapter, all Running`]: burst(adapterPod),
      [`${BURST} pods through the API, all Running`]: burst(pod),
    },
    async clean() {
      await clean();
      for (const c of await docker.listContainers({ all: true })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    },
  }, latencyBenchArgs());
  const [cliFloor, , adapter, throughApi] = Object.values(result.p50);
  const [burstFloor, , , burstApi] = Object.values(result.bursts);
  emit('runtime.docker.start_p50_ms', adapter, 'ms', { name: 'docker run -d (CLI)', value: cliFloor });
  emit('runtime.docker.api_start_p50_ms', throughApi, 'ms', { name: 'docker run -d (CLI)', value: cliFloor });
  emit('runtime.docker.burst20_running_ms', burstApi, 'ms', { name: '20 x docker run -d', value: burstFloor });
} finally {
  await cluster?.stop();
  await rt.close();
  await engine.stop();
  rmSync(logDirectory, { recursive: true, force: true });
}
