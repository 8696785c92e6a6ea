import { finished } from 'node:stream/promises';
import { badRequest, notFound } from '@peapod/api-types';
import type { Clock } from '@peapod/core';
import type { StreamSession, Streaming } from '@peapod/runtime';

/** The container a streaming request is for, as the API server resolved it. */
export interface ContainerTarget {
  node?: string;
  namespace: string;
  pod: string;
  uid: string;
  container: string;
}

export interface StreamLogOptions {
  follow?: boolean;
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
  signal: AbortSignal;
}

export interface StreamIO {
  stdin?: AsyncIterable<Uint8Array>;
  stdout?: (chunk: Uint8Array) => void;
  stderr?: (chunk: Uint8Array) => void;
  resize: AsyncIterable<{ width: number; height: number }>;
  tty: boolean;
  signal: AbortSignal;
}

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
}

/** What the streaming server needs to know about the pods this kubelet runs. */
export interface ContainerLocator {
  /** Container ids of `container` in pod `uid`, newest attempt first; undefined when the pod or container is unknown. */
  attempts(uid: string, container: string): { id: string; running: boolean }[] | undefined;
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
