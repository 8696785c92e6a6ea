import { Duplex } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';
import { serviceUnavailable, toStatusError, type Status } from '@peapod/api-types';
import type { LogOptions, NodeStreamer, PodTarget, PortForwardTarget, StreamIO, TerminalSize } from '@peapod/apiserver';
import { AsyncQueue, statusErrorFromResponse, type ContainerLogQuery } from '@peapod/client';

/**
 * The API server's streaming calls (logs, exec, attach, port-forward) to kubelets living on a
 * worker thread, over a MessagePort private to the two threads: the main thread's `NodeStreamer`
 * (`bridgeStreamer`) opens a session per call; the worker (`serveStreaming`) runs it on the node's
 * kubelet. Bytes flow both ways per session id; a session ends with `done` (exit code for
 * exec/attach) or `error` (a Status), and the main side's abort (client gone) cancels it.
 */
type Flags = { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean };
type Open =
  | { t: 'logs'; id: number; target: PodTarget; opts: ContainerLogQuery }
  | { t: 'exec'; id: number; target: PodTarget; command: readonly string[]; flags: Flags }
  | { t: 'attach'; id: number; target: PodTarget; flags: Flags }
  | { t: 'portForward'; id: number; target: PortForwardTarget; port: number };
type ToWorker = Open
  | { t: 'in'; id: number; data: Uint8Array }
  | { t: 'in-end'; id: number }
  | { t: 'resize'; id: number; size: TerminalSize }
  | { t: 'cancel'; id: number };
type ToMain =
  | { t: 'out'; id: number; data: Uint8Array; stderr?: true }
  | { t: 'out-end'; id: number }
  | { t: 'done'; id: number; exitCode?: number }
  | { t: 'error'; id: number; status: Status };

const portGone = () => serviceUnavailable('the simulated nodes\' worker is gone');

/** The main thread's side: a NodeStreamer whose sessions run on the worker at the other end of `port`. */
export function bridgeStreamer(port: MessagePort): NodeStreamer {
  const sessions = new Map<number, (m: ToMain | { t: 'gone' }) => void>();
  let nextId = 1;
  port.on('message', (m: ToMain) => sessions.get(m.id)?.(m));
  port.on('close', () => { for (const deliver of sessions.values()) deliver({ t: 'gone' }); });
  const send = (m: ToWorker) => port.postMessage(m);

  /** Opens a session; `onOut` takes its bytes; resolves with its exit code, rejects with its Status. */
  const open = (msg: Open, signal: AbortSignal, onOut: (m: ToMain & { t: 'out' | 'out-end' }) => void) => new Promise<number | undefined>((resolve, reject) => {
    const { id } = msg;
    const cancel = () => send({ t: 'cancel', id });
    const finish = () => { sessions.delete(id); signal.removeEventListener('abort', cancel); };
    sessions.set(id, (m) => {
      if (m.t === 'out' || m.t === 'out-end') return onOut(m);
      finish();
      if (m.t === 'done') resolve(m.exitCode);
      else reject(m.t === 'gone' ? portGone() : statusErrorFromResponse(m.status.code ?? 500, m.status));
    });
    signal.addEventListener('abort', cancel, { once: true });
    send(msg);
  });
  const pump = async <T>(source: AsyncIterable<T> | undefined, each: (item: T) => ToWorker, end?: ToWorker) => {
    if (!source) return;
    for await (const item of source) send(each(item));
    if (end) send(end);
  };
  const session = async (msg: Open & { t: 'exec' | 'attach' }, io: StreamIO) => {
    void pump(io.stdin, (data) => ({ t: 'in', id: msg.id, data }), { t: 'in-end', id: msg.id });
    void pump(io.resize, (size) => ({ t: 'resize', id: msg.id, size }));
    const exitCode = await open(msg, io.signal, (m) => { if (m.t === 'out') (m.stderr ? io.stderr : io.stdout)?.(m.data); });
    return { exitCode: exitCode ?? 0 };
  };
  const flags = (io: StreamIO): Flags => ({ stdin: !!io.stdin, stdout: !!io.stdout, stderr: !!io.stderr, tty: io.tty });

  return {
    async *logs(target: PodTarget, { signal, ...opts }: LogOptions) {
      const chunks = new AsyncQueue<Uint8Array>();
      const ended = open({ t: 'logs', id: nextId++, target, opts }, signal, (m) => { if (m.t === 'out') chunks.push(m.data); });
      const failed = ended.then(() => undefined, (err: unknown) => err);
      void failed.finally(() => chunks.end());
      signal.addEventListener('abort', () => chunks.end(), { once: true });
      yield* chunks;
      const err = await failed;
      if (err && !signal.aborted) throw err;
    },
    exec: (target, command, io) => session({ t: 'exec', id: nextId++, target, command, flags: flags(io) }, io),
    attach: (target, io) => session({ t: 'attach', id: nextId++, target, flags: flags(io) }, io),
    async portForward(target, port, stream, signal) {
      const id = nextId++;
      const done = open({ t: 'portForward', id, target, port }, signal, (m) => { if (m.t === 'out') stream.write(m.data); else stream.end(); });
      stream.on('data', (data: Buffer) => send({ t: 'in', id, data }));
      stream.once('end', () => send({ t: 'in-end', id }));
      await done;
    },
  };
}

/** The worker's side: runs each session the main thread opens on `streamerOf(node)`. */
export function serveStreaming(port: MessagePort, streamerOf: (node: string) => NodeStreamer | undefined): void {
  const inputs = new Map<number, { abort: AbortController; stdin?: AsyncQueue<Uint8Array>; resize?: AsyncQueue<TerminalSize>; peer?: Duplex }>();
  const send = (m: ToMain) => port.postMessage(m);
  const run = async (m: Open, abort: AbortController): Promise<number | undefined> => {
    const streamer = streamerOf(m.target.node);
    if (!streamer) throw serviceUnavailable(`the kubelet of node ${m.target.node} is not running`);
    const out = (stderr?: true) => (data: Uint8Array) => send({ t: 'out', id: m.id, data, ...(stderr ? { stderr } : {}) });
    switch (m.t) {
      case 'logs':
        for await (const data of streamer.logs(m.target, { ...m.opts, signal: abort.signal })) out()(data);
        return undefined;
      case 'exec': case 'attach': {
        const stdin = m.flags.stdin ? new AsyncQueue<Uint8Array>() : undefined;
        const resize = new AsyncQueue<TerminalSize>();
        inputs.set(m.id, { abort, stdin, resize });
        const io: StreamIO = { stdin, resize, tty: m.flags.tty, signal: abort.signal, stdout: m.flags.stdout ? out() : undefined, stderr: m.flags.stderr ? out(true) : undefined };
        return (await (m.t === 'exec' ? streamer.exec(m.target, m.command, io) : streamer.attach(m.target, io))).exitCode;
      }
      case 'portForward': {
        // The kubelet's side of the connection: what it writes goes to the client, what the client sends is read here.
        const peer = new Duplex({
          read() { /* pushed as 'in' messages arrive */ },
          write(data: Uint8Array, _enc, cb) { out()(data); cb(); },
          final(cb) { send({ t: 'out-end', id: m.id }); cb(); },
        });
        inputs.set(m.id, { abort, peer });
        await streamer.portForward(m.target, m.port, peer, abort.signal);
        return undefined;
      }
    }
  };
  port.on('message', (m: ToWorker) => {
    const input = inputs.get(m.id);
    switch (m.t) {
      case 'in': input?.stdin?.push(m.data); input?.peer?.push(m.data); return;
      case 'in-end': input?.stdin?.end(); input?.peer?.push(null); return;
      case 'resize': input?.resize?.push(m.size); return;
      case 'cancel': input?.abort.abort(); input?.stdin?.end(); input?.resize?.end(); input?.peer?.destroy(); return;
    }
    const abort = new AbortController();
    inputs.set(m.id, { abort });
    run(m, abort).then(
      (exitCode) => send({ t: 'done', id: m.id, ...(exitCode === undefined ? {} : { exitCode }) }),
      (err: unknown) => send({ t: 'error', id: m.id, status: toStatusError(err).status }),
    ).finally(() => inputs.delete(m.id));
  });
}
