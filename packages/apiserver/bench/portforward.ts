/**
 * `kubectl port-forward` through the API server: echo throughput (bytes sent plus bytes received
 * per second) and the time from a new local connection to its first echoed byte, over kubectl's
 * two transports (the WebSocket tunnel and the SPDY upgrade), against a fake node that echoes.
 * The floor, measured in the same run, is a plain TCP echo server on 127.0.0.1 reached directly.
 *
 *   npx tsx --conditions=@peapod/source packages/apiserver/bench/portforward.ts [--quick]
 *
 * Prints the median of several runs per configuration.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { startTestServer, type TestServer } from '../src/testing/harness.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 1 : 3;
const BYTES = (quick ? 8 : 32) * 1024 * 1024;
const CONNECTS = quick ? 5 : 20;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Sends `bytes` on a new connection, half-closes, and reads the echo to its end; MiB/s both ways. */
function throughput(port: number, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.alloc(bytes, 7);
    const started = performance.now();
    let got = 0;
    const s = connect(port, '127.0.0.1');
    s.on('data', (c: Buffer) => { got += c.length; });
    s.on('error', reject);
    s.on('close', () => (got === bytes ? resolve((2 * bytes) / 1024 / 1024 / ((performance.now() - started) / 1000)) : reject(new Error(`echoed ${got} of ${bytes} bytes`))));
    s.end(payload);
  });
}

/** Milliseconds from connecting to the first echoed byte. */
function firstByte(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const s = connect(port, '127.0.0.1');
    s.once('data', () => { resolve(performance.now() - started); s.destroy(); });
    s.on('error', reject);
    s.write('x');
  });
}

async function measure(port: number): Promise<{ mibs: number; firstMs: number }> {
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) rates.push(await throughput(port, BYTES));
  const firsts: number[] = [];
  for (let i = 0; i < CONNECTS; i++) firsts.push(await firstByte(port));
  return { mibs: median(rates), firstMs: median(firsts) };
}

async function forwarder(t: TestServer, websocket: boolean): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn('kubectl', ['port-forward', '--address', '127.0.0.1', 'pod/echo', ':80'], {
    env: { ...process.env, KUBECONFIG: t.kubeconfig, HOME: t.dir, KUBECTL_PORT_FORWARD_WEBSOCKETS: String(websocket) },
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
    if (m) return { port: Number(m[1]), child };
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`kubectl port-forward did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const echo = createServer((s) => s.pipe(s));
await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
const t = await startTestServer();
try {
  await t.call('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'echo' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] } } });
  await t.call('PATCH', '/api/v1/namespaces/default/pods/echo/status', { contentType: 'application/merge-patch+json', body: { status: { phase: 'Running' } } });
  const rows: Array<[string, { mibs: number; firstMs: number }]> = [['direct TCP echo (floor)', await measure((echo.address() as AddressInfo).port)]];
  for (const [name, websocket] of [['kubectl port-forward, WebSocket tunnel', true], ['kubectl port-forward, SPDY upgrade', false]] as const) {
    const f = await forwarder(t, websocket);
    try {
      rows.push([name, await measure(f.port)]);
    } finally {
      f.child.kill();
    }
  }
  console.log(`port-forward echo, ${BYTES / 1024 / 1024} MiB per run, median of ${RUNS} run(s); first byte: median of ${CONNECTS} new connections; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('| path | MiB/s (both ways) | vs floor | first byte, ms |');
  console.log('| --- | --- | --- | --- |');
  for (const [name, m] of rows) console.log(`| ${name} | ${m.mibs.toFixed(1)} | ${(m.mibs / rows[0][1].mibs).toFixed(3)} | ${m.firstMs.toFixed(2)} |`);
} finally {
  await t.close();
  echo.close();
}
