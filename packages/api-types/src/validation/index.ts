import { invalid, type FieldError } from '../errors.js';
import type { ResourceInfo } from '../resource.js';
import type { ObjectMeta } from '../meta/v1.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { validateEphemeralContainersUpdate, validatePod, validatePodResize, validatePodStatusUpdate, validatePodUpdate } from './pod-lifecycle.js';
import {
  immutableData, jobUpdate, persistentVolumeClaimUpdate, selectorImmutable, statefulSetUpdate, validateConfigMap, validateControllerRevision, validateCronJob,
  validateDaemonSet, validateDeployment, validateEvent, validateJob, validateLease, validateNamespace, validateNode,
  validatePersistentVolumeClaim, validatePodDisruptionBudget, validatePodTemplate, validateReplicaSet, validateSecret,
  validateServiceAccount, validateStatefulSet,
} from './kinds.js';

type Obj = { metadata: ObjectMeta };
type Validator = (obj: never) => FieldError[];
type UpdateRule = (next: never, old: never) => FieldError[];

const CREATE: Record<string, Validator> = {
  '/Pod': validatePod,
  '/PodTemplate': validatePodTemplate,
  '/Node': validateNode,
  '/Namespace': validateNamespace,
  '/ConfigMap': validateConfigMap,
  '/Secret': validateSecret,
  '/Event': validateEvent,
  '/ServiceAccount': validateServiceAccount,
  '/PersistentVolumeClaim': validatePersistentVolumeClaim,
  'apps/ReplicaSet': validateReplicaSet,
  'apps/Deployment': validateDeployment,
  'apps/StatefulSet': validateStatefulSet,
  'apps/DaemonSet': validateDaemonSet,
  'apps/ControllerRevision': validateControllerRevision,
  'batch/Job': validateJob,
  'batch/CronJob': validateCronJob,
  'policy/PodDisruptionBudget': validatePodDisruptionBudget,
  'coordination.k8s.io/Lease': validateLease,
};

/** Kind-specific update rules, on top of the metadata update rules every kind gets. */
const UPDATE: Record<string, UpdateRule> = {
  'apps/ReplicaSet': selectorImmutable,
  'apps/Deployment': selectorImmutable,
  'apps/DaemonSet': selectorImmutable,
  'apps/StatefulSet': (n: never, o: never) => [...selectorImmutable(n, o), ...statefulSetUpdate(n, o)],
  'batch/Job': jobUpdate,
  '/ConfigMap': immutableData,
  '/Secret': immutableData,
  '/PersistentVolumeClaim': persistentVolumeClaimUpdate,
};

const key = (info: Pick<ResourceInfo, 'group' | 'kind'>) => `${info.group}/${info.kind}`;

/**
 * Every field error of a new object of `info`'s kind (ValidateXCreate). Kinds without rules of
 * their own get the metadata rules. Expects a decoded and defaulted object.
 */
export const validateObject = (info: Pick<ResourceInfo, 'group' | 'kind' | 'namespaced'>, obj: Obj): FieldError[] => {
  const v = CREATE[key(info)];
  if (v) return v(obj as never);
  const errs: FieldError[] = [];
  validateObjectMeta(errs, obj.metadata, info.namespaced);
  return errs;
};

/**
 * Every field error of an update from `old` to `next` (ValidateXUpdate). `subresource` selects
 * the rules of `status` writes and, for pods, of `ephemeralcontainers` and `resize` writes; the
 * main resource's rules apply otherwise. For `status`, the caller has already copied the old
 * spec into `next`.
 */
export const validateObjectUpdate = (
  info: Pick<ResourceInfo, 'group' | 'kind' | 'namespaced'>, next: Obj, old: Obj, subresource?: 'status' | 'ephemeralcontainers' | 'resize',
): FieldError[] => {
  const k = key(info);
  if (k === '/Pod') {
    if (subresource === 'status') return validatePodStatusUpdate(next as never, old as never);
    if (subresource === 'ephemeralcontainers') return validateEphemeralContainersUpdate(next as never, old as never);
    if (subresource === 'resize') return validatePodResize(next as never, old as never);
    return validatePodUpdate(next as never, old as never);
  }
  const errs: FieldError[] = [];
  validateObjectMetaUpdate(errs, next.metadata, old.metadata);
  if (subresource === 'status') {
    validateObjectMeta(errs, next.metadata, info.namespaced);
    return errs;
  }
  errs.push(...validateObject(info, next));
  const rule = UPDATE[k];
  if (rule) errs.push(...rule(next as never, old as never));
  return errs;
};

/** Throws the 422 Invalid StatusError carrying every error, if there are any. */
export const throwIfInvalid = (info: Pick<ResourceInfo, 'group' | 'kind'>, obj: Obj, errs: readonly FieldError[]): void => {
  if (errs.length) throw invalid({ kind: info.kind, group: info.group || undefined, name: obj.metadata.name }, errs);
};
