import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusError } from '@peapod/api-types';
import { RealClock } from '@peapod/core';
import { createStore } from '@peapod/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type RunningApiServer } from './server.js';
import { FakeNodeStreamer } from './testing/harness.js';

// A write keeps what a patch left as stored without decoding or copying it (a status write's
// spec, managedFields), sharing the watch cache's frozen values; these pin what that must not change.
const dir = mkdtempSync(join(tmpdir(), 'peapod-status-write-'));
const store = createStore(`sqlite://${join(dir, 'state.db')}`, { clock: new RealClock() });
let server: RunningApiServer;
beforeAll(async () => { server = await startApiServer({ port: 0, pkiDir: join(dir, 'pki') }, { store, clock: new RealClock(), nodeStreamer: new FakeNodeStreamer() }); });
afterAll(async () => {
  await server?.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const PODS = '/api/v1/namespaces/default/pods';
const SMP = 'application/strategic-merge-patch+json';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const call = async (method: 'POST' | 'PATCH', path: string, body?: unknown, contentType?: string, fieldManager?: string): Promise<Json> =>
  (await server.transport().request({ method, path, body, contentType, query: fieldManager ? { fieldManager } : {} })).body;
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (err: unknown) => (err as StatusError).status);
const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'img:1' }] } });

describe('writes that keep stored parts', () => {
  it('sets a default that a spec written before that default existed lacks, as decoding the stored object would', async () => {
    // As an older server stored it: no dnsPolicy, no container terminationMessagePolicy.
    await store.create('/pods/default/old', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'old', namespace: 'default', uid: 'u-old', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { containers: [{ name: 'app', image: 'img:1' }], restartPolicy: 'Always' },
    });
    // The watch cache's objects are frozen: the write must not default them in place.
    expect(Object.isFrozen((await store.get<Json>('/pods/default/old', { resourceVersion: '0' }))!.spec)).toBe(true);
    const res = await call('PATCH', `${PODS}/old/status`, { status: { phase: 'Running' } }, SMP);
    expect(res.status.phase).toBe('Running');
    expect(res.spec.dnsPolicy).toBe('ClusterFirst');
    expect(res.spec.containers[0].terminationMessagePolicy).toBe('File');
    expect((await store.get<Json>('/pods/default/old'))!.spec.dnsPolicy).toBe('ClusterFirst');
  });

  it('refuses a status patch whose spec change does not decode, and drops one that does', async () => {
    await call('POST', PODS, pod('typed'));
    const bad = await failure(call('PATCH', `${PODS}/typed/status`, { spec: { activeDeadlineSeconds: 'soon' }, status: { phase: 'Running' } }, SMP));
    expect(bad.code).toBe(422);
    expect(bad.details?.causes?.[0]?.field).toBe('spec.activeDeadlineSeconds');
    const ok = await call('PATCH', `${PODS}/typed/status`, { spec: { activeDeadlineSeconds: 5 }, status: { phase: 'Running' } }, SMP);
    expect(ok.spec.activeDeadlineSeconds).toBeUndefined();
    expect(ok.status.phase).toBe('Running');
    expect((await store.get<Json>('/pods/default/typed'))!.spec.activeDeadlineSeconds).toBeUndefined();
  });

  it('records managedFields a patch leaves alone, and replaces those a patch sets', async () => {
    await call('POST', PODS, pod('fields'));
    const entries = (o: Json) => (o.metadata.managedFields ?? []).map((e: Json) => [e.manager, e.subresource ?? '', Object.keys(e.fieldsV1)]).sort();
    const status = await call('PATCH', `${PODS}/fields/status`, { status: { phase: 'Running' } }, SMP, 'kubelet');
    expect(entries(status)).toEqual([['kubelet', 'status', ['f:status']], ['peapod-in-process', '', ['f:spec']]]);
    const labelled = await call('PATCH', `${PODS}/fields`, { metadata: { labels: { a: 'b' } } }, SMP, 'labeller');
    expect(entries(labelled)).toEqual([['kubelet', 'status', ['f:status']], ['labeller', '', ['f:metadata']], ['peapod-in-process', '', ['f:spec']]]);
    const cleared = await call('PATCH', `${PODS}/fields`, { metadata: { managedFields: [{}] } }, 'application/merge-patch+json');
    expect(cleared.metadata.managedFields).toBeUndefined();
    expect((await store.get<Json>('/pods/default/fields'))!.metadata.managedFields).toBeUndefined();
  });
});
