import { badRequest } from '@peapod/api-types';
import type { ApiRequest, ApiResponse, KubeObject, Transport, WatchEvent } from '@peapod/client';
import { deepCopy } from '@peapod/store';
import type { UserInfo } from './auth.js';
import type { ApiCore } from './core.js';
import type { HandlerRequest } from './handler.js';
import { parseRequestInfo } from './request-info.js';

const toQuery = (q: ApiRequest['query']) => {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(q ?? {})) if (v !== undefined) out.append(k, v);
  return out;
};

/**
 * The client Transport for components living in the API server's process (scheduler, kubelet,
 * controllers of `peapod up`): requests go straight to the server's authorizer and handler as
 * objects, without sockets or JSON, under the identity given here. Ownership: the caller keeps
 * its request body (clients hand over objects they keep, such as an informer's or the event
 * recorder's), so the server gets a deep copy (`deepCopy`, as `structuredClone` makes) that
 * decoding may normalize in place and that objects it returns or stores may share; answers are
 * the server's objects, which callers treat as immutable. Rate limiting applies to network
 * clients only.
 */
export class InProcessTransport implements Transport {
  constructor(private readonly core: ApiCore, private readonly user: UserInfo) {}

  private toRequest(req: ApiRequest): HandlerRequest {
    const query = toQuery(req.query);
    return {
      method: req.method,
      path: req.path,
      query,
      info: parseRequestInfo(req.method, req.path, query),
      body: deepCopy(req.body),
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
