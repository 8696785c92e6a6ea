import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { isBadRequest, isForbidden, isNotFound } from '@peapod/api-types';
import { PortClient, type KubeObject } from '@peapod/client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN_USER, nodeUser } from './auth.js';
import type { HandlerRequest, HandlerResponse } from './handler.js';
import { servePort } from './port.js';
import { startTestServer, type TestServer } from './testing/harness.js';

/** The server side of the MessagePort transport, against the real handler and authorizer. */
let t: TestServer;
beforeAll(async () => { t = await startTestServer(); });
afterAll(async () => { await t?.close(); });
const ports: MessagePort[] = [];
afterEach(() => { for (const p of ports.splice(0)) p.close(); });

const GRANTED = new Map([['admin', ADMIN_USER], ['system:node:n1', nodeUser('n1')]]);
function pair(core: Pick<TestServer['server']['core'], 'serve'> = t.server.core) {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  servePort(core, port1, GRANTED);
  return new PortClient(port2);
}
const pod = (name: string, nodeName?: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] } });
const pods = '/api/v1/namespaces/default/pods';

describe('servePort', () => {
  it('serves requests and watches with the handler\'s answers, and its Status errors as StatusErrors', async () => {
    const admin = pair().transport('admin');
    const created = await admin.request({ method: 'POST', path: pods, body: pod('p1') });
    expect(created.status).toBe(201);
    expect((created.body as { metadata: { uid?: string } }).metadata.uid).toMatch(/./);
    await expect(admin.request({ method: 'GET', path: `${pods}/none` })).rejects.toSatisfy(isNotFound);
    await expect(admin.request({ method: 'GET', path: `${pods}/p1/log` })).rejects.toSatisfy(isBadRequest);
    const abort = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const ev of admin.watch({ method: 'GET', path: pods, query: { fieldSelector: 'metadata.name=p1' }, signal: abort.signal })) {
        seen.push(`${ev.type} ${(ev.object as { metadata: { labels?: Record<string, string> } }).metadata.labels?.v ?? ''}`);
        if (seen.length === 2) abort.abort();
      }
    })();
    await admin.request({ method: 'PATCH', path: `${pods}/p1`, contentType: 'application/merge-patch+json', body: { metadata: { labels: { v: '1' } } } });
    await watching;
    expect(seen).toEqual(['ADDED ', 'MODIFIED 1']);
  });

  it('acts only as identities the host granted, each under the node authorizer\'s rules', async () => {
    const client = pair();
    await client.transport('admin').request({ method: 'POST', path: pods, body: pod('bound', 'n1') });
    const err = await client.transport('system:node:n2').request({ method: 'GET', path: `${pods}/bound` }).catch((e: unknown) => e);
    expect(isForbidden(err) && (err as Error).message).toMatch(/system:node:n2/);
    const n1 = client.transport('system:node:n1');
    expect((await n1.request({ method: 'GET', path: `${pods}/bound` })).status).toBe(200);
    await expect(n1.request({ method: 'GET', path: '/api/v1/namespaces/default/secrets' })).rejects.toSatisfy(isForbidden);
  });

  it('ends the server-side watch when the client abandons it, and aborts the signal of a request the client aborted', async () => {
    let ended = 0;
    const aborted: string[] = [];
    const core = {
      async serve(req: HandlerRequest): Promise<HandlerResponse> {
        if (!req.query.has('watch')) {
          await new Promise((resolve) => req.signal?.addEventListener('abort', resolve));
          aborted.push(req.path);
          return { type: 'object', status: 200, body: {} };
        }
        async function* events() {
          try {
            for (let i = 0; ; i++) {
              yield { type: 'ADDED' as const, object: { metadata: { name: `o${i}` } } };
              await new Promise((r) => setTimeout(r, 5));
            }
          } finally {
            ended++;
          }
        }
        return { type: 'watch', events: events() };
      },
    };
    const tr = pair(core).transport('admin');
    for await (const ev of tr.watch({ method: 'GET', path: pods })) if ((ev.object as KubeObject).metadata.name === 'o2') break;
    const abort = new AbortController();
    for await (const _ of tr.watch({ method: 'GET', path: pods, signal: abort.signal })) abort.abort();
    await vi.waitFor(() => expect(ended).toBe(2));
    const request = new AbortController();
    const pending = tr.request({ method: 'GET', path: '/api/v1/nodes', signal: request.signal });
    setTimeout(() => request.abort(new Error('gave up')), 20);
    await expect(pending).rejects.toThrow('gave up');
    await vi.waitFor(() => expect(aborted).toEqual(['/api/v1/nodes']));
  });

  it('streams a pod\'s log from the node streamer', async () => {
    const admin = pair().transport('admin');
    await admin.request({ method: 'POST', path: pods, body: pod('logs', 'n1') });
    let text = '';
    for await (const chunk of admin.stream({ method: 'GET', path: `${pods}/logs/log`, query: { tailLines: '2' } })) text += Buffer.from(chunk).toString();
    expect(text).toBe('c line 2\nc line 3\n');
  });
});
