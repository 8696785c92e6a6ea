// @peapod/client against the real API server: watch continuity, apply, kubeconfig, auth.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  RESOURCES, isAlreadyExists, isConflict, isNotFound, isUnauthorized, type ConfigMap, type Pod,
} from '@peapod/api-types';
import { HttpTransport, SharedInformer, createClient, loadKubeconfig } from '@peapod/client';
import { RealClock, silentLogger } from '@peapod/core';
import { createMemoryStore } from '@peapod/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type RunningApiServer } from './server.js';

let dir: string;
let server: RunningApiServer;
let http: HttpTransport;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peapod-client-e2e-'));
  server = await startApiServer({ pkiDir: join(dir, 'pki'), port: 0 }, { store: createMemoryStore(), clock: new RealClock() });
  http = new HttpTransport({ server: server.url, ca: server.caCert, token: server.adminToken });
});

afterAll(async () => {
  http?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const pod = (name: string, labels: Record<string, string> = {}): Pod =>
  ({ metadata: { name, namespace: 'default', labels }, spec: { containers: [{ name: 'app', image: 'busybox' }] } }) as Pod;
const cm = (name: string, data: Record<string, string>): ConfigMap => ({ metadata: { name, namespace: 'default' }, data }) as ConfigMap;

describe.each([
  ['HTTP', () => http],
  ['in-process', () => server.transport()],
])('against the API server (%s)', (kind, transport) => {
  const tag = kind === 'HTTP' ? 'h' : 'i';

  it('creates, reads, lists, updates, patches and deletes pods with Kubernetes errors', async () => {
    const pods = createClient(transport()).resource(RESOURCES.pods);
    const created = await pods.create(pod(`web-${tag}`, { app: `web-${tag}` }));
    expect(created.metadata.uid).toBeTruthy();
    await expect(pods.create(pod(`web-${tag}`))).rejects.toSatisfy(isAlreadyExists);
    await expect(pods.get(`nope-${tag}`, { namespace: 'default' })).rejects.toSatisfy(isNotFound);
    expect((await pods.list({ namespace: 'default', labelSelector: `app=web-${tag}` })).items.map((p) => p.metadata.name)).toEqual([`web-${tag}`]);

    const updated = await pods.update({ ...created, metadata: { ...created.metadata, annotations: { a: '1' } } });
    await expect(pods.update({ ...created, metadata: { ...created.metadata, annotations: { a: '2' } } })).rejects.toSatisfy(isConflict);
    const merged = await pods.patch(`web-${tag}`, 'merge', { metadata: { labels: { tier: 'fe' } } }, { namespace: 'default' });
    expect(merged.metadata.labels).toEqual({ app: `web-${tag}`, tier: 'fe' });
    const strategic = await pods.patch(`web-${tag}`, 'strategic', { spec: { containers: [{ name: 'app', image: 'busybox:2' }] } }, { namespace: 'default' });
    expect(strategic.spec?.containers.map((c) => c.image)).toEqual(['busybox:2']);
    const json = await pods.patch(`web-${tag}`, 'json', [{ op: 'replace', path: '/metadata/annotations/a', value: '3' }], { namespace: 'default' });
    expect(json.metadata.annotations).toEqual({ a: '3' });
    expect(Number(json.metadata.resourceVersion)).toBeGreaterThan(Number(updated.metadata.resourceVersion));

    const status = await pods.updateStatus({ ...json, status: { ...json.status, phase: 'Running' } });
    expect(status.status?.phase).toBe('Running');
    await pods.createSubresource(`web-${tag}`, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: `web-${tag}` }, target: { kind: 'Node', name: 'n1' } }, { namespace: 'default' });
    expect((await pods.get(`web-${tag}`, { namespace: 'default' })).spec?.nodeName).toBe('n1');

    const deleting = await pods.delete(`web-${tag}`, { namespace: 'default' });
    expect(deleting.metadata.deletionTimestamp).toBeTruthy(); // bound and running: graceful
    await pods.delete(`web-${tag}`, { namespace: 'default', gracePeriodSeconds: 0 });
    await expect(pods.get(`web-${tag}`, { namespace: 'default' })).rejects.toSatisfy(isNotFound);
  });

  it('applies server-side with a field manager', async () => {
    const cms = createClient(transport()).resource(RESOURCES.configmaps);
    const applied = await cms.patch(`applied-${tag}`, 'apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `applied-${tag}` }, data: { k: 'v' } }, { namespace: 'default', fieldManager: 'e2e' });
    expect(applied.data).toEqual({ k: 'v' });
    expect((applied.metadata.managedFields as { manager: string }[] | undefined)?.map((m) => m.manager)).toContain('e2e');
  });

  it('watches a collection from a resourceVersion', async () => {
    const cms = createClient(transport()).resource(RESOURCES.configmaps);
    const rv = (await cms.list({ namespace: 'default' })).metadata.resourceVersion;
    const ac = new AbortController();
    const events: string[] = [];
    const done = (async () => {
      for await (const ev of cms.watch({ namespace: 'default', resourceVersion: rv, signal: ac.signal, fieldSelector: `metadata.name=w-${tag}` })) {
        if (ev.type === 'ERROR') throw new Error(ev.object.message);
        events.push(`${ev.type} ${ev.object.metadata.name}`);
        if (events.length === 3) ac.abort();
      }
    })();
    await cms.create(cm(`w-${tag}`, { a: '1' }));
    await cms.patch(`w-${tag}`, 'merge', { data: { a: '2' } }, { namespace: 'default' });
    await cms.delete(`w-${tag}`, { namespace: 'default' });
    await done;
    expect(events).toEqual([`ADDED w-${tag}`, `MODIFIED w-${tag}`, `DELETED w-${tag}`]);
  });

  it('keeps an informer in step with adds, updates and deletes', async () => {
    const client = createClient(transport());
    const inf = new SharedInformer(RESOURCES.configmaps, { namespace: 'default', labelSelector: `inf=${tag}` }, { client, clock: new RealClock(), logger: silentLogger });
    const log: string[] = [];
    inf.addEventHandler({
      onAdd: (o) => log.push(`add ${o.metadata.name}`),
      onUpdate: (_, n) => log.push(`update ${n.metadata.name} ${n.data?.v}`),
      onDelete: (o) => log.push(`delete ${o.metadata.name}`),
    });
    const cms = client.resource(RESOURCES.configmaps);
    await cms.create({ ...cm(`before-${tag}`, {}), metadata: { name: `before-${tag}`, namespace: 'default', labels: { inf: tag } } });
    inf.start();
    await inf.waitForSync();
    await cms.create({ ...cm(`after-${tag}`, { v: '1' }), metadata: { name: `after-${tag}`, namespace: 'default', labels: { inf: tag } } });
    await cms.patch(`after-${tag}`, 'merge', { data: { v: '2' } }, { namespace: 'default' });
    await cms.delete(`before-${tag}`, { namespace: 'default' });
    await expect.poll(() => log, { timeout: 10_000 }).toEqual([`add before-${tag}`, `add after-${tag}`, `update after-${tag} 2`, `delete before-${tag}`]);
    expect(inf.lister.list('default').map((o) => o.metadata.name)).toEqual([`after-${tag}`]);
    await inf.stop();
  });
});

describe('HTTP specifics', () => {
  it('connects through the kubeconfig the server writes', async () => {
    const path = join(dir, 'kubeconfig');
    await server.writeKubeconfig(path);
    const t = new HttpTransport(await loadKubeconfig(path));
    const ns = await createClient(t).resource(RESOURCES.namespaces).get('default');
    expect(ns.metadata.name).toBe('default');
    t.close();
  });

  it('is refused without a token', async () => {
    const t = new HttpTransport({ server: server.url, ca: server.caCert });
    await expect(createClient(t).resource(RESOURCES.pods).list()).rejects.toSatisfy(isUnauthorized);
    t.close();
  });
});
