import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, startUp, tempDir, type RunningUp } from './testing/cli.js';

/** `peapod up --fake-nodes 3 --fake-nodes-worker`: the simulated nodes' kubelets run on a worker thread. */
let up: RunningUp;
const forwarders: ChildProcess[] = [];
beforeAll(async () => { up = await startUp(tempDir(), ['--node-name', 'local', '--fake-nodes', '3', '--fake-nodes-worker']); }, 90_000);
afterAll(async () => {
  for (const f of forwarders) f.kill('SIGKILL');
  await up?.stop();
});

const SCRIPT = JSON.stringify({
  steps: [{ stdout: 'hello from a fake node' }, { stderr: 'a warning' }],
  exec: { 'echo hi': { stdout: 'hi\n', stderr: 'oops\n', exitCode: 3 } },
  listen: [8080],
});
const fakePod = (name: string, script = SCRIPT) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { restartPolicy: 'Never', nodeSelector: { 'peapod.dev/fake-node': 'true' }, containers: [{ name: 'c', image: 'fake', env: [{ name: 'PEAPOD_FAKE_SCRIPT', value: script }] }] },
});
const running = (name: string) => eventually(async () => {
  const [phase, node] = (await kubectl(up.kubeconfig, ['get', 'pod', name, '-o', 'jsonpath={.status.phase} {.spec.nodeName}'])).split(' ');
  return phase === 'Running' && node;
}, 20_000, `${name} Running`);

describe('peapod up --fake-nodes --fake-nodes-worker', () => {
  it('the simulated nodes go Ready and the pods scheduled to them reach Running', async () => {
    const nodes = await eventually(async () => {
      const out = await kubectl(up.kubeconfig, ['get', 'nodes', '-l', 'peapod.dev/fake-node=true', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}']);
      return out.trim().split(' ').length === 3 && out.trim();
    }, 20_000, 'three fake nodes');
    expect(nodes).toBe('fake-node-0=True fake-node-1=True fake-node-2=True');
    expect(up.output()).toContain('ready in');
    expect(up.output()).toContain('(+3 simulated nodes)');
    for (let i = 0; i < 6; i++) await kubectl(up.kubeconfig, ['apply', '-f', '-'], { input: fakePod(`sim-${i}`) });
    const placed = await Promise.all(Array.from({ length: 6 }, (_, i) => running(`sim-${i}`)));
    expect(new Set(placed).size).toBeGreaterThan(1);
    for (const node of placed) expect(node).toMatch(/^fake-node-[0-2]$/);
  }, 60_000);

  it('serves logs, exec and port-forward of a pod on a simulated node through the worker', async () => {
    await kubectl(up.kubeconfig, ['apply', '-f', '-'], { input: fakePod('talker') });
    await running('talker');
    expect(await kubectl(up.kubeconfig, ['logs', 'talker'])).toBe('hello from a fake node\na warning\n');
    expect(await kubectl(up.kubeconfig, ['logs', 'talker', '--tail', '1'])).toBe('a warning\n');
    const exec = await kubectl(up.kubeconfig, ['exec', 'talker', '--', 'echo', 'hi']).catch((e: Error) => e.message);
    expect(exec).toContain('oops');
    expect(exec).toContain('command terminated with exit code 3');
    // kubectl logs -f follows until it is interrupted: the stream stays open through the worker.
    const follow = spawn('kubectl', ['logs', '-f', 'talker'], { env: { ...process.env, KUBECONFIG: up.kubeconfig } });
    forwarders.push(follow);
    let followed = '';
    follow.stdout.on('data', (d) => { followed += d; });
    await eventually(async () => followed.includes('a warning'), 10_000, 'followed log');
    expect(follow.exitCode).toBeNull();
    follow.kill('SIGINT');

    // The fake runtime's port-forward reaches an echo server on the ports a script lists.
    const pf = spawn('kubectl', ['port-forward', '--address', '127.0.0.1', 'pod/talker', ':8080'], { env: { ...process.env, KUBECONFIG: up.kubeconfig } });
    forwarders.push(pf);
    let out = '';
    pf.stdout.on('data', (d) => { out += d; });
    const local = Number(await eventually(async () => /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out)?.[1], 15_000, 'port-forward listening'));
    const echoed = await new Promise<string>((resolve, reject) => {
      const s = connect(local, '127.0.0.1', () => s.write('ping through the worker'));
      let got = '';
      s.on('data', (d) => { got += d; if (got.length >= 23) { s.end(); resolve(got); } });
      s.on('error', reject);
      setTimeout(() => reject(new Error(`no echo (got "${got}")`)), 10_000).unref();
    });
    expect(echoed).toBe('ping through the worker');
  }, 60_000);

  it('attaches to a container on a simulated node: its later output arrives, and attach ends when it exits', async () => {
    await kubectl(up.kubeconfig, ['apply', '-f', '-'], { input: fakePod('late', JSON.stringify({ steps: [{ sleep: 4000 }, { stdout: 'a late line' }], exitCode: 0 })) });
    await running('late');
    expect(await kubectl(up.kubeconfig, ['attach', 'late'], { timeoutMs: 20_000 })).toContain('a late line');
  }, 30_000);

  it('the worker\'s logs reach peapod.log', async () => {
    const line = await eventually(async () => readFileSync(join(up.dataDir, 'peapod.log'), 'utf8').split('\n').find((l) => l.includes('simulated nodes started')), 5_000, 'the worker\'s log line');
    expect(JSON.parse(line)).toMatchObject({ level: 30, thread: 'simulated-nodes', nodes: 3, msg: 'simulated nodes started' });
  });

  it('stops gracefully on SIGTERM, worker included', async () => {
    expect(await up.stop()).toBe(0);
    expect(up.output()).toMatch(/stopped/);
    expect(up.output()).not.toMatch(/worker .*exited/);
  }, 30_000);
});

describe('peapod up --fake-nodes without --fake-nodes-worker', () => {
  it('runs the simulated nodes on the main thread, with no worker, and they serve the same', async () => {
    const main = await startUp(tempDir(), ['--node-name', 'local', '--fake-nodes', '2']);
    try {
      await kubectl(main.kubeconfig, ['apply', '-f', '-'], { input: fakePod('here') });
      const node = await eventually(async () => {
        const [phase, on] = (await kubectl(main.kubeconfig, ['get', 'pod', 'here', '-o', 'jsonpath={.status.phase} {.spec.nodeName}'])).split(' ');
        return phase === 'Running' && on;
      }, 20_000, 'here Running');
      expect(node).toMatch(/^fake-node-[01]$/);
      expect(await kubectl(main.kubeconfig, ['logs', 'here'])).toBe('hello from a fake node\na warning\n');
      expect(readFileSync(join(main.dataDir, 'peapod.log'), 'utf8')).not.toContain('simulated nodes started');
    } finally {
      expect(await main.stop()).toBe(0);
    }
  }, 60_000);
});
