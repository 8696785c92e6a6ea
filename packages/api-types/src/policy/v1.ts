import { z } from 'zod';
import { def, int32, int64, intOrString, listOf, mapOf, time } from '../schema.js';
import { ConditionSchema, DeleteOptionsSchema, LabelSelectorSchema, ObjectMetaSchema } from '../meta/v1.js';

// policy/v1: disruption budgets and the `pods/eviction` subresource body.

export const PodDisruptionBudgetSpecSchema = def('io.k8s.api.policy.v1.PodDisruptionBudgetSpec', {
  maxUnavailable: intOrString.optional(),
  minAvailable: intOrString.optional(),
  selector: LabelSelectorSchema.optional(),
  unhealthyPodEvictionPolicy: z.enum(['AlwaysAllow', 'IfHealthyBudget']).optional(),
});
export type PodDisruptionBudgetSpec = z.infer<typeof PodDisruptionBudgetSpecSchema>;

export const PodDisruptionBudgetStatusSchema = def('io.k8s.api.policy.v1.PodDisruptionBudgetStatus', {
  conditions: listOf(ConditionSchema, { listType: 'map', listMapKeys: ['type'], patchMergeKey: 'type', patchStrategy: 'merge' }).optional(),
  currentHealthy: int32,
  desiredHealthy: int32,
  disruptedPods: mapOf(time).optional(),
  disruptionsAllowed: int32,
  expectedPods: int32,
  observedGeneration: int64.optional(),
});
export type PodDisruptionBudgetStatus = z.infer<typeof PodDisruptionBudgetStatusSchema>;

export const PodDisruptionBudgetSchema = def('io.k8s.api.policy.v1.PodDisruptionBudget', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: PodDisruptionBudgetSpecSchema.optional(),
  status: PodDisruptionBudgetStatusSchema.optional(),
}, { gvk: { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' } });
export type PodDisruptionBudget = z.infer<typeof PodDisruptionBudgetSchema>;

/** POSTed to `pods/<name>/eviction`; `metadata.name` names the pod. */
export const EvictionSchema = def('io.k8s.api.policy.v1.Eviction', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  deleteOptions: DeleteOptionsSchema.optional(),
}, { gvk: { group: 'policy', version: 'v1', kind: 'Eviction' } });
export type Eviction = z.infer<typeof EvictionSchema>;
