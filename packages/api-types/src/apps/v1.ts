import { z } from 'zod';
import { def, int32, int64, intOrString, listOf, rawExtension, time, withPatchMeta } from '../schema.js';
import { LabelSelectorSchema, ObjectMetaSchema } from '../meta/v1.js';
import { PersistentVolumeClaimSchema, PodTemplateSpecSchema } from '../core/v1.js';

// apps/v1 workloads. Names, types and list semantics follow Kubernetes' OpenAPI.

export const ReplicaSetSpecSchema = def('io.k8s.api.apps.v1.ReplicaSetSpec', {
  minReadySeconds: int32.optional(),
  replicas: int32.optional(),
  selector: LabelSelectorSchema,
  template: PodTemplateSpecSchema.optional(),
});
export type ReplicaSetSpec = z.infer<typeof ReplicaSetSpecSchema>;

export const ReplicaSetConditionSchema = def('io.k8s.api.apps.v1.ReplicaSetCondition', {
  lastTransitionTime: time.optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  status: z.string(),
  type: z.string(),
});
export type ReplicaSetCondition = z.infer<typeof ReplicaSetConditionSchema>;

export const ReplicaSetStatusSchema = def('io.k8s.api.apps.v1.ReplicaSetStatus', {
  availableReplicas: int32.optional(),
  conditions: listOf(ReplicaSetConditionSchema, { patchMergeKey: 'type', patchStrategy: 'merge' }).optional(),
  fullyLabeledReplicas: int32.optional(),
  observedGeneration: int64.optional(),
  readyReplicas: int32.optional(),
  replicas: int32,
});
export type ReplicaSetStatus = z.infer<typeof ReplicaSetStatusSchema>;

export const ReplicaSetSchema = def('io.k8s.api.apps.v1.ReplicaSet', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: ReplicaSetSpecSchema.optional(),
  status: ReplicaSetStatusSchema.optional(),
}, { gvk: { group: 'apps', version: 'v1', kind: 'ReplicaSet' } });
export type ReplicaSet = z.infer<typeof ReplicaSetSchema>;

export const RollingUpdateDeploymentSchema = def('io.k8s.api.apps.v1.RollingUpdateDeployment', {
  maxSurge: intOrString.optional(),
  maxUnavailable: intOrString.optional(),
});
export type RollingUpdateDeployment = z.infer<typeof RollingUpdateDeploymentSchema>;

export const DeploymentStrategySchema = def('io.k8s.api.apps.v1.DeploymentStrategy', {
  rollingUpdate: RollingUpdateDeploymentSchema.optional(),
  type: z.enum(['Recreate', 'RollingUpdate']).optional(),
});
export type DeploymentStrategy = z.infer<typeof DeploymentStrategySchema>;

export const DeploymentSpecSchema = def('io.k8s.api.apps.v1.DeploymentSpec', {
  minReadySeconds: int32.optional(),
  paused: z.boolean().optional(),
  progressDeadlineSeconds: int32.optional(),
  replicas: int32.optional(),
  revisionHistoryLimit: int32.optional(),
  selector: LabelSelectorSchema,
  strategy: withPatchMeta(DeploymentStrategySchema.optional(), { patchStrategy: 'retainKeys' }),
  template: PodTemplateSpecSchema,
});
export type DeploymentSpec = z.infer<typeof DeploymentSpecSchema>;

export const DeploymentConditionSchema = def('io.k8s.api.apps.v1.DeploymentCondition', {
  lastTransitionTime: time.optional(),
  lastUpdateTime: time.optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  status: z.string(),
  type: z.string(),
});
export type DeploymentCondition = z.infer<typeof DeploymentConditionSchema>;

export const DeploymentStatusSchema = def('io.k8s.api.apps.v1.DeploymentStatus', {
  availableReplicas: int32.optional(),
  collisionCount: int32.optional(),
  conditions: listOf(DeploymentConditionSchema, { patchMergeKey: 'type', patchStrategy: 'merge' }).optional(),
  observedGeneration: int64.optional(),
  readyReplicas: int32.optional(),
  replicas: int32.optional(),
  unavailableReplicas: int32.optional(),
  updatedReplicas: int32.optional(),
});
export type DeploymentStatus = z.infer<typeof DeploymentStatusSchema>;

export const DeploymentSchema = def('io.k8s.api.apps.v1.Deployment', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: DeploymentSpecSchema.optional(),
  status: DeploymentStatusSchema.optional(),
}, { gvk: { group: 'apps', version: 'v1', kind: 'Deployment' } });
export type Deployment = z.infer<typeof DeploymentSchema>;

export const StatefulSetOrdinalsSchema = def('io.k8s.api.apps.v1.StatefulSetOrdinals', {
  start: int32.optional(),
});
export type StatefulSetOrdinals = z.infer<typeof StatefulSetOrdinalsSchema>;

export const StatefulSetPersistentVolumeClaimRetentionPolicySchema = def('io.k8s.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy', {
  whenDeleted: z.enum(['Delete', 'Retain']).optional(),
  whenScaled: z.enum(['Delete', 'Retain']).optional(),
});
export type StatefulSetPersistentVolumeClaimRetentionPolicy = z.infer<typeof StatefulSetPersistentVolumeClaimRetentionPolicySchema>;

export const RollingUpdateStatefulSetStrategySchema = def('io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy', {
  maxUnavailable: intOrString.optional(),
  partition: int32.optional(),
});
export type RollingUpdateStatefulSetStrategy = z.infer<typeof RollingUpdateStatefulSetStrategySchema>;

export const StatefulSetUpdateStrategySchema = def('io.k8s.api.apps.v1.StatefulSetUpdateStrategy', {
  rollingUpdate: RollingUpdateStatefulSetStrategySchema.optional(),
  type: z.enum(['OnDelete', 'RollingUpdate']).optional(),
});
export type StatefulSetUpdateStrategy = z.infer<typeof StatefulSetUpdateStrategySchema>;

export const StatefulSetSpecSchema = def('io.k8s.api.apps.v1.StatefulSetSpec', {
  minReadySeconds: int32.optional(),
  ordinals: StatefulSetOrdinalsSchema.optional(),
  persistentVolumeClaimRetentionPolicy: StatefulSetPersistentVolumeClaimRetentionPolicySchema.optional(),
  podManagementPolicy: z.enum(['OrderedReady', 'Parallel']).optional(),
  replicas: int32.optional(),
  revisionHistoryLimit: int32.optional(),
  selector: LabelSelectorSchema,
  serviceName: z.string(),
  template: PodTemplateSpecSchema,
  updateStrategy: StatefulSetUpdateStrategySchema.optional(),
  volumeClaimTemplates: z.array(PersistentVolumeClaimSchema).optional(),
});
export type StatefulSetSpec = z.infer<typeof StatefulSetSpecSchema>;

export const StatefulSetConditionSchema = def('io.k8s.api.apps.v1.StatefulSetCondition', {
  lastTransitionTime: time.optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  status: z.string(),
  type: z.string(),
});
export type StatefulSetCondition = z.infer<typeof StatefulSetConditionSchema>;

export const StatefulSetStatusSchema = def('io.k8s.api.apps.v1.StatefulSetStatus', {
  availableReplicas: int32.optional(),
  collisionCount: int32.optional(),
  conditions: listOf(StatefulSetConditionSchema, { patchMergeKey: 'type', patchStrategy: 'merge' }).optional(),
  currentReplicas: int32.optional(),
  currentRevision: z.string().optional(),
  observedGeneration: int64.optional(),
  readyReplicas: int32.optional(),
  replicas: int32,
  updateRevision: z.string().optional(),
  updatedReplicas: int32.optional(),
});
export type StatefulSetStatus = z.infer<typeof StatefulSetStatusSchema>;

export const StatefulSetSchema = def('io.k8s.api.apps.v1.StatefulSet', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: StatefulSetSpecSchema.optional(),
  status: StatefulSetStatusSchema.optional(),
}, { gvk: { group: 'apps', version: 'v1', kind: 'StatefulSet' } });
export type StatefulSet = z.infer<typeof StatefulSetSchema>;

export const RollingUpdateDaemonSetSchema = def('io.k8s.api.apps.v1.RollingUpdateDaemonSet', {
  maxSurge: intOrString.optional(),
  maxUnavailable: intOrString.optional(),
});
export type RollingUpdateDaemonSet = z.infer<typeof RollingUpdateDaemonSetSchema>;

export const DaemonSetUpdateStrategySchema = def('io.k8s.api.apps.v1.DaemonSetUpdateStrategy', {
  rollingUpdate: RollingUpdateDaemonSetSchema.optional(),
  type: z.enum(['OnDelete', 'RollingUpdate']).optional(),
});
export type DaemonSetUpdateStrategy = z.infer<typeof DaemonSetUpdateStrategySchema>;

export const DaemonSetSpecSchema = def('io.k8s.api.apps.v1.DaemonSetSpec', {
  minReadySeconds: int32.optional(),
  revisionHistoryLimit: int32.optional(),
  selector: LabelSelectorSchema,
  template: PodTemplateSpecSchema,
  updateStrategy: DaemonSetUpdateStrategySchema.optional(),
});
export type DaemonSetSpec = z.infer<typeof DaemonSetSpecSchema>;

export const DaemonSetConditionSchema = def('io.k8s.api.apps.v1.DaemonSetCondition', {
  lastTransitionTime: time.optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  status: z.string(),
  type: z.string(),
});
export type DaemonSetCondition = z.infer<typeof DaemonSetConditionSchema>;

export const DaemonSetStatusSchema = def('io.k8s.api.apps.v1.DaemonSetStatus', {
  collisionCount: int32.optional(),
  conditions: listOf(DaemonSetConditionSchema, { patchMergeKey: 'type', patchStrategy: 'merge' }).optional(),
  currentNumberScheduled: int32,
  desiredNumberScheduled: int32,
  numberAvailable: int32.optional(),
  numberMisscheduled: int32,
  numberReady: int32,
  numberUnavailable: int32.optional(),
  observedGeneration: int64.optional(),
  updatedNumberScheduled: int32.optional(),
});
export type DaemonSetStatus = z.infer<typeof DaemonSetStatusSchema>;

export const DaemonSetSchema = def('io.k8s.api.apps.v1.DaemonSet', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: DaemonSetSpecSchema.optional(),
  status: DaemonSetStatusSchema.optional(),
}, { gvk: { group: 'apps', version: 'v1', kind: 'DaemonSet' } });
export type DaemonSet = z.infer<typeof DaemonSetSchema>;

export const ControllerRevisionSchema = def('io.k8s.api.apps.v1.ControllerRevision', {
  apiVersion: z.string().optional(),
  data: rawExtension.optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  revision: int64,
}, { gvk: { group: 'apps', version: 'v1', kind: 'ControllerRevision' } });
export type ControllerRevision = z.infer<typeof ControllerRevisionSchema>;
