import { RESOURCES, type ResourceInfo } from '@peapod/api-types';
import type { Logger } from '@peapod/core';
import { createMemoryStore } from '@peapod/store';
import { afterEach, describe, expect, it } from 'vitest';
import type { Obj } from '../obj.js';
import { ResourceRegistry } from '../registry.js';
import { AUDIT_VIOLATIONS, ENFORCE_POLICY, PodSecurityAdmission } from './admission.js';

const store = createMemoryStore();
afterEach(async () => { for (const ns of (await store.list<Obj>('/namespaces/')).items) await store.delete(`/namespaces/${ns.metadata.name}`); });
const registry = new ResourceRegistry(Object.values(RESOURCES) as Iterable<ResourceInfo<unknown>>);
const pods = registry.mustGet('', 'pods');
const logged: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
const logger: Logger = {
  debug: () => undefined, info: (msg, fields) => logged.push({ msg, fields }), warn: (msg, fields) => logged.push({ msg, fields }), error: () => undefined,
  child: () => logger,
};
const psa = new PodSecurityAdmission(store, registry, logger, { get: (name) => store.get<Obj>(`/namespaces/${name}`, { ignoreNotFound: true }) });
const namespace = (name: string, labels: Record<string, string>) => store.create(`/namespaces/${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const pod = (spec: Record<string, unknown> = {}): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } });

describe('PodSecurityAdmission', () => {
  it('audit records the violation with Kubernetes\' annotation keys, and neither rejects nor warns', async () => {
    await namespace('ns', { 'pod-security.kubernetes.io/audit': 'baseline', 'pod-security.kubernetes.io/audit-version': 'v1.30' });
    logged.length = 0;
    const warnings: string[] = [];
    await psa.validate(pods, pod({ hostPID: true }), undefined, undefined, warnings);
    expect(warnings).toEqual([]);
    expect(logged).toEqual([{ msg: 'PodSecurity audit', fields: {
      namespace: 'ns', resource: 'pods', name: 'p', [ENFORCE_POLICY]: 'privileged:latest',
      [AUDIT_VIOLATIONS]: 'would violate PodSecurity "baseline:v1.30": host namespaces (hostPID=true)',
    } }]);
  });

  it('an unparseable enforce label fails closed to restricted:latest and is logged', async () => {
    await namespace('ns', { 'pod-security.kubernetes.io/enforce': 'bogus' });
    logged.length = 0;
    await expect(psa.validate(pods, pod(), undefined, undefined, [])).rejects.toMatchObject({ code: 403, message: expect.stringContaining('violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false') });
    expect(logged[0]).toMatchObject({ msg: 'failed to parse PodSecurity namespace labels' });
  });

  it('status and binding writes are not checked; an added ephemeral container is', async () => {
    await namespace('ns', { 'pod-security.kubernetes.io/enforce': 'baseline' });
    const old = pod();
    const bad = pod({ hostNetwork: true });
    await psa.validate(pods, bad, old, 'status', []);
    await psa.validate(pods, bad, old, 'binding', []);
    const debug = pod({ ephemeralContainers: [{ name: 'debug', image: 'x', securityContext: { privileged: true } }] });
    await expect(psa.validate(pods, debug, old, 'ephemeralcontainers', [])).rejects.toMatchObject({
      message: 'pods "p" is forbidden: violates PodSecurity "baseline:latest": privileged (container "debug" must not set securityContext.privileged=true)',
    });
  });

  it('workload templates are found where each kind keeps them, and only warned about', async () => {
    await namespace('ns', { 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'baseline' });
    const spec = { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 80 }] }] };
    const cron = { metadata: { name: 'cj', namespace: 'ns' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec } } } } };
    const warnings: string[] = [];
    await psa.validate(registry.mustGet('batch', 'cronjobs'), cron, undefined, undefined, warnings);
    await psa.validate(registry.mustGet('', 'podtemplates'), { metadata: { name: 't', namespace: 'ns' }, template: { spec } }, undefined, undefined, warnings);
    expect(warnings).toEqual(['would violate PodSecurity "baseline:latest": hostPort (container "c" uses hostPort 80)']);
    await psa.validate(registry.mustGet('apps', 'deployments'), { ...cron, spec: { template: { spec } } }, undefined, 'status', warnings);
    expect(warnings).toHaveLength(1);
  });

  it('kube-system and mirror pods get no exemption: without labels they are privileged, with labels they are checked', async () => {
    const mirror = { ...pod({ hostNetwork: true }), metadata: { name: 'etcd-n1', namespace: 'kube-system', annotations: { 'kubernetes.io/config.mirror': 'x' } } };
    await namespace('kube-system', {});
    await psa.validate(pods, mirror, undefined, undefined, []);
    await store.delete('/namespaces/kube-system');
    await namespace('kube-system', { 'pod-security.kubernetes.io/enforce': 'baseline' });
    await expect(psa.validate(pods, mirror, undefined, undefined, [])).rejects.toMatchObject({ code: 403 });
  });
});
