import { Agent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestServer, type CallResult, type TestServer } from '../testing/harness.js';

/**
 * Security checks (issue 11): every endpoint discovery lists refuses a request without valid
 * credentials with 401, and a node's token is confined as Kubernetes' Node authorizer and
 * NodeRestriction admission confine a kubelet, with their wording.
 */
let t: TestServer;
const NODE_TOKENS = { n1: 'token-of-node-n1-0123456789abcdef', n2: 'token-of-node-n2-0123456789abcdef' };
const CLOSE = { connection: 'close' };
const as = (token: string | null) => ({ token, headers: CLOSE });

beforeAll(async () => {
  t = await startTestServer({ nodeTokens: NODE_TOKENS, rateLimit: { qps: 1_000_000, burst: 1_000_000 } });
});
afterAll(async () => { await t?.close(); });

interface Endpoint { method: string; path: string }

/** Every resource, verb and subresource discovery lists, as the requests that exercise them. */
async function discoveredEndpoints(): Promise<Endpoint[]> {
  const groups = (await t.call('GET', '/apis', as(t.server.adminToken))).json.groups as Array<{ versions: Array<{ groupVersion: string }> }>;
  const gvs = ['v1', ...groups.flatMap((g) => g.versions.map((v) => v.groupVersion))];
  const out: Endpoint[] = [];
  const METHODS: Record<string, string[]> = { get: ['GET'], list: ['GET'], watch: ['GET'], create: ['POST'], update: ['PUT'], patch: ['PATCH'], delete: ['DELETE'], deletecollection: ['DELETE'] };
  for (const gv of gvs) {
    const prefix = gv === 'v1' ? '/api/v1' : `/apis/${gv}`;
    out.push({ method: 'GET', path: prefix });
    const list = (await t.call('GET', prefix, as(t.server.adminToken))).json.resources as Array<{ name: string; namespaced: boolean; verbs: string[] }>;
    for (const r of list) {
      const [plural, sub] = r.name.split('/');
      const collection = `${prefix}${r.namespaced ? '/namespaces/default' : ''}/${plural}`;
      for (const verb of r.verbs) {
        for (const method of METHODS[verb] ?? ['GET', 'POST']) {
          const onCollection = !sub && (verb === 'list' || verb === 'watch' || verb === 'create' || verb === 'deletecollection');
          const path = onCollection ? collection : `${collection}/x${sub ? `/${sub}` : ''}`;
          out.push({ method, path: verb === 'watch' ? `${path}?watch=true` : path });
        }
      }
      // Subresources discovery lists without verbs (log, exec, attach, portforward, proxy) still get every method.
      if (sub && r.verbs.length === 0) for (const method of ['GET', 'POST']) out.push({ method, path: `${collection}/x/${sub}` });
    }
  }
  return [...new Map(out.map((e) => [`${e.method} ${e.path}`, e])).values()];
}

const unauthorized = (res: CallResult) => {
  expect(res.status).toBe(401);
  expect(res.json).toMatchObject({ kind: 'Status', status: 'Failure', code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
};

describe('unauthenticated requests', () => {
  it('every discovered endpoint, and discovery itself, answers 401 without a token, with a wrong token or with basic auth', async () => {
    const endpoints = [...await discoveredEndpoints(), ...['/', '/api', '/apis', '/version', '/openapi/v3', '/openapi/v2', '/api/v1/namespaces/default/pods/x/log'].map((path) => ({ method: 'GET', path }))];
    expect(endpoints.length).toBeGreaterThan(200);
    expect(endpoints).toContainEqual({ method: 'POST', path: '/api/v1/namespaces/default/pods/x/eviction' });
    const wrong = [null, 'not-a-token', `${t.server.adminToken}x`, NODE_TOKENS.n1.slice(0, -1)];
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const { method, path } of endpoints) {
        for (const token of wrong) unauthorized(await t.call(method, path, { agent, token, body: method === 'GET' || method === 'DELETE' ? undefined : {} }));
        unauthorized(await t.call(method, path, { agent, token: null, headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }));
      }
    } finally {
      agent.destroy();
    }
    console.log(`[security summary] ${endpoints.length} endpoints x ${wrong.length + 1} credential cases: all 401`);
  });

  it('the join token authenticates but is refused (403 Status) on every discovered endpoint', async () => {
    const endpoints = await discoveredEndpoints();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const { method, path } of endpoints) {
        const res = await t.call(method, path, { agent, token: t.server.joinToken, body: method === 'GET' || method === 'DELETE' ? undefined : {} });
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 });
        expect(res.json).toMatchObject({ kind: 'Status', status: 'Failure', code: 403, reason: 'Forbidden' });
      }
    } finally {
      agent.destroy();
    }
  });

  it('exec and attach WebSocket upgrades answer 401 before upgrading', async () => {
    for (const sub of ['exec?command=sh&stdin=true', 'attach?stdin=true']) {
      const ws = new WebSocket(`${t.server.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/x/${sub}`, ['v5.channel.k8s.io'], { ca: t.server.caCert });
      await expect(new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); })).rejects.toThrow(/401/);
    }
  });

  it('only the health endpoints answer anonymously, and only with "ok"', async () => {
    for (const path of ['/healthz', '/livez', '/readyz']) expect(await t.call('GET', path, as(null))).toMatchObject({ status: 200, text: 'ok' });
  });
});

describe('a node token is confined to its own node', () => {
  const podWith = (name: string, nodeName: string | undefined, secret: string) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox', env: [{ name: 'S', valueFrom: { secretKeyRef: { name: secret, key: 'k' } } }] }] },
  });
  const n1 = as(NODE_TOKENS.n1);
  const forbidden = (res: CallResult, message: string) => {
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ kind: 'Status', status: 'Failure', code: 403, reason: 'Forbidden', message });
  };

  beforeAll(async () => {
    const admin = as(t.server.adminToken);
    for (const s of ['s1', 's2', 's3']) await t.call('POST', '/api/v1/namespaces/default/secrets', { ...admin, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: s }, stringData: { k: 'v' } } });
    await t.call('POST', '/api/v1/namespaces/default/pods', { ...admin, body: podWith('on-n1', 'n1', 's1') });
    await t.call('POST', '/api/v1/namespaces/default/pods', { ...admin, body: podWith('on-n2', 'n2', 's2') });
    await t.call('POST', '/api/v1/namespaces/default/pods', { ...admin, body: podWith('unbound', undefined, 's3') });
    for (const n of ['n1', 'n2']) {
      await t.call('POST', '/api/v1/nodes', { ...admin, body: { apiVersion: 'v1', kind: 'Node', metadata: { name: n } } });
      await t.call('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { ...admin, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: n }, spec: { holderIdentity: n } } });
    }
  });

  it('reads the secret of a pod bound to it, and no other secret', async () => {
    expect((await t.call('GET', '/api/v1/namespaces/default/secrets/s1', n1)).json.data).toEqual({ k: 'dg==' });
    for (const s of ['s2', 's3']) {
      forbidden(await t.call('GET', `/api/v1/namespaces/default/secrets/${s}`, n1),
        `secrets "${s}" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'n1' and this object`);
    }
    forbidden(await t.call('GET', '/api/v1/namespaces/default/secrets', n1),
      'secrets is forbidden: User "system:node:n1" cannot list resource "secrets" in API group "" in the namespace "default": node \'n1\' may not access this resource');
    expect((await t.call('GET', '/api/v1/namespaces/default/secrets?watch=true&timeoutSeconds=1', n1)).status).toBe(403);
  });

  it('modifies its own Node and Lease, never another node’s', async () => {
    const patch = { contentType: 'application/merge-patch+json', body: { metadata: { labels: { touched: 'yes' } } } };
    expect((await t.call('PATCH', '/api/v1/nodes/n1', { ...n1, ...patch })).status).toBe(200);
    for (const [method, path, extra] of [['PATCH', '/api/v1/nodes/n2', patch], ['PATCH', '/api/v1/nodes/n2/status', patch], ['PUT', '/api/v1/nodes/n2', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' } } }], ['DELETE', '/api/v1/nodes/n2', {}]] as const) {
      forbidden(await t.call(method, path, { ...n1, ...extra }), 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    }
    forbidden(await t.call('POST', '/api/v1/nodes', { ...n1, body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n3' } } }), 'nodes "n3" is forbidden: node "n1" is not allowed to modify node "n3"');
    expect((await t.call('GET', '/api/v1/nodes/n2', n1)).json.metadata.labels?.touched).toBeUndefined();

    const leases = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
    expect((await t.call('PATCH', `${leases}/n1`, { ...n1, ...patch })).status).toBe(200);
    for (const [method, extra] of [['PATCH', patch], ['GET', {}], ['DELETE', {}]] as const) {
      forbidden(await t.call(method, `${leases}/n2`, { ...n1, ...extra }),
        `leases.coordination.k8s.io "n2" is forbidden: User "system:node:n1" cannot ${method === 'GET' ? 'get' : method.toLowerCase()} resource "leases" in API group "coordination.k8s.io" in the namespace "kube-node-lease": can only access node lease with the same name as the requesting node`);
    }
    forbidden(await t.call('GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases/n1', n1),
      'leases.coordination.k8s.io "n1" is forbidden: User "system:node:n1" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "default": can only access leases in the "kube-node-lease" system namespace');
  });

  it('creates only mirror pods bound to itself, and touches no pod bound elsewhere', async () => {
    const mirror = (name: string, nodeName: string, annotated = true) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, ...(annotated ? { annotations: { 'kubernetes.io/config.mirror': 'hash' } } : {}) }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] } });
    forbidden(await t.call('POST', '/api/v1/namespaces/default/pods', { ...n1, body: mirror('elsewhere', 'n2') }), 'pods "elsewhere" is forbidden: node "n1" can only create pods with spec.nodeName set to itself');
    forbidden(await t.call('POST', '/api/v1/namespaces/default/pods', { ...n1, body: mirror('plain', 'n1', false) }), 'pods "plain" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods');
    expect((await t.call('POST', '/api/v1/namespaces/default/pods', { ...n1, body: mirror('static-n1', 'n1') })).status).toBe(201);
    for (const [method, path] of [['GET', 'on-n2'], ['DELETE', 'on-n2'], ['PATCH', 'on-n2/status'], ['GET', 'on-n2/log'], ['GET', 'unbound']] as const) {
      const res = await t.call(method, `/api/v1/namespaces/default/pods/${path}`, { ...n1, contentType: 'application/merge-patch+json', body: method === 'PATCH' ? { status: { phase: 'Failed' } } : undefined });
      expect(res.status).toBe(403);
      expect(res.json.message).toMatch(/no relationship found between node 'n1' and this object$/);
    }
    expect((await t.call('GET', '/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dn1', n1)).json.items.map((p: { metadata: { name: string } }) => p.metadata.name).sort()).toEqual(['on-n1', 'static-n1']);
    forbidden(await t.call('GET', '/api/v1/namespaces/default/pods', n1),
      'pods is forbidden: User "system:node:n1" cannot list resource "pods" in API group "" in the namespace "default": node \'n1\' can only list or watch pods with fieldSelector spec.nodeName=n1');
  });
});
