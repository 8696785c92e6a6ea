import { isForbidden, isNotFound } from '@peapod/api-types';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { nodeUser } from './auth.js';
import { startTestServer, type TestServer } from './testing/harness.js';

/** The in-process transport: same handler and authorizer as HTTP, objects instead of JSON. */
let t: TestServer;
beforeAll(async () => { t = await startTestServer(); });
afterAll(async () => { await t?.close(); });

const pod = (name: string, nodeName?: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] } });

describe('InProcessTransport', () => {
  it('creates, reads and watches without touching the caller’s objects', async () => {
    const tr = t.server.transport();
    const body = pod('ip');
    const created = await tr.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', body });
    expect(created.status).toBe(201);
    expect(body).toEqual(pod('ip'));
    const abort = new AbortController();
    const events: string[] = [];
    const watching = (async () => {
      for await (const ev of tr.watch({ method: 'GET', path: '/api/v1/namespaces/default/pods', query: { fieldSelector: 'metadata.name=ip' }, signal: abort.signal })) {
        events.push(`${ev.type} ${(ev.object as { metadata: { labels?: Record<string, string> } }).metadata.labels?.v ?? ''}`);
        if (events.length === 2) abort.abort();
      }
    })();
    await tr.request({ method: 'PATCH', path: '/api/v1/namespaces/default/pods/ip', contentType: 'application/merge-patch+json', body: { metadata: { labels: { v: '1' } } } });
    await watching;
    expect(events).toEqual(['ADDED ', 'MODIFIED 1']);
  });

  it('keeps the caller’s request bodies and answers apart: the server changes neither, and neither changes the other later', async () => {
    const tr = t.server.transport();
    const path = '/api/v1/namespaces/default/configmaps';
    // A null member is what the server's decoding drops in place: it must drop it from its own copy only.
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owned', labels: { a: '1' }, creationTimestamp: null }, data: { k: 'v' } };
    const created = (await tr.request({ method: 'POST', path, body })).body as { metadata: { labels: Record<string, string> }; data: Record<string, string> };
    expect(body.metadata).toEqual({ name: 'owned', labels: { a: '1' }, creationTimestamp: null });
    body.metadata.labels.a = 'changed';
    body.data.k = 'changed';
    expect([created.metadata.labels.a, created.data.k]).toEqual(['1', 'v']);
    const patch = { metadata: { labels: { b: '2' } }, data: { k: 'patched' } };
    const patched = (await tr.request({ method: 'PATCH', path: `${path}/owned`, contentType: 'application/merge-patch+json', body: patch })).body as typeof created;
    patch.metadata.labels.b = 'changed';
    patch.data.k = 'changed';
    expect([patched.metadata.labels, patched.data]).toEqual([{ a: '1', b: '2' }, { k: 'patched' }]);
    const read = (await tr.request({ method: 'GET', path: `${path}/owned` })).body as typeof created;
    expect([read.metadata.labels, read.data]).toEqual([{ a: '1', b: '2' }, { k: 'patched' }]);
  });

  it('a watch of one named object (metadata.name=) sees its whole life and nothing of its neighbours, namespaced, across namespaces and cluster-scoped', async () => {
    const tr = t.server.transport();
    const watchOf = (path: string, name: string) => {
      const abort = new AbortController();
      const seen: string[] = [];
      const done = (async () => {
        for await (const ev of tr.watch({ method: 'GET', path, query: { fieldSelector: `metadata.name=${name}`, resourceVersion: '1' }, signal: abort.signal })) {
          const o = ev.object as { metadata: { name: string; namespace?: string; labels?: Record<string, string> } };
          seen.push(`${ev.type} ${o.metadata.namespace ?? ''}/${o.metadata.name} ${o.metadata.labels?.v ?? ''}`.trim());
        }
      })();
      return { seen, stop: async () => { abort.abort(); await done; } };
    };
    const cms = '/api/v1/namespaces/default/configmaps';
    const one = watchOf(cms, 'solo');
    const anywhere = watchOf('/api/v1/configmaps', 'solo');
    const node = watchOf('/api/v1/nodes', 'solo-node');
    for (const name of ['sol', 'solo', 'solo.a', 'solo0']) await tr.request({ method: 'POST', path: cms, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } } });
    await tr.request({ method: 'PATCH', path: `${cms}/solo`, contentType: 'application/merge-patch+json', body: { metadata: { labels: { v: '1' } } } });
    await tr.request({ method: 'DELETE', path: `${cms}/solo` });
    await tr.request({ method: 'POST', path: cms, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'solo', labels: { v: '2' } } } });
    for (const name of ['solo-node', 'solo-node-2']) await tr.request({ method: 'POST', path: '/api/v1/nodes', body: { apiVersion: 'v1', kind: 'Node', metadata: { name } } });
    const life = ['ADDED default/solo', 'MODIFIED default/solo 1', 'DELETED default/solo 1', 'ADDED default/solo 2'];
    await vi.waitFor(() => expect([one.seen, anywhere.seen, node.seen]).toEqual([life, life, ['ADDED /solo-node']]));
    await Promise.all([one.stop(), anywhere.stop(), node.stop()]);
  });

  it('applies the node authorizer to in-process node identities', async () => {
    const admin = t.server.transport();
    await admin.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', body: pod('mine', 'n1') });
    const kubelet = t.server.transport(nodeUser('n2'));
    await expect(kubelet.request({ method: 'GET', path: '/api/v1/namespaces/default/pods/mine' })).rejects.toSatisfy(isForbidden);
    const own = t.server.transport(nodeUser('n1'));
    expect((await own.request({ method: 'GET', path: '/api/v1/namespaces/default/pods/mine' })).status).toBe(200);
    await expect(own.request({ method: 'GET', path: '/api/v1/namespaces/default/pods/none' })).rejects.toSatisfy(isForbidden);
    await expect(admin.request({ method: 'GET', path: '/api/v1/namespaces/default/pods/none' })).rejects.toSatisfy(isNotFound);
  });

  it('streams logs from the node streamer', async () => {
    const admin = t.server.transport();
    await admin.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', body: pod('logs', 'n1') });
    let text = '';
    for await (const chunk of admin.stream({ method: 'GET', path: '/api/v1/namespaces/default/pods/logs/log', query: { tailLines: '2' } })) text += Buffer.from(chunk).toString();
    expect(text).toBe('c line 2\nc line 3\n');
    let limited = '';
    for await (const chunk of admin.stream({ method: 'GET', path: '/api/v1/namespaces/default/pods/logs/log', query: { follow: 'true', limitBytes: '12' } })) limited += Buffer.from(chunk).toString();
    expect(limited).toBe('c line 1\nc l');
  });
});
