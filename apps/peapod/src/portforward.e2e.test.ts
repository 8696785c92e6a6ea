import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, startUp, tempDir, type RunningUp } from './testing/cli.js';

/** A pod serving one file with busybox httpd on its own IP (the process runtime runs host binaries). */
const httpdPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web' },
  spec: {
    containers: [{
      name: 'httpd',
      image: 'busybox',
      command: ['sh', '-c', 'mkdir -p /tmp/www && echo "served from the pod" > /tmp/www/index.html && exec busybox httpd -f -p "$POD_IP:80" -h /tmp/www'],
      env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
      ports: [{ containerPort: 80 }],
      readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1 },
    }],
  },
};

let up: RunningUp;
const forwarders: ChildProcess[] = [];

beforeAll(async () => {
  up = await startUp(tempDir(), ['--node-name', 'pf-node']);
  await kubectl(up.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify(httpdPod) });
  await kubectl(up.kubeconfig, ['wait', '--for=condition=Ready', 'pod/web', '--timeout=60s'], { timeoutMs: 70_000 });
}, 120_000);
afterAll(async () => {
  for (const f of forwarders) f.kill('SIGKILL');
  // Containers outlive `peapod up` (a restart adopts them): delete the pod so its httpd stops.
  if (up) await kubectl(up.kubeconfig, ['delete', 'pod', 'web', '--grace-period=1', '--wait', '--timeout=30s'], { timeoutMs: 40_000 }).catch(() => undefined);
  await up?.stop();
}, 60_000);

describe('kubectl port-forward on peapod up (process runtime)', () => {
  it('GETs the pod\'s file through the forward, twice; a closed port in the pod ends the forward with an error, and the cluster keeps serving', async () => {
    // kubectl's default transport (the WebSocket tunnel); 81 is a port nothing in the pod listens on.
    const child = spawn('kubectl', ['port-forward', '--address', '127.0.0.1', 'pod/web', ':80', ':81'], { env: { ...process.env, KUBECONFIG: up.kubeconfig } });
    forwarders.push(child);
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const local = await eventually(async () => {
      const m = [...out.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)].map((x) => [Number(x[2]), Number(x[1])] as const);
      return m.length === 2 && new Map(m);
    }, 15_000, 'kubectl port-forward listening');

    for (let i = 0; i < 2; i++) {
      const res = await fetch(`http://127.0.0.1:${local.get(80)}/index.html`, { headers: { connection: 'close' } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('served from the pod\n');
    }

    await fetch(`http://127.0.0.1:${local.get(81)}/`).then(() => undefined, () => undefined);
    expect(await exited).toBe(1);
    expect(out).toMatch(/error forwarding port 81 to pod default\/web, uid [-0-9a-f]+: .*nothing listens/);
    expect(out).toContain('error: lost connection to pod');

    expect(await kubectl(up.kubeconfig, ['get', 'pod', 'web', '-o', 'jsonpath={.status.phase}'])).toBe('Running');
    expect(up.proc.exitCode).toBeNull();
  }, 60_000);
});

describe('kubectl create token on peapod up', () => {
  it('issues a token for the default ServiceAccount that kubectl can use; a tampered one is Unauthorized', async () => {
    // The serviceaccount controller gives the namespace its default ServiceAccount.
    const token = await eventually(async () => (await kubectl(up.kubeconfig, ['create', 'token', 'default', '--duration', '10m'])).trim(), 15_000, 'a token for default');
    expect(await kubectl(up.kubeconfig, ['--token', token, 'get', 'pods', '-o', 'name'])).toBe('pod/web\n');
    const tampered = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    await expect(kubectl(up.kubeconfig, ['--token', tampered, 'get', 'pods'])).rejects.toThrow('error: You must be logged in to the server (Unauthorized)');
  }, 30_000);
});
