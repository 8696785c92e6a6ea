import { Agent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './testing/harness.js';

/** HTTP-level semantics and the exact error answers Kubernetes gives, over real HTTPS. */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ nodeTokens: { 'node-1': 'tok-node-1', 'node-2': 'tok-node-2' } });
});
afterAll(async () => { await t?.close(); });

const pod = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...extra } });
const PODS = '/api/v1/namespaces/default/pods';

describe('errors are Status bodies with Kubernetes codes and reasons', () => {
  it('bad JSON is 400 BadRequest', async () => {
    const r = await t.call('POST', PODS, { raw: '{"apiVersion": "v1", ' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
  });

  it('an unknown field under fieldValidation=Strict is 400 with the strict decoding message; Warn answers with a Warning header', async () => {
    const body = { ...pod('strict'), spec: { ...pod('strict').spec, foo: 1 } };
    const strict = await t.call('POST', `${PODS}?fieldValidation=Strict`, { body });
    expect(strict.status).toBe(400);
    expect(strict.json.reason).toBe('BadRequest');
    expect(strict.json.message).toContain('strict decoding error: unknown field "spec.foo"');
    const warn = await t.call('POST', `${PODS}?fieldValidation=Warn`, { body });
    expect(warn.status).toBe(201);
    expect(warn.headers.warning).toBe('299 - "unknown field \\"spec.foo\\""');
    expect(warn.json.spec.foo).toBeUndefined();
  });

  it('a body of the wrong kind for the URL is 400', async () => {
    const r = await t.call('POST', PODS, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } });
    expect(r.status).toBe(400);
    expect(r.json.reason).toBe('BadRequest');
    expect(r.json.message).toContain('ConfigMap in version "v1" cannot be handled as a Pod');
  });

  it('an update with a stale resourceVersion is 409 Conflict', async () => {
    const created = (await t.call('POST', PODS, { body: pod('stale') })).json;
    const first = await t.call('PUT', `${PODS}/stale`, { body: { ...created, metadata: { ...created.metadata, labels: { a: '1' } } } });
    expect(first.status).toBe(200);
    const second = await t.call('PUT', `${PODS}/stale`, { body: { ...created, metadata: { ...created.metadata, labels: { a: '2' } } } });
    expect(second.status).toBe(409);
    expect(second.json).toMatchObject({ reason: 'Conflict', message: 'Operation cannot be fulfilled on pods "stale": the object has been modified; please apply your changes to the latest version and try again' });
  });

  it('no token is 401 Unauthorized', async () => {
    const r = await t.call('GET', PODS, { token: null });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await t.call('GET', PODS, { token: 'wrong' })).status).toBe(401);
  });

  it('keeps an idle keep-alive connection for 90 s, as kube-apiserver, and says so', async () => {
    expect((await t.call('GET', PODS)).headers['keep-alive']).toBe('timeout=90');
  });

  it('each request on a keep-alive connection is authenticated by its own token', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: t.server.caCert });
    try {
      await t.call('POST', PODS, { body: pod('on-n2', { nodeName: 'node-2' }) });
      const on = (token: string | null) => t.call('GET', `${PODS}/on-n2`, { token, agent });
      expect((await on(t.server.adminToken)).status).toBe(200);
      expect((await on('wrong')).status).toBe(401);
      expect((await on(null)).status).toBe(401);
      expect((await on('tok-node-1')).status).toBe(403);
      expect((await on('tok-node-2')).status).toBe(200);
      expect((await on(`${t.server.adminToken}x`)).status).toBe(401);
      expect((await on(t.server.adminToken)).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('a node identity is 403 Forbidden outside its own objects', async () => {
    await t.call('POST', PODS, { body: pod('on-n1', { nodeName: 'node-1' }) });
    expect((await t.call('GET', `${PODS}/on-n1`, { token: 'tok-node-1' })).status).toBe(200);
    const other = await t.call('GET', `${PODS}/on-n1`, { token: 'tok-node-2' });
    expect(other.status).toBe(403);
    expect(other.json).toMatchObject({ reason: 'Forbidden', details: { name: 'on-n1', kind: 'pods' } });
    expect(other.json.message).toContain('User "system:node:node-2" cannot get resource "pods"');
    expect((await t.call('PATCH', `${PODS}/on-n1/status`, { token: 'tok-node-2', contentType: 'application/merge-patch+json', body: { status: { phase: 'Running' } } })).status).toBe(403);
    expect((await t.call('PATCH', `${PODS}/on-n1/status`, { token: 'tok-node-1', contentType: 'application/merge-patch+json', body: { status: { phase: 'Running' } } })).status).toBe(200);
    expect((await t.call('GET', PODS, { token: 'tok-node-1' })).status).toBe(403);
    expect((await t.call('GET', `${PODS}?fieldSelector=spec.nodeName%3Dnode-1`, { token: 'tok-node-1' })).json.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(['on-n1']);
    expect((await t.call('POST', '/api/v1/nodes', { token: 'tok-node-2', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } } })).status).toBe(403);
    expect((await t.call('POST', '/api/v1/nodes', { token: 'tok-node-1', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } } })).status).toBe(201);
    expect((await t.call('GET', '/api/v1/namespaces/default/secrets', { token: 'tok-node-1' })).status).toBe(403);
    const lease = (name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: { holderIdentity: name, leaseDurationSeconds: 40 } });
    const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
    expect((await t.call('POST', LEASES, { token: 'tok-node-1', body: lease('node-1') })).status).toBe(201);
    expect((await t.call('POST', LEASES, { token: 'tok-node-1', body: lease('node-2') })).status).toBe(403);
    expect((await t.call('PATCH', `${LEASES}/node-1`, { token: 'tok-node-2', contentType: 'application/merge-patch+json', body: { spec: { leaseDurationSeconds: 1 } } })).status).toBe(403);
    const event = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'n1.evt' }, involvedObject: { kind: 'Node', name: 'node-1' }, reason: 'Starting', message: 'kubelet starting', type: 'Normal' };
    expect((await t.call('POST', '/api/v1/namespaces/default/events', { token: 'tok-node-1', body: event })).status).toBe(201);
    expect((await t.call('DELETE', '/api/v1/namespaces/default/events/n1.evt', { token: 'tok-node-1' })).status).toBe(403);
  });

  it('a node reads only the ConfigMaps its pods reference', async () => {
    await t.call('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'used' }, data: { a: 'b' } } });
    await t.call('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unused' } } });
    await t.call('POST', PODS, { body: pod('with-cm', { nodeName: 'node-1', volumes: [{ name: 'v', configMap: { name: 'used' } }] }) });
    expect((await t.call('GET', '/api/v1/namespaces/default/configmaps/used', { token: 'tok-node-1' })).status).toBe(200);
    expect((await t.call('GET', '/api/v1/namespaces/default/configmaps/unused', { token: 'tok-node-1' })).status).toBe(403);
    expect((await t.call('GET', '/api/v1/namespaces/default/configmaps/used', { token: 'tok-node-2' })).status).toBe(403);
  });

  it('a body over 3 MiB is 413 RequestEntityTooLarge', async () => {
    const big = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } };
    const r = await t.call('POST', '/api/v1/namespaces/default/configmaps', { body: big });
    expect(r.status).toBe(413);
    expect(r.json.reason).toBe('RequestEntityTooLarge');
  });

  it('a YAML alias bomb and excessive nesting are 400, not a crash', async () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghij'.split('').map((c, i) => `${c}: &${c} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
    const r = await t.call('POST', '/api/v1/namespaces/default/configmaps', { raw: bomb, contentType: 'application/yaml' });
    expect(r.status).toBe(400);
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect((await t.call('POST', '/api/v1/namespaces/default/configmaps', { raw: deep })).status).toBe(400);
  });

  it('unknown paths are 404 NotFound Status; undecodable protobuf bodies are 415', async () => {
    const r = await t.call('GET', '/api/v1/namespaces/default/widgets');
    expect(r.status).toBe(404);
    expect(r.json.reason).toBe('NotFound');
    expect((await t.call('POST', PODS, { raw: 'k8s\0', contentType: 'application/vnd.kubernetes.protobuf' })).status).toBe(415);
  });

  it('a client over its rate gets 429 with Retry-After', async () => {
    const small = await startTestServer({ rateLimit: { qps: 1, burst: 3 } });
    try {
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await small.call('GET', '/version'));
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
      expect(answers[3].headers['retry-after']).toBe('1');
      expect(answers[3].json).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
    } finally {
      await small.close();
    }
  });
});

describe('resource semantics', () => {
  it('generateName, dryRun, generation and namespaces that must exist', async () => {
    const gen = await t.call('POST', PODS, { body: { ...pod(''), metadata: { generateName: 'gen-' } } });
    expect(gen.status).toBe(201);
    expect(gen.json.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(gen.json.metadata.generation).toBe(1);
    const dry = await t.call('POST', `${PODS}?dryRun=All`, { body: pod('dry') });
    expect(dry.status).toBe(201);
    expect((await t.call('GET', `${PODS}/dry`)).status).toBe(404);
    const missing = await t.call('POST', '/api/v1/namespaces/nope/pods', { body: pod('x') });
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe('namespaces "nope" not found');
    const dup = await t.call('POST', PODS, { body: pod(gen.json.metadata.name) });
    expect(dup.status).toBe(409);
    expect(dup.json.reason).toBe('AlreadyExists');
  });

  it('field selectors are limited to the fields Kubernetes supports per kind', async () => {
    expect((await t.call('GET', `${PODS}?fieldSelector=spec.nodeName%3Dnode-1,status.phase!%3DFailed`)).status).toBe(200);
    const bad = await t.call('GET', `${PODS}?fieldSelector=spec.containers%3Dx`);
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ reason: 'BadRequest', message: 'field label not supported: spec.containers' });
    expect((await t.call('GET', '/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dx')).status).toBe(200);
  });

  it('accepts YAML bodies', async () => {
    const r = await t.call('POST', '/api/v1/namespaces/default/configmaps', { raw: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n', contentType: 'application/yaml' });
    expect(r.status).toBe(201);
    expect(r.json.data).toEqual({ k: 'v' });
  });

  it('list with limit/continue pages through a consistent snapshot, with label selectors', async () => {
    for (const i of [1, 2, 3]) await t.call('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `page-${i}`, labels: { page: 'yes' } } } });
    const first = (await t.call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=page%3Dyes&limit=2')).json;
    expect(first.kind).toBe('ConfigMapList');
    expect(first.items).toHaveLength(2);
    expect(first.metadata.continue).toBeTruthy();
    const rest = (await t.call('GET', `/api/v1/namespaces/default/configmaps?labelSelector=page%3Dyes&limit=2&continue=${encodeURIComponent(first.metadata.continue)}`)).json;
    expect(rest.items.map((c: { metadata: { name: string } }) => c.metadata.name)).toEqual(['page-3']);
  });

  it('binding sets the node once and records PodScheduled', async () => {
    await t.call('POST', PODS, { body: pod('to-bind') });
    const b = await t.call('POST', `${PODS}/to-bind/binding`, { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'to-bind' }, target: { kind: 'Node', name: 'node-1' } } });
    expect(b.status).toBe(201);
    const got = (await t.call('GET', `${PODS}/to-bind`)).json;
    expect(got.spec.nodeName).toBe('node-1');
    expect(got.status.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]);
    const again = await t.call('POST', `${PODS}/to-bind/binding`, { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'to-bind' }, target: { name: 'node-2' } } });
    expect(again.status).toBe(409);
    expect(again.json.message).toBe('Operation cannot be fulfilled on pods/binding "to-bind": pod to-bind is already assigned to node "node-1"');
    await t.call('POST', PODS, { body: pod('gated', { schedulingGates: [{ name: 'example.com/wait' }] }) });
    const gated = await t.call('POST', `${PODS}/gated/binding`, { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'gated' }, target: { name: 'node-1' } } });
    expect(gated.status).toBe(409);
  });

  it('eviction honours the PodDisruptionBudget: 429 when none is allowed, deletes otherwise', async () => {
    await t.call('POST', PODS, { body: { ...pod('guarded', { nodeName: 'node-1' }), metadata: { name: 'guarded', labels: { app: 'db' } } } });
    await t.call('PATCH', `${PODS}/guarded/status`, { contentType: 'application/merge-patch+json', body: { status: { phase: 'Running' } } });
    const pdb = await t.call('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', { body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'db' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'db' } } } } });
    expect(pdb.status).toBe(201);
    const setStatus = (allowed: number) => t.call('PATCH', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/db/status', { contentType: 'application/merge-patch+json', body: { status: { observedGeneration: 1, disruptionsAllowed: allowed, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } } });
    expect((await setStatus(0)).status).toBe(200);
    const evict = () => t.call('POST', `${PODS}/guarded/eviction`, { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'guarded' } } });
    const refused = await evict();
    expect(refused.status).toBe(429);
    expect(refused.json.message).toBe("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(refused.json.details.causes[0]).toEqual({ reason: 'DisruptionBudget', message: 'The disruption budget db needs 1 healthy pods and has 1 currently' });
    await setStatus(1);
    expect((await evict()).status).toBe(201);
    const gone = (await t.call('GET', `${PODS}/guarded`)).json;
    expect(gone.metadata.deletionTimestamp).toBeTruthy();
    expect((await t.call('GET', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/db')).json.status.disruptionsAllowed).toBe(0);
  });

  it('finalizers hold a deletion until removed; Foreground adds foregroundDeletion', async () => {
    await t.call('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
    const del = await t.call('DELETE', '/api/v1/namespaces/default/configmaps/held', { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' } });
    expect(del.status).toBe(200);
    const held = (await t.call('GET', '/api/v1/namespaces/default/configmaps/held')).json;
    expect(held.metadata.deletionTimestamp).toBeTruthy();
    expect(held.metadata.finalizers).toEqual(['example.com/hold', 'foregroundDeletion']);
    await t.call('PATCH', '/api/v1/namespaces/default/configmaps/held', { contentType: 'application/merge-patch+json', body: { metadata: { finalizers: null } } });
    expect((await t.call('GET', '/api/v1/namespaces/default/configmaps/held')).status).toBe(404);
  });

  it('a terminating namespace refuses new objects with 403', async () => {
    await t.call('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'closing' } } });
    await t.call('POST', '/api/v1/namespaces/closing/pods', { body: pod('bound', { nodeName: 'node-1' }) });
    await t.call('DELETE', '/api/v1/namespaces/closing');
    const ns = (await t.call('GET', '/api/v1/namespaces/closing')).json;
    expect(ns.status.phase).toBe('Terminating');
    const r = await t.call('POST', '/api/v1/namespaces/closing/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } } });
    expect(r.status).toBe(403);
    expect(r.json.message).toBe('configmaps "late" is forbidden: unable to create new content in namespace closing because it is being terminated');
    const protectedNs = await t.call('DELETE', '/api/v1/namespaces/default');
    expect(protectedNs.status).toBe(403);
  });

  it('events.k8s.io Events and core Events are the same objects', async () => {
    const created = await t.call('POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      body: {
        apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'ev1' }, eventTime: '2025-01-01T00:00:00.000000Z', reportingController: 'peapod/test', reportingInstance: 'i1',
        action: 'Pulling', reason: 'Pulling', type: 'Normal', note: 'pulling image', regarding: { kind: 'Pod', name: 'p', namespace: 'default' },
      },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'pulling image', regarding: { name: 'p' } });
    const core = (await t.call('GET', '/api/v1/namespaces/default/events/ev1')).json;
    expect(core).toMatchObject({ apiVersion: 'v1', kind: 'Event', message: 'pulling image', involvedObject: { name: 'p' }, reportingComponent: 'peapod/test' });
    expect(core.note).toBeUndefined();
    const bySelector = (await t.call('GET', '/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Dp')).json;
    expect(bySelector.items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(['ev1']);
    const listed = (await t.call('GET', '/apis/events.k8s.io/v1/namespaces/default/events')).json;
    expect(listed.items.find((e: { metadata: { name: string } }) => e.metadata.name === 'ev1').note).toBe('pulling image');
  });

  it('discovery answers in the aggregated format only when asked', async () => {
    const legacy = await t.call('GET', '/apis');
    expect(legacy.headers['content-type']).toBe('application/json');
    expect(legacy.json.kind).toBe('APIGroupList');
    const agg = await t.call('GET', '/apis', { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' } });
    expect(agg.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const apps = agg.json.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'apps');
    const deployments = apps.versions[0].resources.find((r: { resource: string }) => r.resource === 'deployments');
    expect(deployments.subresources).toContainEqual({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
    const core = (await t.call('GET', '/api/v1')).json;
    expect(core.resources).toContainEqual(expect.objectContaining({ name: 'pods/eviction', group: 'policy', version: 'v1', kind: 'Eviction' }));
    expect((await t.call('GET', '/version')).json.major).toBe('1');
    const index = (await t.call('GET', '/openapi/v3')).json;
    const url = index.paths['api/v1'].serverRelativeURL;
    const doc = await t.call('GET', url);
    expect(doc.status).toBe(200);
    expect(doc.headers['cache-control']).toBe('public, immutable, max-age=31536000');
    expect(doc.json.components.schemas['io.k8s.api.core.v1.Pod']).toBeTruthy();
    expect((await t.call('GET', url, { headers: { 'if-none-match': String(doc.headers.etag) } })).status).toBe(304);
  });

  it('watch streams chunked JSON events, sends bookmarks and ends at timeoutSeconds', async () => {
    const list = (await t.call('GET', '/api/v1/namespaces/default/configmaps')).json;
    const started = Date.now();
    const watching = t.call('GET', `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=1`);
    await new Promise((r) => setTimeout(r, 100));
    await t.call('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched' } } });
    const res = await watching;
    expect(Date.now() - started).toBeLessThan(5000);
    const events = res.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(events).toEqual([expect.objectContaining({ type: 'ADDED', object: expect.objectContaining({ metadata: expect.objectContaining({ name: 'watched' }) }) })]);
    const initial = await t.call('GET', '/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1');
    const evs = initial.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(evs.filter((e) => e.type === 'ADDED').length).toBe(list.items.length + 1);
    const bookmark = evs.find((e) => e.type === 'BOOKMARK').object;
    expect(bookmark.metadata.annotations['k8s.io/initial-events-end']).toBe('true');
    // kubectl decodes a bookmark by its kind ("Object 'Kind' is missing" otherwise).
    expect(bookmark).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
  });
});
