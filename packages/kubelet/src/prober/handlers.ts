import * as http from 'node:http';
import * as https from 'node:https';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import type * as Grpc from '@grpc/grpc-js';
import type { ContainerPort, HTTPGetAction, LifecycleHandler, Probe } from '@peapod/api-types';
import type { Clock } from '@peapod/core';
import { isRuntimeError, type Runtime } from '@peapod/runtime';

export interface HandlerOutcome {
  ok: boolean;
  /** What the handler said (command output, HTTP status, error), for events. */
  output: string;
}

/** Where a probe or hook runs: the container (exec) and the pod's address (network handlers). */
export interface HandlerTarget {
  containerId: string;
  podIP?: string;
  ports?: readonly ContainerPort[];
}

type Handler = Pick<Probe, 'exec' | 'httpGet' | 'tcpSocket' | 'grpc'> & Pick<LifecycleHandler, 'sleep'>;

/** Runs probe and lifecycle-hook handlers. A failure is an outcome, never a throw. */
export interface HandlerRunner {
  run(handler: Handler, target: HandlerTarget, timeoutMs: number, signal?: AbortSignal): Promise<HandlerOutcome>;
}

const ok = (output = ''): HandlerOutcome => ({ ok: true, output });
const fail = (output: string): HandlerOutcome => ({ ok: false, output });

/** A named port (`http`) resolved against the container's ports, as the kubelet does. */
function resolvePort(port: number | string, ports: readonly ContainerPort[] = []): number | undefined {
  if (typeof port === 'number') return port;
  const named = ports.find((p) => p.name === port)?.containerPort;
  if (named !== undefined) return named;
  const n = Number(port);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

/**
 * The real handlers: exec through the runtime, httpGet/tcpSocket/grpc over the network to the
 * pod's IP (or `host` when set), sleep on the clock. Timeouts run on the injected clock.
 */
export class DefaultHandlerRunner implements HandlerRunner {
  constructor(private readonly runtime: Runtime, private readonly clock: Clock) {}

  async run(handler: Handler, target: HandlerTarget, timeoutMs: number, signal?: AbortSignal): Promise<HandlerOutcome> {
    const host = (h?: string) => h || target.podIP || '127.0.0.1';
    if (handler.exec) return this.exec(target.containerId, handler.exec.command ?? [], timeoutMs);
    if (handler.sleep) {
      await this.clock.sleep(handler.sleep.seconds * 1000, signal).catch(() => undefined);
      return ok();
    }
    const portOf = (p: number | string) => resolvePort(p, target.ports);
    if (handler.httpGet) {
      const port = portOf(handler.httpGet.port);
      return port === undefined ? fail(`invalid port ${handler.httpGet.port}`) : this.withTimeout(timeoutMs, (s) => httpGet(handler.httpGet!, host(handler.httpGet!.host), port, s));
    }
    if (handler.tcpSocket) {
      const port = portOf(handler.tcpSocket.port);
      return port === undefined ? fail(`invalid port ${handler.tcpSocket.port}`) : this.withTimeout(timeoutMs, (s) => tcpConnect(host(handler.tcpSocket!.host), port, s));
    }
    if (handler.grpc) return this.withTimeout(timeoutMs, (s) => grpcHealth(host(), handler.grpc!.port, handler.grpc!.service ?? '', s));
    return fail('no handler specified');
  }

  private async exec(containerId: string, command: string[], timeoutMs: number): Promise<HandlerOutcome> {
    try {
      const r = await this.runtime.execSync(containerId, command, timeoutMs);
      const output = Buffer.concat([r.stdout, r.stderr]).toString('utf8');
      return r.exitCode === 0 ? ok(output) : fail(output || `command ${JSON.stringify(command.join(' '))} exited with ${r.exitCode}`);
    } catch (err) {
      if (isRuntimeError(err) && err.code === 'DeadlineExceeded') return fail(`command timed out: "${command.join(' ')}" timed out after ${timeoutMs / 1000}s`);
      return fail(err instanceof Error ? err.message : String(err));
    }
  }

  private async withTimeout(timeoutMs: number, fn: (signal: AbortSignal) => Promise<HandlerOutcome>): Promise<HandlerOutcome> {
    const ac = new AbortController();
    const timer = this.clock.setTimeout(() => ac.abort(new Error(`timeout after ${timeoutMs / 1000}s`)), timeoutMs);
    try {
      return await fn(ac.signal);
    } catch (err) {
      return fail(ac.signal.aborted ? `timeout after ${timeoutMs / 1000}s` : err instanceof Error ? err.message : String(err));
    } finally {
      timer.cancel();
    }
  }
}

/** Success is a status in [200, 400), as the kubelet's HTTP prober; HTTPS does not verify certificates. */
function httpGet(action: HTTPGetAction, host: string, port: number, signal: AbortSignal): Promise<HandlerOutcome> {
  const secure = action.scheme === 'HTTPS';
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.33', Accept: '*/*' };
  for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
  let path = action.path || '/';
  if (!path.startsWith('/')) path = `/${path}`;
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request({ host, port, path, method: 'GET', headers, signal, rejectUnauthorized: false, agent: false }, (res) => {
      const code = res.statusCode ?? 0;
      res.resume();
      res.on('end', () => resolve(code >= 200 && code < 400 ? ok(`HTTP probe succeeded with statuscode: ${code}`) : fail(`HTTP probe failed with statuscode: ${code}`)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function tcpConnect(host: string, port: number, signal: AbortSignal): Promise<HandlerOutcome> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, signal });
    socket.once('connect', () => {
      socket.destroy();
      resolve(ok());
    });
    socket.once('error', reject);
  });
}

/** gRPC (~3 MB of heap) is loaded by the first gRPC probe, not with the kubelet: few pods have one. */
let grpcModule: typeof Grpc | undefined;
const loadGrpc = () => (grpcModule ??= createRequire(import.meta.url)('@grpc/grpc-js') as typeof Grpc);

/** `grpc.health.v1.Health/Check` with the request and response encoded by hand (one string, one enum). */
function grpcHealth(host: string, port: number, service: string, signal: AbortSignal): Promise<HandlerOutcome> {
  const grpc = loadGrpc();
  const client = new grpc.Client(`${host}:${port}`, grpc.credentials.createInsecure());
  // Field 1 is written even when empty: some servers drop a zero-length request frame.
  const serialize = (s: string) => {
    const bytes = Buffer.from(s, 'utf8');
    const len: number[] = [];
    for (let n = bytes.length; ; n >>>= 7) {
      if (n < 0x80) {
        len.push(n);
        break;
      }
      len.push((n & 0x7f) | 0x80);
    }
    return Buffer.concat([Buffer.from([0x0a, ...len]), bytes]);
  };
  const deserialize = (b: Buffer) => (b.length >= 2 && b[0] === 0x08 ? b[1] : 0);
  return new Promise<HandlerOutcome>((resolve, reject) => {
    const call = client.makeUnaryRequest('/grpc.health.v1.Health/Check', serialize, deserialize, service, (err, status) => {
      client.close();
      if (err) return reject(new Error(`failed to connect service "${host}:${port}" within probe timeout: ${err.message}`));
      resolve(status === 1 ? ok() : fail(`service unhealthy (responded with "${['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'][status ?? 0]}")`));
    });
    signal.addEventListener('abort', () => call.cancel(), { once: true });
  });
}
