import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealClock } from '@peapod/core';
import { createMemoryStore, createSqliteStore, type Store } from '@peapod/store';
import { finished } from 'node:stream/promises';
import type { Duplex } from 'node:stream';
import type { LogOptions, NodeStreamer, PodTarget, PortForwardTarget, StreamIO, StreamResult } from '../node-streamer.js';
import { startApiServer, type ApiServerOptions, type RunningApiServer } from '../server.js';

/**
 * A node streaming endpoint for tests: logs are `line N` for the container, following adds a
 * line every 20 ms until aborted; exec runs `echo ARGS` (stdout), `cat` (stdin to stdout) and
 * `exit N`; attach echoes stdin; port-forward echoes what the client sends on any port but 1,
 * where nothing listens. Every call is recorded.
 */
export class FakeNodeStreamer implements NodeStreamer {
  readonly calls: Array<{ op: string; target: PodTarget; command?: readonly string[] }> = [];
  readonly forwards: Array<{ target: PortForwardTarget; port: number }> = [];

  async *logs(target: PodTarget, opts: LogOptions): AsyncIterable<Uint8Array> {
    this.calls.push({ op: 'logs', target });
    const lines = [1, 2, 3].map((i) => `${opts.timestamps ? '2025-01-01T00:00:00Z ' : ''}${target.container} line ${i}\n`);
    for (const l of opts.tailLines !== undefined ? lines.slice(lines.length - opts.tailLines) : lines) yield Buffer.from(l);
    for (let i = 4; opts.follow && !opts.signal.aborted; i++) {
      await new Promise((r) => setTimeout(r, 20));
      if (!opts.signal.aborted) yield Buffer.from(`${target.container} line ${i}\n`);
    }
  }

  async exec(target: PodTarget, command: readonly string[], io: StreamIO): Promise<StreamResult> {
    this.calls.push({ op: 'exec', target, command });
    if (command[0] === 'echo') io.stdout?.(Buffer.from(`${command.slice(1).join(' ')}\n`));
    if (command[0] === 'exit') return { exitCode: Number(command[1]) };
    if (command[0] === 'cat' && io.stdin) for await (const chunk of io.stdin) io.stdout?.(chunk);
    return { exitCode: 0 };
  }

  async attach(target: PodTarget, io: StreamIO): Promise<StreamResult> {
    this.calls.push({ op: 'attach', target });
    if (io.stdin) for await (const chunk of io.stdin) io.stdout?.(chunk);
    return { exitCode: 0 };
  }

  async portForward(target: PortForwardTarget, port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
    this.forwards.push({ target, port });
    if (port === 1) throw new Error(`dial tcp 127.0.0.1:${port}: connect: connection refused`);
    const drop = () => stream.destroy();
    signal.addEventListener('abort', drop, { once: true });
    stream.pipe(stream);
    await finished(stream).catch(() => undefined);
    signal.removeEventListener('abort', drop);
  }
}

export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface TestServer {
  server: RunningApiServer;
  store: Store;
  streamer: FakeNodeStreamer;
  dir: string;
  kubeconfig: string;
  /** Runs the real kubectl against the server; never rejects (look at `code`). */
  kubectl(args: string[], opts?: { env?: Record<string, string>; input?: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** One raw HTTPS request; `token` defaults to the admin token (`null` sends none). */
  call(method: string, path: string, opts?: { body?: unknown; raw?: string | Buffer; contentType?: string; token?: string | null; headers?: Record<string, string>; agent?: Agent }): Promise<CallResult>;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 with a free port, a temp PKI dir and kubeconfig, and a fake node streamer. */
export async function startTestServer(opts: { store?: 'memory' | 'sqlite' } & Partial<ApiServerOptions> = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'peapod-apiserver-'));
  const store = opts.store === 'sqlite' ? createSqliteStore(join(dir, 'state.db')) : createMemoryStore();
  const streamer = new FakeNodeStreamer();
  const { store: _kind, ...options } = opts;
  const server = await startApiServer({ port: 0, pkiDir: join(dir, 'pki'), ...options }, { store, clock: new RealClock(), nodeStreamer: streamer });
  const kubeconfig = join(dir, 'kubeconfig');
  await server.writeKubeconfig(kubeconfig);
  const url = new URL(server.url);
  return {
    server, store, streamer, dir, kubeconfig,
    kubectl: (args, o = {}) => new Promise((resolve) => {
      const child = execFile('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir, ...o.env }, timeout: o.timeoutMs ?? 20_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
      if (o.input !== undefined) child.stdin?.end(o.input);
    }),
    call: (method, path, o = {}) => new Promise((resolve, reject) => {
      const raw = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
      const token = o.token === undefined ? server.adminToken : o.token;
      const req = request({
        host: url.hostname, port: url.port, method, path, ca: server.caCert, agent: o.agent,
        headers: {
          ...(raw !== undefined ? { 'content-type': o.contentType ?? 'application/json', 'content-length': String(Buffer.byteLength(raw)) } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...o.headers,
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try { json = JSON.parse(text); } catch { json = undefined; }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      });
      req.on('error', reject);
      req.end(raw);
    }),
    async close() {
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
