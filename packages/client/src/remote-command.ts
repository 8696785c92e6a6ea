import { StatusError, serviceUnavailable, toStatusError, type Status } from '@peapod/api-types';
import { Duplex } from 'node:stream';
import WebSocket from 'ws';

/**
 * The Kubernetes remote-command protocol over WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`),
 * as kubectl >= 1.31 speaks it to the API server and the API server speaks it to the kubelet for
 * exec and attach. Every binary message starts with a channel byte: 0 stdin, 1 stdout, 2 stderr,
 * 3 error (one JSON Status, then the server closes), 4 resize (JSON `{"Width","Height"}`); v5 adds
 * 255 "close": `[255, channel]` half-closes a channel (the client sends it when its stdin ends).
 * Both ends live here so the API server (serving kubectl, dialling kubelets) and the kubelet
 * (serving the API server) share one implementation.
 */
export const STREAM_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

export const Channel = { Stdin: 0, Stdout: 1, Stderr: 2, Error: 3, Resize: 4, Close: 255 } as const;

/** The subprotocol to answer with, or undefined when the client offers none this end speaks. */
export function chooseProtocol(offered: Iterable<string>): string | undefined {
  const set = new Set([...offered].map((p) => p.trim()));
  return STREAM_PROTOCOLS.find((p) => set.has(p));
}

/** A terminal size change (channel 4). */
export interface TerminalSize {
  width: number;
  height: number;
}

/**
 * The two directions of an exec/attach session. `stdin` ends when the client closes it;
 * `stdout`/`stderr` write to the client (absent when the client did not ask for them).
 */
export interface SessionIO {
  stdin?: AsyncIterable<Uint8Array>;
  stdout?: (chunk: Uint8Array) => void;
  stderr?: (chunk: Uint8Array) => void;
  resize: AsyncIterable<TerminalSize>;
  tty: boolean;
  signal: AbortSignal;
}

/** What the client asked for: the streams it wants and, for exec, the command. */
export interface SessionStreams {
  command: readonly string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/**
 * A single-consumer queue bridging push-style sources (socket messages) to an AsyncIterable.
 * `end()` lets the consumer drain what is queued and then finish.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting?: () => void;
  private ended = false;

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.items.length) {
        yield this.items.shift()!;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => { this.waiting = resolve; });
    }
  }
}

const frame = (channel: number, data: Uint8Array) => {
  const out = Buffer.allocUnsafe(data.length + 1);
  out[0] = channel;
  out.set(data, 1);
  return out;
};

/** The channel-3 Status for an exit code, in the form kubectl reads the code back from. */
export function exitStatus(exitCode: number, command: readonly string[]): Status {
  if (exitCode === 0) return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NonZeroExitCode',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** The inverse of `exitStatus`: the exit code a channel-3 Status reports; any other failure is thrown as its StatusError. */
export function exitCodeOf(status: Status): number {
  if (status.status === 'Success') return 0;
  const code = status.reason === 'NonZeroExitCode' ? Number(status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message) : NaN;
  if (Number.isInteger(code)) return code;
  throw new StatusError({ code: status.code ?? 500, reason: status.reason ?? 'InternalError', message: status.message ?? 'the session failed', ...(status.details ? { details: status.details } : {}) });
}

/** Decodes channel messages (the half both ends read with). */
function onChannels(ws: WebSocket, handle: (channel: number, payload: Buffer) => void): void {
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const buf = isBinary ? data : Buffer.from(data);
    if (buf.length) handle(buf[0], buf.subarray(1));
  });
}

/**
 * Serves one exec/attach session on an accepted socket: frames client messages into `SessionIO`
 * for `run` and its output back onto channels, sends the final Status on channel 3 and closes.
 * The socket closing early aborts `run` through `io.signal`. Never rejects.
 */
export async function serveSession(ws: WebSocket, streams: SessionStreams, run: (io: SessionIO) => Promise<{ exitCode: number }>): Promise<void> {
  const abort = new AbortController();
  const stdin = new AsyncQueue<Uint8Array>();
  const resize = new AsyncQueue<TerminalSize>();
  onChannels(ws, (channel, payload) => {
    if (channel === Channel.Stdin && streams.stdin) stdin.push(payload);
    else if (channel === Channel.Resize) {
      try {
        const size = JSON.parse(payload.toString('utf8')) as { Width?: number; Height?: number };
        resize.push({ width: Number(size.Width ?? 0), height: Number(size.Height ?? 0) });
      } catch {
        // A malformed resize message is ignored, as the kubelet ignores it.
      }
    } else if (channel === Channel.Close && ws.protocol === STREAM_PROTOCOLS[0] && payload[0] === Channel.Stdin) stdin.end();
  });
  ws.on('close', () => {
    abort.abort();
    stdin.end();
    resize.end();
  });
  const send = (channel: number) => (chunk: Uint8Array) => {
    if (ws.readyState === ws.OPEN) ws.send(frame(channel, chunk));
  };
  let status: Status;
  try {
    const result = await run({
      stdin: streams.stdin ? stdin : undefined,
      stdout: streams.stdout ? send(Channel.Stdout) : undefined,
      stderr: streams.stderr ? send(Channel.Stderr) : undefined,
      resize,
      tty: streams.tty,
      signal: abort.signal,
    });
    status = exitStatus(result.exitCode, streams.command);
  } catch (err) {
    status = toStatusError(err).status;
  }
  resize.end();
  stdin.end();
  if (ws.readyState === ws.OPEN) {
    ws.send(frame(Channel.Error, Buffer.from(JSON.stringify(status))));
    ws.close(1000);
  }
}

/** TLS material for dialling a session endpoint (PEM). */
export interface DialOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  headers?: Record<string, string>;
  /** Gives up on a server that does not answer the upgrade in time (default 10 s). */
  handshakeTimeoutMs?: number;
}

const parseStatus = (payload: Buffer): Status => {
  try {
    return JSON.parse(payload.toString('utf8')) as Status;
  } catch {
    return toStatusError(new Error('malformed status on the error channel')).status;
  }
};

/**
 * Opens a channel WebSocket and settles once it is closed: `opened` runs on the open socket with
 * a framed `send`; channel-3 Statuses are collected and handed to `closed`, which returns the
 * result or throws. A refused upgrade rejects with the server's Status, an unreachable server
 * with 503; `signal` closes the socket.
 */
function dial<T>(url: string, options: DialOptions, signal: AbortSignal, h: {
  opened(send: (channel: number, data: Uint8Array) => void): void;
  channel(channel: number, payload: Buffer): void;
  closed(status: Status | undefined): T;
}): Promise<T> {
  const where = url.split('?')[0];
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [...STREAM_PROTOCOLS], {
      ca: options.ca, cert: options.cert, key: options.key, headers: options.headers, handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
    });
    let settled = false;
    const settle = (fn: () => T) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      try {
        resolve(fn());
      } catch (err) {
        reject(toStatusError(err));
      }
    };
    const onAbort = () => ws.close(1000);
    signal.addEventListener('abort', onAbort, { once: true });
    let status: Status | undefined;
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body: Partial<Status> = (() => { try { return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Status; } catch { return {}; } })();
        const code = res.statusCode ?? 500;
        settle(() => { throw new StatusError({ code, reason: body.reason ?? (code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : 'InternalError'), message: body.message ?? `${where} refused the upgrade: HTTP ${code}` }); });
        ws.terminate();
      });
    });
    ws.on('error', (err) => settle(() => { throw serviceUnavailable(`cannot open a session at ${where}: ${err.message}`); }));
    onChannels(ws, (channel, payload) => {
      if (channel === Channel.Error) status = parseStatus(payload);
      else h.channel(channel, payload);
    });
    ws.on('open', () => h.opened((channel, data) => {
      if (ws.readyState === ws.OPEN) ws.send(frame(channel, data));
    }));
    ws.on('close', () => settle(() => {
      if (!status && !signal.aborted) throw serviceUnavailable(`the session at ${where} ended without a status`);
      return h.closed(status);
    }));
  });
}

/**
 * The client end of exec/attach: opens `url` (a `wss://` endpoint whose query already names the
 * streams), pumps `io.stdin` and `io.resize` onto channels 0 and 4 (half-closing stdin with v5's
 * close frame), writes channels 1 and 2 to `io.stdout`/`io.stderr`, and resolves with the exit
 * code from the channel-3 Status (other failures reject with their StatusError).
 */
export function dialSession(url: string, options: DialOptions, io: SessionIO): Promise<{ exitCode: number }> {
  return dial(url, options, io.signal, {
    opened(send) {
      void (async () => {
        if (!io.stdin) return;
        for await (const chunk of io.stdin) send(Channel.Stdin, chunk);
        send(Channel.Close, Uint8Array.of(Channel.Stdin));
      })();
      void (async () => {
        for await (const size of io.resize) send(Channel.Resize, Buffer.from(JSON.stringify({ Width: size.width, Height: size.height })));
      })();
    },
    channel(channel, payload) {
      if (channel === Channel.Stdout) io.stdout?.(payload);
      else if (channel === Channel.Stderr) (io.stderr ?? io.stdout)?.(payload);
    },
    closed: (status) => ({ exitCode: status ? exitCodeOf(status) : 0 }),
  });
}

/**
 * Port forwarding between the API server and a kubelet over the same channel framing: channel 0
 * carries bytes both ways, `[255, 0]` half-closes the sender's direction, and a channel-3 Status
 * reports why the pod's port could not be reached. One socket is one forwarded connection.
 */
export function dialPortForward(url: string, options: DialOptions, stream: Duplex, signal: AbortSignal): Promise<void> {
  return dial(url, options, signal, {
    opened(send) {
      stream.on('data', (chunk: Buffer) => send(Channel.Stdin, chunk));
      stream.once('end', () => send(Channel.Close, Uint8Array.of(Channel.Stdin)));
    },
    channel(channel, payload) {
      if (channel === Channel.Stdin) stream.write(payload);
      else if (channel === Channel.Close) stream.end();
    },
    closed(status) {
      if (!stream.writableEnded) stream.end();
      if (status && status.status !== 'Success') exitCodeOf(status);
    },
  });
}

/** The serving end of `dialPortForward`: hands `forward` a Duplex for the connection and reports its failure on channel 3. Never rejects. */
export async function servePortForward(ws: WebSocket, forward: (stream: Duplex, signal: AbortSignal) => Promise<void>): Promise<void> {
  const abort = new AbortController();
  const send = (channel: number, data: Uint8Array) => {
    if (ws.readyState === ws.OPEN) ws.send(frame(channel, data));
  };
  const stream = new Duplex({
    read() {
      // Pushed as messages arrive.
    },
    write(chunk: Buffer, _enc, cb) {
      send(Channel.Stdin, chunk);
      cb();
    },
    final(cb) {
      send(Channel.Close, Uint8Array.of(Channel.Stdin));
      cb();
    },
  });
  onChannels(ws, (channel, payload) => {
    if (channel === Channel.Stdin) stream.push(payload);
    else if (channel === Channel.Close) stream.push(null);
  });
  ws.on('close', () => {
    abort.abort();
    stream.destroy();
  });
  let status: Status = exitStatus(0, []);
  try {
    await forward(stream, abort.signal);
  } catch (err) {
    status = toStatusError(err).status;
  }
  send(Channel.Error, Buffer.from(JSON.stringify(status)));
  if (ws.readyState === ws.OPEN) ws.close(1000);
}

/** Parses the stream flags and command of an exec/attach query (`stdin=true&command=ls&...`). A terminal merges stderr into stdout. */
export function sessionStreams(q: URLSearchParams): SessionStreams {
  const flag = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  const tty = flag('tty');
  return { command: q.getAll('command'), stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr') && !tty, tty };
}

/** The query `sessionStreams` reads back. */
export function sessionQuery(s: SessionStreams): string {
  const q = new URLSearchParams();
  for (const c of s.command) q.append('command', c);
  for (const k of ['stdin', 'stdout', 'stderr', 'tty'] as const) if (s[k]) q.set(k, 'true');
  return q.toString();
}

/** A container of a pod on a node, as the kubelet's API names it. */
export interface ContainerRef {
  namespace: string;
  pod: string;
  uid: string;
  container: string;
}

/** Options of a container log read, as the kubelet's `/containerLogs` endpoint takes them. */
export interface ContainerLogQuery {
  follow?: boolean;
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
}

const seg = encodeURIComponent;

/**
 * The kubelet API's streaming paths (its `/containerLogs/{ns}/{pod}/{container}` and
 * `/exec|attach/{ns}/{pod}/{uid}/{container}`); the pod uid of a log read travels as `podUID`
 * in the query, so the kubelet answers for the exact pod the API server resolved.
 */
export const kubeletPaths = {
  logs: (t: ContainerRef, o: ContainerLogQuery): string => {
    const q = new URLSearchParams({ podUID: t.uid });
    for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== false) q.set(k, String(v));
    return `/containerLogs/${seg(t.namespace)}/${seg(t.pod)}/${seg(t.container)}?${q}`;
  },
  session: (kind: 'exec' | 'attach', t: ContainerRef, s: SessionStreams): string =>
    `/${kind}/${seg(t.namespace)}/${seg(t.pod)}/${seg(t.uid)}/${seg(t.container)}?${sessionQuery(s)}`,
  portForward: (t: Omit<ContainerRef, 'container'>, port: number): string => `/portForward/${seg(t.namespace)}/${seg(t.pod)}/${seg(t.uid)}?port=${port}`,
};

const SEGMENT = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * Reads a kubelet streaming path back; undefined for any other path, or when a segment is not a
 * plain Kubernetes name (so `..`, slashes or NULs can never reach a lookup).
 */
export function parseKubeletPath(path: string, q: URLSearchParams):
  | { kind: 'logs'; target: ContainerRef; options: ContainerLogQuery }
  | { kind: 'exec' | 'attach'; target: ContainerRef; streams: SessionStreams }
  | { kind: 'portForward'; target: Omit<ContainerRef, 'container'>; port: number }
  | undefined {
  let parts: string[];
  try {
    parts = path.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const [kind, namespace, pod, ...rest] = parts;
  if (kind === 'containerLogs' && rest.length === 1) {
    const target = { namespace, pod, uid: q.get('podUID') ?? '', container: rest[0] };
    if (![namespace, pod, target.uid, rest[0]].every((s) => SEGMENT.test(s))) return undefined;
    const num = (k: string) => (q.has(k) && /^\d+$/.test(q.get(k)!) ? Number(q.get(k)) : undefined);
    const bool = (k: string) => q.get(k) === 'true';
    return {
      kind: 'logs', target,
      options: { follow: bool('follow'), previous: bool('previous'), timestamps: bool('timestamps'), tailLines: num('tailLines'), sinceSeconds: num('sinceSeconds'), limitBytes: num('limitBytes'), sinceTime: q.get('sinceTime') ?? undefined },
    };
  }
  if ((kind === 'exec' || kind === 'attach') && rest.length === 2 && [namespace, pod, ...rest].every((s) => SEGMENT.test(s))) {
    return { kind, target: { namespace, pod, uid: rest[0], container: rest[1] }, streams: sessionStreams(q) };
  }
  const port = Number(q.get('port'));
  if (kind === 'portForward' && rest.length === 1 && [namespace, pod, rest[0]].every((s) => SEGMENT.test(s)) && Number.isInteger(port) && port > 0 && port < 65536) {
    return { kind, target: { namespace, pod, uid: rest[0] }, port };
  }
  return undefined;
}
