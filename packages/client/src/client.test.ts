import { RESOURCES, isBadRequest, type Pod } from '@peapod/api-types';
import { describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import type { ApiRequest, ApiResponse, KubeObject, Transport, WatchEvent } from './types.js';

/** Records requests and answers each with an empty object. */
function recorder() {
  const seen: ApiRequest[] = [];
  const transport: Transport = {
    async request(req): Promise<ApiResponse> { seen.push(req); return { status: 200, body: { metadata: {} } }; },
    async *watch(req): AsyncIterable<WatchEvent<KubeObject>> { seen.push(req); yield* []; },
    async *stream(req): AsyncIterable<Uint8Array> { seen.push(req); yield new TextEncoder().encode('hi'); },
  };
  const last = () => {
    const r = seen.at(-1)!;
    const q = Object.entries(r.query ?? {}).filter(([, v]) => v !== undefined);
    return { ...r, query: Object.fromEntries(q) };
  };
  return { client: createClient(transport), seen, last };
}

const pod = (name: string, namespace?: string): Pod => ({ metadata: { name, namespace }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }) as Pod;

describe('createClient URLs', () => {
  it('addresses core namespaced objects and their subresources', async () => {
    const { client, last } = recorder();
    const pods = client.resource(RESOURCES.pods);
    await pods.get('web', { namespace: 'default' });
    expect(last()).toMatchObject({ method: 'GET', path: '/api/v1/namespaces/default/pods/web' });
    await pods.updateStatus(pod('web', 'prod'));
    expect(last()).toMatchObject({ method: 'PUT', path: '/api/v1/namespaces/prod/pods/web/status' });
    await pods.createSubresource('web', 'binding', { target: { name: 'n1' } }, { namespace: 'prod' });
    expect(last()).toMatchObject({ method: 'POST', path: '/api/v1/namespaces/prod/pods/web/binding', body: { target: { name: 'n1' } } });
  });

  it('addresses group resources under /apis/<group>/<version>', async () => {
    const { client, last } = recorder();
    await client.resource(RESOURCES.deployments).getSubresource('api', 'scale', { namespace: 'ns1' });
    expect(last().path).toBe('/apis/apps/v1/namespaces/ns1/deployments/api/scale');
    await client.resource(RESOURCES.leases).list({ namespace: 'kube-node-lease' });
    expect(last().path).toBe('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases');
  });

  it('addresses cluster-scoped resources without a namespace segment, even when one is given', async () => {
    const { client, last } = recorder();
    await client.resource(RESOURCES.nodes).get('node-1', { namespace: 'ignored' });
    expect(last().path).toBe('/api/v1/nodes/node-1');
    await client.resource(RESOURCES.namespaces).updateSubresource('team-a', 'finalize', { metadata: { name: 'team-a' } });
    expect(last()).toMatchObject({ method: 'PUT', path: '/api/v1/namespaces/team-a/finalize' });
  });

  it('lists across all namespaces when none is given and passes list options as query parameters', async () => {
    const { client, last } = recorder();
    await client.resource(RESOURCES.pods).list({ labelSelector: 'app=web', fieldSelector: 'spec.nodeName=n1', limit: 500, continue: 'tok', resourceVersion: '0', resourceVersionMatch: 'NotOlderThan' });
    expect(last()).toMatchObject({
      path: '/api/v1/pods',
      query: { labelSelector: 'app=web', fieldSelector: 'spec.nodeName=n1', limit: '500', continue: 'tok', resourceVersion: '0', resourceVersionMatch: 'NotOlderThan' },
    });
  });

  it('escapes names that are not URL-safe', async () => {
    const { client, last } = recorder();
    await client.resource(RESOURCES.configmaps).get('a b/c', { namespace: 'n' });
    expect(last().path).toBe('/api/v1/namespaces/n/configmaps/a%20b%2Fc');
  });

  it('creates in the object namespace, fills apiVersion/kind and sends write options', async () => {
    const { client, last } = recorder();
    await client.resource(RESOURCES.pods).create(pod('web', 'prod'), { dryRun: true, fieldManager: 'me', fieldValidation: 'Strict' });
    expect(last()).toMatchObject({
      method: 'POST',
      path: '/api/v1/namespaces/prod/pods',
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } },
      query: { dryRun: 'All', fieldManager: 'me', fieldValidation: 'Strict' },
    });
    await client.resource(RESOURCES.deployments).create({ metadata: { name: 'd' } } as never, { namespace: 'x' });
    expect(last().body).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
  });

  it('refuses a namespaced request without a namespace, or with two different ones', async () => {
    const { client, seen } = recorder();
    const pods = client.resource(RESOURCES.pods);
    await expect(pods.get('web')).rejects.toSatisfy(isBadRequest);
    await expect(pods.create(pod('web', 'a'), { namespace: 'b' })).rejects.toSatisfy(isBadRequest);
    await expect(pods.create(pod('web'))).rejects.toSatisfy(isBadRequest);
    expect(seen).toHaveLength(0);
  });

  it('sends each patch type with its content type; apply needs a field manager and may force', async () => {
    const { client, last } = recorder();
    const pods = client.resource(RESOURCES.pods);
    const cases = [
      ['json', 'application/json-patch+json'],
      ['merge', 'application/merge-patch+json'],
      ['strategic', 'application/strategic-merge-patch+json'],
      ['apply', 'application/apply-patch+yaml'],
    ] as const;
    for (const [type, contentType] of cases) {
      await pods.patch('web', type, { metadata: { labels: { a: 'b' } } }, { namespace: 'n', fieldManager: 'kubectl', force: true });
      expect(last()).toMatchObject({ method: 'PATCH', path: '/api/v1/namespaces/n/pods/web', contentType });
      expect(last().query.force).toBe(type === 'apply' ? 'true' : undefined);
    }
    await pods.patch('web', 'merge', { status: {} }, { namespace: 'n', subresource: 'status' });
    expect(last().path).toBe('/api/v1/namespaces/n/pods/web/status');
    await expect(pods.patch('web', 'apply', {}, { namespace: 'n' })).rejects.toSatisfy(isBadRequest);
  });

  it('sends DeleteOptions as the body of deletes and collection deletes', async () => {
    const { client, last } = recorder();
    const pods = client.resource(RESOURCES.pods);
    await pods.delete('web', { namespace: 'n', gracePeriodSeconds: 0, propagationPolicy: 'Foreground', preconditions: { uid: 'u1' }, dryRun: true });
    expect(last()).toMatchObject({
      method: 'DELETE',
      path: '/api/v1/namespaces/n/pods/web',
      body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, propagationPolicy: 'Foreground', preconditions: { uid: 'u1' }, dryRun: ['All'] },
    });
    await client.resource(RESOURCES.jobs).deleteCollection({ namespace: 'n', labelSelector: 'job=x', propagationPolicy: 'Background' });
    expect(last()).toMatchObject({ method: 'DELETE', path: '/apis/batch/v1/namespaces/n/jobs', query: { labelSelector: 'job=x' }, body: { propagationPolicy: 'Background' } });
  });

  it('watches with watch=true and the watch options', async () => {
    const { client, last } = recorder();
    for await (const _ of client.resource(RESOURCES.pods).watch({ namespace: 'n', resourceVersion: '42', allowWatchBookmarks: true, timeoutSeconds: 300, sendInitialEvents: false })) { /* empty */ }
    expect(last()).toMatchObject({
      path: '/api/v1/namespaces/n/pods',
      query: { watch: 'true', resourceVersion: '42', allowWatchBookmarks: 'true', timeoutSeconds: '300', sendInitialEvents: 'false' },
    });
  });

  it('streams pod logs from the log subresource with the log options', async () => {
    const { client, last } = recorder();
    const chunks: Uint8Array[] = [];
    for await (const c of client.podLogs('n', 'web', { container: 'app', follow: true, tailLines: 10, timestamps: true, limitBytes: 100, sinceSeconds: 5, previous: false })) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe('hi');
    expect(last()).toMatchObject({
      path: '/api/v1/namespaces/n/pods/web/log',
      query: { container: 'app', follow: 'true', tailLines: '10', timestamps: 'true', limitBytes: '100', sinceSeconds: '5', previous: 'false' },
    });
  });

  it('hands out one resource client per resource', () => {
    const { client } = recorder();
    expect(client.resource(RESOURCES.pods)).toBe(client.resource(RESOURCES.pods));
  });
});
