/**
 * The load generator of `creates.ts`, run as its child process: `clients` keep-alive HTTPS
 * connections POST `total` pods between them, each waiting for its answer before the next. The
 * target comes in BENCH_TARGET; the figures go back over IPC. It imports nothing of Peapod, so a
 * child starts in a fraction of a second. With `warm`, that many creates go first, unmeasured, and
 * the message 'warmed' tells the parent, whose 'go' starts the measured ones.
 *
 * Each connection is a TLS socket that writes every request whole and reads each answer by its
 * head and `Content-Length` (as load generators such as wrk and autocannon do), not Node's HTTP
 * client: that spent more CPU per request than the API server itself (about 450 µs against 180 µs
 * for this one), so on a 2-core machine the rates measured the client as much as the server.
 * Anything but a 201 with a Content-Length fails the run.
 */
import { connect, type TLSSocket } from 'node:tls';

export interface LoadSpec { url: string; ca: string; token: string; path: string; clients: number; total: number; prefix: string; warm?: number }
export interface LoadResult { rate: number; p50: number; p99: number }

const body = (name: string) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'bench' } },
  spec: { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
});

const HEAD_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;

/** One keep-alive connection; `post` sends a request and resolves with its latency (ms) once the 201 is read in full. */
class Connection {
  private readonly socket: TLSSocket;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting?: { started: number; resolve: (ms: number) => void; reject: (err: Error) => void };
  readonly ready: Promise<void>;

  constructor(private readonly t: LoadSpec, private readonly url: URL) {
    this.socket = connect({ host: url.hostname, port: Number(url.port), ca: t.ca });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('secureConnect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  post(payload: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting = { started: performance.now(), resolve, reject };
      this.socket.write(`POST ${this.t.path} HTTP/1.1\r\nHost: ${this.url.host}\r\nContent-Type: application/json\r\n`
        + `Authorization: Bearer ${this.t.token}\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`);
    });
  }

  close(): void {
    this.waiting = undefined;
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const w = this.waiting;
    const end = this.buffered.indexOf(HEAD_END);
    if (!w || end < 0) return;
    const head = this.buffered.toString('latin1', 0, end);
    const length = CONTENT_LENGTH.exec(head)?.[1];
    const status = head.slice(9, 12);
    if (status !== '201' || length === undefined) return this.fail(new Error(`answer not a 201 with a Content-Length: ${head.split('\r\n')[0]}`));
    const size = end + HEAD_END.length + Number(length);
    if (this.buffered.length < size) return;
    this.buffered = this.buffered.subarray(size);
    this.waiting = undefined;
    w.resolve(performance.now() - w.started);
  }

  private fail(err: Error): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(err);
  }
}

async function run(t: LoadSpec): Promise<LoadResult> {
  const url = new URL(t.url);
  let seq = 0;
  const connections = Array.from({ length: t.clients }, () => new Connection(t, url));
  await Promise.all(connections.map((c) => c.ready));
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(connections.map(async (c) => {
    while (next < t.total) {
      next++;
      latencies.push(await c.post(body(`bench-${t.prefix}-${seq++}`)));
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  for (const c of connections) c.close();
  latencies.sort((a, b) => a - b);
  return { rate: t.total / seconds, p50: latencies[Math.floor(latencies.length * 0.5)], p99: latencies[Math.floor(latencies.length * 0.99)] };
}

if (process.env.BENCH_TARGET && process.send) {
  const spec = JSON.parse(process.env.BENCH_TARGET) as LoadSpec;
  if (spec.warm) {
    await run({ ...spec, total: spec.warm, prefix: `${spec.prefix}-warm` });
    await new Promise((resolve) => { process.once('message', resolve); process.send!('warmed'); });
  }
  const result = await run(spec);
  process.send(result, () => process.exit(0));
}
