import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../resources.js';
import { applyDefaults } from '../defaults.js';
import { validateObject, validateObjectUpdate } from './index.js';
import type { ResourceInfo } from '../resource.js';
import type { ObjectMeta } from '../meta/v1.js';
import type { PodSpec, PodTemplateSpec, ConfigMap, PersistentVolumeClaim } from '../core/v1.js';
import type { Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec } from '../apps/v1.js';
import type { Job, JobSpec } from '../batch/v1.js';

type Obj = { metadata: ObjectMeta; [k: string]: unknown };
const lines = (info: ResourceInfo, obj: Obj) => validateObject(info, applyDefaults(info, obj)).map((e) => `${e.field}: ${e.message}`);
const tmpl = (labels: Record<string, string> = { app: 'web' }, restartPolicy?: PodSpec['restartPolicy']): PodTemplateSpec => ({
  metadata: { labels },
  spec: { ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name: 'c', image: 'nginx' }] },
});
const m = (name = 'x') => ({ name, namespace: 'default' });
/** Deployment-shaped objects (also used for ReplicaSets, StatefulSets and DaemonSets, whose specs share these fields). */
const deploy = (spec: Partial<StatefulSetSpec & DeploymentSpec> | Record<string, unknown> = {}): Deployment & StatefulSet =>
  ({ metadata: m('web'), spec: { selector: { matchLabels: { app: 'web' } }, template: tmpl(), ...spec } }) as Deployment & StatefulSet;
const job = (spec: Partial<JobSpec> | Record<string, unknown> = {}): Job => ({ metadata: m('j'), spec: { template: tmpl({ app: 'j' }, 'Never'), ...spec } }) as Job;

const cases: [string, ResourceInfo, Obj, string[]][] = [
  ['valid deployment', RESOURCES.deployments, deploy(), []],
  ['deployment without selector', RESOURCES.deployments, { metadata: m(), spec: { template: tmpl() } }, ['spec.selector: Required value']],
  ['deployment with empty selector', RESOURCES.deployments, deploy({ selector: {} }), ['spec.selector: Invalid value: {}: empty selector is invalid for deployment']],
  ['deployment selector not matching template', RESOURCES.deployments, deploy({ template: tmpl({ app: 'other' }) }), ['spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`']],
  ['deployment negative replicas', RESOURCES.deployments, deploy({ replicas: -1 }), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
  ['deployment template restartPolicy Never', RESOURCES.deployments, deploy({ template: tmpl({ app: 'web' }, 'Never') }), ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']],
  ['deployment template with activeDeadlineSeconds', RESOURCES.deployments, deploy({ template: { ...tmpl(), spec: { activeDeadlineSeconds: 5, containers: [{ name: 'c', image: 'x' }] } } }), ['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported']],
  ['deployment maxUnavailable and maxSurge both 0', RESOURCES.deployments, deploy({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '0%' } } }), ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0']],
  ['deployment maxUnavailable over 100%', RESOURCES.deployments, deploy({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%' } } }), ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%']],
  ['deployment maxSurge not a percent', RESOURCES.deployments, deploy({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots' } } }), ['spec.strategy.rollingUpdate.maxSurge: Invalid value: "lots": a valid percent string must be']],
  ['deployment Recreate with rollingUpdate', RESOURCES.deployments, deploy({ strategy: { type: 'Recreate', rollingUpdate: {} } }), ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]],
  ['deployment progress deadline not above minReadySeconds', RESOURCES.deployments, deploy({ minReadySeconds: 10, progressDeadlineSeconds: 10 }), ['spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds']],
  ['deployment template with invalid pod spec', RESOURCES.deployments, deploy({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'C', image: 'x' }] } } }), ['spec.template.spec.containers[0].name: Invalid value: "C": a lowercase RFC 1123 label']],
  ['deployment template needs no image', RESOURCES.deployments, deploy({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c' }] } } }), []],
  ['valid replicaset', RESOURCES.replicasets, deploy(), []],
  ['replicaset selector by expression', RESOURCES.replicasets, deploy({ selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] } }), []],
  ['replicaset selector expression with bad operator', RESOURCES.replicasets, deploy({ selector: { matchExpressions: [{ key: 'app', operator: 'Like', values: ['x'] }] } }), ['spec.selector.matchExpressions[0].operator: Invalid value: "Like": not a valid selector operator']],
  ['valid statefulset', RESOURCES.statefulsets, deploy({ serviceName: 'web', volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }] }), []],
  ['statefulset negative partition', RESOURCES.statefulsets, deploy({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1 } } }), ['spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0']],
  ['statefulset OnDelete with rollingUpdate', RESOURCES.statefulsets, deploy({ updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } } }), ["spec.updateStrategy.rollingUpdate: Invalid value: {\"partition\":1}: only allowed for updateStrategy 'RollingUpdate'"]],
  ['statefulset bad claim template name', RESOURCES.statefulsets, deploy({ volumeClaimTemplates: [{ metadata: { name: 'Data' }, spec: {} }] }), ['spec.volumeClaimTemplates[0].metadata.name: Invalid value: "Data": a lowercase RFC 1123 label']],
  ['valid daemonset', RESOURCES.daemonsets, deploy(), []],
  ['daemonset both zero', RESOURCES.daemonsets, deploy({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } }), ['spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0']],
  ['valid job', RESOURCES.jobs, job(), []],
  ['job with restartPolicy Always', RESOURCES.jobs, job({ template: tmpl({ app: 'j' }, 'Always') }), ['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']],
  ['job without restartPolicy (defaulted to Always)', RESOURCES.jobs, job({ template: tmpl({ app: 'j' }) }), ['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']],
  ['job negative backoffLimit', RESOURCES.jobs, job({ backoffLimit: -1 }), ['spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0']],
  ['indexed job without completions', RESOURCES.jobs, job({ completionMode: 'Indexed', parallelism: 2 }), ['spec.completions: Required value: when completion mode is Indexed']],
  ['backoffLimitPerIndex needs Indexed', RESOURCES.jobs, job({ backoffLimitPerIndex: 1 }), ['spec.backoffLimitPerIndex: Forbidden: requires indexed completion mode']],
  ['podFailurePolicy needs Never', RESOURCES.jobs, job({ template: tmpl({ app: 'j' }, 'OnFailure'), podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] } }), ['spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified']],
  ['job selector not matching template', RESOURCES.jobs, job({ manualSelector: true, selector: { matchLabels: { app: 'x' } } }), ['spec.template.metadata.labels: Invalid value: {"app":"j"}: `selector` does not match template `labels`']],
  ['valid cronjob', RESOURCES.cronjobs, { metadata: m('nightly'), spec: { schedule: '0 3 * * *', jobTemplate: { spec: job().spec } } }, []],
  ['cronjob @hourly', RESOURCES.cronjobs, { metadata: m('h'), spec: { schedule: '@hourly', jobTemplate: { spec: job().spec } } }, []],
  ['cronjob bad schedule', RESOURCES.cronjobs, { metadata: m('c'), spec: { schedule: 'every day', jobTemplate: { spec: job().spec } } }, ['spec.schedule: Invalid value: "every day": unparseable schedule']],
  ['cronjob TZ in schedule', RESOURCES.cronjobs, { metadata: m('c'), spec: { schedule: 'TZ=UTC 0 3 * * *', jobTemplate: { spec: job().spec } } }, ['spec.schedule: Invalid value: "TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']],
  ['cronjob name over 52', RESOURCES.cronjobs, { metadata: m('c'.repeat(53)), spec: { schedule: '* * * * *', jobTemplate: { spec: job().spec } } }, [`metadata.name: Invalid value: "${'c'.repeat(53)}": must be no more than 52 characters`]],
  ['cronjob job template checked', RESOURCES.cronjobs, { metadata: m('c'), spec: { schedule: '* * * * *', jobTemplate: { spec: { ...job().spec, parallelism: -2 } } } }, ['spec.jobTemplate.spec.parallelism: Invalid value: -2: must be greater than or equal to 0']],
  ['namespace name must be a DNS label', RESOURCES.namespaces, { metadata: { name: 'team.a' } }, ['metadata.name: Invalid value: "team.a": a lowercase RFC 1123 label']],
  ['cluster-scoped object with a namespace', RESOURCES.nodes, { metadata: { name: 'n1', namespace: 'default' } }, ['metadata.namespace: Forbidden: not allowed on this type']],
  ['node taint with bad key', RESOURCES.nodes, { metadata: { name: 'n1' }, spec: { taints: [{ key: 'a b', effect: 'NoSchedule' }] } }, ['spec.taints[0].key: Invalid value: "a b": name part must consist of']],
  ['configmap bad key', RESOURCES.configmaps, { metadata: m(), data: { 'a b': '1' } }, ['data[a b]: Invalid value: "a b": a valid config key must consist of']],
  ['configmap key in data and binaryData', RESOURCES.configmaps, { metadata: m(), data: { a: '1' }, binaryData: { a: 'MQ==' } }, ['data[a]: Invalid value: "a": duplicate of key present in binaryData']],
  ['configmap over 1 MiB', RESOURCES.configmaps, { metadata: m(), data: { a: 'x'.repeat(1024 * 1024 + 1) } }, ['data: Too long: may not be more than 1048576 bytes']],
  ['tls secret without key', RESOURCES.secrets, { metadata: m(), type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } }, ['data[tls.key]: Required value']],
  ['service account token secret without annotation', RESOURCES.secrets, { metadata: m(), type: 'kubernetes.io/service-account-token' }, ['metadata.annotations[kubernetes.io/service-account.name]: Required value']],
  ['pvc without access modes and size', RESOURCES.persistentvolumeclaims, { metadata: m(), spec: {} }, ['spec.accessModes: Required value: at least 1 access mode is required', 'spec.resources[storage]: Required value']],
  ['pvc unknown access mode', RESOURCES.persistentvolumeclaims, { metadata: m(), spec: { accessModes: ['ReadWriteSometimes'], resources: { requests: { storage: '1Gi' } } } }, ['spec.accessModes[0]: Unsupported value: "ReadWriteSometimes"']],
  ['pdb with both minAvailable and maxUnavailable', RESOURCES.poddisruptionbudgets, { metadata: m(), spec: { minAvailable: 1, maxUnavailable: '10%' } }, ['spec: Invalid value: {"minAvailable":1,"maxUnavailable":"10%"}: minAvailable and maxUnavailable cannot be both set']],
  ['lease with zero duration', RESOURCES.leases, { metadata: m(), spec: { leaseDurationSeconds: 0 } }, ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']],
  ['event for an object in another namespace', RESOURCES.events, { metadata: m('e'), involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' } }, ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']],
  ['pod template', RESOURCES.podtemplates, { metadata: m(), template: { spec: { containers: [] } } }, ['template.spec.containers: Required value']],
  ['serviceaccount bad name', RESOURCES.serviceaccounts, { metadata: m('SA') }, ['metadata.name: Invalid value: "SA": a lowercase RFC 1123 subdomain']],
  ['controller revision negative revision', RESOURCES.controllerrevisions, { metadata: m(), revision: -1 }, ['revision: Invalid value: -1: must be greater than or equal to 0']],
];

describe('validateObject', () => {
  it.each(cases)('%s', (_n, info, obj, want) => {
    const got = lines(info, obj);
    for (const w of want) expect(got.some((g) => g.startsWith(w)), got.join('\n')).toBe(true);
    expect(got, got.join('\n')).toHaveLength(want.length);
  });
});

describe('validateObjectUpdate', () => {
  const stored = <T extends Obj>(info: ResourceInfo, o: T): T => {
    applyDefaults(info, o);
    o.metadata.uid = 'u1';
    return o;
  };
  it('apps selectors are immutable', () => {
    const old = stored(RESOURCES.deployments, deploy());
    const next = structuredClone(old);
    next.spec!.selector.matchLabels!.tier = 'x';
    next.spec!.template.metadata!.labels!.tier = 'x';
    expect(validateObjectUpdate(RESOURCES.deployments, next, old).map((e) => `${e.field}: ${e.message}`)).toEqual(['spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"x"}}: field is immutable']);
  });
  it('deployment scaling and template changes are fine', () => {
    const old = stored(RESOURCES.deployments, deploy());
    const next = structuredClone(old);
    next.spec!.replicas = 5;
    next.spec!.template.spec!.containers[0].image = 'nginx:2';
    expect(validateObjectUpdate(RESOURCES.deployments, next, old)).toEqual([]);
  });
  it('statefulset: only some spec fields change', () => {
    const old = stored(RESOURCES.statefulsets, deploy({ serviceName: 'web' }));
    const scaled = structuredClone(old);
    scaled.spec!.replicas = 3;
    expect(validateObjectUpdate(RESOURCES.statefulsets, scaled, old)).toEqual([]);
    const renamed = structuredClone(old);
    renamed.spec!.serviceName = 'other';
    expect(validateObjectUpdate(RESOURCES.statefulsets, renamed, old).map((e) => e.message)[0]).toMatch(/^Forbidden: updates to statefulset spec for fields other than 'replicas'/);
  });
  it('job template is immutable unless suspended', () => {
    const old = stored(RESOURCES.jobs, job());
    const next = structuredClone(old);
    next.spec!.template.spec!.containers[0].image = 'x';
    expect(validateObjectUpdate(RESOURCES.jobs, next, old).map((e) => e.field)).toEqual(['spec.template']);
    next.spec!.suspend = true;
    expect(validateObjectUpdate(RESOURCES.jobs, next, old)).toEqual([]);
  });
  it('immutable configmaps keep their data', () => {
    const old = stored<ConfigMap>(RESOURCES.configmaps, { metadata: m(), data: { a: '1' }, immutable: true });
    const next = structuredClone(old);
    next.data!.a = '2';
    expect(validateObjectUpdate(RESOURCES.configmaps, next, old).map((e) => `${e.field}: ${e.message}`)).toEqual(['data: Forbidden: field is immutable when `immutable` is set']);
    const mutable = stored<ConfigMap>(RESOURCES.configmaps, { metadata: m(), data: { a: '1' } });
    const changed = structuredClone(mutable);
    changed.data!.a = '2';
    expect(validateObjectUpdate(RESOURCES.configmaps, changed, mutable)).toEqual([]);
  });
  it('secret type is immutable', () => {
    const old = stored(RESOURCES.secrets, { metadata: m(), data: {} });
    const next = { ...structuredClone(old), type: 'example.com/custom' };
    expect(validateObjectUpdate(RESOURCES.secrets, next, old).map((e) => e.field)).toEqual(['type']);
  });
  it('pvc spec is fixed except a growing storage request', () => {
    const old = stored<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, { metadata: m(), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    const grow = structuredClone(old);
    grow.spec!.resources!.requests!.storage = '2Gi';
    expect(validateObjectUpdate(RESOURCES.persistentvolumeclaims, grow, old)).toEqual([]);
    const shrink = structuredClone(old);
    shrink.spec!.resources!.requests!.storage = '512Mi';
    expect(validateObjectUpdate(RESOURCES.persistentvolumeclaims, shrink, old).map((e) => `${e.field}: ${e.message}`)).toEqual(['spec.resources.requests.storage: Forbidden: field can not be less than previous value']);
    const modes = structuredClone(old);
    modes.spec!.accessModes = ['ReadWriteMany'];
    expect(validateObjectUpdate(RESOURCES.persistentvolumeclaims, modes, old).map((e) => e.message)).toEqual(['Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims']);
  });
  it('status updates of other kinds check metadata only', () => {
    const old = stored(RESOURCES.deployments, deploy());
    const next = structuredClone(old);
    next.spec!.selector = {};
    expect(validateObjectUpdate(RESOURCES.deployments, next, old, 'status')).toEqual([]);
    next.metadata.name = 'other';
    expect(validateObjectUpdate(RESOURCES.deployments, next, old, 'status').map((e) => e.field)).toEqual(['metadata.name']);
  });
  it('kinds without their own rules get the metadata rules', () => {
    expect(validateObject(RESOURCES['events.events.k8s.io'], { metadata: { name: 'e' } }).map((e) => e.field)).toEqual(['metadata.namespace']);
  });
});
