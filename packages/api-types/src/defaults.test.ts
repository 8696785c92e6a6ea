import { describe, expect, it } from 'vitest';
import {
  admitPodDefaults, applyDefaults, defaultCronJob, defaultDaemonSet, defaultDeployment, defaultImagePullPolicy, defaultJob,
  defaultNamespace, defaultNode, defaultPersistentVolumeClaim, defaultPod, defaultReplicaSet, defaultSecret, defaultStatefulSet,
} from './defaults.js';
import { RESOURCES } from './resources.js';
import type { Pod } from './core/v1.js';
import type { Deployment } from './apps/v1.js';
import { webPod } from './testdata/objects.js';

const tmpl = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };

describe('defaultImagePullPolicy', () => {
  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['localhost:5000/nginx', 'Always'],
    ['localhost:5000/nginx:1.0', 'IfNotPresent'],
    ['nginx@sha256:0123456789abcdef', 'IfNotPresent'],
    ['nginx:1.0@sha256:0123456789abcdef', 'IfNotPresent'],
  ])('%s -> %s', (image, policy) => expect(defaultImagePullPolicy(image)).toBe(policy));
});

describe('defaultPod', () => {
  const pod = defaultPod(webPod());
  const spec = pod.spec!;
  it('fills pod spec defaults', () => {
    expect(spec).toMatchObject({
      restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler',
      securityContext: {}, enableServiceLinks: true,
    });
  });
  it('fills container defaults in every container list', () => {
    for (const c of [...spec.initContainers!, ...spec.containers]) {
      expect(c.terminationMessagePath).toBe('/dev/termination-log');
      expect(c.terminationMessagePolicy).toBe('File');
    }
    expect(spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(spec.containers[1].imagePullPolicy).toBe('Always');
    expect(spec.containers[0].ports![0].protocol).toBe('TCP');
    expect(spec.containers[1].ports![0].protocol).toBe('UDP');
  });
  it('fills probe and handler defaults but not initialDelaySeconds', () => {
    expect(spec.containers[0].readinessProbe).toEqual({
      httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3,
    });
    expect(spec.containers[0].livenessProbe).toMatchObject({ initialDelaySeconds: 10, periodSeconds: 10 });
    expect(spec.initContainers![1].startupProbe).toMatchObject({ timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  });
  it('defaults requests to limits only where a request is missing', () => {
    expect(spec.containers[0].resources).toEqual({ requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    expect(spec.containers[1].resources!.requests).toEqual({ cpu: '100m', memory: '64Mi' });
  });
  it('defaults volume modes and downward API versions', () => {
    expect(spec.volumes![1].configMap!.defaultMode).toBe(0o644);
    expect(spec.volumes![2].downwardAPI).toMatchObject({ defaultMode: 420, items: [{ fieldRef: { apiVersion: 'v1' } }] });
    expect(spec.containers[0].env![0].valueFrom!.fieldRef!.apiVersion).toBe('v1');
  });
  it('gives a volume without a source an emptyDir', () => {
    const p = defaultPod({ metadata: {}, spec: { containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'v' }] } });
    expect(p.spec!.volumes![0]).toEqual({ name: 'v', emptyDir: {} });
  });
  it('keeps explicit values', () => {
    const p = defaultPod({ metadata: {}, spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, enableServiceLinks: false, containers: [{ name: 'c', image: 'x', imagePullPolicy: 'Never' }] } });
    expect(p.spec).toMatchObject({ restartPolicy: 'Never', terminationGracePeriodSeconds: 0, enableServiceLinks: false });
    expect(p.spec!.containers[0].imagePullPolicy).toBe('Never');
  });
  it('sets hostPort from containerPort under hostNetwork', () => {
    const p = defaultPod({ metadata: {}, spec: { hostNetwork: true, containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80 }] }] } });
    expect(p.spec!.containers[0].ports![0].hostPort).toBe(80);
  });
  it('is idempotent', () => {
    const once = defaultPod(webPod());
    expect(defaultPod(structuredClone(once))).toEqual(once);
  });
  it('does not set serviceAccountName or priority (admission does)', () => {
    expect(spec.serviceAccountName).toBeUndefined();
    expect(spec.priority).toBeUndefined();
  });
});

describe('admitPodDefaults', () => {
  it('sets service account, priority and the default NoExecute tolerations', () => {
    const p = admitPodDefaults(defaultPod(webPod())).spec!;
    expect(p).toMatchObject({ serviceAccountName: 'default', serviceAccount: 'default', priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
    expect(p.tolerations).toContainEqual({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    expect(p.tolerations).toContainEqual({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  });
  it('a match-all toleration covers both default tolerations', () => {
    const pod: Pod = { metadata: {}, spec: { containers: [{ name: 'c', image: 'x' }], tolerations: [{ operator: 'Exists' }] } };
    expect(admitPodDefaults(pod).spec!.tolerations).toEqual([{ operator: 'Exists' }]);
  });
  it('does not duplicate a toleration the pod already has', () => {
    const pod: Pod = { metadata: {}, spec: { containers: [{ name: 'c', image: 'x' }], tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] } };
    const t = admitPodDefaults(pod).spec!.tolerations!;
    expect(t.filter((x) => x.key === 'node.kubernetes.io/unreachable')).toEqual([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }]);
  });
});

describe('workload defaults', () => {
  it('Deployment: replicas 1, RollingUpdate 25%/25%, history 10, deadline 600, template defaulted', () => {
    const d = defaultDeployment({ metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'a' } }, template: structuredClone(tmpl) } });
    expect(d.spec).toMatchObject({ replicas: 1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 });
    expect(d.spec!.template.spec!.restartPolicy).toBe('Always');
    expect(d.spec!.template.spec!.enableServiceLinks).toBeUndefined();
  });
  it('Deployment with Recreate gets no rollingUpdate', () => {
    const d = defaultDeployment({ metadata: {}, spec: { selector: {}, strategy: { type: 'Recreate' }, template: structuredClone(tmpl) } });
    expect(d.spec!.strategy).toEqual({ type: 'Recreate' });
  });
  it('ReplicaSet: replicas 1', () => {
    expect(defaultReplicaSet({ metadata: {}, spec: { selector: {}, template: structuredClone(tmpl) } }).spec!.replicas).toBe(1);
  });
  it('StatefulSet: OrderedReady, RollingUpdate partition 0, Retain/Retain', () => {
    const s = defaultStatefulSet({ metadata: {}, spec: { selector: {}, serviceName: 's', template: structuredClone(tmpl), volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] } });
    expect(s.spec).toMatchObject({
      replicas: 1, podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    expect(s.spec!.volumeClaimTemplates![0].spec!.volumeMode).toBe('Filesystem');
  });
  it('DaemonSet: RollingUpdate maxUnavailable 1 maxSurge 0', () => {
    const ds = defaultDaemonSet({ metadata: {}, spec: { selector: {}, template: structuredClone(tmpl) } });
    expect(ds.spec).toMatchObject({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 });
  });
  it.each([
    [{}, { completions: 1, parallelism: 1 }],
    [{ completions: 5 }, { completions: 5, parallelism: 1 }],
    [{ parallelism: 3 }, { parallelism: 3 }],
  ])('Job completions/parallelism %j', (given, want) => {
    const j = defaultJob({ metadata: {}, spec: { ...given, template: structuredClone(tmpl) } });
    expect(j.spec).toMatchObject({ ...want, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, podReplacementPolicy: 'TerminatingOrFailed' });
    if (!('completions' in want)) expect(j.spec!.completions).toBeUndefined();
  });
  it('Job takes template labels when it has none; backoffLimitPerIndex lifts backoffLimit', () => {
    const j = defaultJob({ metadata: {}, spec: { backoffLimitPerIndex: 1, completionMode: 'Indexed', completions: 3, template: structuredClone(tmpl) } });
    expect(j.metadata.labels).toEqual({ app: 'a' });
    expect(j.spec!.backoffLimit).toBe(2147483647);
  });
  it('Job with a pod failure policy: condition status True, replacement Failed', () => {
    const j = defaultJob({ metadata: {}, spec: { template: structuredClone(tmpl), podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' } as never] }] } } });
    expect(j.spec!.podFailurePolicy!.rules[0].onPodConditions![0].status).toBe('True');
    expect(j.spec!.podReplacementPolicy).toBe('Failed');
  });
  it('CronJob: Allow, history 3/1, job template defaulted', () => {
    const cj = defaultCronJob({ metadata: {}, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: structuredClone(tmpl) } } } });
    expect(cj.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, jobTemplate: { spec: { backoffLimit: 6 } } });
  });
});

describe('other kinds', () => {
  it('Namespace gets its name label and phase Active', () => {
    expect(defaultNamespace({ metadata: { name: 'team' } })).toEqual({ metadata: { name: 'team', labels: { 'kubernetes.io/metadata.name': 'team' } }, status: { phase: 'Active' } });
  });
  it('Secret type Opaque', () => expect(defaultSecret({ metadata: {} }).type).toBe('Opaque'));
  it('Secret stringData is merged into data as base64 and dropped', () => {
    const s = defaultSecret({ metadata: {}, data: { a: 'eA==', b: 'eQ==' }, stringData: { b: 'héllo', c: 'z' } });
    expect(s).toEqual({ metadata: {}, type: 'Opaque', data: { a: 'eA==', b: Buffer.from('héllo').toString('base64'), c: 'eg==' } });
  });
  it('PVC volumeMode Filesystem, phase Pending', () => {
    expect(defaultPersistentVolumeClaim({ metadata: {}, spec: {} })).toMatchObject({ spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
  });
  it('Node allocatable defaults to capacity', () => {
    expect(defaultNode({ metadata: {}, status: { capacity: { cpu: '2' } } }).status!.allocatable).toEqual({ cpu: '2' });
  });
  it('applyDefaults dispatches by group and kind and leaves other kinds alone', () => {
    const d: Deployment = applyDefaults(RESOURCES.deployments, { metadata: {}, spec: { selector: {}, template: structuredClone(tmpl) } });
    expect(d.spec!.replicas).toBe(1);
    const cm = { metadata: { name: 'c' }, data: { a: 'b' } };
    expect(applyDefaults(RESOURCES.configmaps, structuredClone(cm))).toEqual(cm);
  });
});
