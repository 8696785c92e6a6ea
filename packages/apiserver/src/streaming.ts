import { badRequest, isStatusError, toStatusError, type Status } from '@peapod/api-types';
import type { WebSocket } from 'ws';
import { AsyncQueue } from './async-queue.js';
import type { NodeStreamer, PodTarget, StreamIO, TerminalSize } from './node-streamer.js';
import type { Obj } from './obj.js';

/**
 * The Kubernetes remote-command protocol over WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`),
 * as kubectl >= 1.31 speaks it for exec and attach. Every binary message starts with a channel
 * byte: 0 stdin, 1 stdout, 2 stderr, 3 error (one JSON Status, then the server closes), 4 resize
 * (JSON `{"Width","Height"}`); v5 adds 255 "close": `[255, channel]` half-closes a channel (the
 * client sends it when its stdin ends).
 */
export const STREAM_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

export const enum Channel { Stdin = 0, Stdout = 1, Stderr = 2, Error = 3, Resize = 4, Close = 255 }

/** The subprotocol to answer with, or undefined when the client offers none this server speaks. */
export function chooseProtocol(offered: Iterable<string>): string | undefined {
  const set = new Set([...offered].map((p) => p.trim()));
  return STREAM_PROTOCOLS.find((p) => set.has(p));
}

export interface SessionRequest {
  kind: 'exec' | 'attach';
  target: PodTarget;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Parses and checks exec/attach query parameters against the pod (phase, container, command). */
export function sessionRequest(kind: 'exec' | 'attach', pod: Obj, container: string, q: URLSearchParams): SessionRequest {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') throw badRequest(`cannot ${kind} into a container in a completed pod; current phase is ${phase}`);
  if (!pod.spec?.nodeName) throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  const flag = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  const req: SessionRequest = {
    kind,
    target: { node: pod.spec.nodeName, namespace: pod.metadata.namespace, pod: pod.metadata.name, uid: pod.metadata.uid, container },
    command: q.getAll('command'),
    stdin: flag('stdin'),
    stdout: flag('stdout'),
    stderr: flag('stderr'),
    tty: flag('tty'),
  };
  if (kind === 'exec' && req.command.length === 0) throw badRequest('you must specify at least one command for the container');
  if (!req.stdin && !req.stdout && !req.stderr) throw badRequest('you must specify at least one of stdin, stdout, stderr');
  if (req.tty && req.stderr) req.stderr = false; // a terminal merges stderr into stdout
  return req;
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

/**
 * Runs one exec/attach session on an upgraded socket: frames client messages into the node
 * streamer's StreamIO and its output back onto channels, sends the final Status on channel 3 and
 * closes. The socket closing early aborts the session on the node.
 */
export async function runSession(ws: WebSocket, protocol: string, req: SessionRequest, streamer: NodeStreamer): Promise<void> {
  const abort = new AbortController();
  const stdin = new AsyncQueue<Uint8Array>();
  const resize = new AsyncQueue<TerminalSize>();
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const buf = isBinary ? data : Buffer.from(data);
    if (buf.length === 0) return;
    const channel = buf[0];
    const payload = buf.subarray(1);
    if (channel === Channel.Stdin && req.stdin) stdin.push(payload);
    else if (channel === Channel.Resize) {
      try {
        const size = JSON.parse(payload.toString('utf8')) as { Width?: number; Height?: number };
        resize.push({ width: Number(size.Width ?? 0), height: Number(size.Height ?? 0) });
      } catch {
        // A malformed resize message is ignored, as the kubelet ignores it.
      }
    } else if (channel === Channel.Close && protocol === 'v5.channel.k8s.io' && payload[0] === Channel.Stdin) stdin.end();
  });
  ws.on('close', () => {
    abort.abort();
    stdin.end();
    resize.end();
  });
  const send = (channel: number) => (chunk: Uint8Array) => {
    if (ws.readyState === ws.OPEN) ws.send(frame(channel, chunk));
  };
  const io: StreamIO = {
    stdin: req.stdin ? stdin : undefined,
    stdout: req.stdout ? send(Channel.Stdout) : undefined,
    stderr: req.stderr ? send(Channel.Stderr) : undefined,
    resize,
    tty: req.tty,
    signal: abort.signal,
  };
  let status: Status;
  try {
    const result = req.kind === 'exec' ? await streamer.exec(req.target, req.command, io) : await streamer.attach(req.target, io);
    status = exitStatus(result.exitCode, req.command);
  } catch (err) {
    status = isStatusError(err) ? err.status : toStatusError(err).status;
  }
  resize.end();
  stdin.end();
  if (ws.readyState === ws.OPEN) {
    ws.send(frame(Channel.Error, Buffer.from(JSON.stringify(status))));
    ws.close(1000);
  }
}
