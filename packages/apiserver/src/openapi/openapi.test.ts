import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REF_PREFIX, RESOURCES, SchemaNode, type OpenAPISchema, type ResourceInfo } from '@peapod/api-types';
import { OpenAPIV3, groupVersionPath } from './index.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const openapi = new OpenAPIV3();
const doc = (gv: string): Obj => openapi.document(`/openapi/v3/${gv}`) as Obj;
const index = openapi.document('/openapi/v3') as { paths: Record<string, { serverRelativeURL: string }> };
const resources = Object.values(RESOURCES) as ResourceInfo[];

describe('OpenAPI v3 documents', () => {
  it('index every served group-version with a hashed URL', () => {
    const gvs = [...new Set(resources.map(groupVersionPath))].sort();
    expect(Object.keys(index.paths).sort()).toEqual(gvs);
    for (const [gv, { serverRelativeURL }] of Object.entries(index.paths)) {
      expect(serverRelativeURL).toBe(`/openapi/v3/${gv}?hash=${openapi.lookup(`/openapi/v3/${gv}`)!.hash}`);
      expect(serverRelativeURL).toMatch(/\?hash=[0-9A-F]{128}$/);
    }
  });

  it.each(Object.keys(index.paths))('%s: every $ref resolves inside the document', (gv) => {
    const d = doc(gv);
    const missing: string[] = [];
    JSON.stringify(d, (k, v: unknown) => {
      if (k === '$ref' && typeof v === 'string' && !(v.startsWith(REF_PREFIX) && d.components.schemas[v.slice(REF_PREFIX.length)])) missing.push(v);
      return v;
    });
    expect(missing).toEqual([]);
  });

  it.each(resources.map((r) => [`${groupVersionPath(r)} ${r.kind}`, r] as const))('%s: kind schema, GVK extension and a PATCH with fieldValidation', (_n, r) => {
    const d = doc(groupVersionPath(r));
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    const kindSchemas = Object.values(d.components.schemas as Record<string, OpenAPISchema>).filter((s) => s['x-kubernetes-group-version-kind']?.some((g) => g.group === r.group && g.version === r.version && g.kind === r.kind));
    expect(kindSchemas).toHaveLength(1);
    expect(kindSchemas[0].properties?.['metadata']).toBeDefined();
    const patches = Object.values(d.paths as Record<string, Obj>).map((p) => p['patch']).filter((op) => op && JSON.stringify(op['x-kubernetes-group-version-kind']) === JSON.stringify(gvk));
    expect(patches.length).toBeGreaterThan(0);
    // kubectl's strict-validation probe reads whichever PATCH of the kind it meets first.
    for (const op of patches) {
      expect(op.parameters).toContainEqual(expect.objectContaining({ name: 'fieldValidation', in: 'query' }));
      expect(Object.keys(op.requestBody.content)).toEqual(expect.arrayContaining(['application/strategic-merge-patch+json', 'application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json']));
    }
  });

  it('core/v1 carries the list semantics of Pod fields that patching and kubectl rely on', () => {
    const schemas = doc('api/v1').components.schemas as Record<string, OpenAPISchema>;
    const spec = SchemaNode.definition(schemas, 'io.k8s.api.core.v1.Pod').field('spec');
    expect(spec.field('containers').shape).toMatchObject({ kind: 'list', listType: 'map', keys: ['name'], mergeKey: 'name', patchStrategy: ['merge'] });
    expect(spec.field('containers').items.field('ports').shape).toMatchObject({ listType: 'map', keys: ['containerPort', 'protocol'], mergeKey: 'containerPort' });
    expect(spec.field('containers').items.field('ports').items.field('protocol').body?.default).toBe('TCP');
    expect(spec.field('containers').items.field('env').shape).toMatchObject({ listType: 'map', mergeKey: 'name' });
    expect(spec.field('volumes').shape).toMatchObject({ mergeKey: 'name', patchStrategy: ['merge', 'retainKeys'] });
    expect(spec.field('containers').items.field('args').shape).toMatchObject({ listType: 'atomic' });
    const meta = SchemaNode.definition(schemas, 'io.k8s.api.core.v1.Pod').field('metadata');
    expect(meta.field('finalizers').shape).toMatchObject({ listType: 'set' });
    expect(meta.field('ownerReferences').shape).toMatchObject({ mergeKey: 'uid' });
    expect(meta.field('labels').shape).toEqual({ kind: 'map', atomic: false });
  });

  it('describes the operations of a namespaced kind per verb, subresources included', () => {
    const paths = doc('api/v1').paths as Record<string, Obj>;
    const item = paths['/api/v1/namespaces/{namespace}/pods/{name}'];
    expect(Object.keys(item).filter((k) => k !== 'parameters').sort()).toEqual(['delete', 'get', 'patch', 'put']);
    expect(item['patch']['operationId']).toBe('patchCoreV1NamespacedPod');
    expect(item['patch']['x-kubernetes-action']).toBe('patch');
    expect(paths['/api/v1/namespaces/{namespace}/pods']['get']['parameters']).toContainEqual(expect.objectContaining({ name: 'watch' }));
    expect(paths['/api/v1/pods']['get']['operationId']).toBe('listCoreV1PodForAllNamespaces');
    expect(paths['/api/v1/namespaces/{namespace}/pods/{name}/status']['patch']['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Pod' });
    expect(paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction']['post']['x-kubernetes-group-version-kind']).toEqual({ group: 'policy', version: 'v1', kind: 'Eviction' });
    expect(paths['/api/v1/namespaces/{namespace}/pods/{name}/exec']['post']['x-kubernetes-action']).toBe('connect');
    const scale = (doc('apis/apps/v1').paths as Record<string, Obj>)['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
    expect(scale['patch']['x-kubernetes-group-version-kind']).toEqual({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    expect(doc('api/v1').paths['/api/v1/nodes/{name}']).toBeDefined();
    expect(doc('api/v1').paths['/api/v1/namespaces/{namespace}/nodes']).toBeUndefined();
  });

  it('answers with ETags, immutable caching for hashed URLs, 304 and a redirect for stale hashes', () => {
    const url = index.paths['api/v1'].serverRelativeURL;
    const [path, search] = url.split('?');
    const first = openapi.respond(path, search)!;
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toContain('immutable');
    expect(JSON.parse(first.body).openapi).toBe('3.0.0');
    expect(openapi.respond(path, search, first.headers['etag'])!.status).toBe(304);
    expect(openapi.respond(path, '', '"other"')!.headers['cache-control']).toBe('no-cache, private');
    expect(openapi.respond(path, 'hash=ABC')).toMatchObject({ status: 301, headers: { location: url } });
    expect(openapi.respond('/openapi/v3/apis/nothing/v1')).toBeUndefined();
  });

  it('builds each document once', () => {
    expect(openapi.lookup('/openapi/v3/api/v1')).toBe(openapi.lookup('/openapi/v3/api/v1/'));
  });
});

/**
 * kubectl 1.32 against a minimal local fake that serves legacy discovery for pods, these OpenAPI
 * documents, and records the writes kubectl sends.
 */
describe('kubectl reads these documents', () => {
  const run = promisify(execFile);
  let server: Server;
  let dir: string;
  let requests: { method: string; url: string; contentType: string; body: string }[] = [];
  let stored: Obj | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peapod-openapi-'));
    writeFileSync(join(dir, 'kubeconfig'), '');
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const url = new URL(req.url!, 'http://localhost');
        requests.push({ method: req.method!, url: req.url!, contentType: req.headers['content-type'] ?? '', body });
        const json = (status: number, obj: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(obj));
        };
        const notFound = () => json(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "p" not found', details: { name: 'p', kind: 'pods' } });
        if (url.pathname.startsWith('/openapi/v3')) {
          const answer = openapi.respond(url.pathname, url.search, req.headers['if-none-match']);
          if (!answer) return notFound();
          res.writeHead(answer.status, answer.headers);
          return res.end(answer.body);
        }
        switch (url.pathname) {
          case '/api': return json(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
          case '/apis': return json(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
          case '/api/v1': return json(200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['po'] }] });
          case '/api/v1/namespaces/default/pods/p':
            if (req.method === 'PATCH') return json(200, stored);
            return stored ? json(200, stored) : notFound();
          case '/api/v1/namespaces/default/pods':
            return json(201, JSON.parse(body));
        }
        notFound();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const kubectl = (...args: string[]) =>
    run('kubectl', [`--server=http://127.0.0.1:${(server.address() as AddressInfo).port}`, `--cache-dir=${join(dir, 'cache')}`, ...args], {
      env: { ...process.env, KUBECONFIG: join(dir, 'kubeconfig') },
      timeout: 20_000,
    });

  it('kubectl explain pod.spec.containers shows the Container fields', async () => {
    const { stdout } = await kubectl('explain', 'pod.spec.containers');
    expect(stdout).toContain('FIELD: containers <[]Container>');
    expect(stdout).toMatch(/^\s+image\s+<string>/m);
    expect(stdout).toMatch(/^\s+name\s+<string> -required-/m);
    expect(stdout).toMatch(/^\s+ports\s+<\[\]ContainerPort>/m);
    expect(stdout).toContain('The containers of the pod; at least one. Merged by name.');
    expect(stdout).toMatch(/image\s+<string>\s+The image to run/);
  });

  it('kubectl explain pod shows the kind and its top-level fields described', async () => {
    const { stdout } = await kubectl('explain', 'pod');
    expect(stdout).toContain('One or more containers scheduled together onto a node');
    expect(stdout).toMatch(/metadata\s+<ObjectMeta>\s+Name, namespace, labels/);
    expect(stdout).toMatch(/spec\s+<PodSpec>\s+The state the user wants\./);
  });

  it('kubectl create validates strictly on the server (it found fieldValidation on the PATCH operation)', async () => {
    requests = [];
    const file = join(dir, 'pod.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'web', image: 'nginx' }] } }));
    await kubectl('create', '-f', file);
    const post = requests.find((r) => r.method === 'POST');
    expect(post?.url).toContain('fieldValidation=Strict');
  });

  it('client-side kubectl apply computes a strategic merge patch from the v3 schemas', async () => {
    const applied = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'busybox' }] } };
    stored = { ...applied, metadata: { ...applied.metadata, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied) }, resourceVersion: '1', uid: 'u' } };
    requests = [];
    const file = join(dir, 'pod-v2.json');
    writeFileSync(file, JSON.stringify({ ...applied, spec: { containers: [{ name: 'web', image: 'nginx:2' }, { name: 'side', image: 'busybox' }] } }));
    const { stderr } = await kubectl('apply', '-f', file);
    expect(stderr).not.toContain('error calculating patch');
    const patch = requests.find((r) => r.method === 'PATCH')!;
    expect(patch.contentType).toBe('application/strategic-merge-patch+json');
    const body = JSON.parse(patch.body) as Obj;
    expect(body['spec']['containers']).toEqual([{ name: 'web', image: 'nginx:2' }]);
    expect(body['spec']['$setElementOrder/containers']).toEqual([{ name: 'web' }, { name: 'side' }]);
    expect(requests.some((r) => r.url.startsWith('/openapi/v2'))).toBe(false);
  });
});
