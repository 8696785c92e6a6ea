import { Duplex } from 'node:stream';
import { finished } from 'node:stream/promises';
import { badRequest, notFound, serviceUnavailable } from '@peapod/api-types';
import type { ContainerLogQuery, SessionIO } from '@peapod/client';
import type { Clock } from '@peapod/core';
import { isRuntimeError, type StreamSession, type Streaming } from '@peapod/runtime';

/** The pod a streaming request is for, as the API server resolved it. */
export interface PodRef {
  node?: string;
  namespace: string;
  pod: string;
  uid: string;
}

/** The container a streaming request is for. */
export interface ContainerTarget extends PodRef {
  container: string;
}

export interface StreamLogOptions extends ContainerLogQuery {
  signal: AbortSignal;
}

/** The two directions of an exec/attach session, as the remote-command protocol carries them. */
export type StreamIO = SessionIO;

/**
 * The node side of `kubectl logs/exec/attach` that the API server proxies to (shaped like its
 * `NodeStreamer`). Every request names a pod and one of its containers; the kubelet answers
 * only for containers it runs for that pod, reaching them through the runtime by container id, so
 * no request can name a file or another pod's container. Failures are `StatusError`s.
 */
export interface NodeStreaming {
  logs(target: ContainerTarget, opts: StreamLogOptions): AsyncIterable<Uint8Array>;
  exec(target: ContainerTarget, command: readonly string[], io: StreamIO): Promise<{ exitCode: number }>;
  attach(target: ContainerTarget, io: StreamIO): Promise<{ exitCode: number }>;
  /**
   * `kubectl port-forward`: connects `stream` to `port` in the pod's network (the runtime's
   * `portForward` on the pod's ready sandbox). The client ending `stream` half-closes the
   * connection; the pod closing it ends `stream`. Resolves once the connection is closed, or when
   * `signal` aborts (which drops it). Rejects before any byte flows when the pod has no ready
   * sandbox here or nothing accepts the connection.
   */
  portForward(target: PodRef, port: number, stream: Duplex, signal: AbortSignal): Promise<void>;
}

/** What the streaming server needs to know about the pods this kubelet runs. */
export interface ContainerLocator {
  /** Container ids of `container` in pod `uid`, newest attempt first; undefined when the pod or container is unknown. */
  attempts(uid: string, container: string): { id: string; running: boolean }[] | undefined;
  /** The id of pod `uid`'s ready sandbox; undefined when the pod is unknown or has none. */
  sandbox(uid: string): string | undefined;
}

export class KubeletStreamingServer implements NodeStreaming {
  constructor(private readonly locator: ContainerLocator, private readonly runtime: Streaming, private readonly clock: Clock) {}

  async *logs(target: ContainerTarget, opts: StreamLogOptions): AsyncIterable<Uint8Array> {
    const all = this.attemptsOf(target);
    const c = opts.previous ? all[1] : all[0];
    if (!c) {
      throw opts.previous
        ? badRequest(`previous terminated container "${target.container}" in pod "${target.pod}" not found`)
        : badRequest(`container "${target.container}" in pod "${target.pod}" is waiting to start: ContainerCreating`);
    }
    const since = opts.sinceTime ? Date.parse(opts.sinceTime) : opts.sinceSeconds !== undefined ? this.clock.now() - opts.sinceSeconds * 1000 : undefined;
    const entries = this.runtime.readContainerLog(c.id, {
      follow: opts.follow && c.running,
      tailLines: opts.tailLines,
      since,
      limitBytes: opts.limitBytes,
      signal: opts.signal,
    });
    for await (const e of entries) {
      const line = `${opts.timestamps ? `${e.timestamp} ` : ''}${e.content}${e.tag === 'F' ? '\n' : ''}`;
      yield Buffer.from(line, 'utf8');
    }
  }

  async exec(target: ContainerTarget, command: readonly string[], io: StreamIO): Promise<{ exitCode: number }> {
    const id = this.running(target);
    return this.relay(await this.runtime.exec(id, { cmd: [...command], stdin: !!io.stdin, tty: io.tty }), io);
  }

  async attach(target: ContainerTarget, io: StreamIO): Promise<{ exitCode: number }> {
    const id = this.running(target);
    return this.relay(await this.runtime.attach(id, { stdin: !!io.stdin, tty: io.tty }), io);
  }

  async portForward(target: PodRef, port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
    const sandbox = this.locator.sandbox(target.uid);
    if (!sandbox) throw badRequest(`pod ${target.pod} has no running sandbox on this node`);
    let conn: Duplex;
    try {
      const c = await this.runtime.portForward(sandbox, port);
      conn = c instanceof Duplex ? c : Duplex.from(c);
    } catch (err) {
      throw isRuntimeError(err) ? serviceUnavailable(err.message) : err;
    }
    await splice(stream, conn, signal);
  }

  private attemptsOf(target: ContainerTarget) {
    const attempts = this.locator.attempts(target.uid, target.container);
    if (!attempts) throw notFound({ kind: 'pods', name: target.pod });
    return attempts;
  }

  private running(target: ContainerTarget): string {
    const c = this.attemptsOf(target)[0];
    if (!c?.running) throw badRequest(`container ${target.container} is not valid for pod ${target.pod}: it is not running`);
    return c.id;
  }

  private async relay(session: StreamSession, io: StreamIO): Promise<{ exitCode: number }> {
    const onAbort = () => session.close();
    io.signal.addEventListener('abort', onAbort, { once: true });
    session.stdout.on('data', (chunk: Buffer) => io.stdout?.(chunk));
    session.stderr?.on('data', (chunk: Buffer) => (io.stderr ?? io.stdout)?.(chunk));
    const pumps = [
      (async () => {
        if (!io.stdin || !session.stdin) return;
        for await (const chunk of io.stdin) session.stdin.write(chunk);
        session.stdin.end();
      })(),
      (async () => {
        for await (const size of io.resize) session.resize(size);
      })(),
    ];
    const drained = [session.stdout, session.stderr].filter((s): s is NodeJS.ReadableStream => !!s).map((s) => finished(s).catch(() => undefined));
    try {
      const [exitCode] = await Promise.all([session.exited, ...drained]);
      return { exitCode };
    } finally {
      io.signal.removeEventListener('abort', onAbort);
      void Promise.allSettled(pumps);
    }
  }
}

/**
 * Copies both ways between the client's stream and the pod's connection, passing half-closes
 * on; resolves when the pod's connection is closed. The client's stream going away (reset) or
 * `signal` aborting drops the connection. A runtime error before the pod sent anything (a
 * runtime that finds the port closed only once connected) rejects, so the client is told why.
 */
function splice(client: Duplex, conn: Duplex, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let answered = false;
    let failure: unknown;
    const drop = () => conn.destroy();
    signal.addEventListener('abort', drop, { once: true });
    client.once('close', () => { if (!client.readableEnded) drop(); });
    conn.on('error', (err) => { failure ??= err; drop(); });
    conn.once('close', () => {
      signal.removeEventListener('abort', drop);
      if (!answered && isRuntimeError(failure)) return reject(serviceUnavailable(failure.message));
      if (!client.writableEnded) client.end();
      resolve();
    });
    client.pipe(conn);
    conn.pipe(client);
    conn.once('data', () => { answered = true; });
    if (signal.aborted) drop();
  });
}
