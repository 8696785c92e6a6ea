import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MAX_BODY_BYTES } from '../body.js';
import { startTestServer, type CallResult, type TestServer } from '../testing/harness.js';

/**
 * Hostile bodies and paths (issue 11, "Bad input"): YAML bombs, deep nesting and oversized bodies
 * are refused fast and without a memory blow-up; path traversal on log/exec never reaches the
 * node streamer. Bounds are generous for a loaded CI machine; each refusal takes milliseconds.
 */
let t: TestServer;
const FAST_MS = 2_000;
/** Heap growth allowed across one hostile request (the bombs would need gigabytes if expanded). */
const HEAP_GROWTH_BYTES = 200 * 1024 * 1024;
const CLOSE = { connection: 'close' };

beforeAll(async () => {
  t = await startTestServer();
  await t.call('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] } }, headers: CLOSE });
  await t.call('PATCH', '/api/v1/namespaces/default/pods/web/status', { contentType: 'application/merge-patch+json', body: { status: { phase: 'Running' } }, headers: CLOSE });
});
afterAll(async () => { await t?.close(); });

const expectStatus = (res: CallResult, code: number, reason: string) => {
  expect(res.status).toBe(code);
  expect(res.json).toMatchObject({ kind: 'Status', status: 'Failure', code, reason });
};

/** Runs a request, returning its answer, wall time and heap growth. */
async function measured(run: () => Promise<CallResult>) {
  const heap = process.memoryUsage().heapUsed;
  const started = performance.now();
  const res = await run();
  return { res, ms: performance.now() - started, grew: process.memoryUsage().heapUsed - heap };
}

const yamlPost = (text: string) => t.call('POST', '/api/v1/namespaces/default/configmaps', { raw: text, contentType: 'application/yaml', headers: CLOSE });

describe('bombs and oversized bodies', () => {
  it('refuses a billion-laughs YAML alias bomb fast, without expanding it', async () => {
    const levels = 'abcdefghi';
    const bomb = [`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\nx0: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]`,
      ...[...levels.slice(1)].map((l, i) => `x${i + 1}: &${l} [${Array(10).fill(`*${levels[i]}`).join(',')}]`)].join('\n');
    const { res, ms, grew } = await measured(() => yamlPost(bomb));
    expectStatus(res, 400, 'BadRequest');
    expect(res.json.message).toMatch(/alias/i);
    expect(ms).toBeLessThan(FAST_MS);
    expect(grew).toBeLessThan(HEAP_GROWTH_BYTES);
  });

  // Block nesting costs indentation, so 2,000 levels is about what fits under the 3 MiB limit.
  it.each([
    ['YAML flow mappings', 5_000, (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`, 'application/yaml'],
    ['YAML flow sequences', 5_000, (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`, 'application/yaml'],
    ['YAML block mappings', 2_000, (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}a:`).join('\n'), 'application/yaml'],
    ['JSON', 5_000, (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`, 'application/json'],
  ])('refuses %s nested %i deep with 400, fast (regression: deep YAML once exhausted the stack)', async (what, depth, doc, contentType) => {
    const { res, ms, grew } = await measured(() => t.call('POST', '/api/v1/namespaces/default/configmaps', { raw: doc(depth), contentType, headers: CLOSE }));
    expectStatus(res, 400, 'BadRequest');
    expect(res.json.message).toMatch(/depth/);
    expect(ms).toBeLessThan(FAST_MS);
    expect(grew).toBeLessThan(HEAP_GROWTH_BYTES);
    // Nesting within the limit still decodes normally.
    expect((await t.call('POST', '/api/v1/namespaces/default/configmaps', { raw: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shallow-${what.toLowerCase().replace(/\W/g, '-')}\n  labels: {a: b}\n`, contentType: 'application/yaml', headers: CLOSE })).status).toBe(201);
  });

  it('refuses a body over 3 MiB with 413 Status, whether declared, sent in chunks or only announced', async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1024, 'a');
    const declared = await measured(() => t.call('POST', '/api/v1/namespaces/default/configmaps', { raw: big, headers: CLOSE }));
    expectStatus(declared.res, 413, 'RequestEntityTooLarge');
    expect(declared.ms).toBeLessThan(FAST_MS);
    const url = new URL(t.server.url);
    /** Sends headers and `parts` as given (no Content-Length unless `length`), resolving on the answer. */
    const send = (parts: Buffer[], length?: number) => measured(() => new Promise<CallResult>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/api/v1/namespaces/default/configmaps', ca: t.server.caCert,
        headers: { authorization: `Bearer ${t.server.adminToken}`, 'content-type': 'application/json', connection: 'close', ...(length !== undefined ? { 'content-length': String(length) } : {}) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: JSON.parse(text) }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err); });
      for (const p of parts) req.write(p);
      if (length === undefined) req.end();
    }));
    const chunked = await send(Array.from({ length: 5 }, () => Buffer.alloc(1024 * 1024, 'a')));
    expectStatus(chunked.res, 413, 'RequestEntityTooLarge');
    expect(chunked.ms).toBeLessThan(FAST_MS);
    // A 10 GiB announcement is refused from the header alone, before any of it arrives.
    const announced = await send([Buffer.from('{')], 10 * 1024 ** 3);
    expectStatus(announced.res, 413, 'RequestEntityTooLarge');
    expect(announced.ms).toBeLessThan(FAST_MS);
    expect((await t.call('GET', '/readyz', { headers: CLOSE })).status).toBe(200);
  });
});

describe('updates that drop required parts', () => {
  it('refuses a pod replaced without its spec, keeping the stored spec (regression: the update was accepted and left a pod without containers)', async () => {
    const res = await t.call('PUT', '/api/v1/namespaces/default/pods/web', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } }, headers: CLOSE });
    expectStatus(res, 422, 'Invalid');
    expect(res.json.message).toBe('Pod "web" is invalid: spec: Required value');
    expect((await t.call('GET', '/api/v1/namespaces/default/pods/web', { headers: CLOSE })).json.spec.containers[0].name).toBe('c');
  });
});

describe('path traversal on log and exec', () => {
  const logs = () => t.streamer.calls.length;

  it.each([
    ['container=../../etc/passwd', '/api/v1/namespaces/default/pods/web/log?container=../../etc/passwd', 400],
    ['an encoded traversal container', '/api/v1/namespaces/default/pods/web/log?container=%2e%2e%2f%2e%2e%2fetc%2fpasswd', 400],
    ['an absolute container path', '/api/v1/namespaces/default/pods/web/log?container=/etc/passwd', 400],
    ['a pod named ..', '/api/v1/namespaces/default/pods/../log', 400],
    ['a pod named %2e%2e', '/api/v1/namespaces/default/pods/%2e%2e/log', 400],
    ['an encoded slash in the pod name', '/api/v1/namespaces/default/pods/..%2F..%2Fetc%2Fpasswd/log', 400],
    ['an encoded slash in the namespace', '/api/v1/namespaces/default%2F..%2Fkube-system/pods/web/log', 400],
    ['a namespace named ..', '/api/v1/namespaces/../pods/web/log', 400],
    ['a malformed escape', '/api/v1/namespaces/default/pods/%E0%A4%A/log', 400],
    ['extra segments after log', '/api/v1/namespaces/default/pods/web/log/../../../etc/passwd', 404],
  ])('refuses %s without calling the node (regression: `..` once resolved to another object, bad escapes were 500)', async (_what, path, code) => {
    const before = logs();
    const res = await t.call('GET', path, { headers: CLOSE });
    expect(res.status).toBe(code);
    expect(res.json).toMatchObject({ kind: 'Status', code });
    expect(logs()).toBe(before);
  });

  it('still serves the real container, and refuses traversal on exec before upgrading', async () => {
    const ok = await t.call('GET', '/api/v1/namespaces/default/pods/web/log?container=c', { headers: CLOSE });
    expect(ok.text).toBe('c line 1\nc line 2\nc line 3\n');
    const before = logs();
    for (const q of ['command=cat&stdout=true&container=../../etc/passwd', 'command=cat&stdout=true&container=%2e%2e%2fc']) {
      const ws = new WebSocket(`${t.server.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/web/exec?${q}`, ['v5.channel.k8s.io'], { ca: t.server.caCert, headers: { authorization: `Bearer ${t.server.adminToken}` } });
      await expect(new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); })).rejects.toThrow(/400/);
    }
    for (const path of ['/api/v1/namespaces/default/pods/../exec?command=cat&stdout=true', '/api/v1/namespaces/default/pods/..%2Fweb/exec?command=cat&stdout=true']) {
      const ws = new WebSocket(`${t.server.url.replace('https', 'wss')}${path}`, ['v5.channel.k8s.io'], { ca: t.server.caCert, headers: { authorization: `Bearer ${t.server.adminToken}` } });
      await expect(new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); })).rejects.toThrow(/400/);
    }
    expect(logs()).toBe(before);
    expect(t.streamer.calls.every((c) => c.target.pod === 'web' && c.target.container === 'c')).toBe(true);
  });
});
