import { badRequest } from '@peapod/api-types';
import type { ApiRequest, ApiResponse, KubeObject, Transport, WatchEvent } from '@peapod/client';
import type { UserInfo } from './auth.js';
import type { ApiCore } from './core.js';
import type { HandlerRequest } from './handler.js';

const toQuery = (q: ApiRequest['query']) => {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(q ?? {})) if (v !== undefined) out.append(k, v);
  return out;
};

/**
 * A deep copy of a request body. Plain objects and arrays (what clients build, and what JSON
 * parsing gives) are copied member by member, keeping every own enumerable member as
 * `structuredClone` would, several times faster than it; anything else (a Date, a typed array)
 * is handed to `structuredClone`, so the result is the same as its.
 */
export function copyBody(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyBody(v[i]);
    return out;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = copyBody((v as Record<string, unknown>)[k]);
    // An own "__proto__" member (JSON.parse makes one) stays a member, never the copy's prototype.
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}

/**
 * The client Transport for components living in the API server's process (scheduler, kubelet,
 * controllers of `peapod up`): requests go straight to the server's authorizer and handler as
 * objects, without sockets or JSON, under the identity given here. Ownership: the caller keeps
 * its request body (clients hand over objects they keep, such as an informer's or the event
 * recorder's), so the server gets a deep copy (`copyBody`) that decoding may normalize in place
 * and that objects it returns or stores may share; answers are the server's objects, which
 * callers treat as immutable. Rate limiting applies to network clients only.
 */
export class InProcessTransport implements Transport {
  constructor(private readonly core: ApiCore, private readonly user: UserInfo) {}

  private toRequest(req: ApiRequest): HandlerRequest {
    return {
      method: req.method,
      path: req.path,
      query: toQuery(req.query),
      body: copyBody(req.body),
      contentType: req.contentType,
      user: this.user,
      userAgent: 'peapod-in-process',
      signal: req.signal,
    };
  }

  async request(req: ApiRequest): Promise<ApiResponse> {
    const res = await this.core.serve(this.toRequest(req));
    if (res.type !== 'object') throw badRequest(`${req.path} streams; use watch() or stream()`);
    return { status: res.status, body: res.body };
  }

  async *watch(req: ApiRequest): AsyncIterable<WatchEvent<KubeObject>> {
    const query = { ...req.query, watch: 'true' };
    const res = await this.core.serve(this.toRequest({ ...req, query }));
    if (res.type !== 'watch') throw badRequest(`${req.path} is not a watch`);
    yield* res.events as AsyncIterable<WatchEvent<KubeObject>>;
  }

  async *stream(req: ApiRequest): AsyncIterable<Uint8Array> {
    const res = await this.core.serve(this.toRequest(req));
    if (res.type !== 'stream') throw badRequest(`${req.path} is not a stream`);
    yield* res.chunks;
  }
}
