import type { FieldError } from '../errors.js';
import type { Binding, ConfigMap, Event, Namespace, Node, PersistentVolumeClaim, PodTemplate, PodTemplateSpec, Secret, ServiceAccount } from '../core/v1.js';
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from '../apps/v1.js';
import type { CronJob, Job, JobSpec } from '../batch/v1.js';
import type { Eviction, PodDisruptionBudget } from '../policy/v1.js';
import type { Scale } from '../autoscaling/v1.js';
import type { Lease } from '../coordination/v1.js';
import type { LabelSelector, ObjectMeta } from '../meta/v1.js';
import { deepEqual, quantityOf } from '../helpers.js';
import { compareQuantities } from '../quantity.js';
import { labelSelectorFromObject } from '../selectors.js';
import { forbidden, IMMUTABLE, invalidValue, nonNegative, notSupported, required, tooLong } from './field.js';
import { validateObjectMeta, type NameValidator } from './meta.js';
import { check, isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from './names.js';
import { validateLabelSelector, validatePodTemplateSpec } from './pod.js';

type Errs = FieldError[];
type IntOrString = number | string;

const PERCENT = /^[0-9]+%$/;
const PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";
const MAX_DATA_SIZE = 1024 * 1024;

const validateIntOrPercent = (errs: Errs, v: IntOrString | undefined, path: string, maxPercent = false) => {
  if (v === undefined) return;
  if (typeof v === 'number') nonNegative(errs, path, v);
  else if (!PERCENT.test(v)) errs.push(invalidValue(path, v, PERCENT_MSG));
  else if (maxPercent && Number(v.slice(0, -1)) > 100) errs.push(invalidValue(path, v, 'must not be greater than 100%'));
};
const isZero = (v: IntOrString | undefined) => v === 0 || v === '0%' || v === undefined;

/** Selector present, non-empty, and matching the template's labels (ValidateDeploymentSpec & co). */
const validateSelectorAndTemplate = (errs: Errs, selector: LabelSelector | undefined, template: PodTemplateSpec | undefined, path: string, what: string) => {
  if (!selector) errs.push(required(`${path}.selector`));
  else {
    validateLabelSelector(errs, selector, `${path}.selector`);
    if (!selector.matchLabels && !selector.matchExpressions?.length) errs.push(invalidValue(`${path}.selector`, selector, `empty selector is invalid for ${what}`));
  }
  if (!template) {
    errs.push(required(`${path}.template`));
    return;
  }
  validatePodTemplateSpec(errs, template, `${path}.template`);
  if (selector) {
    try {
      if (!labelSelectorFromObject(selector).matches(template.metadata?.labels ?? {})) {
        errs.push(invalidValue(`${path}.template.metadata.labels`, template.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
      }
    } catch {
      // an unparsable selector is reported by validateLabelSelector
    }
  }
};

/** Long-running controllers (ReplicaSet, Deployment, StatefulSet, DaemonSet) restart their pods. */
const validateAlwaysRestartTemplate = (errs: Errs, template: PodTemplateSpec | undefined, path: string) => {
  const spec = template?.spec;
  if (!spec) return;
  if (spec.restartPolicy && spec.restartPolicy !== 'Always') errs.push(notSupported(`${path}.template.spec.restartPolicy`, spec.restartPolicy, ['Always']));
  if (spec.activeDeadlineSeconds !== undefined) errs.push(forbidden(`${path}.template.spec.activeDeadlineSeconds`, 'activeDeadlineSeconds in ReplicaSet is not Supported'));
};

const meta = (errs: Errs, m: ObjectMeta, namespaced: boolean, name: NameValidator = isDNS1123Subdomain) => validateObjectMeta(errs, m, namespaced, name);

export const validateReplicaSet = (rs: ReplicaSet): Errs => {
  const errs: Errs = [];
  meta(errs, rs.metadata, true);
  const spec = rs.spec ?? { selector: undefined as unknown as LabelSelector };
  nonNegative(errs, 'spec.replicas', spec.replicas);
  nonNegative(errs, 'spec.minReadySeconds', spec.minReadySeconds);
  validateSelectorAndTemplate(errs, spec.selector, spec.template, 'spec', 'replicaset');
  validateAlwaysRestartTemplate(errs, spec.template, 'spec');
  return errs;
};

export const validateDeployment = (d: Deployment): Errs => {
  const errs: Errs = [];
  meta(errs, d.metadata, true);
  const spec = d.spec ?? { selector: undefined as unknown as LabelSelector, template: undefined as unknown as PodTemplateSpec };
  nonNegative(errs, 'spec.replicas', spec.replicas);
  nonNegative(errs, 'spec.minReadySeconds', spec.minReadySeconds);
  nonNegative(errs, 'spec.revisionHistoryLimit', spec.revisionHistoryLimit);
  validateSelectorAndTemplate(errs, spec.selector, spec.template, 'spec', 'deployment');
  validateAlwaysRestartTemplate(errs, spec.template, 'spec');
  const st = spec.strategy;
  if (st?.type === 'Recreate' && st.rollingUpdate) errs.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
  if (st?.type === 'RollingUpdate' && st.rollingUpdate) {
    const ru = st.rollingUpdate;
    validateIntOrPercent(errs, ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable', true);
    validateIntOrPercent(errs, ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge');
    if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge)) {
      errs.push(invalidValue('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  if (spec.progressDeadlineSeconds !== undefined) {
    nonNegative(errs, 'spec.progressDeadlineSeconds', spec.progressDeadlineSeconds);
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(invalidValue('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
};

export const validateStatefulSet = (s: StatefulSet): Errs => {
  const errs: Errs = [];
  meta(errs, s.metadata, true);
  const spec = s.spec;
  if (!spec) return [...errs, required('spec')];
  nonNegative(errs, 'spec.replicas', spec.replicas);
  nonNegative(errs, 'spec.minReadySeconds', spec.minReadySeconds);
  nonNegative(errs, 'spec.revisionHistoryLimit', spec.revisionHistoryLimit);
  validateSelectorAndTemplate(errs, spec.selector, spec.template, 'spec', 'statefulset');
  validateAlwaysRestartTemplate(errs, spec.template, 'spec');
  const us = spec.updateStrategy;
  if (us?.type === 'OnDelete' && us.rollingUpdate) errs.push(invalidValue('spec.updateStrategy.rollingUpdate', us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
  nonNegative(errs, 'spec.updateStrategy.rollingUpdate.partition', us?.rollingUpdate?.partition);
  if (spec.serviceName) check(errs, 'spec.serviceName', spec.serviceName, isDNS1123Label);
  nonNegative(errs, 'spec.ordinals.start', spec.ordinals?.start);
  spec.volumeClaimTemplates?.forEach((t, i) => {
    const p = `spec.volumeClaimTemplates[${i}]`;
    if (!t.metadata.name) errs.push(required(`${p}.metadata.name`));
    else check(errs, `${p}.metadata.name`, t.metadata.name, isDNS1123Label);
  });
  return errs;
};

export const validateDaemonSet = (ds: DaemonSet): Errs => {
  const errs: Errs = [];
  meta(errs, ds.metadata, true);
  const spec = ds.spec;
  if (!spec) return [...errs, required('spec')];
  nonNegative(errs, 'spec.minReadySeconds', spec.minReadySeconds);
  nonNegative(errs, 'spec.revisionHistoryLimit', spec.revisionHistoryLimit);
  validateSelectorAndTemplate(errs, spec.selector, spec.template, 'spec', 'daemonset');
  validateAlwaysRestartTemplate(errs, spec.template, 'spec');
  const ru = spec.updateStrategy?.type === 'RollingUpdate' ? spec.updateStrategy.rollingUpdate : undefined;
  if (ru) {
    validateIntOrPercent(errs, ru.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable', true);
    validateIntOrPercent(errs, ru.maxSurge, 'spec.updateStrategy.rollingUpdate.maxSurge', true);
    if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge)) {
      errs.push(invalidValue('spec.updateStrategy.rollingUpdate.maxUnavailable', ru.maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  return errs;
};

const validateJobSpec = (errs: Errs, spec: JobSpec, path: string) => {
  for (const k of ['parallelism', 'completions', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes'] as const) {
    nonNegative(errs, path, spec[k], k);
  }
  if (spec.selector) validateLabelSelector(errs, spec.selector, `${path}.selector`);
  validatePodTemplateSpec(errs, spec.template, `${path}.template`);
  if (spec.selector && spec.template.metadata?.labels && !labelSelectorFromObject(spec.selector).matches(spec.template.metadata.labels)) {
    errs.push(invalidValue(`${path}.template.metadata.labels`, spec.template.metadata.labels, '`selector` does not match template `labels`'));
  }
  const policy = spec.template.spec?.restartPolicy;
  if (spec.podFailurePolicy && policy !== 'Never') {
    errs.push(invalidValue(`${path}.template.spec.restartPolicy`, policy ?? '', 'only "Never" is supported when podFailurePolicy is specified'));
  } else if (policy !== 'OnFailure' && policy !== 'Never') {
    errs.push(notSupported(`${path}.template.spec.restartPolicy`, policy ?? '', ['OnFailure', 'Never']));
  }
  if (spec.completionMode === 'Indexed' && spec.completions === undefined) errs.push(required(`${path}.completions`, 'when completion mode is Indexed'));
  if (spec.backoffLimitPerIndex !== undefined && spec.completionMode !== 'Indexed') errs.push(forbidden(`${path}.backoffLimitPerIndex`, 'requires indexed completion mode'));
  if (spec.maxFailedIndexes !== undefined && spec.backoffLimitPerIndex === undefined) errs.push(required(`${path}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified'));
};

export const validateJob = (job: Job): Errs => {
  const errs: Errs = [];
  meta(errs, job.metadata, true);
  if (!job.spec) return [...errs, required('spec')];
  validateJobSpec(errs, job.spec, 'spec');
  return errs;
};

/** Five fields (or six with seconds-less macros) or a `@` descriptor; TZ belongs in `timeZone`. */
const validateSchedule = (errs: Errs, schedule: string, path: string) => {
  if (!schedule) return errs.push(required(path));
  if (/^(CRON_)?TZ=/.test(schedule)) return errs.push(invalidValue(path, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  const macros = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
  const ok = schedule.startsWith('@') ? macros.includes(schedule) || /^@every \S+$/.test(schedule) : schedule.trim().split(/\s+/).length === 5;
  if (!ok) errs.push(invalidValue(path, schedule, `unparseable schedule`));
};

export const validateCronJob = (cj: CronJob): Errs => {
  const errs: Errs = [];
  meta(errs, cj.metadata, true);
  // Job names add an 11-character suffix to the CronJob's name and must stay within 63.
  if (cj.metadata.name && cj.metadata.name.length > 52) errs.push(invalidValue('metadata.name', cj.metadata.name, 'must be no more than 52 characters'));
  const spec = cj.spec;
  if (!spec) return [...errs, required('spec')];
  validateSchedule(errs, spec.schedule, 'spec.schedule');
  for (const k of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'] as const) nonNegative(errs, `spec.${k}`, spec[k]);
  if (!spec.jobTemplate.spec) errs.push(required('spec.jobTemplate.spec'));
  else validateJobSpec(errs, spec.jobTemplate.spec, 'spec.jobTemplate.spec');
  return errs;
};

export const validateControllerRevision = (r: ControllerRevision): Errs => {
  const errs: Errs = [];
  meta(errs, r.metadata, true);
  nonNegative(errs, 'revision', r.revision);
  return errs;
};

export const validatePodTemplate = (t: PodTemplate): Errs => {
  const errs: Errs = [];
  meta(errs, t.metadata, true);
  if (!t.template) errs.push(required('template'));
  else validatePodTemplateSpec(errs, t.template, 'template');
  return errs;
};

export const validateNamespace = (ns: Namespace): Errs => {
  const errs: Errs = [];
  meta(errs, ns.metadata, false, isDNS1123Label);
  ns.spec?.finalizers?.forEach((f, i) => check(errs, `spec.finalizers[${i}]`, f, isQualifiedName));
  return errs;
};

export const validateNode = (n: Node): Errs => {
  const errs: Errs = [];
  meta(errs, n.metadata, false);
  n.spec?.taints?.forEach((t, i) => {
    const p = `spec.taints[${i}]`;
    check(errs, `${p}.key`, t.key, isQualifiedName);
  });
  return errs;
};

const validateDataKeys = (errs: Errs, data: Record<string, string> | undefined, path: string, other?: Record<string, string>, otherName?: string): number => {
  let size = 0;
  for (const k in data ?? {}) {
    check(errs, `${path}[${k}]`, k, isConfigMapKey);
    if (other && k in other) errs.push(invalidValue(`${path}[${k}]`, k, `duplicate of key present in ${otherName}`));
    size += data![k].length;
  }
  return size;
};

export const validateConfigMap = (cm: ConfigMap): Errs => {
  const errs: Errs = [];
  meta(errs, cm.metadata, true);
  const size = validateDataKeys(errs, cm.data, 'data', cm.binaryData, 'binaryData') + validateDataKeys(errs, cm.binaryData, 'binaryData');
  if (size > MAX_DATA_SIZE) errs.push(tooLong('data', MAX_DATA_SIZE));
  return errs;
};

/** Keys each built-in secret type requires. */
const SECRET_REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

export const validateSecret = (s: Secret): Errs => {
  const errs: Errs = [];
  meta(errs, s.metadata, true);
  const size = validateDataKeys(errs, s.data, 'data') + validateDataKeys(errs, s.stringData, 'stringData');
  if (size > MAX_DATA_SIZE) errs.push(tooLong('data', MAX_DATA_SIZE));
  for (const key of SECRET_REQUIRED_KEYS[s.type ?? ''] ?? []) {
    if (!(key in (s.data ?? {})) && !(key in (s.stringData ?? {}))) errs.push(required(`data[${key}]`));
  }
  if (s.type === 'kubernetes.io/service-account-token' && !s.metadata.annotations?.['kubernetes.io/service-account.name']) {
    errs.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  return errs;
};

export const validateServiceAccount = (sa: ServiceAccount): Errs => {
  const errs: Errs = [];
  meta(errs, sa.metadata, true);
  return errs;
};

export const validatePersistentVolumeClaim = (pvc: PersistentVolumeClaim): Errs => {
  const errs: Errs = [];
  meta(errs, pvc.metadata, true);
  const spec = pvc.spec ?? {};
  if (!spec.accessModes?.length) errs.push(required('spec.accessModes', 'at least 1 access mode is required'));
  spec.accessModes?.forEach((m, i) => {
    const modes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
    if (!modes.includes(m)) errs.push(notSupported(`spec.accessModes[${i}]`, m, modes));
  });
  if (!spec.dataSource && !spec.resources?.requests?.storage) errs.push(required('spec.resources[storage]'));
  return errs;
};

export const validateEvent = (e: Event): Errs => {
  const errs: Errs = [];
  meta(errs, e.metadata, true);
  const ns = e.involvedObject.namespace;
  if (ns && e.metadata.namespace && ns !== e.metadata.namespace) errs.push(invalidValue('involvedObject.namespace', ns, 'does not match event.namespace'));
  return errs;
};

export const validatePodDisruptionBudget = (pdb: PodDisruptionBudget): Errs => {
  const errs: Errs = [];
  meta(errs, pdb.metadata, true);
  const spec = pdb.spec ?? {};
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) errs.push(invalidValue('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  validateIntOrPercent(errs, spec.minAvailable, 'spec.minAvailable', true);
  validateIntOrPercent(errs, spec.maxUnavailable, 'spec.maxUnavailable', true);
  validateLabelSelector(errs, spec.selector, 'spec.selector');
  return errs;
};

export const validateLease = (l: Lease): Errs => {
  const errs: Errs = [];
  meta(errs, l.metadata, true);
  const d = l.spec?.leaseDurationSeconds;
  if (d !== undefined && d <= 0) errs.push(invalidValue('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  nonNegative(errs, 'spec.leaseTransitions', l.spec?.leaseTransitions);
  return errs;
};

/** Generic metadata-only validation for kinds without rules of their own. */
export const validateMetadataOnly = (namespaced: boolean) => (obj: { metadata: ObjectMeta }): Errs => {
  const errs: Errs = [];
  meta(errs, obj.metadata, namespaced);
  return errs;
};

// ---- update rules beyond metadata ----

type Spec = { spec?: Record<string, unknown> };

/** apps/v1 selectors never change after creation. */
export const selectorImmutable = (next: Spec, old: Spec): Errs =>
  deepEqual(next.spec?.selector, old.spec?.selector) ? [] : [invalidValue('spec.selector', next.spec?.selector, IMMUTABLE)];

const STS_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

export const statefulSetUpdate = (next: StatefulSet, old: StatefulSet): Errs => {
  const strip = (s: StatefulSet) => Object.fromEntries(Object.entries(s.spec ?? {}).filter(([k]) => !STS_MUTABLE.includes(k)));
  if (deepEqual(strip(next), strip(old))) return [];
  return [forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")];
};

/** Job selector and completion mode are fixed; the pod template only changes while suspended. */
export const jobUpdate = (next: Job, old: Job): Errs => {
  const errs = selectorImmutable(next as Spec, old as Spec);
  if (next.spec?.completionMode !== old.spec?.completionMode) errs.push(invalidValue('spec.completionMode', next.spec?.completionMode, IMMUTABLE));
  if (!next.spec?.suspend && !deepEqual(next.spec?.template, old.spec?.template)) errs.push(invalidValue('spec.template', next.spec?.template, IMMUTABLE));
  return errs;
};

/** An `immutable: true` ConfigMap or Secret keeps its data and its immutability. */
export const immutableData = (next: ConfigMap | Secret, old: ConfigMap | Secret): Errs => {
  const errs: Errs = [];
  if ('type' in old && (next as Secret).type !== old.type) errs.push(invalidValue('type', (next as Secret).type, IMMUTABLE));
  if (!old.immutable) return errs;
  if (!next.immutable) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  const keys = ['data', 'binaryData', 'stringData'] as const;
  for (const k of keys) {
    if (k in old || k in next) {
      if (!deepEqual((next as Record<string, unknown>)[k], (old as Record<string, unknown>)[k])) errs.push(forbidden(k, 'field is immutable when `immutable` is set'));
    }
  }
  return errs;
};

// ---- subresource bodies ----

/** `pods/binding`: the target is a Node (kind empty or `Node`) with a name. */
export const validateBinding = (b: Binding): Errs => {
  const errs: Errs = [];
  if (b.target.kind && b.target.kind !== 'Node') errs.push(notSupported('target.kind', b.target.kind, ['Node', '<empty>']));
  if (!b.target.name) errs.push(required('target.name'));
  return errs;
};

/** The `scale` subresource: replicas are not negative. */
export const validateScale = (s: Scale): Errs => {
  const errs: Errs = [];
  nonNegative(errs, 'spec.replicas', s.spec?.replicas);
  return errs;
};

/** `pods/eviction`: a non-negative grace period and a known propagation policy, if given. */
export const validateEviction = (e: Eviction): Errs => {
  const errs: Errs = [];
  const o = e.deleteOptions;
  nonNegative(errs, 'deleteOptions.gracePeriodSeconds', o?.gracePeriodSeconds);
  if (o?.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(o.propagationPolicy)) {
    errs.push(notSupported('deleteOptions.propagationPolicy', o.propagationPolicy, ['Foreground', 'Background', 'Orphan']));
  }
  return errs;
};

/** A claim's spec is fixed after creation except its storage request, which may only grow. */
export const persistentVolumeClaimUpdate = (next: PersistentVolumeClaim, old: PersistentVolumeClaim): Errs => {
  const strip = (p: PersistentVolumeClaim) => ({ ...p.spec, resources: { ...p.spec?.resources, requests: undefined }, volumeAttributesClassName: undefined });
  if (!deepEqual(strip(next), strip(old))) {
    return [forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims')];
  }
  const [n, o] = [next.spec?.resources?.requests?.storage, old.spec?.resources?.requests?.storage];
  const [nq, oq] = [n === undefined ? null : quantityOf(n), o === undefined ? null : quantityOf(o)];
  if (nq && oq && compareQuantities(nq, oq) < 0) return [forbidden('spec.resources.requests.storage', 'field can not be less than previous value')];
  return [];
};
