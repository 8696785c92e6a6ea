import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from './testing/agent.js';
import { agent as agentCommand } from './commands/agent.js';
import { CliError } from './errors.js';
import { eventually, kubectl, startUp, tempDir, type RunningUp } from './testing/cli.js';

/** kubectl with its exit code (the shared helper only reports failures). */
function kubectlRun(kubeconfig: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin!.end(input ?? '');
  });
}

const AGENT_IP = '127.0.0.2';
const onAgent = (name: string, command: string, extra: Record<string, unknown> = {}) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { nodeName: 'agent-a', restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', command], ...extra }] },
});

describe('peapod agent joins peapod up', () => {
  let up: RunningUp;
  let agent: RunningAgent;
  let agentDir: string;
  let tokenFile: string;
  let errorsDir: string | undefined;
  const agentArgs = () => ['--server', `https://127.0.0.1:${/https:\/\/127\.0\.0\.1:(\d+)/.exec(up.output())![1]}`, '--node-name', 'agent-a', '--data-dir', agentDir, '--kubelet-listen', `${AGENT_IP}:0`];

  beforeAll(async () => {
    up = await startUp(tempDir(), ['--node-name', 'server-node']);
    tokenFile = join(up.dataDir, 'pki', 'join.token');
    expect(up.output()).toContain(`--token-file ${tokenFile}`);
    agentDir = tempDir('peapod-agent-e2e-');
    agent = await startAgent([...agentArgs(), '--token-file', tokenFile]);
  }, 90_000);

  afterAll(async () => {
    // Pods outlive a stopped agent (the next start adopts them): delete them while it runs.
    if (up && agent) await kubectlRun(up.kubeconfig, ['delete', 'pod', '--all', '--grace-period=1', '--timeout=30s']);
    await agent?.stop();
    await up?.stop();
    for (const dir of [agentDir, errorsDir, up?.dataDir]) if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('registers a second Ready node with the kubelet endpoint it listens on', async () => {
    const nodes = await eventually(async () => {
      const list = JSON.parse(await kubectl(up.kubeconfig, ['get', 'nodes', '-o', 'json'])).items as { metadata: { name: string }; status: { conditions: { type: string; status: string }[]; addresses: { type: string; address: string }[]; daemonEndpoints: { kubeletEndpoint: { Port: number } } } }[];
      const ready = list.filter((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 2 && list;
    }, 20_000, 'two Ready nodes');
    const a = nodes.find((n) => n.metadata.name === 'agent-a')!;
    expect(a.status.addresses).toContainEqual({ type: 'InternalIP', address: AGENT_IP });
    expect(a.status.daemonEndpoints.kubeletEndpoint.Port).toBe(agent.port);
  });

  it('runs a pod on the agent; kubectl logs, logs -f and exec reach it through the API server', async () => {
    const httpd = 'echo started; mkdir -p /tmp/www && echo "served by the agent" > /tmp/www/index.html && exec busybox httpd -f -p "$POD_IP:80" -h /tmp/www';
    await kubectl(up.kubeconfig, ['apply', '-f', '-'], { input: onAgent('web', httpd, { env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }) });
    await kubectl(up.kubeconfig, ['apply', '-f', '-'], { input: onAgent('counter', 'sleep 1; for i in 1 2 3; do echo tick $i; sleep 0.3; done') });
    await eventually(async () => (await kubectl(up.kubeconfig, ['get', 'pod', 'web', '-o', 'jsonpath={.status.phase}'])) === 'Running', 30_000, 'web Running');
    expect(await kubectl(up.kubeconfig, ['logs', 'web'])).toBe('started\n');

    // Follows while the container runs, and ends when it ends.
    await eventually(async () => (await kubectl(up.kubeconfig, ['get', 'pod', 'counter', '-o', 'jsonpath={.status.phase}'])) === 'Running', 30_000, 'counter Running');
    const follow = await kubectlRun(up.kubeconfig, ['logs', '-f', 'counter']);
    expect(follow).toMatchObject({ code: 0, stdout: 'tick 1\ntick 2\ntick 3\n' });

    const ok = await kubectlRun(up.kubeconfig, ['exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; hostname']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('out\nweb\n');
    expect(ok.stderr).toBe('err\n');
    const failed = await kubectlRun(up.kubeconfig, ['exec', 'web', '--', 'sh', '-c', 'exit 7']);
    expect(failed.code).toBe(7);
    expect(failed.stderr).toContain('command terminated with exit code 7');
    const piped = await kubectlRun(up.kubeconfig, ['exec', '-i', 'web', '--', 'cat'], 'through stdin\n');
    expect(piped).toMatchObject({ code: 0, stdout: 'through stdin\n' });
  }, 60_000);

  it('forwards a port of the agent\'s pod with kubectl port-forward', async () => {
    const child = spawn('kubectl', ['--kubeconfig', up.kubeconfig, 'port-forward', '--address', '127.0.0.1', 'pod/web', ':80']);
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    try {
      const port = await eventually(async () => Number(/Forwarding from 127\.0\.0\.1:(\d+) -> 80/.exec(out)?.[1]), 15_000, 'kubectl port-forward listening');
      const body = await eventually(async () => {
        const res = await fetch(`http://127.0.0.1:${port}/index.html`, { headers: { connection: 'close' } });
        return res.status === 200 && res.text();
      }, 15_000, 'the page through the forward');
      expect(body).toBe('served by the agent\n');
    } finally {
      child.kill('SIGKILL');
    }
  }, 40_000);

  it('gives the agent node credentials the Node authorizer confines: its own pods\' secrets only', async () => {
    await kubectl(up.kubeconfig, ['create', 'secret', 'generic', 'mine', '--from-literal=k=v1']);
    await kubectl(up.kubeconfig, ['create', 'secret', 'generic', 'theirs', '--from-literal=k=v2']);
    await kubectl(up.kubeconfig, ['apply', '-f', '-'], { input: onAgent('uses-secret', 'echo $K; exec sleep 3600', { env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'mine', key: 'k' } } }] }) });
    await eventually(async () => (await kubectl(up.kubeconfig, ['logs', 'uses-secret']).catch(() => '')) === 'v1\n', 30_000, 'the secret in the pod');
    const asNode = join(agentDir, 'kubeconfig');
    expect(await kubectlRun(asNode, ['get', 'secret', 'mine', '-o', 'jsonpath={.data.k}'])).toMatchObject({ code: 0, stdout: Buffer.from('v1').toString('base64') });
    const refused = await kubectlRun(asNode, ['get', 'secret', 'theirs']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Forbidden');
    expect(refused.stderr).toContain("no relationship found between node 'agent-a' and this object");
    expect((await kubectlRun(asNode, ['label', 'node', 'server-node', 'x=y'])).stderr).toContain('Forbidden');

    // The join token itself opens nothing but the join endpoint; a wrong token is not even authenticated.
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect((await kubectlRun(up.kubeconfig, ['--token', token, 'get', 'pods'])).stderr).toContain('Forbidden');
    expect((await kubectlRun(up.kubeconfig, ['--token', `${token.slice(0, -4)}AAAA`, 'get', 'pods'])).stderr).toContain('Unauthorized');
  }, 60_000);

  it('adopts its running pod after a stop and a restart without the token', async () => {
    const before = JSON.parse(await kubectl(up.kubeconfig, ['get', 'pod', 'web', '-o', 'json']));
    expect(await agent.stop()).toBe(0);
    expect(agent.output()).toContain('pods keep running');
    agent = await startAgent(agentArgs());
    expect(agent.output()).not.toContain('joined');
    const after = await eventually(async () => {
      const p = JSON.parse(await kubectl(up.kubeconfig, ['get', 'pod', 'web', '-o', 'json']));
      return p.status.containerStatuses?.[0]?.ready && p;
    }, 20_000, 'web ready after the restart');
    expect(after.status.containerStatuses[0].containerID).toBe(before.status.containerStatuses[0].containerID);
    expect(after.status.containerStatuses[0].restartCount).toBe(0);
    // Streaming follows the kubelet to its new port.
    expect(await kubectl(up.kubeconfig, ['exec', 'web', '--', 'echo', 'still here'])).toBe('still here\n');
  }, 60_000);

  it('fails with one line a newcomer can act on', async () => {
    const dir = errorsDir = tempDir('peapod-agent-err-');
    const token = readFileSync(tokenFile, 'utf8').trim();
    const server = agentArgs()[1];
    // In process: the CLI prints `peapod: <message>` of the CliError each of these throws.
    const run = (args: string[]) => agentCommand(['--node-name', 'bad', '--data-dir', dir, '--kubelet-listen', `${AGENT_IP}:0`, ...args]).then(() => 'no error', (err: Error) => {
      expect(err).toBeInstanceOf(CliError);
      expect(err.message.split('\n')).toHaveLength(1);
      return err.message;
    });
    const write = (name: string, text: string) => { writeFileSync(join(dir, name), text); return join(dir, name); };

    expect(await run(['--server', 'https://127.0.0.1:1', '--token-file', tokenFile])).toBe('cannot join: cannot reach the server at https://127.0.0.1:1: ECONNREFUSED');
    expect(await run(['--server', server, '--token-file', write('wrong', `${token.slice(0, -4)}AAAA`)])).toMatch(/^cannot join: the server at .* refused the join token/);
    expect(await run(['--server', server, '--token-file', write('other-ca', token.replace(/^peapod1\.[0-9a-f]{4}/, 'peapod1.0000'))])).toMatch(/^cannot join: the server at .* presented no CA matching the join token's hash/);
    expect(await run(['--server', server, '--token-file', write('garbled', 'not-a-token')])).toMatch(/^cannot join: malformed join token/);
    expect(await run(['--server', server, '--token-file', join(dir, 'missing')])).toBe(`cannot read --token-file ${join(dir, 'missing')}: ENOENT`);
    expect(await run(['--server', server, '--token-file', tokenFile, '--runtime', 'docker', '--runtime-opt', `socketPath=${join(dir, 'no.sock')}`])).toMatch(/^runtime "docker" for node bad is not usable: .*no\.sock/);
  }, 30_000);
});
