import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './testing/harness.js';

/** Sends `text` on a new connection to 127.0.0.1:port, half-closes, and returns what came back before the close. */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    s.on('data', (c: Buffer) => got.push(c));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(got).toString()));
    s.end(text);
  });
}

interface Forwarder {
  child: ChildProcess;
  /** Local port per remote port, from kubectl's "Forwarding from" lines. */
  ports: Map<number, number>;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `kubectl port-forward` on random local ports and waits until it listens on all of them. */
async function portForward(t: TestServer, pod: string, remotePorts: number[], env: Record<string, string> = {}): Promise<Forwarder> {
  const child = spawn('kubectl', ['port-forward', '--address', '127.0.0.1', `pod/${pod}`, ...remotePorts.map((p) => `:${p}`)], {
    env: { ...process.env, KUBECONFIG: t.kubeconfig, HOME: t.dir, ...env },
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ports = new Map<number, number>();
  const deadline = Date.now() + 10_000;
  while (ports.size < remotePorts.length) {
    for (const m of out.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)) ports.set(Number(m[2]), Number(m[1]));
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`kubectl port-forward did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, ports, output: () => out, exited };
}

describe('kubectl port-forward through the API server (fake node: echo on any port, nothing on port 1)', () => {
  let t: TestServer;
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    await t.call('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] } } });
    await t.call('PATCH', '/api/v1/namespaces/default/pods/web/status', { contentType: 'application/merge-patch+json', body: { status: { phase: 'Running' } } });
    await t.call('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unscheduled' }, spec: { containers: [{ name: 'c', image: 'x' }] } } });
  });
  afterAll(async () => {
    for (const c of running) c.kill('SIGKILL');
    await t?.close();
  });

  for (const [transport, env] of [['WebSocket tunnel (kubectl default)', {}], ['SPDY upgrade', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }]] as const) {
    it(`forwards connections over the ${transport}; a refused port ends the forward and the server keeps serving`, async () => {
      const pf = await portForward(t, 'web', [8080, 1], env);
      running.push(pf.child);
      expect(await exchange(pf.ports.get(8080)!, 'first')).toBe('first');
      expect(await exchange(pf.ports.get(8080)!, 'second connection')).toBe('second connection');
      // Larger than the streams' buffers: the session pauses its transport and must read on.
      const big = Array.from({ length: 40_000 }, (_, i) => `line ${i}`).join('\n');
      expect(await exchange(pf.ports.get(8080)!, big)).toBe(big);
      expect(t.streamer.forwards.at(-1)).toEqual({ target: { node: 'n1', namespace: 'default', pod: 'web', uid: expect.any(String) }, port: 8080 });
      expect(await exchange(pf.ports.get(1)!, 'nobody')).toBe('');
      expect(await pf.exited).toBe(1);
      expect(pf.output()).toContain('error forwarding port 1 to pod default/web');
      expect(pf.output()).toContain('error: lost connection to pod');
      expect((await t.kubectl(['get', 'pod', 'web', '-o', 'name'])).stdout).toBe('pod/web\n');
    }, 30_000);
  }

  it('answers a pod without a node with 400, and an unauthenticated upgrade with 401', async () => {
    const upgrade = (token?: string) => new Promise<string>((resolve, reject) => {
      const url = new URL(t.server.url);
      const s = tlsConnect({ host: url.hostname, port: Number(url.port), ca: t.server.caCert }, () => {
        s.write(`POST /api/v1/namespaces/default/pods/unscheduled/portforward HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}\r\n`);
      });
      let got = '';
      s.on('data', (c) => { got += c; });
      s.on('error', reject);
      s.on('close', () => resolve(got));
    });
    expect(await upgrade()).toMatch(/^HTTP\/1\.1 401/);
    const refused = await upgrade(t.server.adminToken);
    expect(refused).toMatch(/^HTTP\/1\.1 400/);
    expect(refused).toContain('pod unscheduled does not have a host assigned');
  }, 30_000);
});
