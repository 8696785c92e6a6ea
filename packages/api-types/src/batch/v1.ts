import { z } from 'zod';
import { def, int32, int64, listOf, time } from '../schema.js';
import { LabelSelectorSchema, ObjectMetaSchema } from '../meta/v1.js';
import { ObjectReferenceSchema, PodTemplateSpecSchema } from '../core/v1.js';

// batch/v1. Names, types and list semantics follow Kubernetes' OpenAPI, plus the Job fields added
// since v1.27 (backoffLimitPerIndex, maxFailedIndexes, podReplacementPolicy, successPolicy, managedBy).

export const SuccessPolicyRuleSchema = def('io.k8s.api.batch.v1.SuccessPolicyRule', {
  succeededCount: int32.optional(),
  succeededIndexes: z.string().optional(),
});

export const SuccessPolicySchema = def('io.k8s.api.batch.v1.SuccessPolicy', {
  rules: listOf(SuccessPolicyRuleSchema, { listType: 'atomic' }),
});
export type SuccessPolicy = z.infer<typeof SuccessPolicySchema>;

export const PodFailurePolicyOnExitCodesRequirementSchema = def('io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement', {
  containerName: z.string().optional(),
  operator: z.string(),
  values: listOf(int32, { listType: 'set' }),
});
export type PodFailurePolicyOnExitCodesRequirement = z.infer<typeof PodFailurePolicyOnExitCodesRequirementSchema>;

export const PodFailurePolicyOnPodConditionsPatternSchema = def('io.k8s.api.batch.v1.PodFailurePolicyOnPodConditionsPattern', {
  status: z.string(),
  type: z.string(),
});
export type PodFailurePolicyOnPodConditionsPattern = z.infer<typeof PodFailurePolicyOnPodConditionsPatternSchema>;

export const PodFailurePolicyRuleSchema = def('io.k8s.api.batch.v1.PodFailurePolicyRule', {
  action: z.enum(['Count', 'FailIndex', 'FailJob', 'Ignore']),
  onExitCodes: PodFailurePolicyOnExitCodesRequirementSchema.optional(),
  onPodConditions: listOf(PodFailurePolicyOnPodConditionsPatternSchema, { listType: 'atomic' }),

});
export type PodFailurePolicyRule = z.infer<typeof PodFailurePolicyRuleSchema>;

export const PodFailurePolicySchema = def('io.k8s.api.batch.v1.PodFailurePolicy', {
  rules: listOf(PodFailurePolicyRuleSchema, { listType: 'atomic' }),
});
export type PodFailurePolicy = z.infer<typeof PodFailurePolicySchema>;

export const JobSpecSchema = def('io.k8s.api.batch.v1.JobSpec', {
  activeDeadlineSeconds: int64.optional(),
  backoffLimit: int32.optional(),
  completionMode: z.enum(['Indexed', 'NonIndexed']).optional(),
  completions: int32.optional(),
  manualSelector: z.boolean().optional(),
  parallelism: int32.optional(),
  podFailurePolicy: PodFailurePolicySchema.optional(),
  selector: LabelSelectorSchema.optional(),
  suspend: z.boolean().optional(),
  template: PodTemplateSpecSchema,
  ttlSecondsAfterFinished: int32.optional(),
  backoffLimitPerIndex: int32.optional(),
  managedBy: z.string().optional(),
  maxFailedIndexes: int32.optional(),
  podReplacementPolicy: z.enum(['Failed', 'TerminatingOrFailed']).optional(),
  successPolicy: SuccessPolicySchema.optional(),
});
export type JobSpec = z.infer<typeof JobSpecSchema>;

export const JobConditionSchema = def('io.k8s.api.batch.v1.JobCondition', {
  lastProbeTime: time.optional(),
  lastTransitionTime: time.optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  status: z.string(),
  type: z.string(),
});
export type JobCondition = z.infer<typeof JobConditionSchema>;

export const UncountedTerminatedPodsSchema = def('io.k8s.api.batch.v1.UncountedTerminatedPods', {
  failed: listOf(z.string(), { listType: 'set' }).optional(),
  succeeded: listOf(z.string(), { listType: 'set' }).optional(),
});
export type UncountedTerminatedPods = z.infer<typeof UncountedTerminatedPodsSchema>;

export const JobStatusSchema = def('io.k8s.api.batch.v1.JobStatus', {
  active: int32.optional(),
  completedIndexes: z.string().optional(),
  completionTime: time.optional(),
  conditions: listOf(JobConditionSchema, { listType: 'atomic', patchMergeKey: 'type', patchStrategy: 'merge' }).optional(),
  failed: int32.optional(),
  ready: int32.optional(),
  startTime: time.optional(),
  succeeded: int32.optional(),
  uncountedTerminatedPods: UncountedTerminatedPodsSchema.optional(),
  failedIndexes: z.string().optional(),
  terminating: int32.optional(),
});
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const JobSchema = def('io.k8s.api.batch.v1.Job', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: JobSpecSchema.optional(),
  status: JobStatusSchema.optional(),
}, { gvk: { group: 'batch', version: 'v1', kind: 'Job' } });
export type Job = z.infer<typeof JobSchema>;

export const JobTemplateSpecSchema = def('io.k8s.api.batch.v1.JobTemplateSpec', {
  metadata: ObjectMetaSchema.optional(),
  spec: JobSpecSchema.optional(),
});
export type JobTemplateSpec = z.infer<typeof JobTemplateSpecSchema>;

export const CronJobSpecSchema = def('io.k8s.api.batch.v1.CronJobSpec', {
  concurrencyPolicy: z.enum(['Allow', 'Forbid', 'Replace']).optional(),
  failedJobsHistoryLimit: int32.optional(),
  jobTemplate: JobTemplateSpecSchema,
  schedule: z.string(),
  startingDeadlineSeconds: int64.optional(),
  successfulJobsHistoryLimit: int32.optional(),
  suspend: z.boolean().optional(),
  timeZone: z.string().optional(),
});
export type CronJobSpec = z.infer<typeof CronJobSpecSchema>;

export const CronJobStatusSchema = def('io.k8s.api.batch.v1.CronJobStatus', {
  active: listOf(ObjectReferenceSchema, { listType: 'atomic' }).optional(),
  lastScheduleTime: time.optional(),
  lastSuccessfulTime: time.optional(),
});
export type CronJobStatus = z.infer<typeof CronJobStatusSchema>;

export const CronJobSchema = def('io.k8s.api.batch.v1.CronJob', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: CronJobSpecSchema.optional(),
  status: CronJobStatusSchema.optional(),
}, { gvk: { group: 'batch', version: 'v1', kind: 'CronJob' } });
export type CronJob = z.infer<typeof CronJobSchema>;
