import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/harness.js';

/** Pod Security admission through the real server, with kubectl and raw HTTPS. */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  for (const [name, labels] of Object.entries({
    'psa-enforce': { 'pod-security.kubernetes.io/enforce': 'restricted' },
    'psa-warn': { 'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/warn-version': 'latest' },
    'psa-both': { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' },
    'psa-open': {},
  })) {
    const r = await t.call('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } } });
    expect(r.status).toBe(201);
  }
});
afterAll(async () => { await t?.close(); });

const privilegedPod = (name: string) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] },
});
const restrictedPod = (name: string) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'c', image: 'busybox', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
  },
});
const PRIVILEGED_VIOLATIONS = 'privileged (container "c" must not set securityContext.privileged=true), '
  + 'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), '
  + 'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), '
  + 'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), '
  + 'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';
const deployment = (name: string) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: privilegedPod('x').spec } },
});
/** The `Warning` header's texts (`299 - "<text>"`, quotes escaped). */
const warningsOf = (h: string | string[] | undefined) =>
  (Array.isArray(h) ? h : h ? h.split(/,(?=\s*299 )/) : []).map((w) => JSON.parse(w.trim().replace(/^299 - /, '')) as string);

describe('Pod Security admission', () => {
  it('a restricted enforce namespace refuses a privileged pod with 403 and Kubernetes\' message', async () => {
    const r = await t.call('POST', '/api/v1/namespaces/psa-enforce/pods', { body: privilegedPod('priv') });
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403, details: { name: 'priv', kind: 'pods' } });
    expect(r.json.message).toBe(`pods "priv" is forbidden: violates PodSecurity "restricted:latest": ${PRIVILEGED_VIOLATIONS}`);

    const k = await t.kubectl(['apply', '-n', 'psa-enforce', '-f', '-'], { input: JSON.stringify(privilegedPod('priv')) });
    expect(k.code).not.toBe(0);
    expect(k.stderr).toContain(`pods "priv" is forbidden: violates PodSecurity "restricted:latest": ${PRIVILEGED_VIOLATIONS}`);
    expect((await t.call('GET', '/api/v1/namespaces/psa-enforce/pods/priv')).status).toBe(404);

    expect((await t.call('POST', '/api/v1/namespaces/psa-enforce/pods', { body: restrictedPod('ok') })).status).toBe(201);
  });

  it('a warn namespace creates the pod and returns the violations in a Warning header', async () => {
    const r = await t.call('POST', '/api/v1/namespaces/psa-warn/pods', { body: privilegedPod('priv') });
    expect(r.status).toBe(201);
    expect(warningsOf(r.headers.warning)).toEqual([`would violate PodSecurity "restricted:latest": ${PRIVILEGED_VIOLATIONS}`]);

    const k = await t.kubectl(['run', 'priv2', '-n', 'psa-warn', '--image=busybox', '--privileged']);
    expect(k.code).toBe(0);
    expect(k.stderr).toContain('Warning: would violate PodSecurity "restricted:latest": privileged (container "priv2" must not set securityContext.privileged=true)');
    expect(k.stdout).toContain('pod/priv2 created');
  });

  it('a Deployment is never refused: it gets the warn level\'s warning, and none from enforce alone, as in Kubernetes', async () => {
    const both = await t.call('POST', '/apis/apps/v1/namespaces/psa-both/deployments', { body: deployment('web') });
    expect(both.status).toBe(201);
    expect(warningsOf(both.headers.warning)).toEqual([`would violate PodSecurity "restricted:latest": ${PRIVILEGED_VIOLATIONS}`]);
    const k = await t.kubectl(['create', 'deployment', 'web2', '-n', 'psa-both', '--image=busybox']);
    expect(k.code).toBe(0);
    expect(k.stderr).toContain('Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "busybox" must set securityContext.allowPrivilegeEscalation=false)');

    const enforceOnly = await t.call('POST', '/apis/apps/v1/namespaces/psa-enforce/deployments', { body: deployment('web') });
    expect(enforceOnly.status).toBe(201);
    expect(enforceOnly.headers.warning).toBeUndefined();
  });

  it('pod updates are checked only when an image changes; label changes always pass', async () => {
    expect((await t.call('POST', '/api/v1/namespaces/psa-both/pods', { body: { ...restrictedPod('upd') } })).status).toBe(201);
    // The namespace loosens so a violating pod can exist, then tightens again.
    await t.kubectl(['label', '--overwrite', 'ns', 'psa-open', 'pod-security.kubernetes.io/enforce=privileged']);
    expect((await t.call('POST', '/api/v1/namespaces/psa-open/pods', { body: privilegedPod('old') })).status).toBe(201);
    await t.kubectl(['label', '--overwrite', 'ns', 'psa-open', 'pod-security.kubernetes.io/enforce=baseline']);
    const relabel = await t.call('PATCH', '/api/v1/namespaces/psa-open/pods/old', { raw: '{"metadata":{"labels":{"x":"y"}}}', contentType: 'application/merge-patch+json' });
    expect(relabel.status).toBe(200);
    const image = await t.call('PATCH', '/api/v1/namespaces/psa-open/pods/old', { raw: '{"spec":{"containers":[{"name":"c","image":"busybox:2"}]}}', contentType: 'application/strategic-merge-patch+json' });
    expect(image.status).toBe(403);
    expect(image.json.message).toBe('pods "old" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)');
  });

  it('namespace labels must be valid, and tightening enforce warns about existing pods', async () => {
    const bad = await t.call('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'psa-bad', labels: { 'pod-security.kubernetes.io/enforce': 'strict', 'pod-security.kubernetes.io/warn-version': '1.2' } } } });
    expect(bad.status).toBe(422);
    expect(bad.json.message).toBe('Namespace "psa-bad" is invalid: [metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted, metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.2": must be "latest" or "v1.x"]');

    await t.kubectl(['create', 'namespace', 'psa-later']);
    for (const n of ['a', 'b', 'c']) expect((await t.call('POST', '/api/v1/namespaces/psa-later/pods', { body: privilegedPod(n) })).status).toBe(201);
    expect((await t.call('POST', '/api/v1/namespaces/psa-later/pods', { body: { ...restrictedPod('d'), spec: { ...restrictedPod('d').spec, hostNetwork: true } } })).status).toBe(201);
    const k = await t.kubectl(['label', 'ns', 'psa-later', 'pod-security.kubernetes.io/enforce=baseline']);
    expect(k.code).toBe(0);
    expect(k.stderr).toContain('Warning: existing pods in namespace "psa-later" violate the new PodSecurity enforce level "baseline:latest"');
    expect(k.stderr).toContain('Warning: a (and 2 other pods): privileged');
    expect(k.stderr).toContain('Warning: d: host namespaces');
    const relaxed = await t.kubectl(['label', '--overwrite', 'ns', 'psa-later', 'pod-security.kubernetes.io/enforce=privileged']);
    expect(relaxed.stderr).not.toContain('Warning');
  });
});
