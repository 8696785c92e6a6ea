import { CoreV1Api, KubeConfig, Watch, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './testing/harness.js';

/** The official JavaScript client (@kubernetes/client-node 1.4) against the server over HTTPS. */
let t: TestServer;
let kc: KubeConfig;
let api: CoreV1Api;
beforeAll(async () => {
  t = await startTestServer();
  kc = new KubeConfig();
  kc.loadFromFile(t.kubeconfig);
  api = kc.makeApiClient(CoreV1Api);
});
afterAll(async () => { await t?.close(); });

const pod = (name: string): V1Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'cn' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
const waitFor = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(cond()).toBe(true);
};

describe('@kubernetes/client-node', () => {
  it('creates, reads, lists, replaces and deletes pods', async () => {
    const created = await api.createNamespacedPod({ namespace: 'default', body: pod('crud') });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.status?.phase).toBe('Pending');
    const read = await api.readNamespacedPod({ name: 'crud', namespace: 'default' });
    expect(read.spec?.restartPolicy).toBe('Always');
    read.metadata!.labels = { ...read.metadata!.labels, updated: 'yes' };
    const replaced = await api.replaceNamespacedPod({ name: 'crud', namespace: 'default', body: read });
    expect(replaced.metadata?.labels?.updated).toBe('yes');
    const list = await api.listNamespacedPod({ namespace: 'default', labelSelector: 'updated=yes' });
    expect(list.items.map((p) => p.metadata?.name)).toEqual(['crud']);
    await api.deleteNamespacedPod({ name: 'crud', namespace: 'default' });
    await expect(api.readNamespacedPod({ name: 'crud', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
  });

  it('watches pod events', async () => {
    const seen: string[] = [];
    const list = await api.listNamespacedPod({ namespace: 'default' });
    const ctrl = await new Watch(kc).watch('/api/v1/namespaces/default/pods', { resourceVersion: list.metadata?.resourceVersion }, (type, obj: V1Pod) => { seen.push(`${type} ${obj.metadata?.name}`); }, () => undefined);
    await api.createNamespacedPod({ namespace: 'default', body: pod('watched') });
    await api.deleteNamespacedPod({ name: 'watched', namespace: 'default' });
    await waitFor(() => seen.length >= 2);
    ctrl.abort();
    expect(seen).toEqual(['ADDED watched', 'DELETED watched']);
  });

  it('an informer sees adds, updates and deletes', async () => {
    const informer = makeInformer(kc, '/api/v1/namespaces/default/pods', () => api.listNamespacedPod({ namespace: 'default', labelSelector: 'app=inf' }), 'app=inf');
    const events: string[] = [];
    informer.on('add', (p) => events.push(`add ${p.metadata?.name}`));
    informer.on('update', (p) => events.push(`update ${p.metadata?.name} ${p.metadata?.labels?.v ?? ''}`));
    informer.on('delete', (p) => events.push(`delete ${p.metadata?.name}`));
    await informer.start();
    try {
      await api.createNamespacedPod({ namespace: 'default', body: { ...pod('inf'), metadata: { name: 'inf', labels: { app: 'inf' } } } });
      await waitFor(() => events.includes('add inf'));
      await api.patchNamespacedPod({ name: 'inf', namespace: 'default', body: [{ op: 'add', path: '/metadata/labels/v', value: '2' }] });
      await waitFor(() => events.includes('update inf 2'));
      await api.deleteNamespacedPod({ name: 'inf', namespace: 'default' });
      await waitFor(() => events.includes('delete inf'));
      expect(informer.list().map((p) => p.metadata?.name)).toEqual([]);
    } finally {
      await informer.stop();
    }
  });
});
