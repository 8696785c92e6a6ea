import { createHash } from 'node:crypto';
import { REF_PREFIX, RESOURCES, definitionOf, definitions, refTo, type Definitions, type GroupVersionKind, type OpenAPISchema, type ResourceInfo } from '@peapod/api-types';
import { FIELD_DESCRIPTIONS } from './descriptions.js';

/**
 * The OpenAPI v3 documents: `/openapi/v3` (an index of group-versions) and one document per
 * group-version (`/openapi/v3/api/v1`, `/openapi/v3/apis/apps/v1`, ...), as kubectl reads them:
 * - `kubectl explain` finds a kind's schema by `x-kubernetes-group-version-kind`;
 * - strict field validation (kubectl's default) looks for the `fieldValidation` query parameter
 *   on every PATCH operation tagged with the kind's GVK, and `create`/`apply` fail without it;
 * - client-side `kubectl apply` computes its strategic merge patch from these schemas' merge keys
 *   when the kind's PATCH operation accepts `application/strategic-merge-patch+json`.
 * kubectl 1.32 reads `/openapi/v2` only when a group-version is missing from v3 (then it falls
 * back to its compiled-in types), so Peapod serves v3 only.
 *
 * Documents are built once, on first use; each has a content hash that the index puts into its
 * `serverRelativeURL` (`?hash=`), as Kubernetes does so that clients can cache them forever.
 */
export interface OpenAPIHttpResponse {
  status: 200 | 301 | 304;
  headers: Record<string, string>;
  body: string;
}

export interface ServedDocument {
  /** The document as JSON text, ready to write. */
  json: string;
  /** Upper-case hex SHA-512 of `json`. */
  hash: string;
  /** Strong ETag, quoted. */
  etag: string;
}

const KIND_DESCRIPTIONS: Record<string, string> = {
  Pod: 'One or more containers scheduled together onto a node, sharing network and storage, with the status the node reports.',
  Node: 'A machine (or simulated machine) that runs pods, with its capacity, conditions and addresses.',
  Namespace: 'A scope for the names of namespaced objects; deleting it deletes everything inside.',
  ConfigMap: 'Non-secret configuration as string or binary key/value pairs for pods to consume.',
  Secret: 'Sensitive key/value data (base64 in `data`) for pods to consume.',
  Event: 'A record of something that happened to an object, as shown by `kubectl describe`.',
  ServiceAccount: 'An identity for processes running in pods.',
  PersistentVolumeClaim: 'A request for storage that a pod mounts through a volume.',
  PodTemplate: 'A reusable pod specification.',
  ReplicaSet: 'Keeps a stable number of identical pods running.',
  Deployment: 'Declarative updates of pods through ReplicaSets, with rollout strategy and history.',
  StatefulSet: 'Pods with stable names and storage, created and updated in order.',
  DaemonSet: 'Runs one copy of a pod on each eligible node.',
  ControllerRevision: 'An immutable snapshot of state that a controller rolls between.',
  Job: 'Runs pods until a number of them finish successfully.',
  CronJob: 'Creates Jobs on a cron schedule.',
  PodDisruptionBudget: 'Limits how many pods of a set voluntary disruptions (evictions) may take down at once.',
  Lease: 'A time-bounded claim, used for leader election and node heartbeats.',
};

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const PATCH_DEFINITION = `${META}Patch`;
const EXTRA_DEFINITIONS: Record<string, OpenAPISchema> = {
  [PATCH_DEFINITION]: {
    type: 'object',
    description: 'A PATCH body, interpreted according to the Content-Type: JSON patch, merge patch, strategic merge patch or an apply configuration.',
  },
};

const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
const OBJECT_TYPES = ['application/json', 'application/yaml'];

const query = (name: string, description: string, schema: OpenAPISchema = { type: 'string' }) => ({ name, in: 'query', description, schema, uniqueItems: true });
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' }, uniqueItems: true });

const P = {
  pretty: query('pretty', "If 'true', the output is indented."),
  dryRun: query('dryRun', "With 'All', the request is validated and answered but nothing is stored."),
  fieldManager: query('fieldManager', 'The name recorded in managedFields as the actor making this change; required for apply.'),
  fieldValidation: query('fieldValidation', "What to do with unknown or duplicate fields: 'Ignore', 'Warn' (the default; a warning header per field) or 'Strict' (reject the request)."),
  force: query('force', 'For apply only: take over fields other managers own instead of failing with a conflict.', { type: 'boolean' }),
  labelSelector: query('labelSelector', 'Only objects whose labels match this selector.'),
  fieldSelector: query('fieldSelector', 'Only objects whose fields match this selector.'),
  limit: query('limit', 'At most this many items; the list metadata then carries a continue token.', { type: 'integer' }),
  continue: query('continue', 'The token of a previous partial list, to get the next chunk.'),
  resourceVersion: query('resourceVersion', 'The version of the data the answer must reflect, with resourceVersionMatch deciding how.'),
  resourceVersionMatch: query('resourceVersionMatch', "'Exact' or 'NotOlderThan', for resourceVersion on lists."),
  watch: query('watch', 'Stream changes (ADDED, MODIFIED, DELETED) instead of returning a list.', { type: 'boolean' }),
  allowWatchBookmarks: query('allowWatchBookmarks', 'Let the watch stream send BOOKMARK events carrying the current resourceVersion.', { type: 'boolean' }),
  sendInitialEvents: query('sendInitialEvents', 'Start the watch with ADDED events for existing objects, then a bookmark.', { type: 'boolean' }),
  timeoutSeconds: query('timeoutSeconds', 'End the list or watch after this many seconds.', { type: 'integer' }),
  gracePeriodSeconds: query('gracePeriodSeconds', 'Seconds the object may take to terminate before it is removed; 0 removes it at once.', { type: 'integer' }),
  propagationPolicy: query('propagationPolicy', "How dependents are deleted: 'Orphan', 'Background' or 'Foreground'."),
  orphanDependents: query('orphanDependents', "Deprecated; use propagationPolicy 'Orphan'.", { type: 'boolean' }),
  name: pathParam('name', 'The name of the object.'),
  namespace: pathParam('namespace', 'The namespace of the object.'),
};
const LIST_PARAMS = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];

const content = (types: readonly string[], schema: OpenAPISchema) => Object.fromEntries(types.map((t) => [t, { schema }]));
const ok = (schema: OpenAPISchema, description = 'OK') => ({ description, content: content(OBJECT_TYPES, schema) });
const UNAUTHORIZED = { description: 'Unauthorized' };

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const groupTitle = (group: string) => (group ? group.split('.')[0].split('-').map(upperFirst).join('') : 'Core');

/** Subresources that read and write (a view of) the object, and the kind they speak. */
const VIEW_SUBRESOURCES: Record<string, (info: ResourceInfo) => { gvk: GroupVersionKind; definition: string }> = {
  status: (i) => ({ gvk: gvkOf(i), definition: definitionOf(i) }),
  ephemeralcontainers: (i) => ({ gvk: gvkOf(i), definition: definitionOf(i) }),
  resize: (i) => ({ gvk: gvkOf(i), definition: definitionOf(i) }),
  scale: () => ({ gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, definition: 'io.k8s.api.autoscaling.v1.Scale' }),
};
/** Subresources that take a body of another kind with POST. */
const CREATE_SUBRESOURCES: Record<string, { gvk: GroupVersionKind; definition: string }> = {
  binding: { gvk: { group: '', version: 'v1', kind: 'Binding' }, definition: 'io.k8s.api.core.v1.Binding' },
  eviction: { gvk: { group: 'policy', version: 'v1', kind: 'Eviction' }, definition: 'io.k8s.api.policy.v1.Eviction' },
};

const gvkOf = (i: ResourceInfo): GroupVersionKind => ({ group: i.group, version: i.version, kind: i.kind });

type Operation = Record<string, unknown>;
type PathItem = Record<string, unknown>;

/** The paths (with their operations) under which one resource is served. */
function resourcePaths(info: ResourceInfo): Record<string, PathItem> {
  const prefix = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const scope = info.namespaced ? 'Namespaced' : '';
  const collection = info.namespaced ? `${prefix}/namespaces/{namespace}/${info.plural}` : `${prefix}/${info.plural}`;
  const item = `${collection}/{name}`;
  const scopeParams = info.namespaced ? [P.namespace, P.pretty] : [P.pretty];
  const kindRef = { $ref: refTo(definitionOf(info)) };
  const listRef = { $ref: refTo(`${definitionOf(info)}List`) };
  const status = { $ref: refTo(`${META}Status`) };
  const id = `${groupTitle(info.group)}${upperFirst(info.version)}`;
  const tags = [`${info.group ? info.group.split('.')[0] : 'core'}_${info.version}`];
  const verbs = new Set(info.verbs);
  // Operation ids follow Kubernetes' scheme, e.g. `patchCoreV1NamespacedPodStatus`.
  const op = (action: string, verb: string, description: string, gvk: GroupVersionKind, { subject, ...rest }: Operation & { subject: string }, sc = scope): Operation => ({
    tags,
    description,
    operationId: `${verb}${id}${sc}${subject}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    ...rest,
  });
  const gvk = gvkOf(info);
  const kind = info.kind;
  const paths: Record<string, PathItem> = {};

  const coll: PathItem = { parameters: scopeParams };
  if (verbs.has('list')) coll['get'] = op('list', 'list', `Lists or watches ${kind} objects.`, gvk, { subject: kind, parameters: LIST_PARAMS, responses: { 200: ok(listRef), 401: UNAUTHORIZED } });
  if (verbs.has('create')) {
    coll['post'] = op('post', 'create', `Creates a ${kind}.`, gvk, {
      subject: kind,
      parameters: WRITE_PARAMS,
      requestBody: { required: true, content: content(OBJECT_TYPES, kindRef) },
      responses: { 200: ok(kindRef), 201: ok(kindRef, 'Created'), 202: ok(kindRef, 'Accepted'), 401: UNAUTHORIZED },
    });
  }
  if (verbs.has('deletecollection')) {
    coll['delete'] = op('deletecollection', 'deleteCollection', `Deletes every ${kind} the selectors match.`, gvk, {
      subject: kind,
      parameters: [...DELETE_PARAMS, ...LIST_PARAMS.filter((p) => p !== P.watch && p !== P.allowWatchBookmarks && p !== P.sendInitialEvents)],
      requestBody: { content: content(OBJECT_TYPES, { $ref: refTo(`${META}DeleteOptions`) }) },
      responses: { 200: ok(status), 401: UNAUTHORIZED },
    });
  }
  paths[collection] = coll;
  if (info.namespaced && verbs.has('list')) {
    paths[`${prefix}/${info.plural}`] = {
      parameters: [P.pretty],
      get: op('list', 'list', `Lists or watches ${kind} objects in every namespace.`, gvk, { subject: `${kind}ForAllNamespaces`, parameters: LIST_PARAMS, responses: { 200: ok(listRef), 401: UNAUTHORIZED } }, ''),
    };
  }

  const readWrite = (path: string, subject: string, what: string, target: { gvk: GroupVersionKind; definition: string }, withDelete: boolean) => {
    const ref = { $ref: refTo(target.definition) };
    const p: PathItem = { parameters: [P.name, ...scopeParams] };
    if (verbs.has('get')) p['get'] = op('get', 'read', `Returns ${what}.`, target.gvk, { subject, responses: { 200: ok(ref), 401: UNAUTHORIZED } });
    if (verbs.has('update')) {
      p['put'] = op('put', 'replace', `Replaces ${what}.`, target.gvk, {
        subject,
        parameters: WRITE_PARAMS,
        requestBody: { required: true, content: content(OBJECT_TYPES, ref) },
        responses: { 200: ok(ref), 201: ok(ref, 'Created'), 401: UNAUTHORIZED },
      });
    }
    if (verbs.has('patch')) {
      p['patch'] = op('patch', 'patch', `Changes ${what} with a JSON patch, merge patch, strategic merge patch or server-side apply.`, target.gvk, {
        subject,
        parameters: [...WRITE_PARAMS, P.force],
        requestBody: { required: true, content: content(PATCH_TYPES, { $ref: refTo(PATCH_DEFINITION) }) },
        responses: { 200: ok(ref), 201: ok(ref, 'Created'), 401: UNAUTHORIZED },
      });
    }
    if (withDelete && verbs.has('delete')) {
      p['delete'] = op('delete', 'delete', `Deletes ${what}.`, target.gvk, {
        subject,
        parameters: DELETE_PARAMS,
        requestBody: { content: content(OBJECT_TYPES, { $ref: refTo(`${META}DeleteOptions`) }) },
        responses: { 200: ok(kindRef), 202: ok(kindRef, 'Accepted'), 401: UNAUTHORIZED },
      });
    }
    paths[path] = p;
  };
  readWrite(item, kind, `the named ${kind}`, { gvk, definition: definitionOf(info) }, true);

  for (const sub of info.subresources ?? []) {
    const subject = `${kind}${upperFirst(sub)}`;
    const subPath = `${item}/${sub}`;
    const view = VIEW_SUBRESOURCES[sub];
    const create = CREATE_SUBRESOURCES[sub];
    if (view) {
      readWrite(subPath, subject, `the ${sub} of the named ${kind}`, view(info), false);
    } else if (create) {
      const ref = { $ref: refTo(create.definition) };
      paths[subPath] = {
        parameters: [P.name, ...scopeParams],
        post: op('post', 'create', `Creates a ${create.gvk.kind} for the named ${kind}.`, create.gvk, {
          subject,
          parameters: WRITE_PARAMS,
          requestBody: { required: true, content: content(OBJECT_TYPES, ref) },
          responses: { 200: ok(ref), 201: ok(ref, 'Created'), 202: ok(ref, 'Accepted'), 401: UNAUTHORIZED },
        }),
      };
    } else if (sub === 'log') {
      const text = { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } };
      paths[subPath] = {
        parameters: [P.name, ...scopeParams,
          query('container', 'The container to read; optional when the pod has one.'),
          query('follow', 'Keep streaming as the container writes.', { type: 'boolean' }),
          query('previous', 'Read the previous, terminated instance of the container.', { type: 'boolean' }),
          query('tailLines', 'Start this many lines before the end.', { type: 'integer' }),
          query('sinceSeconds', 'Only lines written in the last this many seconds.', { type: 'integer' }),
          query('timestamps', 'Prefix each line with its RFC 3339 time.', { type: 'boolean' }),
          query('limitBytes', 'Stop after this many bytes.', { type: 'integer' })],
        get: op('get', 'read', `Streams the log of a container of the named ${kind}.`, gvk, { subject, responses: { 200: text, 401: UNAUTHORIZED } }),
      };
    } else {
      // exec, attach, portforward: upgraded connections (WebSocket).
      const connect = (verb: string) => op('connect', `connect${upperFirst(verb)}`, `Opens a streaming ${sub} connection to the named ${kind}.`, gvk, {
        subject,
        responses: { 101: { description: 'Switching Protocols' }, 401: UNAUTHORIZED },
      });
      paths[subPath] = { parameters: [P.name, ...scopeParams], get: connect('get'), post: connect('post') };
    }
  }
  return paths;
}

/** Every definition reachable from `roots` through `$ref`s. */
function reachable(defs: Definitions, roots: Iterable<string>): Record<string, OpenAPISchema> {
  const out: Record<string, OpenAPISchema> = {};
  const pending = [...roots];
  while (pending.length) {
    const name = pending.pop()!;
    if (out[name] || !defs[name]) continue;
    out[name] = defs[name];
    JSON.stringify(defs[name], (k, v: unknown) => {
      if (k === '$ref' && typeof v === 'string') pending.push(v.slice(REF_PREFIX.length));
      return v;
    });
  }
  return out;
}

/** `schema` with descriptions added to the named properties that have none. */
function describeFields(schema: OpenAPISchema, texts: Readonly<Record<string, string>>): OpenAPISchema {
  if (!schema.properties) return schema;
  const properties = { ...schema.properties };
  for (const [field, description] of Object.entries(texts)) {
    const prop = properties[field];
    if (!prop || prop.description) continue;
    // A $ref ignores its siblings in OpenAPI 3.0, so a described reference is wrapped in allOf.
    const { $ref, ...rest } = prop;
    properties[field] = $ref ? { allOf: [{ $ref }], ...rest, description } : { ...prop, description };
  }
  return { ...schema, properties };
}

/** The definitions with Peapod's descriptions of kinds, lists and common fields filled in. */
function describe(defs: Definitions, resources: readonly ResourceInfo[]): Definitions {
  const out: Record<string, OpenAPISchema> = { ...defs, ...EXTRA_DEFINITIONS };
  for (const [name, texts] of Object.entries(FIELD_DESCRIPTIONS)) if (out[name]) out[name] = describeFields(out[name], texts);
  for (const r of resources) {
    const name = definitionOf(r);
    const text = KIND_DESCRIPTIONS[r.kind];
    if (out[name]) out[name] = describeFields({ ...(text ? { description: text } : {}), ...out[name] }, FIELD_DESCRIPTIONS['*']);
    if (out[`${name}List`]) out[`${name}List`] = { description: `A list of ${r.kind} objects.`, ...out[`${name}List`] };
  }
  return out;
}

const serve = (doc: unknown): ServedDocument => {
  const json = JSON.stringify(doc);
  const hash = createHash('sha512').update(json).digest('hex').toUpperCase();
  return { json, hash, etag: `"${hash}"` };
};

/** `api/v1` or `apis/<group>/<version>`: the key of a group-version in the index and URL. */
export const groupVersionPath = (r: Pick<ResourceInfo, 'group' | 'version'>) => (r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`);

export class OpenAPIV3 {
  private docs?: Map<string, ServedDocument>;
  private indexDoc?: ServedDocument;
  private readonly parsed = new WeakMap<ServedDocument, unknown>();

  constructor(private readonly resources: readonly ResourceInfo[] = Object.values(RESOURCES) as ResourceInfo[]) {}

  /** The document at an `/openapi/v3` URL path (`/openapi/v3` itself is the index), or undefined. */
  lookup(urlPath: string): ServedDocument | undefined {
    const rel = urlPath.replace(/^\/openapi\/v3\/?/, '').replace(/\/+$/, '');
    this.build();
    return rel === '' ? this.indexDoc : this.docs!.get(rel);
  }

  /** The document as an object, for callers that serialize it themselves (shared: do not modify). */
  document(urlPath: string): unknown {
    const d = this.lookup(urlPath);
    if (!d) return undefined;
    let parsed = this.parsed.get(d);
    if (parsed === undefined) this.parsed.set(d, (parsed = JSON.parse(d.json) as unknown));
    return parsed;
  }

  /**
   * The HTTP answer for a GET of an `/openapi/v3` URL, or undefined for an unknown path:
   * - 304 when `If-None-Match` carries the document's ETag;
   * - with `?hash=` of the current document, cacheable for a year (`immutable`), as the hash
   *   changes with the content; with an outdated hash, 301 to the current URL;
   * - otherwise revalidated on every use (`no-cache`).
   */
  respond(urlPath: string, search: string | URLSearchParams = '', ifNoneMatch?: string): OpenAPIHttpResponse | undefined {
    const doc = this.lookup(urlPath);
    if (!doc) return undefined;
    const hash = new URLSearchParams(search).get('hash');
    const path = urlPath.replace(/\/+$/, '');
    if (hash !== null && hash !== doc.hash) return { status: 301, headers: { location: `${path}?hash=${doc.hash}` }, body: '' };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      etag: doc.etag,
      'cache-control': hash !== null ? 'public, immutable, max-age=31536000' : 'no-cache, private',
    };
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').map((t) => t.trim()).some((t) => t === doc.etag || t === '*')) return { status: 304, headers, body: '' };
    return { status: 200, headers, body: doc.json };
  }

  private build(): void {
    if (this.docs) return;
    const defs = describe(definitions(), this.resources);
    const byGV = new Map<string, ResourceInfo[]>();
    for (const r of this.resources) byGV.set(groupVersionPath(r), [...(byGV.get(groupVersionPath(r)) ?? []), r]);
    const docs = new Map<string, ServedDocument>();
    for (const [gv, rs] of byGV) {
      const paths: Record<string, PathItem> = {};
      for (const r of rs) Object.assign(paths, resourcePaths(r));
      const refs = new Set<string>();
      JSON.stringify(paths, (k, v: unknown) => {
        if (k === '$ref' && typeof v === 'string') refs.add(v.slice(REF_PREFIX.length));
        return v;
      });
      docs.set(gv, serve({
        openapi: '3.0.0',
        info: { title: 'Peapod', version: 'v1.32.0' },
        paths,
        components: {
          schemas: reachable(defs, refs),
          securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer token authentication', name: 'authorization', in: 'header' } },
        },
        security: [{ BearerToken: [] }],
      }));
    }
    this.docs = docs;
    this.indexDoc = serve({ paths: Object.fromEntries([...docs].map(([gv, d]) => [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${d.hash}` }])) });
  }
}
