import { StatusError, type Status } from '@peapod/api-types';
import { statusErrorFromResponse } from '../errors.js';
import { AsyncQueue } from '../remote-command.js';
import type { ApiRequest, ApiResponse, KubeObject, Transport, WatchEvent } from '../types.js';

/**
 * The wire of a MessagePort transport: the client of another thread (a worker's kubelets) and the
 * API server's thread exchange batches (arrays) of these messages. Each call carries the identity
 * it acts as (`user`, a name the serving side must have granted to this port); bodies cross as
 * JSON text, so the serving side can answer with the text its store already wrote.
 */
export type PortCallKind = 'request' | 'watch' | 'stream';
export type PortCall = {
  t: 'call'; id: number; user: string; kind: PortCallKind;
  method: ApiRequest['method']; path: string; query?: Record<string, string>; body?: string; contentType?: string;
  /** A request the caller may abort (watches and streams always may): the serving side then gives it a signal. */
  abortable?: true;
};
/** The caller gave up (abort, watch stopped): the serving side ends the call's work. */
export type PortCancel = { t: 'cancel'; id: number };
export type PortReply =
  | { t: 'object'; id: number; status: number; body: string }
  | { t: 'event'; id: number; json: string }
  | { t: 'chunk'; id: number; data: Uint8Array }
  | { t: 'end'; id: number }
  | { t: 'error'; id: number; status: Status };

/** What the transport needs of a `worker_threads` MessagePort (or Worker, or `parentPort`). */
export interface MessagePortLike {
  postMessage(value: unknown): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

/**
 * Posts messages in batches, one `postMessage` per turn of the event loop: a busy thread sends
 * hundreds of small messages per turn, and each post costs a serialisation and a wake-up of the
 * other side, whatever its size.
 */
export class PortBatcher<M> {
  private batch: M[] = [];

  constructor(private readonly port: Pick<MessagePortLike, 'postMessage'>) {}

  send(msg: M): void {
    if (this.batch.push(msg) === 1) setImmediate(this.flush);
  }

  private readonly flush = () => {
    const batch = this.batch;
    this.batch = [];
    this.port.postMessage(batch);
  };
}

const portClosed = () => new StatusError({ code: 503, reason: 'ServiceUnavailable', message: 'the API server\'s port closed' });

/**
 * The client side of one port shared by many identities: `transport(user)` gives each component
 * (e.g. each simulated node's kubelet, as `system:node:<name>`) its own `Transport`, all
 * multiplexed by call id. Semantics match the other transports: non-2xx answers are thrown as
 * `StatusError`s, an abort rejects with the signal's reason (a watch or stream just ends), and
 * abandoning a watch or stream (abort, `break`) cancels it on the serving side. Once the port
 * closes, every open call fails with 503 ServiceUnavailable.
 */
export class PortClient {
  private readonly out: PortBatcher<PortCall | PortCancel>;
  private readonly calls = new Map<number, (reply: PortReply) => void>();
  private nextId = 1;
  private closed = false;

  constructor(port: MessagePortLike) {
    this.out = new PortBatcher(port);
    port.on('message', (batch) => {
      for (const reply of batch as PortReply[]) this.calls.get(reply.id)?.(reply);
    });
    port.on('close', () => {
      this.closed = true;
      const status = portClosed().status;
      for (const [id, deliver] of this.calls) deliver({ t: 'error', id, status });
    });
  }

  transport(user: string): Transport {
    return {
      request: (req) => this.request(user, req),
      watch: (req) => this.open(user, req, 'watch', (r) => JSON.parse(r.t === 'event' ? r.json : '') as WatchEvent<KubeObject>),
      stream: (req) => this.open(user, req, 'stream', (r) => (r.t === 'chunk' ? r.data : new Uint8Array())),
    };
  }

  private call(user: string, req: ApiRequest, kind: PortCallKind, deliver: (reply: PortReply) => void): number {
    if (this.closed) throw portClosed();
    const id = this.nextId++;
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) query[k] = v;
    this.calls.set(id, deliver);
    this.out.send({
      t: 'call', id, user, kind, method: req.method, path: req.path, query,
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      ...(req.contentType ? { contentType: req.contentType } : {}),
      ...(req.signal ? { abortable: true } : {}),
    });
    return id;
  }

  /** Forgets call `id`; tells the serving side when the call was still open there. */
  private finish(id: number, cancel: boolean): void {
    if (this.calls.delete(id) && cancel && !this.closed) this.out.send({ t: 'cancel', id });
  }

  private request(user: string, req: ApiRequest): Promise<ApiResponse> {
    const signal = req.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<ApiResponse>((resolve, reject) => {
      const onAbort = () => {
        this.finish(id, true);
        reject(signal!.reason);
      };
      const id = this.call(user, req, 'request', (reply) => {
        this.finish(id, false);
        signal?.removeEventListener('abort', onAbort);
        if (reply.t === 'object') resolve({ status: reply.status, body: JSON.parse(reply.body) });
        else if (reply.t === 'error') reject(statusErrorFromResponse(reply.status.code ?? 500, reply.status));
        else reject(new StatusError({ code: 400, reason: 'BadRequest', message: `${req.path} streams; use watch() or stream()` }));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async *open<T>(user: string, req: ApiRequest, kind: 'watch' | 'stream', decode: (reply: PortReply) => T): AsyncIterable<T> {
    const signal = req.signal;
    if (signal?.aborted) return;
    const queue = new AsyncQueue<PortReply>();
    const id = this.call(user, req, kind, (reply) => {
      queue.push(reply);
      if (reply.t === 'end' || reply.t === 'error') this.finish(reply.id, false);
    });
    const onAbort = () => queue.end();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const reply of queue) {
        if (reply.t === 'end') return;
        if (reply.t === 'error') throw statusErrorFromResponse(reply.status.code ?? 500, reply.status);
        if (signal?.aborted) return;
        yield decode(reply);
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.finish(id, true);
    }
  }
}
