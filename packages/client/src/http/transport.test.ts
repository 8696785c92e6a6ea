import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESOURCES, isBadRequest, isConflict, isInternalError, isStatusError, isTooManyRequests } from '@peapod/api-types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../client.js';
import { loadKubeconfig } from '../kubeconfig.js';
import type { KubeObject, WatchEvent } from '../types.js';
import { HttpTransport } from './transport.js';

/** What the test server saw of one request. */
interface Seen { method: string; url: string; headers: http.IncomingMessage['headers']; body: string }

let dir: string;
let cert: Buffer;
let server: https.Server;
let url: string;
let seen: Seen[];
let hits: Map<string, number>;
let closedWatches = 0;
let connections = 0;
const TOKEN = 't0k3n';

const event = (type: string, name: string, rv: string) => JSON.stringify({ type, object: { metadata: { name, resourceVersion: rv } } }) + '\n';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peapod-client-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.pem'), '-subj', '/CN=peapod-test', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'ca.pem'));
  server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handle(req, res, Buffer.concat(chunks).toString()));
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
  hits = new Map();
});

async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string) {
  const u = new URL(req.url!, url);
  seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
  const n = (hits.get(req.method + u.pathname) ?? 0) + 1;
  hits.set(req.method + u.pathname, n);
  const json = (code: number, b: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(b));
  };
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(401, { kind: 'Status', apiVersion: 'v1', metadata: {}, code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
  switch (u.pathname) {
    case '/api/v1/namespaces/n/pods/web':
      return json(200, { metadata: { name: 'web', namespace: 'n' }, echo: body ? JSON.parse(body) : undefined });
    case '/api/v1/namespaces/n/pods/conflict':
      return json(409, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 409, reason: 'Conflict', message: 'Operation cannot be fulfilled on pods "conflict"' });
    case '/api/v1/namespaces/n/pods/proxy':
      res.writeHead(502, { 'content-type': 'text/html' });
      return res.end('<html>bad gateway</html>');
    case '/api/v1/namespaces/n/pods/busy':
      // Rate limited the first time, as a server under load answers.
      return n === 1 ? json(429, { kind: 'Status', apiVersion: 'v1', metadata: {}, code: 429, reason: 'TooManyRequests', message: 'slow down' }, { 'retry-after': '0' }) : json(200, { metadata: { name: 'busy' } });
    case '/api/v1/namespaces/n/pods/starting':
      return n === 1 ? json(503, { kind: 'Status', apiVersion: 'v1', metadata: {}, code: 503, reason: 'ServiceUnavailable', message: 'starting' }, { 'retry-after': '0' }) : json(200, { metadata: { name: 'starting' } });
    case '/api/v1/namespaces/n/pods/flaky':
      // The first connection dies before any answer.
      if (n === 1) return req.socket.destroy();
      return json(200, { metadata: { name: 'flaky' } });
    case '/api/v1/namespaces/n/pods': {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      const wire = event('ADDED', 'a', '1') + event('MODIFIED', 'a', '2') + event('DELETED', 'a', '3');
      if (u.searchParams.get('timeoutSeconds') === 'quiet') {
        // An event, a quiet spell longer than the client's idle-socket timeout, another event.
        res.write(event('ADDED', 'a', '1'));
        await sleep(400);
        return res.end(event('MODIFIED', 'a', '2'));
      }
      if (u.searchParams.get('timeoutSeconds') === 'never') {
        res.write(event('ADDED', 'a', '1'));
        req.on('close', () => closedWatches++);
        return;
      }
      // Chunks that cut events mid-line.
      for (const [a, b] of [[0, 10], [10, 70], [70, 71], [71, wire.length]]) {
        res.write(wire.slice(a, b));
        await sleep(5);
      }
      return res.end();
    }
    case '/api/v1/namespaces/n/pods/web/log':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('line 1\n');
      await sleep(5);
      return res.end('line 2\n');
    default:
      return json(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, code: 404, reason: 'NotFound', message: 'not found' });
  }
}

const transport = (extra: Partial<ConstructorParameters<typeof HttpTransport>[0]> = {}) => new HttpTransport({ server: url, ca: cert, token: TOKEN, ...extra });

describe('HttpTransport', () => {
  it('talks HTTPS to a server signed by the given CA, with the bearer token, and decodes JSON', async () => {
    const t = transport();
    const res = await t.request({ method: 'GET', path: '/api/v1/namespaces/n/pods/web' });
    expect(res).toEqual({ status: 200, body: { metadata: { name: 'web', namespace: 'n' } } });
    expect(seen[0].headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, accept: 'application/json' });
    t.close();
  });

  it('refuses a server whose certificate the CA does not sign', async () => {
    const t = new HttpTransport({ server: url, token: TOKEN, maxRetries: 0 });
    const err = await t.request({ method: 'GET', path: '/api/v1/namespaces/n/pods/web' }).catch((e: unknown) => e);
    expect(isStatusError(err) && err.code).toBe(503);
    expect(seen).toHaveLength(0);
    t.close();
  });

  it('sends JSON bodies with the content type of each patch kind', async () => {
    const t = transport();
    const pods = createClient(t).resource(RESOURCES.pods);
    for (const [type, ct] of [['strategic', 'application/strategic-merge-patch+json'], ['apply', 'application/apply-patch+yaml'], ['json', 'application/json-patch+json']] as const) {
      const patch = type === 'json' ? [{ op: 'add', path: '/metadata/labels', value: { a: 'b' } }] : { metadata: { labels: { a: 'b' } } };
      const got = await pods.patch('web', type, patch, { namespace: 'n', fieldManager: 'test' });
      expect(seen.at(-1)).toMatchObject({ method: 'PATCH', headers: { 'content-type': ct } });
      expect((got as unknown as { echo: unknown }).echo).toEqual(patch);
    }
    await pods.update({ metadata: { name: 'web', namespace: 'n' } } as never);
    expect(seen.at(-1)!.headers['content-type']).toBe('application/json');
    t.close();
  });

  it('throws the Status the server sent, or one synthesized from the HTTP code', async () => {
    const t = transport();
    const conflict = await t.request({ method: 'PUT', path: '/api/v1/namespaces/n/pods/conflict', body: {} }).catch((e: unknown) => e);
    expect(isConflict(conflict) && conflict.message).toBe('Operation cannot be fulfilled on pods "conflict"');
    const proxy = await t.request({ method: 'GET', path: '/api/v1/namespaces/n/pods/proxy' }).catch((e: unknown) => e);
    expect(isInternalError(proxy) && proxy.code).toBe(502);
    expect((proxy as Error).message).toContain('<html>bad gateway</html>');
    t.close();
  });

  it('retries a read answered 429 or 5xx with Retry-After, but never a create', async () => {
    const t = transport();
    await expect(t.request({ method: 'GET', path: '/api/v1/namespaces/n/pods/busy' })).resolves.toMatchObject({ body: { metadata: { name: 'busy' } } });
    expect(hits.get('GET/api/v1/namespaces/n/pods/busy')).toBe(2);
    const err = await t.request({ method: 'POST', path: '/api/v1/namespaces/n/pods/busy', body: {} }).catch((e: unknown) => e);
    expect(isTooManyRequests(err) && err.status.details?.retryAfterSeconds).toBe(0);
    expect(hits.get('POST/api/v1/namespaces/n/pods/busy')).toBe(1);
    await expect(t.request({ method: 'GET', path: '/api/v1/namespaces/n/pods/starting' })).resolves.toMatchObject({ body: { metadata: { name: 'starting' } } });
    await expect(t.request({ method: 'GET', path: '/api/v1/namespaces/n/pods/proxy' })).rejects.toSatisfy(isInternalError);
    expect(hits.get('GET/api/v1/namespaces/n/pods/proxy')).toBe(1); // a 5xx without Retry-After is not retried
    t.close();
  });

  it('retries a read after a connection error, but never a create', async () => {
    const t = transport();
    await expect(t.request({ method: 'GET', path: '/api/v1/namespaces/n/pods/flaky' })).resolves.toMatchObject({ body: { metadata: { name: 'flaky' } } });
    expect(hits.get('GET/api/v1/namespaces/n/pods/flaky')).toBe(2);
    const err = await t.request({ method: 'POST', path: '/api/v1/namespaces/n/pods/flaky', body: {} }).catch((e: unknown) => e);
    expect(isStatusError(err) && err.reason).toBe('ServiceUnavailable');
    expect(hits.get('POST/api/v1/namespaces/n/pods/flaky')).toBe(1);
    t.close();
  });

  it('decodes a chunked watch stream whose chunks split events', async () => {
    const t = transport();
    const got: WatchEvent<KubeObject>[] = [];
    for await (const ev of createClient(t).resource(RESOURCES.pods).watch({ namespace: 'n', resourceVersion: '0' })) got.push(ev);
    expect(got.map((e) => [e.type, e.object.metadata.resourceVersion])).toEqual([['ADDED', '1'], ['MODIFIED', '2'], ['DELETED', '3']]);
    expect(seen[0].url).toContain('watch=true');
    t.close();
  });

  it('ends a watch quietly when its signal aborts, closing the connection', async () => {
    const t = transport();
    const ac = new AbortController();
    const got: string[] = [];
    const before = closedWatches;
    for await (const ev of t.watch({ method: 'GET', path: '/api/v1/namespaces/n/pods', query: { watch: 'true', timeoutSeconds: 'never' }, signal: ac.signal })) {
      got.push(ev.type);
      ac.abort();
    }
    expect(got).toEqual(['ADDED']);
    await expect.poll(() => closedWatches, { timeout: 10_000 }).toBe(before + 1);
    t.close();
  });

  it('closes a keep-alive socket idle past idleSocketTimeoutMs, so no request goes out on a socket the server is closing', async () => {
    const t = transport({ idleSocketTimeoutMs: 200 });
    const get = () => t.request({ method: 'GET', path: '/api/v1/namespaces/n/pods/web' });
    const before = connections;
    await get();
    await get(); // at once: the same socket
    expect(connections).toBe(before + 1);
    await sleep(400);
    await get();
    expect(connections).toBe(before + 2);
    t.close();
  });

  it('keeps a watch that stays quiet longer than idleSocketTimeoutMs', async () => {
    const t = transport({ idleSocketTimeoutMs: 100 });
    const got: string[] = [];
    for await (const ev of t.watch({ method: 'GET', path: '/api/v1/namespaces/n/pods', query: { watch: 'true', timeoutSeconds: 'quiet' } })) got.push(ev.type);
    expect(got).toEqual(['ADDED', 'MODIFIED']);
    t.close();
  });

  it('rejects a request with the reason of its aborted signal', async () => {
    const t = transport();
    const ac = new AbortController();
    ac.abort(new Error('caller gave up'));
    await expect(t.request({ method: 'GET', path: '/api/v1/namespaces/n/pods/web', signal: ac.signal })).rejects.toThrow('caller gave up');
    t.close();
  });

  it('streams log bytes as they come', async () => {
    const t = transport();
    const chunks: Buffer[] = [];
    for await (const c of createClient(t).podLogs('n', 'web', { follow: true })) chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks).toString()).toBe('line 1\nline 2\n');
    expect(seen[0].url).toBe('/api/v1/namespaces/n/pods/web/log?follow=true');
    t.close();
  });
});

describe('loadKubeconfig', () => {
  const write = (name: string, text: string) => { writeFileSync(join(dir, name), text); return join(dir, name); };

  it('reads the current context with inline CA data and a token into working transport options', async () => {
    const path = write('config', `
apiVersion: v1
kind: Config
current-context: peapod
clusters:
- name: other
  cluster: { server: https://127.0.0.9:1 }
- name: local
  cluster:
    server: ${url}
    certificate-authority-data: ${cert.toString('base64')}
users:
- name: admin
  user: { token: ${TOKEN} }
contexts:
- name: peapod
  context: { cluster: local, user: admin, namespace: team-a }
`);
    const cfg = await loadKubeconfig(path);
    expect(cfg).toMatchObject({ server: url, token: TOKEN, namespace: 'team-a', insecureSkipTlsVerify: false });
    const t = new HttpTransport(cfg);
    await expect(t.request({ method: 'GET', path: '/api/v1/namespaces/n/pods/web' })).resolves.toMatchObject({ status: 200 });
    t.close();
  });

  it('resolves certificate-authority and tokenFile relative to the file, for a named context', async () => {
    write('token', `${TOKEN}\n`);
    const path = write('config2', `
current-context: nope
clusters: [{ name: c, cluster: { server: "${url}", certificate-authority: ca.pem } }]
users: [{ name: u, user: { tokenFile: token } }]
contexts: [{ name: mine, context: { cluster: c, user: u } }]
`);
    const cfg = await loadKubeconfig(path, 'mine');
    expect(cfg.namespace).toBe('default');
    expect(cfg.token).toBe(TOKEN);
    expect(Buffer.from(cfg.ca!).equals(cert)).toBe(true);
    await expect(loadKubeconfig(path)).rejects.toSatisfy(isBadRequest);
  });
});
