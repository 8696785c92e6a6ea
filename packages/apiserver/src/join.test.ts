import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBadRequest } from '@peapod/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJoinToken, joinCluster, loadOrCreateJoinToken, parseJoinToken, type NodeCredentials } from './join.js';
import { caHash, ensurePki } from './pki.js';
import { startTestServer, type TestServer } from './testing/harness.js';

const subject = (pem: string) => new X509Certificate(pem).subject.split('\n');

describe('join token', () => {
  it('round-trips and pins the CA by the SHA-256 of its public key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peapod-join-'));
    try {
      const pki = await ensurePki(dir);
      const token = await loadOrCreateJoinToken(dir, pki.caCert);
      expect(token).toMatch(/^peapod1\.[0-9a-f]{64}\.[A-Za-z0-9_-]{32}$/);
      expect(parseJoinToken(token).caHash).toBe(caHash(pki.caCert));
      expect(formatJoinToken(parseJoinToken(`  ${token}\n`))).toBe(token);
      expect((await stat(join(dir, 'join.token'))).mode & 0o777).toBe(0o600);
      expect(await loadOrCreateJoinToken(dir, pki.caCert)).toBe(token);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses malformed tokens with a 400 that shows the expected shape', () => {
    for (const bad of ['', 'peapod1..x', `peapod1.${'g'.repeat(64)}.${'a'.repeat(32)}`, `peapod2.${'0'.repeat(64)}.${'a'.repeat(32)}`, `peapod1.${'0'.repeat(64)}.short`]) {
      let err: unknown;
      try {
        parseJoinToken(bad);
      } catch (e) {
        err = e;
      }
      expect(isBadRequest(err), bad).toBe(true);
      expect((err as Error).message).toContain('peapod1.<64 hex digits>.<secret>');
    }
  });

  it('shared pki dirs: a later start adds its hosts to the serving certificate and keeps the CA, tokens and earlier hosts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peapod-join-'));
    try {
      const first = await ensurePki(dir, ['10.0.0.1']);
      const token = await loadOrCreateJoinToken(dir, first.caCert);
      const again = await ensurePki(dir, ['10.0.0.1']);
      expect(again.serverCert).toBe(first.serverCert);
      const second = await ensurePki(dir, ['server-b.example']);
      expect(second.caCert).toBe(first.caCert);
      expect(second.kubeletClientCert).toBe(first.kubeletClientCert);
      const cert = new X509Certificate(second.serverCert);
      expect(cert.checkIP('10.0.0.1')).toBe('10.0.0.1');
      expect(cert.checkHost('server-b.example')).toBe('server-b.example');
      expect(cert.checkIssued(new X509Certificate(first.caCert))).toBe(true);
      expect(await loadOrCreateJoinToken(dir, second.caCert)).toBe(token);
      expect(await readFile(join(dir, 'apiserver.crt'), 'utf8')).toBe(second.serverCert);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('joining through the API server', () => {
  let t: TestServer;
  let creds: NodeCredentials;
  const asCert = (c: { cert: string; key: string }) => new Agent({ ca: t.server.caCert, cert: c.cert, key: c.key, keepAlive: false });

  beforeAll(async () => {
    t = await startTestServer();
    creds = await joinCluster(t.server.url, t.server.joinToken, 'node-a', ['127.0.0.9', 'node-a.example']);
  });
  afterAll(() => t.close());

  it('issues a node client certificate and a serving certificate, both chained to the cluster CA', () => {
    const ca = new X509Certificate(t.server.caCert);
    expect(creds.caCert).toBe(t.server.caCert);
    expect(subject(creds.clientCert)).toEqual(['CN=system:node:node-a', 'O=system:nodes']);
    const serving = new X509Certificate(creds.servingCert);
    for (const c of [creds.clientCert, creds.servingCert]) expect(new X509Certificate(c).checkIssued(ca) && new X509Certificate(c).verify(ca.publicKey)).toBe(true);
    expect(serving.checkIP('127.0.0.9')).toBe('127.0.0.9');
    expect(serving.checkHost('node-a.example')).toBe('node-a.example');
  });

  it('authenticates the client certificate as the node, which the Node authorizer then confines', async () => {
    const agent = asCert({ cert: creds.clientCert, key: creds.clientKey });
    await t.call('POST', '/api/v1/namespaces', { body: { metadata: { name: 'kube-node-lease' } } });
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'node-a', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'node-a' } };
    expect((await t.call('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { token: null, agent, body: lease })).status).toBe(201);
    const other = await t.call('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { token: null, agent, body: { ...lease, metadata: { ...lease.metadata, name: 'node-b' } } });
    expect(other.status).toBe(403);
    expect(other.json.message).toContain('User "system:node:node-a"');
    const secrets = await t.call('GET', '/api/v1/namespaces/default/secrets', { token: null, agent });
    expect(secrets.json).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden' });
  });

  it('does not take a serving certificate, or one from another CA, as a client identity', async () => {
    const serving = await t.call('GET', '/api/v1/nodes', { token: null, agent: asCert({ cert: creds.servingCert, key: creds.servingKey }) });
    expect(serving.status).toBe(401);
    const dir = await mkdtemp(join(tmpdir(), 'peapod-other-ca-'));
    try {
      const other = await ensurePki(dir);
      const foreign = await t.call('GET', '/api/v1/nodes', { token: null, agent: asCert({ cert: other.kubeletClientCert, key: other.kubeletClientKey }) });
      expect(foreign.json).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lets the join token do nothing but join: 403 with a Status everywhere else', async () => {
    const token = t.server.joinToken;
    for (const [method, path] of [['GET', '/api/v1/namespaces/default/pods'], ['GET', '/api/v1/nodes'], ['POST', '/api/v1/namespaces'], ['GET', '/api'], ['GET', '/version'], ['GET', '/openapi/v2']]) {
      const res = await t.call(method, path, { token, body: method === 'POST' ? { metadata: { name: 'x' } } : undefined });
      expect(res.json, `${method} ${path}`).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden' });
      expect(res.json.message).toContain('a join token only obtains node credentials');
    }
  });

  it('refuses a wrong token with 401, other identities with 403, and a bad request with 422 listing every problem', async () => {
    const wrong = await t.call('POST', '/peapod/v1/join', { token: `${t.server.joinToken.slice(0, -4)}AAAA`, body: {} });
    expect(wrong.json).toMatchObject({ kind: 'Status', code: 401 });
    const node = await t.call('POST', '/peapod/v1/join', { token: null, agent: asCert({ cert: creds.clientCert, key: creds.clientKey }), body: {} });
    expect(node.json).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden' });
    const bad = await t.call('POST', '/peapod/v1/join', { token: t.server.joinToken, body: { nodeName: 'Bad_Name', addresses: ['not an address'], clientCsr: 'junk' } });
    expect(bad.json).toMatchObject({ kind: 'Status', code: 422, reason: 'Invalid' });
    expect(bad.json.details.causes.map((c: { field: string }) => c.field)).toEqual(['nodeName', 'addresses[0]', 'clientCsr', 'servingCsr']);
  });

  it('fails to join, with what to fix, on a wrong token, another cluster\'s CA, or no server', async () => {
    await expect(joinCluster(t.server.url, `${t.server.joinToken.slice(0, -4)}AAAA`, 'n', ['127.0.0.1'])).rejects.toMatchObject({ code: 401, message: expect.stringContaining('refused the join token') });
    const otherCa = t.server.joinToken.replace(/^peapod1\.[0-9a-f]{8}/, 'peapod1.00000000');
    await expect(joinCluster(t.server.url, otherCa, 'n', ['127.0.0.1'])).rejects.toMatchObject({ code: 403, message: expect.stringContaining('presented no CA matching the join token') });
    await expect(joinCluster('https://127.0.0.1:1', t.server.joinToken, 'n', ['127.0.0.1'])).rejects.toMatchObject({ code: 503, message: 'cannot reach the server at https://127.0.0.1:1: ECONNREFUSED' });
  });
});
