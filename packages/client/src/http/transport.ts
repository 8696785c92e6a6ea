import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { StatusError, isStatusError } from '@peapod/api-types';
import { RealClock, type Clock } from '@peapod/core';
import { statusErrorFromResponse } from '../errors.js';
import { queryString } from '../paths.js';
import type { ApiRequest, ApiResponse, KubeObject, Transport, WatchEvent } from '../types.js';
import { WatchDecoder } from './watch-decoder.js';

export interface HttpTransportOptions {
  /** Base URL of the API server, e.g. `https://127.0.0.1:6443`. */
  server: string;
  /** PEM CA bundle that signs the server's certificate (the cluster CA). */
  ca?: string | Buffer;
  /** Bearer token sent on every request. */
  token?: string;
  /** PEM client certificate and key, for clusters that authenticate by certificate. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Skips server certificate verification; for throwaway test clusters only. */
  insecureSkipTlsVerify?: boolean;
  /** How many times an idempotent read is retried after a connection error, or a 429/5xx with Retry-After (default 3). */
  maxRetries?: number;
  /** Upper bound on one Retry-After wait, in seconds (default 10). */
  maxRetryAfterSeconds?: number;
  userAgent?: string;
  /** Times the retry waits; the default is the wall clock. */
  clock?: Clock;
  /**
   * A keep-alive socket idle this long is closed by the client (default 4,000 ms; a shorter
   * `Keep-Alive: timeout` hint from the server wins). It must stay below the server's keep-alive
   * timeout (Node's default, and Peapod's API server's, is 5 s): a request written to a socket
   * the server is closing fails with "socket hang up", and a create cannot be retried.
   */
  idleSocketTimeoutMs?: number;
}

/** Socket-level failures after which re-sending a read is safe. */
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const isConnectionError = (err: unknown) => CONNECTION_ERRORS.has((err as { code?: string })?.code ?? '');

/**
 * The Transport for a remote API server: HTTPS (or plain HTTP for a loopback test server) over a
 * keep-alive agent, JSON bodies, a bearer token. Only GETs are ever retried (they cannot have an
 * effect twice): after connection errors, or when the server asks for it with a Retry-After
 * header on a 429 or 5xx answer, as client-go does.
 * A failure that never reached an answer is a 503 ServiceUnavailable StatusError with the socket
 * error as `cause`; an abort through `signal` rejects with the signal's reason (watches and
 * streams just end).
 */
export class HttpTransport implements Transport {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly lib: typeof http | typeof https;
  private readonly headers: Record<string, string>;
  private readonly clock: Clock;

  constructor(private readonly opts: HttpTransportOptions) {
    this.base = new URL(opts.server);
    const tls = this.base.protocol === 'https:';
    this.lib = tls ? https : http;
    // The agent's `timeout` ends only free sockets; an idle watch in flight keeps its socket.
    const keepAlive = { keepAlive: true, timeout: opts.idleSocketTimeoutMs ?? 4000 };
    this.agent = tls
      ? new https.Agent({ ...keepAlive, ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: !opts.insecureSkipTlsVerify })
      : new http.Agent(keepAlive);
    this.headers = {
      accept: 'application/json',
      'user-agent': opts.userAgent ?? 'peapod-client',
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    };
    this.clock = opts.clock ?? new RealClock();
  }

  async request(req: ApiRequest): Promise<ApiResponse> {
    const maxRetries = req.method === 'GET' ? (this.opts.maxRetries ?? 3) : 0;
    for (let attempt = 0; ; attempt++) {
      let res: IncomingMessage;
      let text: string;
      try {
        res = await this.send(req);
        text = await readText(res);
      } catch (err) {
        if (req.signal?.aborted) throw req.signal.reason;
        if (attempt < maxRetries && isConnectionError(err)) {
          await this.clock.sleep(200 * 2 ** attempt, req.signal);
          continue;
        }
        throw unreachable(err);
      }
      const status = res.statusCode ?? 0;
      const body = decodeBody(text, res.headers['content-type']);
      if (status >= 200 && status < 300) return { status, body };
      const retryAfter = parseRetryAfter(res.headers['retry-after']);
      if (attempt < maxRetries && (status === 429 || status >= 500) && retryAfter !== undefined) {
        await this.clock.sleep(Math.min(retryAfter, this.opts.maxRetryAfterSeconds ?? 10) * 1000, req.signal);
        continue;
      }
      throw statusErrorFromResponse(status, body, retryAfter);
    }
  }

  async *watch(req: ApiRequest): AsyncIterable<WatchEvent<KubeObject>> {
    const decoder = new WatchDecoder();
    for await (const chunk of this.stream(req)) {
      for (const ev of decoder.push(chunk)) {
        yield ev;
        if (ev.type === 'ERROR') return;
      }
    }
    yield* decoder.end();
  }

  async *stream(req: ApiRequest): AsyncIterable<Uint8Array> {
    let res: IncomingMessage;
    try {
      res = await this.send(req);
    } catch (err) {
      if (req.signal?.aborted) return;
      throw unreachable(err);
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const text = await readText(res).catch(() => '');
      throw statusErrorFromResponse(status, decodeBody(text, res.headers['content-type']), parseRetryAfter(res.headers['retry-after']));
    }
    try {
      for await (const chunk of res) yield chunk as Uint8Array;
    } catch (err) {
      if (req.signal?.aborted) return;
      throw unreachable(err);
    } finally {
      // The consumer may stop early (break, return): free the socket rather than leave it streaming.
      res.destroy();
    }
  }

  /** Closes idle keep-alive sockets; requests in flight keep theirs until they end. */
  close(): void {
    this.agent.destroy();
  }

  private send(req: ApiRequest): Promise<IncomingMessage> {
    const url = new URL(req.path + queryString(req.query), this.base);
    const payload = encodeBody(req.body);
    const headers: Record<string, string> = { ...this.headers };
    if (payload !== undefined) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = String(payload.byteLength);
    }
    return new Promise((resolve, reject) => {
      const r = this.lib.request(url, { method: req.method, agent: this.agent, headers, signal: req.signal }, resolve);
      r.on('error', reject);
      r.end(payload);
    });
  }
}

function encodeBody(body: unknown): Buffer | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.from(JSON.stringify(body));
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON when the server says so (or the text plainly is JSON); otherwise the text itself, or undefined when empty. */
function decodeBody(text: string, contentType: string | undefined): unknown {
  if (!text) return undefined;
  if (contentType?.includes('json') || /^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function parseRetryAfter(h: string | string[] | undefined): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

function unreachable(err: unknown): StatusError {
  if (isStatusError(err)) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new StatusError({ code: 503, reason: 'ServiceUnavailable', message: `the API server could not be reached: ${msg}` }, { cause: err });
}
