import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './testing/harness.js';

/** What a create answers over HTTPS against the sqlite store: the stored object, as a GET then reads it. */
let t: TestServer;
beforeAll(async () => { t = await startTestServer({ store: 'sqlite' }); });
afterAll(async () => { await t?.close(); });

const RFC3339_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const KUBECTL_CREATE = 'kubectl-create/v1.32.4 (linux/amd64) kubernetes/5c6d5e0';

describe('create', () => {
  it('answers byte for byte what a GET of the new object returns', async () => {
    const body = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'same', labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '10m' } } }] },
    };
    const created = await t.call('POST', '/api/v1/namespaces/default/pods', { body, headers: { 'user-agent': KUBECTL_CREATE } });
    expect(created.status).toBe(201);
    const got = await t.call('GET', '/api/v1/namespaces/default/pods/same');
    expect(got.status).toBe(200);
    expect(created.text).toBe(got.text);
    expect(created.headers['content-length']).toBe(String(Buffer.byteLength(created.text)));
  });

  it('records the creator in managedFields as Kubernetes writes it, with the time in seconds', async () => {
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', labels: { app: 'web' } }, data: { a: '1', b: '' } };
    const created = await t.call('POST', '/api/v1/namespaces/default/configmaps', { body, headers: { 'user-agent': KUBECTL_CREATE } });
    expect(created.status).toBe(201);
    const { creationTimestamp, managedFields } = created.json.metadata;
    expect(creationTimestamp).toMatch(RFC3339_SECONDS);
    expect(managedFields).toEqual([{
      manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: creationTimestamp, fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
    }]);
    const yaml = await t.kubectl(['get', 'configmap', 'cm', '-o', 'yaml', '--show-managed-fields']);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toContain(`time: "${creationTimestamp}"`);
  });

  it('leaves what admission and the strategy add to a new object to no manager, as Kubernetes does', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'owned' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    const created = await t.call('POST', '/api/v1/namespaces/default/pods', { body: pod, headers: { 'user-agent': KUBECTL_CREATE } });
    expect(created.status).toBe(201);
    // Admission filled these in; defaulting (dnsPolicy, imagePullPolicy, ...) belongs to the creator.
    expect(created.json.spec).toMatchObject({ serviceAccountName: 'default', priority: 0, tolerations: expect.any(Array) });
    const spec = created.json.metadata.managedFields[0].fieldsV1['f:spec'];
    expect(Object.keys(spec)).toEqual(expect.arrayContaining(['f:containers', 'f:dnsPolicy', 'f:restartPolicy', 'f:schedulerName']));
    for (const f of ['f:tolerations', 'f:serviceAccountName', 'f:serviceAccount', 'f:priority', 'f:preemptionPolicy']) expect(spec).not.toHaveProperty([f]);

    const ns = await t.call('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'owned' } }, headers: { 'user-agent': KUBECTL_CREATE } });
    expect(ns.json.spec.finalizers).toEqual(['kubernetes']);
    expect(ns.json.metadata.managedFields[0].fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { '.': {}, 'f:kubernetes.io/metadata.name': {} } } });
  });
});
