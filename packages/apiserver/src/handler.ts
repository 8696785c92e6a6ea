import {
  apiVersionOf, badRequest, invalid, methodNotSupported, notFound, patchTypeOf, serviceUnavailable, type FieldValidation,
} from '@peapod/api-types';
import type { Clock } from '@peapod/core';
import type { WatchEvent } from '@peapod/store';
import type { UserInfo } from './auth.js';
import { aggregatedContentType, aggregatedDiscovery, apiGroupList, apiResourceList, apiVersions, wantsAggregated } from './discovery.js';
import type { NodeStreamer } from './node-streamer.js';
import type { ServiceAccountTokens } from './serviceaccount-token.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import type { ServedResource } from './registry.js';
import type { DeleteRequest, ListQuery, Rest, WatchQuery, WriteContext } from './rest.js';
import { Subresources, type PatchFn } from './subresources.js';
import { toTable, type IncludeObject } from './table.js';
import type { Obj } from './obj.js';

/**
 * One API request, transport-independent: the HTTP server builds it from the wire (body already
 * decoded), the in-process transport from a client call (objects, no JSON).
 */
export interface HandlerRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body?: unknown;
  /** Media type of the body; decides the patch kind for PATCH. */
  contentType?: string;
  accept?: string;
  user: UserInfo;
  userAgent?: string;
  signal?: AbortSignal;
  /** Already parsed from the path (the HTTP layer parses it once for authorization). */
  info?: RequestInfo;
  /** The `If-None-Match` header, for cacheable documents. */
  ifNoneMatch?: string;
}

export type HandlerResponse =
  | { type: 'object'; status: number; body: unknown; contentType?: string; warnings?: string[]; headers?: Record<string, string> }
  | { type: 'watch'; events: AsyncIterable<WatchEvent<unknown>> }
  | { type: 'stream'; contentType: string; chunks: AsyncIterable<Uint8Array> };

/** What `/version` reports: the Kubernetes API level this server implements. */
const VERSION_INFO = {
  major: '1', minor: '32', gitVersion: 'v1.32.0-peapod', gitCommit: 'peapod', gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z', goVersion: 'node', compiler: 'tsc', platform: `${process.platform}/${process.arch}`,
};

/** Default server-side watch timeout (kube-apiserver's --min-request-timeout). */
const DEFAULT_WATCH_TIMEOUT_S = 1800;

/** An Accept header asking for server-side printing (meta.k8s.io Table, v1 or v1beta1). */
const TABLE = /as=Table;\s*v=(v1|v1beta1);\s*g=meta\.k8s\.io|as=Table;\s*g=meta\.k8s\.io;\s*v=(v1|v1beta1)/;

const intParam = (q: URLSearchParams, name: string): number | undefined => {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`invalid value for ${name}: ${v}`);
  return n;
};
const boolParam = (q: URLSearchParams, name: string) => q.get(name) === 'true' || q.get(name) === '1';

export interface HandlerDeps {
  rest: Rest;
  clock: Clock;
  /** Applies a patch document to an object (the patch module's `applyPatch`). */
  patch: PatchFn;
  nodeStreamer?: NodeStreamer;
  /** Signs TokenRequests (serviceaccounts/token). */
  serviceAccountTokens?: ServiceAccountTokens;
  /** Serves `/openapi/...` (JSON text and its strong ETag); undefined for unknown paths. */
  openapi?: (path: string) => { json: string; etag: string } | undefined;
  /** Address advertised in `/api`. */
  serverAddress: string;
}

/**
 * The API server's request handler: routing by RequestInfo, discovery, health, and every verb on
 * every resource and subresource. Authentication, authorization, rate limiting and body decoding
 * happen before it (HTTP server or in-process transport), so both paths run the same logic.
 */
export class ApiHandler {
  private readonly sub: Subresources;

  constructor(private readonly deps: HandlerDeps) {
    this.sub = new Subresources(deps.rest, deps.patch, deps.nodeStreamer, deps.serviceAccountTokens);
  }

  async handle(req: HandlerRequest): Promise<HandlerResponse> {
    const info = req.info ?? parseRequestInfo(req.method, req.path, req.query);
    if (!info.isResource) return this.nonResource(req);
    const r = this.deps.rest.registry.lookup(info.group, info.version, info.resource);
    if (!r) throw notFound({});
    if (!r.info.namespaced && info.namespace && info.resource !== 'namespaces') throw notFound({});
    if (info.subresource) {
      if (!r.subresources.some((s) => s.name === info.subresource)) throw notFound({});
      return this.subresource(r, info, req);
    }
    if (!r.info.verbs.includes(info.verb)) throw methodNotSupported({ kind: r.info.kind }, info.verb);
    return this.resource(r, info, req);
  }

  private nonResource(req: HandlerRequest): HandlerResponse {
    const path = req.path.replace(/\/+$/, '') || '/';
    const ok = (body: unknown, contentType?: string): HandlerResponse => ({ type: 'object', status: 200, body, contentType });
    if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotSupported({}, req.method);
    const reg = this.deps.rest.registry;
    switch (path) {
      case '/version': return ok(VERSION_INFO);
      case '/healthz': case '/livez': case '/readyz': return ok('ok', 'text/plain; charset=utf-8');
      case '/api': case '/apis': {
        const agg = wantsAggregated(req.accept);
        if (agg) return ok(aggregatedDiscovery(reg, path === '/api', agg), aggregatedContentType(agg));
        return ok(path === '/api' ? apiVersions(this.deps.serverAddress) : apiGroupList(reg));
      }
      case '/': return ok({ paths: ['/api', '/api/v1', '/apis', ...reg.groupVersions().filter((g) => g.group).map((g) => `/apis/${g.group}/${g.version}`), '/healthz', '/livez', '/openapi/v3', '/readyz', '/version'] });
    }
    if (path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/')) return ok('ok', 'text/plain; charset=utf-8');
    if (path.startsWith('/openapi/')) {
      const doc = this.deps.openapi?.(path);
      if (!doc) throw notFound({});
      // Documents are addressed by content hash (`?hash=`), so clients may cache them for good.
      const headers = { etag: doc.etag, 'cache-control': req.query.has('hash') ? 'public, immutable, max-age=31536000' : 'no-cache, private' };
      if (req.ifNoneMatch === doc.etag) return { type: 'object', status: 304, body: '', headers };
      return { type: 'object', status: 200, body: doc.json, contentType: 'application/json', headers };
    }
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'api' && parts.length === 2) {
      const list = apiResourceList(reg, '', parts[1]);
      if (list) return ok(list);
    }
    if (parts[0] === 'apis' && parts.length === 2) {
      const group = apiGroupList(reg).groups.find((g) => g.name === parts[1]);
      if (group) return ok({ kind: 'APIGroup', apiVersion: 'v1', ...group });
    }
    if (parts[0] === 'apis' && parts.length === 3) {
      const list = apiResourceList(reg, parts[1], parts[2]);
      if (list) return ok(list);
    }
    throw notFound({});
  }

  private writeContext(req: HandlerRequest): WriteContext {
    const q = req.query;
    const dryRun = q.getAll('dryRun');
    for (const d of dryRun) if (d !== 'All') throw badRequest(`Unsupported value: "${d}": supported values: "All"`);
    const fv = q.get('fieldValidation') ?? 'Warn';
    if (fv !== 'Strict' && fv !== 'Warn' && fv !== 'Ignore') throw badRequest(`fieldValidation parameter unsupported: ${fv}`);
    const manager = q.get('fieldManager') ?? (req.userAgent ?? 'unknown').split('/')[0].slice(0, 128);
    if (manager.length > 128) {
      throw invalid({ kind: 'PatchOptions' }, [{ type: 'FieldValueTooLong', field: 'fieldManager', message: `Too long: may not be more than 128 bytes` }]);
    }
    return { user: req.user, dryRun: dryRun.length > 0, fieldManager: manager, fieldValidation: fv as FieldValidation, warnings: [] };
  }

  private listQuery(q: URLSearchParams): ListQuery {
    const match = q.get('resourceVersionMatch') || undefined;
    if (match !== undefined && match !== 'Exact' && match !== 'NotOlderThan') {
      throw invalid({ kind: 'ListOptions' }, [{ type: 'FieldValueNotSupported', field: 'resourceVersionMatch', message: `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"` }]);
    }
    const limit = intParam(q, 'limit');
    return {
      labelSelector: q.get('labelSelector') || undefined,
      fieldSelector: q.get('fieldSelector') || undefined,
      limit: limit && limit > 0 ? limit : undefined,
      continue: q.get('continue') || undefined,
      resourceVersion: q.get('resourceVersion') ?? undefined,
      resourceVersionMatch: match,
    };
  }

  private deleteRequest(req: HandlerRequest): DeleteRequest {
    const q = req.query;
    const out: DeleteRequest = {};
    const grace = intParam(q, 'gracePeriodSeconds');
    if (grace !== undefined) out.gracePeriodSeconds = grace;
    const policy = q.get('propagationPolicy');
    if (policy) out.propagationPolicy = policy as DeleteRequest['propagationPolicy'];
    if (q.has('orphanDependents')) out.orphanDependents = boolParam(q, 'orphanDependents');
    const body = req.body as Obj | undefined;
    if (body && typeof body === 'object') {
      if (body.kind !== undefined && body.kind !== 'DeleteOptions') throw badRequest(`${String(body.kind)} in version "v1" cannot be handled as a DeleteOptions`);
      if (typeof body.gracePeriodSeconds === 'number') out.gracePeriodSeconds = body.gracePeriodSeconds;
      if (body.propagationPolicy) out.propagationPolicy = body.propagationPolicy;
      if (typeof body.orphanDependents === 'boolean') out.orphanDependents = body.orphanDependents;
      if (body.preconditions) out.preconditions = body.preconditions;
      if (Array.isArray(body.dryRun) && body.dryRun.includes('All')) req.query.set('dryRun', 'All');
    }
    if (out.propagationPolicy && !['Foreground', 'Background', 'Orphan'].includes(out.propagationPolicy)) {
      throw invalid({ kind: 'DeleteOptions' }, [{ type: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${out.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"` }]);
    }
    return out;
  }

  /** Table output when the Accept header asks for it (kubectl get), else plain objects. */
  private render(r: ServedResource, req: HandlerRequest, body: Obj, list: boolean): HandlerResponse {
    const m = TABLE.exec(req.accept ?? '');
    if (!m) return { type: 'object', status: 200, body };
    const includeObject = (req.query.get('includeObject') ?? 'Metadata') as IncludeObject;
    const table = toTable(r.info.plural, list ? body.items : [body], {
      now: this.deps.clock.now(), includeObject, withColumns: !boolParam(req.query, 'noHeaders'),
      listMeta: list ? body.metadata : { resourceVersion: body.metadata?.resourceVersion },
    });
    return { type: 'object', status: 200, body: { ...table, apiVersion: `meta.k8s.io/${m[1] ?? m[2]}` } };
  }

  private async resource(r: ServedResource, info: RequestInfo, req: HandlerRequest): Promise<HandlerResponse> {
    const rest = this.deps.rest;
    const ns = info.namespace;
    const written = (status: number, body: unknown, ctx: WriteContext): HandlerResponse => ({ type: 'object', status, body, warnings: ctx.warnings });
    switch (info.verb) {
      case 'get': return this.render(r, req, await rest.get(r, ns, info.name, req.query.get('resourceVersion') || undefined), false);
      case 'list': return this.render(r, req, await rest.list(r, ns, this.listQuery(req.query)), true);
      case 'watch': return this.watch(r, info, req);
      case 'create': {
        const ctx = this.writeContext(req);
        return written(201, await rest.create(r, ns, req.body, ctx), ctx);
      }
      case 'update': {
        const ctx = this.writeContext(req);
        return written(200, await rest.update(r, ns, info.name, ctx, () => this.sub.decode(r, req.body, ctx)), ctx);
      }
      case 'patch': {
        const ctx = this.writeContext(req);
        const { obj, created } = await this.sub.patch(r, info, req.body, this.patchType(req), ctx, boolParam(req.query, 'force'));
        return written(created ? 201 : 200, obj, ctx);
      }
      case 'delete': {
        const opts = this.deleteRequest(req);
        const ctx = this.writeContext(req);
        const { object } = await rest.delete(r, ns, info.name, opts, ctx);
        return written(200, object, ctx);
      }
      case 'deletecollection': {
        const opts = this.deleteRequest(req);
        const ctx = this.writeContext(req);
        return written(200, await rest.deleteCollection(r, ns, this.listQuery(req.query), opts, ctx), ctx);
      }
      default: throw methodNotSupported({ kind: r.info.kind }, info.verb);
    }
  }

  private patchType(req: HandlerRequest) {
    const type = patchTypeOf(req.contentType);
    if (type === 'apply' && !req.query.get('fieldManager')) {
      throw invalid({ kind: 'PatchOptions', group: 'meta.k8s.io' }, [{ type: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' }]);
    }
    return type;
  }

  private watch(r: ServedResource, info: RequestInfo, req: HandlerRequest): HandlerResponse {
    const q = req.query;
    const list = this.listQuery(q);
    // A watch on one named object is a watch of the collection narrowed to that name.
    if (info.name) list.fieldSelector = [list.fieldSelector, `metadata.name=${info.name}`].filter(Boolean).join(',');
    const query: WatchQuery = {
      ...list,
      allowWatchBookmarks: boolParam(q, 'allowWatchBookmarks'),
      sendInitialEvents: q.has('sendInitialEvents') ? boolParam(q, 'sendInitialEvents') : undefined,
    };
    const w = this.deps.rest.watch(r, info.namespace, query);
    const timeout = intParam(q, 'timeoutSeconds') ?? DEFAULT_WATCH_TIMEOUT_S;
    const timer = this.deps.clock.setTimeout(() => w.stop(), Math.max(0, timeout) * 1000);
    const onAbort = () => w.stop();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const m = TABLE.exec(req.accept ?? '');
    const includeObject = (q.get('includeObject') ?? 'Metadata') as IncludeObject;
    const clock = this.deps.clock;
    const typeMeta = { apiVersion: apiVersionOf(r.info), kind: r.info.kind };
    async function* events(): AsyncGenerator<WatchEvent<unknown>> {
      let first = true;
      try {
        for await (const ev of w) {
          // A bookmark is an object of the watched kind holding only its resourceVersion (clients such as kubectl decode it by kind).
          if (ev.type === 'BOOKMARK' && !m) {
            yield { type: 'BOOKMARK', object: { ...typeMeta, ...ev.object } };
            continue;
          }
          if (!m || ev.type === 'ERROR' || ev.type === 'BOOKMARK') {
            yield ev;
            continue;
          }
          const table = toTable(r.info.plural, [ev.object], { now: clock.now(), includeObject, withColumns: first, listMeta: { resourceVersion: ev.object.metadata.resourceVersion } });
          first = false;
          yield { type: ev.type, object: { ...table, apiVersion: `meta.k8s.io/${m[1] ?? m[2]}` } } as WatchEvent<unknown>;
        }
      } finally {
        timer.cancel();
        req.signal?.removeEventListener('abort', onAbort);
        w.stop();
      }
    }
    return { type: 'watch', events: events() };
  }

  private async subresource(r: ServedResource, info: RequestInfo, req: HandlerRequest): Promise<HandlerResponse> {
    const s = info.subresource;
    const verb = info.verb;
    if (s === 'log' && verb === 'get') return this.sub.logs(info, req.query, req.signal);
    if (s === 'exec' || s === 'attach' || s === 'portforward') {
      if (!this.deps.nodeStreamer) throw serviceUnavailable(`${s} is not available: no node streaming endpoint is configured`);
      throw badRequest('Upgrade request required');
    }
    const ctx = this.writeContext(req);
    const out = (status: number, body: unknown): HandlerResponse => ({ type: 'object', status, body, warnings: ctx.warnings });
    switch (`${s}:${verb}`) {
      case 'binding:create': return out(201, await this.sub.bind(info, req.body, ctx));
      case 'eviction:create': return out(201, await this.sub.evict(info, req.body, ctx));
      case 'token:create': return out(201, await this.sub.createToken(info, req.body));
      case 'scale:get': return out(200, this.sub.scaleOf(r, await this.deps.rest.get(r, info.namespace, info.name)));
      case 'scale:update': return out(200, await this.sub.updateScale(r, info, req.body, ctx));
    }
    if (['status', 'ephemeralcontainers', 'resize', 'finalize', 'scale'].includes(s)) {
      if (verb === 'get' && s !== 'finalize') return out(200, await this.deps.rest.get(r, info.namespace, info.name));
      if (verb === 'update') return out(200, await this.deps.rest.update(r, info.namespace, info.name, ctx, (cur) => this.sub.fromSubresource(r, s, cur!, this.sub.decode(r, req.body, ctx)), { subresource: s }));
      if (verb === 'patch') return out(200, (await this.sub.patch(r, info, req.body, this.patchType(req), ctx, boolParam(req.query, 'force'))).obj);
    }
    throw methodNotSupported({ kind: r.info.kind }, verb);
  }
}
