import { Agent } from 'node:https';
import { isStatusError } from '@peapod/api-types';
import fc from 'fast-check';
import { stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_USER } from '../auth.js';
import { MAX_BODY_BYTES } from '../body.js';
import { startTestServer, type TestServer } from '../testing/harness.js';

/**
 * Property-based fuzzing of the API server (issue 11, "Bad input"): generated manifests, patches,
 * query strings and paths against a real server. Volume goes through the in-process entry (the
 * same authorizer and handler the HTTPS server calls); a smaller sample goes over HTTPS so body
 * decoding, content types and size limits are fuzzed too. Every answer must be below 500, every
 * rejection a well-formed Status, every request must settle within REQUEST_TIMEOUT_MS, and the
 * server must still serve normally afterwards.
 */

const REQUEST_TIMEOUT_MS = 5_000;
/** Runs per property; the in-process total stays above 100,000. */
const RUNS = { manifests: 32_000, patches: 30_000, queries: 30_000, paths: 10_000, https: 1_500 };

let t: TestServer;
const tally = { tried: 0, byClass: new Map<string, number>(), fiveHundreds: 0, crashes: 0, https: 0 };

interface Served { group: string; version: string; plural: string; kind: string; namespaced: boolean; subresources: string[]; verbs: string[] }
const resources: Served[] = [];

/** Throws unless `s` is a Status a client can act on: kind Status, a numeric code, a reason. */
function checkStatus(s: unknown, code?: number): void {
  const st = s as { kind?: unknown; code?: unknown; reason?: unknown; status?: unknown } | undefined;
  if (st?.kind !== 'Status' || typeof st.code !== 'number' || typeof st.reason !== 'string' || !st.reason || st.status !== 'Failure' || (code !== undefined && st.code !== code)) {
    throw new Error(`malformed Status: ${JSON.stringify(s)?.slice(0, 300)}`);
  }
}

/**
 * Kubernetes answers a read at a resourceVersion the server has not reached with 504 Timeout
 * ("Too large resource version", reflectors retry on it); that one 5xx is faithful, not a failure.
 */
const tooLargeResourceVersion = (s: unknown) => {
  const st = s as { code?: number; reason?: string; message?: string } | undefined;
  return st?.code === 504 && st.reason === 'Timeout' && /^Too large resource version/.test(st.message ?? '');
};

function count(code: number, status?: unknown): number {
  tally.tried++;
  const cls = tooLargeResourceVersion(status) ? '504-too-large-rv' : `${Math.floor(code / 100)}xx`;
  tally.byClass.set(cls, (tally.byClass.get(cls) ?? 0) + 1);
  if (code >= 500 && !tooLargeResourceVersion(status)) {
    tally.fiveHundreds++;
    throw new Error(`server answered ${code}`);
  }
  return code;
}

async function bounded<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms: ${what}`)), REQUEST_TIMEOUT_MS); });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

interface FuzzRequest { method: string; path: string; query?: URLSearchParams; body?: unknown; contentType?: string; accept?: string }

/**
 * One in-process request, with the body copied as the in-process transport copies it (so objects
 * reach the server as a client would deliver them); streams (watch, logs) are cut right after
 * they open and drained.
 */
async function serve(r: FuzzRequest): Promise<number> {
  const abort = new AbortController();
  const run = async (): Promise<readonly [number, unknown?]> => {
    try {
      const res = await t.server.core.serve({ ...r, body: r.body === undefined ? undefined : structuredClone(r.body), query: r.query ?? new URLSearchParams(), user: ADMIN_USER, userAgent: 'fuzz/1', signal: abort.signal });
      if (res.type === 'object') return [res.status];
      abort.abort();
      const it = (res.type === 'watch' ? res.events : res.chunks)[Symbol.asyncIterator]();
      for (let i = 0; i < 100; i++) {
        const next = await it.next();
        if (next.done) break;
        const ev = next.value as { type?: string; object?: unknown };
        if (res.type === 'watch' && ev.type === 'ERROR') checkStatus(ev.object);
      }
      await it.return?.();
      return [200];
    } catch (err) {
      if (!isStatusError(err)) {
        tally.crashes++;
        throw new Error(`unstructured throw for ${r.method} ${r.path}: ${String(err)}`);
      }
      checkStatus(err.status, err.code);
      return [err.code, err.status] as const;
    }
  };
  const [code, status] = await bounded(`${r.method} ${r.path}?${r.query}`, run());
  return count(code, status);
}

// ---- generators -------------------------------------------------------------------------

const DEPTH_WRAP = (v: unknown, depth: number, arr: boolean): unknown => {
  let out = v;
  for (let i = 0; i < depth; i++) out = arr ? [out] : { a: out };
  return out;
};

/** Values of the wrong type, shape or size for wherever they land. */
const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 2 ** 53, 1e308, -0, true, false, null, '', '0', 'true', 'null', '\u0000', '../../etc/passwd', '1Gi', '100m', 'Always', ':'),
  fc.integer({ min: 1_000, max: 70_000 }).map((n) => 'x'.repeat(n)),
  fc.tuple(fc.integer({ min: 1, max: 150 }), fc.boolean()).map(([d, arr]) => DEPTH_WRAP('deep', d, arr)),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

const NAMES = ['p0', 'p1', 'cm0', 'n0', 'default', 'x'];
/** Valid names from a small pool, so creates that succeed keep the store small (lists stay cheap). */
const dnsName = fc.stringMatching(/^[a-z][0-9]$/);
const name = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NAMES) }, { weight: 2, arbitrary: dnsName }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) });
const namespace = fc.oneof({ weight: 6, arbitrary: fc.constant('default') }, { weight: 1, arbitrary: fc.constantFrom('kube-system', 'missing', 'kube-node-lease') }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });

const container = (n: string) => ({ name: n, image: 'busybox', command: ['sleep', '1'], ports: [{ containerPort: 80 }], resources: { limits: { cpu: '100m', memory: '64Mi' } }, env: [{ name: 'A', value: 'b' }] });

/** A valid-looking object of the resource's kind. */
function template(r: Served, n: string): Record<string, unknown> {
  const base = { apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, metadata: { name: n, labels: { app: 'fuzz' }, annotations: { a: 'b' } } };
  const podSpec = { containers: [container('c')], restartPolicy: 'Always', nodeName: 'n0', volumes: [{ name: 'v', emptyDir: {} }] };
  const podTemplate = { metadata: { labels: { app: 'fuzz' } }, spec: podSpec };
  switch (r.kind) {
    case 'Pod': return { ...base, spec: podSpec };
    case 'ConfigMap': return { ...base, data: { k: 'v' } };
    case 'Secret': return { ...base, type: 'Opaque', stringData: { k: 'v' } };
    case 'Service': return { ...base, spec: { selector: { app: 'fuzz' }, ports: [{ port: 80, targetPort: 8080 }] } };
    case 'Deployment': case 'ReplicaSet': case 'StatefulSet': case 'DaemonSet':
      return { ...base, spec: { selector: { matchLabels: { app: 'fuzz' } }, template: podTemplate, ...(r.kind !== 'DaemonSet' ? { replicas: 1 } : {}), ...(r.kind === 'StatefulSet' ? { serviceName: 's' } : {}) } };
    case 'Job': return { ...base, spec: { template: { ...podTemplate, spec: { ...podSpec, restartPolicy: 'Never' } } } };
    case 'CronJob': return { ...base, spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: { ...podTemplate, spec: { ...podSpec, restartPolicy: 'Never' } } } } } };
    case 'Node': return { ...base, spec: { podCIDR: '10.0.0.0/24' }, status: { capacity: { cpu: '4', pods: '110' } } };
    case 'Lease': return { ...base, spec: { holderIdentity: n, leaseDurationSeconds: 40 } };
    default: return base;
  }
}

type Path = Array<string | number>;
const FIELD_PATHS: Path[] = [
  [], ['apiVersion'], ['kind'], ['metadata'], ['metadata', 'name'], ['metadata', 'namespace'], ['metadata', 'labels'], ['metadata', 'labels', 'k'],
  ['metadata', 'annotations'], ['metadata', 'resourceVersion'], ['metadata', 'uid'], ['metadata', 'generateName'], ['metadata', 'finalizers'],
  ['metadata', 'ownerReferences'], ['metadata', 'managedFields'], ['metadata', 'deletionTimestamp'], ['spec'], ['spec', 'containers'],
  ['spec', 'containers', 0], ['spec', 'containers', 0, 'name'], ['spec', 'containers', 0, 'image'], ['spec', 'containers', 0, 'ports'],
  ['spec', 'containers', 0, 'ports', 0, 'containerPort'], ['spec', 'containers', 0, 'resources', 'limits', 'cpu'], ['spec', 'containers', 0, 'env', 0],
  ['spec', 'volumes', 0], ['spec', 'nodeName'], ['spec', 'restartPolicy'], ['spec', 'replicas'], ['spec', 'selector'], ['spec', 'template'],
  ['spec', 'template', 'spec', 'containers'], ['spec', 'ports', 0, 'port'], ['spec', 'schedule'], ['spec', 'leaseDurationSeconds'], ['data'], ['data', 'k'],
  ['stringData'], ['status'], ['unknownField'], ['spec', 'unknownField'], ['metadata', 'unknownField'],
];

const mutation = fc.record({
  path: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FIELD_PATHS) }, { weight: 1, arbitrary: fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.nat(3)), { maxLength: 4 }) }),
  op: fc.constantFrom('set', 'set', 'set', 'delete'),
  value: weird,
});
type Mutation = { path: Path; op: string; value: unknown };

/** Sets or deletes at `path`, creating objects on the way; setting the root replaces the document. */
function mutate(doc: unknown, m: Mutation): unknown {
  if (m.path.length === 0) return m.op === 'set' ? m.value : doc;
  if (doc === null || typeof doc !== 'object') return doc;
  let cur = doc as Record<string | number, unknown>;
  for (const key of m.path.slice(0, -1)) {
    const next = cur[key];
    if (next === null || typeof next !== 'object') cur[key] = {};
    cur = cur[key] as Record<string | number, unknown>;
  }
  const last = m.path[m.path.length - 1];
  if (m.op === 'delete') delete cur[last];
  else cur[last] = m.value;
  return doc;
}

const resourceArb = () => fc.constantFrom(...resources);
const collectionPath = (r: Served, ns: string) => `${r.group ? `/apis/${r.group}` : '/api'}/${r.version}${r.namespaced ? `/namespaces/${encodeURIComponent(ns)}` : ''}/${r.plural}`;
const objectPath = (r: Served, ns: string, n: string, sub = '') => `${collectionPath(r, ns)}/${encodeURIComponent(n)}${sub ? `/${sub}` : ''}`;

const FIELD_VALIDATION = fc.constantFrom(undefined, 'Strict', 'Warn', 'Ignore', 'strict', '');
const DRY_RUN = fc.constantFrom(undefined, 'All', 'all', 'None');

const writeQuery = (fv: string | undefined, dry: string | undefined, manager?: string) => {
  const q = new URLSearchParams();
  if (fv !== undefined) q.set('fieldValidation', fv);
  if (dry !== undefined) q.set('dryRun', dry);
  if (manager !== undefined) q.set('fieldManager', manager);
  return q;
};

/** Random list, watch, get and delete parameters, valid and not. */
const queryArb = fc.dictionary(
  fc.constantFrom('resourceVersion', 'resourceVersionMatch', 'labelSelector', 'fieldSelector', 'limit', 'continue', 'watch', 'allowWatchBookmarks',
    'sendInitialEvents', 'timeoutSeconds', 'dryRun', 'fieldValidation', 'gracePeriodSeconds', 'propagationPolicy', 'orphanDependents', 'includeObject',
    'container', 'follow', 'tailLines', 'limitBytes', 'sinceSeconds', 'previous', 'timestamps', 'pretty', 'fieldManager', 'force', 'bogus'),
  fc.oneof(
    fc.constantFrom('0', '1', '-1', '', 'true', 'false', 'All', 'Exact', 'NotOlderThan', 'Foreground', 'Orphan', '999999999999', '1e400', 'NaN', '1.5', '0x10'),
    fc.constantFrom('app=fuzz', 'app!=x,tier in (a,b)', '!app', 'app', 'a=b=c', 'in (', 'x notin ()', 'metadata.name=p0', 'spec.nodeName=n0', 'status.phase!=Running', 'bogus=1', '=,=', 'metadata.name==p0'),
    fc.nat({ max: 1_000_000 }).map(String),
    fc.string({ maxLength: 30 }),
    fc.base64String({ maxLength: 40 }),
  ),
  { maxKeys: 5 },
);

// ---- the suite --------------------------------------------------------------------------

/**
 * Set-up calls use one connection each: a keep-alive socket pooled by the client and left idle
 * while the in-process properties run would race the server's idle timeout when reused (ECONNRESET).
 */
const CLOSE = { connection: 'close' };

beforeAll(async () => {
  t = await startTestServer({ rateLimit: { qps: 1_000_000, burst: 1_000_000 } });
  const get = (path: string) => t.call('GET', path, { headers: CLOSE });
  const lists = [await get('/api/v1'), ...await Promise.all(((await get('/apis')).json.groups as Array<{ preferredVersion: { groupVersion: string } }>).map((g) => get(`/apis/${g.preferredVersion.groupVersion}`)))];
  for (const l of lists) {
    const [group, version] = l.json.groupVersion.includes('/') ? l.json.groupVersion.split('/') : ['', l.json.groupVersion];
    const all = l.json.resources as Array<{ name: string; kind: string; namespaced: boolean; verbs: string[] }>;
    for (const r of all.filter((x) => !x.name.includes('/'))) {
      resources.push({ group, version, plural: r.name, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs, subresources: all.filter((x) => x.name.startsWith(`${r.name}/`)).map((x) => x.name.split('/')[1]) });
    }
  }
  for (const r of resources.filter((x) => ['pods', 'configmaps', 'nodes', 'secrets'].includes(x.plural))) {
    for (const n of NAMES.slice(0, 3)) await t.call('POST', collectionPath(r, 'default'), { body: template(r, n), headers: CLOSE });
  }
});

afterAll(async () => {
  const classes = [...tally.byClass].sort().map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(`[fuzz summary] requests tried: ${tally.tried} (in-process ${tally.tried - tally.https}, HTTPS ${tally.https}); answers ${classes}; 5xx: ${tally.fiveHundreds}; crashes: ${tally.crashes}`);
  await t?.close();
});

const PROPERTY_TIMEOUT = 120_000;

describe('API server under generated bad input', () => {
  it('serves every discovered resource (sanity of the generator input)', () => {
    expect(resources.length).toBeGreaterThan(15);
    expect(resources.find((r) => r.plural === 'pods')?.subresources).toEqual(expect.arrayContaining(['status', 'log', 'exec']));
  });

  it('manifests: valid-looking objects of every kind with random mutations, created and replaced', async () => {
    await fc.assert(fc.asyncProperty(
      resourceArb(), namespace, name, fc.array(mutation, { maxLength: 3 }), fc.boolean(), FIELD_VALIDATION, DRY_RUN, fc.constantFrom('', '', 'status'),
      async (r, ns, n, muts, put, fv, dry, sub) => {
        let body: unknown = template(r, n);
        for (const m of muts) body = mutate(body, m as Mutation);
        const query = writeQuery(fv, dry);
        const code = put
          ? await serve({ method: 'PUT', path: objectPath(r, ns, n, r.subresources.includes(sub) ? sub : ''), body, query })
          : await serve({ method: 'POST', path: collectionPath(r, ns), body, query });
        if (muts.length === 0 && !put && ns === 'default' && /^[a-z0-9]/.test(n) && dry === undefined && fv !== 'strict' && fv !== '') expect([201, 409, 422]).toContain(code);
      },
    ), { numRuns: RUNS.manifests });
  }, PROPERTY_TIMEOUT);

  it('patches: all four patch types with random bodies', async () => {
    const jsonPatchOp = fc.record({
      op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus'),
      path: fc.oneof(fc.constantFrom('/metadata/labels/x', '/spec/containers/0/image', '/spec/containers/-', '/metadata', '/', '', '/spec/replicas', '/data/k', '/metadata/labels~1x', '/a/b/c', '/spec/containers/99'), fc.string({ maxLength: 20 })),
      from: fc.constantFrom(undefined, '/metadata/labels', '/spec', '/nope'),
      value: weird,
    }, { requiredKeys: ['op', 'path'] });
    const bodies = {
      json: fc.oneof({ weight: 4, arbitrary: fc.array(jsonPatchOp, { maxLength: 4 }) }, { weight: 1, arbitrary: weird }),
      merge: fc.oneof(mutation.map((m) => mutate({}, m as Mutation)), weird),
      strategic: fc.oneof(
        mutation.map((m) => mutate({}, m as Mutation)),
        fc.constantFrom({ spec: { containers: [{ name: 'c', image: 'nginx' }] } }, { spec: { containers: [{ $patch: 'delete', name: 'c' }] } }, { metadata: { $patch: 'replace' } }, { $setElementOrder: 3 }, { spec: { $retainKeys: ['x'] } }, { metadata: { labels: { $patch: 'bogus' } } }),
        weird,
      ),
      apply: fc.tuple(resourceArb(), name, fc.array(mutation, { maxLength: 2 })).map(([r, n, muts]) => muts.reduce<unknown>((d, m) => mutate(d, m as Mutation), template(r, n))),
    };
    const types = { json: 'application/json-patch+json', merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json', apply: 'application/apply-patch+yaml' };
    const patch = fc.oneof(...(Object.keys(bodies) as Array<keyof typeof bodies>).map((k) => bodies[k].map((body) => ({ type: types[k], body }))));
    await fc.assert(fc.asyncProperty(
      resourceArb(), namespace, name, patch, fc.constantFrom(undefined, 'fuzz', '', 'x'.repeat(200)), fc.constantFrom(undefined, 'true', 'false'), DRY_RUN, FIELD_VALIDATION, fc.constantFrom('', '', '', 'status', 'scale', 'ephemeralcontainers', 'eviction'),
      async (r, ns, n, p, manager, force, dry, fv, sub) => {
        const query = writeQuery(fv, dry, manager);
        if (force) query.set('force', force);
        await serve({ method: 'PATCH', path: objectPath(r, ns, n, r.subresources.includes(sub) ? sub : ''), body: p.body, contentType: p.type, query });
      },
    ), { numRuns: RUNS.patches });
  }, PROPERTY_TIMEOUT);

  it('query strings: list, watch, get, log and delete with random parameters', async () => {
    await fc.assert(fc.asyncProperty(
      resourceArb(), namespace, fc.option(name, { nil: undefined }), queryArb, fc.constantFrom('GET', 'GET', 'GET', 'DELETE'), fc.constantFrom('', '', 'log', 'status', 'binding', 'proxy', 'exec'),
      fc.constantFrom(undefined, 'application/json;as=Table;v=v1;g=meta.k8s.io', 'application/json;as=Table;v=v1beta1;g=meta.k8s.io', 'application/yaml', '*/*'),
      async (r, ns, n, params, method, sub, accept) => {
        const query = new URLSearchParams(params);
        // Deletions stay dry-run for namespaces and collections, so the fixtures the other properties use survive.
        if (method === 'DELETE' && (r.plural === 'namespaces' || n === undefined || NAMES.includes(n))) query.set('dryRun', 'All');
        const path = n === undefined ? collectionPath(r, ns) : objectPath(r, ns, n, r.subresources.includes(sub) ? sub : '');
        await serve({ method, path, query, accept });
      },
    ), { numRuns: RUNS.queries });
  }, PROPERTY_TIMEOUT);

  it('paths and methods: random segments, encodings and verbs', async () => {
    const segment = fc.oneof(
      fc.constantFrom('api', 'apis', 'v1', 'apps', 'namespaces', 'default', 'pods', 'p0', 'status', 'log', 'exec', 'watch', 'nodes', 'openapi', 'v3', 'version', 'healthz', '..', '.', '%2F', '%2e%2e', '%', '%zz', '%E0%A4%A', '%00', 'finalize', 'scale'),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
      fc.string({ maxLength: 8 }),
    );
    await fc.assert(fc.asyncProperty(
      fc.array(segment, { maxLength: 8 }), fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'BREW'), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
      async (segs, method, body) => {
        await serve({ method, path: `/${segs.join('/')}`, body, contentType: method === 'PATCH' ? 'application/merge-patch+json' : undefined, query: writeQuery(undefined, method === 'GET' ? undefined : 'All') });
      },
    ), { numRuns: RUNS.paths });
  }, PROPERTY_TIMEOUT);

  it('HTTPS: raw bodies, content types and paths through the HTTP layer', async () => {
    const pods = resources.find((r) => r.plural === 'pods')!;
    const small = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.tuple(fc.array(mutation, { maxLength: 3 }), name, fc.boolean()).map(([muts, n, yaml]) => {
        const doc = muts.reduce<unknown>((d, m) => mutate(d, m as Mutation), template(pods, n));
        return yaml ? stringifyYaml(doc) : JSON.stringify(doc);
      }),
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      fc.constantFrom('{', '}', '[]', 'null', '"', 'a: b\n  c', 'a: &a [*a]', '- - -', '---\na: 1\n---\nb: 2', '\ufeff{}', 'k8s\0garbage', '{"kind":"Pod","apiVersion":"v1","metadata":{"name":"h"}}'),
    );
    // Just over the 3 MiB limit: 413 from the HTTP layer, on a connection that stays usable (rare: each costs 3 MiB of TLS).
    const raw = fc.oneof({ weight: 40, arbitrary: small }, { weight: 1, arbitrary: fc.constant(Buffer.alloc(MAX_BODY_BYTES + 1, ' ')) });
    const contentType = fc.constantFrom(undefined, 'application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', 'application/json-patch+json', 'application/merge-patch+json',
      'application/strategic-merge-patch+json', 'application/apply-patch+yaml', 'application/cbor', 'text/plain', '', ';;;', 'application/json; charset=latin1');
    const path = fc.oneof(
      fc.constantFrom('/api/v1/namespaces/default/pods', '/api/v1/namespaces/default/pods/p0', '/api/v1/namespaces/default/configmaps/cm0', '/api/v1/nodes/n0', '/apis/apps/v1/namespaces/default/deployments', '/api/v1/namespaces/default/pods/p0/status'),
      fc.array(fc.oneof(fc.constantFrom('api', 'v1', 'namespaces', 'default', 'pods', 'p0', '..', '%2e%2e', '%2F', '%zz'), fc.string({ maxLength: 6 }).map(encodeURIComponent)), { maxLength: 7 }).map((s) => `/${s.join('/')}`),
    );
    // Watches and followed logs stream until closed; they are fuzzed in-process, where the test cuts them.
    const query = fc.oneof(fc.constant(''), queryArb.map(({ watch: _w, follow: _f, ...q }) => `?${new URLSearchParams(q)}&fieldManager=fuzz&dryRun=All`), fc.string({ maxLength: 20 }).map((s) => `?${encodeURI(s).replace(/watch|follow/gi, 'x')}`));
    // A fresh keep-alive pool, so connections are reused within the property but none has sat idle.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('POST', 'PUT', 'PATCH', 'GET', 'DELETE'), path, query, raw, contentType,
      async (method, p, q, body, ct) => {
        const res = await bounded(`${method} ${p}${q}`, t.call(method, `${p}${q}`, method === 'GET' ? { agent, headers: { 'content-type': ct ?? 'application/json' } } : { agent, raw: body, contentType: ct }));
        tally.https++;
        count(res.status, res.json);
        if (res.status >= 400) checkStatus(res.json, res.status);
        if (res.headers['content-type'] === 'application/json' && res.status !== 204) expect(res.json).toBeDefined();
      },
    ), { numRuns: RUNS.https }).finally(() => agent.destroy());
  }, PROPERTY_TIMEOUT);

  it('stays healthy afterwards: health endpoints answer and a valid pod round-trips', async () => {
    expect((await t.call('GET', '/readyz')).status).toBe(200);
    const pods = resources.find((r) => r.plural === 'pods')!;
    const created = await t.call('POST', collectionPath(pods, 'default'), { body: template(pods, 'after-fuzz') });
    expect(created.status).toBe(201);
    expect((await t.call('GET', objectPath(pods, 'default', 'after-fuzz'))).json.metadata.name).toBe('after-fuzz');
    expect(tally.tried - tally.https).toBeGreaterThanOrEqual(100_000);
    expect(tally.fiveHundreds).toBe(0);
  });
});
