import {
  StatusError, alreadyExists, apiVersionOf, applyPatch, badRequest, conflict, invalid, methodNotSupported, notFound, objectField,
  parseFieldSelector, parseLabelSelector, patchTypeOf, resourceFor, resourceVersionTooOld,
  type FieldMatcher, type LabelMatcher, type ResourceInfo, type Status,
} from '@peapod/api-types';
import { RealClock, type Clock } from '@peapod/core';
import { parse as parseYaml } from 'yaml';
import { keyOf, objectKey } from '../cache/store.js';
import type { ApiRequest, ApiResponse, DeleteOptions, KubeObject, Transport, WatchEvent } from '../types.js';

export interface FakeApiServerOptions {
  /** Stamps creationTimestamp and deletionTimestamp; default the wall clock. */
  clock?: Clock;
  /** Watch events kept for resuming watches; older resourceVersions get 410 (default 10,000). */
  historyLimit?: number;
}

interface Route { info: ResourceInfo; namespace?: string; name?: string; subresource?: string }
interface Change { rv: number; coll: string; type: 'ADDED' | 'MODIFIED' | 'DELETED'; obj: KubeObject; old?: KubeObject }
interface Watcher { coll: string; namespace?: string; labels: LabelMatcher; fields: FieldMatcher; bookmarks: boolean; ch: Channel<WatchEvent<KubeObject>> }
type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

/**
 * An in-memory API server behind the `Transport` interface, for unit tests of components that use
 * `@peapod/client` (scheduler, kubelet, controllers). It serves every resource of api-types'
 * `RESOURCES` table with Kubernetes' semantics where tests notice them:
 * - integer resourceVersions from one counter; optimistic concurrency (409 on a stale
 *   resourceVersion); `generateName`; uid and creationTimestamp; `generation` bumped on spec changes;
 *   create drops `status` (pods start Pending, namespaces Active; nodes keep theirs);
 *   no-op writes do not bump the resourceVersion; `dryRun=All`;
 * - the main resource ignores `status`, the `status` subresource changes only `status`;
 *   `ephemeralcontainers` changes only `spec.ephemeralContainers`; pods' `binding` sets
 *   `spec.nodeName` once (409 after); `eviction` deletes;
 * - deletion: finalizers hold an object with a deletionTimestamp (`propagationPolicy` Foreground or
 *   Orphan adds `foregroundDeletion` or `orphan`, for the garbage collector); bound, non-terminal pods are
 *   deleted gracefully (deletionTimestamp + deletionGracePeriodSeconds, removed by a delete with
 *   grace 0, as the kubelet does); preconditions;
 * - patches: JSON, merge, strategic merge and server-side apply through the API server's own patch
 *   code in `@peapod/api-types` (apply creates a missing object and records managedFields; conflicts
 *   are 409 unless `force`); other writes do not record managedFields;
 * - list and watch with namespace, label and field selectors (objects moving in or out of a
 *   selector are ADDED/DELETED for that watcher), watch from a resourceVersion with 410 once it is
 *   compacted, bookmarks on demand, `log` streams from `setLogs`.
 * Not modelled: pagination (`limit` is ignored), `timeoutSeconds`, admission, validation and defaulting.
 *
 * Stored objects are deep-frozen and shared with callers, which enforces the client contract that
 * returned objects are immutable: a component that mutates a cached object fails its unit test.
 * Fault injection: `onRequest` runs before each request and may throw; `closeWatches()` ends every
 * open watch (as a server timeout does); `compact()` makes every older resourceVersion 410.
 */
export class FakeApiServer implements Transport {
  /** Every request served, in order. */
  readonly requests: ApiRequest[] = [];
  onRequest?: (req: ApiRequest) => void;
  private rv = 0;
  private uids = 0;
  private names = 0;
  private compactedRv = 0;
  private history: Change[] = [];
  private readonly objects = new Map<string, Map<string, Obj>>();
  private readonly watchers = new Set<Watcher>();
  private readonly logs = new Map<string, string>();
  private readonly clock: Clock;
  private readonly historyLimit: number;

  constructor(options: FakeApiServerOptions = {}) {
    this.clock = options.clock ?? new RealClock();
    this.historyLimit = options.historyLimit ?? 10_000;
  }

  /** The current resourceVersion (of the last write). */
  get resourceVersion(): string {
    return String(this.rv);
  }

  async request(req: ApiRequest): Promise<ApiResponse> {
    this.requests.push(req);
    this.onRequest?.(req);
    const r = route(req.path);
    const q = req.query ?? {};
    const dryRun = q.dryRun === 'All';
    switch (req.method) {
      case 'GET':
        if (r.name === undefined) return ok(this.list(r, q));
        if (r.subresource && r.subresource !== 'status') throw methodNotSupported(target(r), `get ${r.subresource}`);
        return ok(this.get(r));
      case 'POST':
        if (r.name === undefined) return { status: 201, body: this.create(r, req.body, dryRun) };
        return { status: 201, body: this.postSubresource(r, req.body, dryRun) };
      case 'PUT': {
        if (r.name === undefined) throw methodNotSupported(target(r), 'update');
        const body = asObject(req.body);
        if (body.metadata.name !== r.name) throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${r.name})`);
        const cur = this.get(r);
        if (body.metadata.resourceVersion && body.metadata.resourceVersion !== cur.metadata.resourceVersion) throw conflict(target(r));
        return ok(this.write(r, cur, body, dryRun));
      }
      case 'PATCH':
        if (r.name === undefined) throw methodNotSupported(target(r), 'patch');
        return ok(this.patch(r, req.body, req.contentType, q, dryRun));
      case 'DELETE':
        if (r.name === undefined) {
          for (const o of this.list(r, q).items) this.delete({ ...r, name: o.metadata.name }, req.body as DeleteOptions | undefined, dryRun);
          return ok(success(200));
        }
        return ok(this.delete(r, req.body as DeleteOptions | undefined, dryRun));
    }
  }

  async *watch(req: ApiRequest): AsyncIterable<WatchEvent<KubeObject>> {
    this.requests.push(req);
    this.onRequest?.(req);
    const r = route(req.path);
    if (r.name !== undefined) throw badRequest('watch a collection with a field selector on metadata.name instead');
    const q = req.query ?? {};
    const w: Watcher = {
      coll: collKey(r.info),
      namespace: r.namespace,
      labels: parseLabelSelector(q.labelSelector ?? ''),
      fields: parseFieldSelector(q.fieldSelector ?? ''),
      bookmarks: q.allowWatchBookmarks === 'true',
      ch: new Channel(),
    };
    const from = q.resourceVersion;
    if (!from || from === '0') {
      for (const obj of this.coll(r.info).values()) if (this.sees(w, obj)) w.ch.push({ type: 'ADDED', object: obj });
    } else {
      if (!/^\d+$/.test(from)) throw badRequest(`invalid resource version "${from}"`);
      if (Number(from) < this.compactedRv) {
        yield { type: 'ERROR', object: resourceVersionTooOld(`too old resource version: ${from} (${this.compactedRv})`).status };
        return;
      }
      for (const c of this.history) if (c.rv > Number(from) && c.coll === w.coll) this.deliver(w, c);
    }
    if (req.signal?.aborted) return;
    const onAbort = () => w.ch.end();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    this.watchers.add(w);
    try {
      yield* w.ch;
    } finally {
      this.watchers.delete(w);
      req.signal?.removeEventListener('abort', onAbort);
    }
  }

  async *stream(req: ApiRequest): AsyncIterable<Uint8Array> {
    this.requests.push(req);
    this.onRequest?.(req);
    const r = route(req.path);
    if (r.info.plural !== 'pods' || r.subresource !== 'log' || !r.name) throw methodNotSupported(target(r), 'stream');
    this.get({ ...r, subresource: undefined });
    const text = this.logs.get(`${r.namespace}/${r.name}/${req.query?.container ?? ''}`) ?? '';
    if (text) yield Buffer.from(text);
  }

  /** What `podLogs` streams for a pod (and container, when the request names one). */
  setLogs(namespace: string, pod: string, text: string, container = ''): void {
    this.logs.set(`${namespace}/${pod}/${container}`, text);
  }

  /** Ends every open watch, as a server-side watch timeout does. */
  closeWatches(): void {
    for (const w of this.watchers) w.ch.end();
  }

  /** Forgets the watch history: resuming from any resourceVersion before now answers 410. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history = [];
  }

  /** Sends a BOOKMARK at the current resourceVersion to every watch that allowed bookmarks. */
  bookmark(): void {
    for (const w of this.watchers) {
      if (!w.bookmarks) continue;
      const info = resourceOfColl(w.coll);
      w.ch.push({ type: 'BOOKMARK', object: { apiVersion: apiVersionOf(info), kind: info.kind, metadata: { resourceVersion: String(this.rv) } } });
    }
  }

  /** Open watches (for tests that wait for a component to start watching). */
  get watchCount(): number {
    return this.watchers.size;
  }

  private coll(info: ResourceInfo): Map<string, Obj> {
    const k = collKey(info);
    let m = this.objects.get(k);
    if (!m) this.objects.set(k, (m = new Map()));
    return m;
  }

  private get(r: Route): Obj {
    const obj = this.coll(r.info).get(objectKey(r.namespace, r.name!));
    if (!obj) throw notFound(target(r));
    return obj;
  }

  private list(r: Route, q: Record<string, string | undefined>) {
    const labels = parseLabelSelector(q.labelSelector ?? '');
    const fields = parseFieldSelector(q.fieldSelector ?? '');
    // In key order, as etcd (and so the API server) lists.
    const items = [...this.coll(r.info)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o)
      .filter((o) => (!r.namespace || o.metadata.namespace === r.namespace) && matches(labels, fields, o));
    return { apiVersion: apiVersionOf(r.info), kind: r.info.listKind, metadata: { resourceVersion: String(this.rv) }, items };
  }

  private create(r: Route, body: unknown, dryRun: boolean): Obj {
    const obj = asObject(body);
    const meta = obj.metadata;
    if (r.info.namespaced) {
      if (meta.namespace && meta.namespace !== r.namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      meta.namespace = r.namespace;
    } else {
      delete meta.namespace;
    }
    if (!meta.name) {
      if (typeof meta.generateName !== 'string' || !meta.generateName) {
        throw invalid({ kind: r.info.kind, name: '' }, [{ type: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
      }
      meta.name = `${meta.generateName}${(++this.names).toString(36).padStart(5, 'x')}`;
    }
    const key = keyOf(obj);
    if (this.coll(r.info).has(key)) throw alreadyExists(target({ ...r, name: meta.name }));
    const made: Obj = {
      ...obj,
      apiVersion: apiVersionOf(r.info),
      kind: r.info.kind,
      metadata: {
        ...meta,
        uid: `00000000-0000-4000-8000-${(++this.uids).toString(16).padStart(12, '0')}`,
        creationTimestamp: this.timestamp(0),
        generation: 1,
        resourceVersion: String(this.rv + 1),
      },
    };
    const status = initialStatus(r.info, obj);
    if (status === undefined) delete made.status;
    else made.status = status;
    if (dryRun) return made;
    this.rv++;
    return this.store(r.info, 'ADDED', made);
  }

  private postSubresource(r: Route, body: unknown, dryRun: boolean): unknown {
    const cur = this.get(r);
    if (r.info.plural === 'pods' && r.subresource === 'binding') {
      const node = (body as { target?: { name?: string } })?.target?.name;
      if (!node) throw badRequest('a binding needs target.name');
      const bound = cur.spec?.nodeName;
      if (bound) throw conflict({ kind: 'pods/binding', name: r.name }, `pod ${r.name} is already assigned to node "${String(bound)}"`);
      if (cur.metadata.deletionTimestamp) throw conflict({ kind: 'pods/binding', name: r.name }, `pod ${r.name} is being deleted, cannot be assigned to a host`);
      this.commit(r.info, cur, { ...cur, spec: { ...cur.spec, nodeName: node } }, dryRun);
      return success(201);
    }
    if (r.info.plural === 'pods' && r.subresource === 'eviction') {
      this.delete({ ...r, subresource: undefined }, (body as { deleteOptions?: DeleteOptions })?.deleteOptions, dryRun);
      return success(201);
    }
    throw methodNotSupported(target(r), `create ${r.subresource}`);
  }

  private patch(r: Route, body: unknown, contentType: string | undefined, q: Record<string, string | undefined>, dryRun: boolean): Obj {
    const type = patchTypeOf(contentType);
    const patch = type === 'apply' && typeof body === 'string' ? parseYaml(body) : body;
    const cur = this.coll(r.info).get(objectKey(r.namespace, r.name!));
    if (!cur && (type !== 'apply' || r.subresource)) throw notFound(target(r));
    const next = applyPatch({ type, current: cur, patch, info: r.info, fieldManager: q.fieldManager ?? '', force: q.force === 'true', subresource: r.subresource });
    if (!cur) return this.create(r, { ...next, metadata: { ...next.metadata, name: r.name } }, dryRun);
    const rv = (patch as Obj)?.metadata?.resourceVersion;
    if (rv !== undefined && rv !== cur.metadata.resourceVersion) throw conflict(target(r));
    return this.write(r, cur, asObject(next), dryRun);
  }

  /** An update of `cur` to `next` through the main resource or one of its subresources. */
  private write(r: Route, cur: Obj, next: Obj, dryRun: boolean): Obj {
    let merged: Obj;
    switch (r.subresource) {
      case undefined: {
        const specChanged = JSON.stringify(next.spec) !== JSON.stringify(cur.spec);
        const generation = (cur.metadata.generation as number) + (specChanged ? 1 : 0);
        merged = {
          ...next,
          apiVersion: cur.apiVersion,
          kind: cur.kind,
          metadata: { ...withSystemMeta(next.metadata, cur.metadata), generation },
        };
        if (r.info.subresources?.includes('status')) merged.status = cur.status;
        if (merged.status === undefined) delete merged.status;
        break;
      }
      case 'status':
        if (!r.info.subresources?.includes('status')) throw notFound(target(r));
        merged = { ...cur, status: next.status };
        break;
      case 'ephemeralcontainers':
        if (r.info.plural !== 'pods') throw notFound(target(r));
        merged = { ...cur, spec: { ...cur.spec, ephemeralContainers: next.spec?.ephemeralContainers } };
        break;
      default:
        throw methodNotSupported(target(r), `update ${r.subresource}`);
    }
    return this.commit(r.info, cur, merged, dryRun);
  }

  /**
   * Stores `next` as the new state of `cur` unless nothing changed (no new resourceVersion then).
   * An object marked for deletion whose finalizers are gone and whose grace period is over goes away.
   */
  private commit(info: ResourceInfo, cur: Obj, next: Obj, dryRun: boolean): Obj {
    if (JSON.stringify({ ...next, metadata: { ...next.metadata, resourceVersion: cur.metadata.resourceVersion } }) === JSON.stringify(cur)) return cur;
    const merged: Obj = { ...next, metadata: { ...next.metadata, resourceVersion: String(this.rv + 1) } };
    if (dryRun) return merged;
    this.rv++;
    const m = merged.metadata;
    const gone = m.deletionTimestamp && !(m.finalizers as unknown[] | undefined)?.length && !m.deletionGracePeriodSeconds;
    return this.store(info, gone ? 'DELETED' : 'MODIFIED', merged);
  }

  private delete(r: Route, opts: DeleteOptions | undefined, dryRun: boolean): Obj {
    const cur = this.get(r);
    const pre = opts?.preconditions;
    if (pre?.uid && pre.uid !== cur.metadata.uid) {
      throw conflict(target(r), `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
      throw conflict(target(r), `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`);
    }
    let grace = 0;
    if (r.info.plural === 'pods') {
      const phase = cur.status?.phase;
      const unscheduled = !cur.spec?.nodeName;
      grace = unscheduled || phase === 'Succeeded' || phase === 'Failed' ? 0 : (opts?.gracePeriodSeconds ?? (cur.spec?.terminationGracePeriodSeconds as number | undefined) ?? 30);
    }
    // Foreground and orphan propagation hold the object with the garbage collector's finalizer.
    const finalizers = [...(cur.metadata.finalizers as string[] | undefined) ?? []];
    const propagation = opts?.propagationPolicy && PROPAGATION_FINALIZERS[opts.propagationPolicy];
    if (propagation && !cur.metadata.deletionTimestamp && !finalizers.includes(propagation)) finalizers.push(propagation);
    const prevGrace = cur.metadata.deletionGracePeriodSeconds as number | undefined;
    if (grace > 0 || finalizers.length) {
      // Graceful or held deletion: mark it; a later delete may only shorten the grace period.
      if (prevGrace !== undefined && prevGrace <= grace) return cur;
      const meta = { ...cur.metadata, deletionTimestamp: this.timestamp(grace), deletionGracePeriodSeconds: grace, ...(finalizers.length ? { finalizers } : {}) };
      return this.commit(r.info, cur, { ...cur, metadata: meta }, dryRun);
    }
    const gone: Obj = { ...cur, metadata: { ...cur.metadata, resourceVersion: String(this.rv + 1) } };
    if (dryRun) return gone;
    this.rv++;
    return this.store(r.info, 'DELETED', gone);
  }

  /** Records a change (the object's resourceVersion is already the new `rv`) and tells watchers. */
  private store(info: ResourceInfo, type: Change['type'], obj: Obj): Obj {
    deepFreeze(obj);
    const coll = this.coll(info);
    const key = keyOf(obj);
    const old = coll.get(key);
    if (type === 'DELETED') coll.delete(key);
    else coll.set(key, obj);
    const change: Change = { rv: this.rv, coll: collKey(info), type, obj, old };
    this.history.push(change);
    if (this.history.length > this.historyLimit) this.compactedRv = this.history.shift()!.rv;
    for (const w of this.watchers) if (w.coll === change.coll) this.deliver(w, change);
    return obj;
  }

  /** Sends a change to one watcher, turning selector transitions into ADDED/DELETED as Kubernetes does. */
  private deliver(w: Watcher, c: Change): void {
    const now = c.type !== 'DELETED' && this.sees(w, c.obj);
    const before = c.old !== undefined && this.sees(w, c.old);
    if (c.type === 'DELETED') { if (this.sees(w, c.obj)) w.ch.push({ type: 'DELETED', object: c.obj }); }
    else if (now) w.ch.push({ type: before ? 'MODIFIED' : 'ADDED', object: c.obj });
    else if (before) w.ch.push({ type: 'DELETED', object: c.obj });
  }

  private sees(w: Watcher, obj: Obj): boolean {
    return (!w.namespace || obj.metadata.namespace === w.namespace) && matches(w.labels, w.fields, obj);
  }

  /** RFC 3339 at second precision, `offsetSeconds` from now, as Kubernetes writes timestamps. */
  private timestamp(offsetSeconds: number): string {
    return new Date(this.clock.now() + offsetSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}

/**
 * What create keeps of `status`, as the API server's strategies do: a pod starts Pending and a
 * namespace Active, nodes keep what the kubelet registers, other kinds with a status subresource
 * start without one.
 */
function initialStatus(info: ResourceInfo, obj: Obj): Obj['status'] {
  if (info.plural === 'pods') return { phase: 'Pending' };
  if (info.plural === 'namespaces') return { phase: 'Active' };
  return info.plural === 'nodes' || !info.subresources?.includes('status') ? obj.status : undefined;
}

const PROPAGATION_FINALIZERS: Partial<Record<NonNullable<DeleteOptions['propagationPolicy']>, string>> = { Foreground: 'foregroundDeletion', Orphan: 'orphan' };

/** Metadata only the server sets: an update keeps the stored values (and cannot add them). */
const SYSTEM_META = ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const;
function withSystemMeta(next: Obj['metadata'], cur: Obj['metadata']): Obj['metadata'] {
  const m: Record<string, unknown> = { ...next };
  for (const k of SYSTEM_META) {
    if (cur[k] === undefined) delete m[k];
    else m[k] = cur[k];
  }
  return m as Obj['metadata'];
}

const collKey = (info: ResourceInfo) => `${info.group}/${info.plural}`;
function resourceOfColl(coll: string): ResourceInfo {
  const i = coll.indexOf('/');
  return resourceFor(coll.slice(0, i), coll.slice(i + 1))!;
}

const target = (r: Route) => ({ kind: r.info.plural, ...(r.info.group ? { group: r.info.group } : {}), name: r.name });
const ok = (body: unknown): ApiResponse => ({ status: 200, body });
const success = (code: number): Status => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code });
const matches = (labels: LabelMatcher, fields: FieldMatcher, o: Obj) =>
  labels.matches(o.metadata.labels as Record<string, string> | undefined) && fields.matches((f) => objectField(o, f));

/** A private copy of a request body, which must be an object with metadata. */
function asObject(body: unknown): Obj {
  if (typeof body !== 'object' || body === null || typeof (body as Obj).metadata !== 'object') throw badRequest('the request body must be an object with metadata');
  const o = structuredClone(body) as Obj;
  return o;
}

/** Namespace subresources, which would otherwise read as a namespaced collection (`/namespaces/<ns>/<plural>`). */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function route(path: string): Route {
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (segs[0] === 'api' && segs[1]) [group, rest] = ['', segs.slice(2)];
  else if (segs[0] === 'apis' && segs[2]) [group, rest] = [segs[1], segs.slice(3)];
  else throw notFoundPath(path);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && NAMESPACE_SUBRESOURCES.has(rest[2]))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  const info = plural ? resourceFor(group, plural) : undefined;
  if (!info || extra.length || (namespace && !info.namespaced) || (info.namespaced && name !== undefined && !namespace)) throw notFoundPath(path);
  if (subresource && !info.subresources?.includes(subresource)) throw notFoundPath(path);
  return { info, namespace, name, subresource };
}

const notFoundPath = (path: string) => new StatusError({ code: 404, reason: 'NotFound', message: `the server could not find the requested resource (${path})` });

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** An unbounded single-consumer queue that an async iterator drains. */
class Channel<T> implements AsyncIterable<T> {
  private readonly buf: T[] = [];
  private wake?: () => void;
  private ended = false;

  push(v: T): void {
    if (this.ended) return;
    this.buf.push(v);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.buf.length) { yield this.buf.shift()!; continue; }
      if (this.ended) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}
