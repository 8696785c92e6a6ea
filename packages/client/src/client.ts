import { PATCH_CONTENT_TYPES as PATCH_TYPE_OF_MEDIA, apiVersionOf, badRequest, type ResourceInfo } from '@peapod/api-types';
import { resourcePath } from './paths.js';
import type {
  ApiRequest, DeleteOptions, GetOptions, KubeClient, KubeObject, ListOptions, ObjectList, PatchOptions, PatchType,
  PodLogOptions, ResourceClient, Transport, WatchEvent, WatchOptions, WriteOptions,
} from './types.js';

/** Content-Type per patch kind: the inverse of the table the API server dispatches on. */
export const PATCH_CONTENT_TYPES = Object.fromEntries(Object.entries(PATCH_TYPE_OF_MEDIA).map(([media, type]) => [type, media])) as Record<PatchType, string>;

type Query = Record<string, string | undefined>;
const str = (v: number | boolean | undefined) => (v === undefined ? undefined : String(v));

const writeQuery = (o: WriteOptions | undefined): Query => ({
  dryRun: o?.dryRun ? 'All' : undefined,
  fieldManager: o?.fieldManager,
  fieldValidation: o?.fieldValidation,
});

const listQuery = (o: ListOptions | undefined): Query => ({
  labelSelector: o?.labelSelector || undefined,
  fieldSelector: o?.fieldSelector || undefined,
  limit: str(o?.limit),
  continue: o?.continue,
  resourceVersion: o?.resourceVersion,
  resourceVersionMatch: o?.resourceVersionMatch,
});

/** DeleteOptions travel in the body, as client-go sends them. */
function deleteBody(o: DeleteOptions | undefined): object {
  return {
    kind: 'DeleteOptions',
    apiVersion: 'v1',
    ...(o?.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: o.gracePeriodSeconds } : {}),
    ...(o?.propagationPolicy ? { propagationPolicy: o.propagationPolicy } : {}),
    ...(o?.preconditions ? { preconditions: o.preconditions } : {}),
    ...(o?.dryRun ? { dryRun: ['All'] } : {}),
  };
}

class TypedResourceClient<T extends KubeObject> implements ResourceClient<T> {
  constructor(readonly info: ResourceInfo<T>, private readonly transport: Transport) {}

  /** The namespace of a single-object request: required for namespaced resources, ignored otherwise. */
  private ns(opts: { namespace?: string } | undefined, obj?: KubeObject): string | undefined {
    if (!this.info.namespaced) return undefined;
    const fromObj = obj?.metadata.namespace;
    if (opts?.namespace && fromObj && opts.namespace !== fromObj) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const ns = opts?.namespace || fromObj;
    if (!ns) throw badRequest(`a namespace is required for ${this.info.plural}`);
    return ns;
  }

  private path(ns: string | undefined, name?: string, sub?: string): string {
    if (name !== undefined && !name) throw badRequest(`resource name may not be empty`);
    return resourcePath(this.info, ns, name, sub);
  }

  private async call<R>(req: ApiRequest): Promise<R> {
    return (await this.transport.request(req)).body as R;
  }

  /** Fills apiVersion/kind when the caller left them out, as the server would from the URL. */
  private typed(obj: T): T {
    return obj.apiVersion && obj.kind ? obj : { ...obj, apiVersion: apiVersionOf(this.info), kind: this.info.kind };
  }

  async get(name: string, opts?: GetOptions): Promise<T> {
    return this.call({ method: 'GET', path: this.path(this.ns(opts), name), ...(opts?.resourceVersion ? { query: { resourceVersion: opts.resourceVersion } } : {}) });
  }

  async list(opts?: ListOptions): Promise<ObjectList<T>> {
    return this.call({ method: 'GET', path: this.path(this.info.namespaced ? opts?.namespace : undefined), query: listQuery(opts), signal: opts?.signal });
  }

  async create(obj: T, opts?: WriteOptions): Promise<T> {
    return this.call({ method: 'POST', path: this.path(this.ns(opts, obj)), body: this.typed(obj), query: writeQuery(opts) });
  }

  async update(obj: T, opts?: WriteOptions): Promise<T> {
    return this.call({ method: 'PUT', path: this.path(this.ns(opts, obj), obj.metadata.name ?? ''), body: this.typed(obj), query: writeQuery(opts) });
  }

  async updateStatus(obj: T, opts?: WriteOptions): Promise<T> {
    return this.call({ method: 'PUT', path: this.path(this.ns(opts, obj), obj.metadata.name ?? '', 'status'), body: this.typed(obj), query: writeQuery(opts) });
  }

  async patch(name: string, type: PatchType, patch: unknown, opts?: PatchOptions): Promise<T> {
    if (type === 'apply' && !opts?.fieldManager) throw badRequest('fieldManager is required for apply patch');
    return this.call({
      method: 'PATCH',
      path: this.path(this.ns(opts), name, opts?.subresource),
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      query: { ...writeQuery(opts), force: opts?.force !== undefined && type === 'apply' ? String(opts.force) : undefined },
    });
  }

  async delete(name: string, opts?: DeleteOptions): Promise<T> {
    return this.call({ method: 'DELETE', path: this.path(this.ns(opts), name), body: deleteBody(opts) });
  }

  async deleteCollection(opts?: ListOptions & DeleteOptions): Promise<void> {
    await this.call({ method: 'DELETE', path: this.path(this.info.namespaced ? opts?.namespace : undefined), query: listQuery(opts), body: deleteBody(opts) });
  }

  watch(opts?: WatchOptions): AsyncIterable<WatchEvent<T>> {
    return this.transport.watch({
      method: 'GET',
      path: this.path(this.info.namespaced ? opts?.namespace : undefined),
      query: {
        watch: 'true',
        labelSelector: opts?.labelSelector || undefined,
        fieldSelector: opts?.fieldSelector || undefined,
        resourceVersion: opts?.resourceVersion,
        allowWatchBookmarks: str(opts?.allowWatchBookmarks),
        sendInitialEvents: str(opts?.sendInitialEvents),
        timeoutSeconds: str(opts?.timeoutSeconds),
      },
      signal: opts?.signal,
    }) as AsyncIterable<WatchEvent<T>>;
  }

  async getSubresource<R>(name: string, subresource: string, opts?: { namespace?: string }): Promise<R> {
    return this.call({ method: 'GET', path: this.path(this.ns(opts), name, subresource) });
  }

  async createSubresource<B, R = unknown>(name: string, subresource: string, body: B, opts?: WriteOptions): Promise<R> {
    return this.call({ method: 'POST', path: this.path(this.ns(opts), name, subresource), body, query: writeQuery(opts) });
  }

  async updateSubresource<B, R = T>(name: string, subresource: string, body: B, opts?: WriteOptions): Promise<R> {
    return this.call({ method: 'PUT', path: this.path(this.ns(opts), name, subresource), body, query: writeQuery(opts) });
  }
}

const PODS = { group: '', version: 'v1', plural: 'pods', namespaced: true } as const;

/**
 * The typed client over any transport. Resource clients are cached per `ResourceInfo`, so
 * `client.resource(RESOURCES.pods)` is cheap to call wherever it is needed.
 */
export function createClient(transport: Transport): KubeClient {
  const clients = new WeakMap<ResourceInfo<never>, ResourceClient<KubeObject>>();
  return {
    resource<T extends KubeObject>(info: ResourceInfo<T>): ResourceClient<T> {
      let c = clients.get(info as ResourceInfo<never>) as ResourceClient<T> | undefined;
      if (!c) {
        c = new TypedResourceClient(info, transport);
        clients.set(info as ResourceInfo<never>, c as unknown as ResourceClient<KubeObject>);
      }
      return c;
    },
    async *podLogs(namespace: string, name: string, opts?: PodLogOptions): AsyncIterable<Uint8Array> {
      if (!namespace || !name) throw badRequest('pod logs need a namespace and a pod name');
      yield* transport.stream({
        method: 'GET',
        path: resourcePath(PODS, namespace, name, 'log'),
        query: {
          container: opts?.container,
          follow: str(opts?.follow),
          previous: str(opts?.previous),
          tailLines: str(opts?.tailLines),
          sinceSeconds: str(opts?.sinceSeconds),
          timestamps: str(opts?.timestamps),
          limitBytes: str(opts?.limitBytes),
        },
        signal: opts?.signal,
      });
    },
  };
}
