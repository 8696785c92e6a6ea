import type { PatchType, ResourceInfo, Status } from '@peapod/api-types';

/**
 * The client contract every component (scheduler, kubelet, controllers, the app) uses to talk to
 * the cluster. Two transports implement it with identical semantics: HTTP(S) to a remote API
 * server, and in-process (the API server's request handler called directly, no sockets, no JSON),
 * chosen by DI. Objects returned may be shared with informer caches: treat them as immutable.
 * Failures are `StatusError`s from `@peapod/api-types` (isNotFound, isConflict, ...).
 */

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface ObjectList<T> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export interface NamespaceOption { namespace?: string }
export interface GetOptions extends NamespaceOption {
  /** Unset: the latest state. Set: any state not older than it ("0": any), which the API server may answer from its cache. */
  resourceVersion?: string;
}
export interface WriteOptions extends NamespaceOption {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}
export interface ListOptions extends NamespaceOption {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  /**
   * Abandons the list (rejecting with the signal's reason). Added to the lead's contract so an
   * informer's stop() never waits on a list to a server that does not answer.
   */
  signal?: AbortSignal;
}
export interface WatchOptions extends NamespaceOption {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
  /** Ends the watch; the iterator then returns. */
  signal?: AbortSignal;
}
export interface DeleteOptions extends NamespaceOption {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}
export type { PatchType };
export interface PatchOptions extends WriteOptions {
  /** e.g. `status`, `scale`, `ephemeralcontainers`, `resize`. */
  subresource?: string;
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
}

export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: Status };

export interface ResourceClient<T extends KubeObject> {
  readonly info: ResourceInfo<T>;
  get(name: string, opts?: GetOptions): Promise<T>;
  list(opts?: ListOptions): Promise<ObjectList<T>>;
  create(obj: T, opts?: WriteOptions): Promise<T>;
  update(obj: T, opts?: WriteOptions): Promise<T>;
  /** PUT to the `status` subresource. */
  updateStatus(obj: T, opts?: WriteOptions): Promise<T>;
  patch(name: string, type: PatchType, patch: unknown, opts?: PatchOptions): Promise<T>;
  /** Returns the object as it stands after the call (with deletionTimestamp when graceful) or the final state. */
  delete(name: string, opts?: DeleteOptions): Promise<T>;
  deleteCollection(opts?: ListOptions & DeleteOptions): Promise<void>;
  /**
   * Streams events. Ends when the server ends the stream (timeout), on `signal`, or after an ERROR
   * event (410 means: relist). Callers that need continuity use an Informer.
   */
  watch(opts?: WatchOptions): AsyncIterable<WatchEvent<T>>;
  /** GET a subresource, e.g. `scale`. */
  getSubresource<R>(name: string, subresource: string, opts?: NamespaceOption): Promise<R>;
  /** POST to a subresource, e.g. `binding`, `eviction`. */
  createSubresource<B, R = unknown>(name: string, subresource: string, body: B, opts?: WriteOptions): Promise<R>;
  /** PUT a subresource, e.g. `scale`, `ephemeralcontainers`, `resize`. */
  updateSubresource<B, R = T>(name: string, subresource: string, body: B, opts?: WriteOptions): Promise<R>;
}

/** Entry point; `resource(RESOURCES.pods)` gives a typed client for one resource. */
export interface KubeClient {
  resource<T extends KubeObject>(info: ResourceInfo<T>): ResourceClient<T>;
  /** Streams a pod's log (the `log` subresource). */
  podLogs(namespace: string, name: string, opts?: PodLogOptions): AsyncIterable<Uint8Array>;
}

export interface PodLogOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
  limitBytes?: number;
  signal?: AbortSignal;
}

/**
 * The request layer below the typed client. The HTTP transport serializes; the in-process one
 * (provided by `@peapod/apiserver`) hands the same request to the server's handler directly.
 */
export interface ApiRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute API path, e.g. `/api/v1/namespaces/default/pods/web/status`. */
  path: string;
  query?: Record<string, string | undefined>;
  /** Already-parsed body; `contentType` says how the server must read it (patch types). */
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}
export interface ApiResponse {
  status: number;
  body: unknown;
}
export interface Transport {
  /** One request, one decoded answer. Non-2xx answers are thrown as StatusError. */
  request(req: ApiRequest): Promise<ApiResponse>;
  /** A watch stream of decoded events; ends with the server's stream or the signal. */
  watch(req: ApiRequest): AsyncIterable<WatchEvent<KubeObject>>;
  /** A raw byte stream (logs). */
  stream(req: ApiRequest): AsyncIterable<Uint8Array>;
}
