import { z } from 'zod';
import { def, int32 } from '../schema.js';
import { ObjectMetaSchema } from '../meta/v1.js';

// autoscaling/v1 Scale: the `scale` subresource of Deployments, ReplicaSets and StatefulSets.

export const ScaleSpecSchema = def('io.k8s.api.autoscaling.v1.ScaleSpec', {
  replicas: int32.optional(),
});
export type ScaleSpec = z.infer<typeof ScaleSpecSchema>;

export const ScaleStatusSchema = def('io.k8s.api.autoscaling.v1.ScaleStatus', {
  replicas: int32,
  selector: z.string().optional(),
});
export type ScaleStatus = z.infer<typeof ScaleStatusSchema>;

export const ScaleSchema = def('io.k8s.api.autoscaling.v1.Scale', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: ScaleSpecSchema.optional(),
  status: ScaleStatusSchema.optional(),
}, { gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' } });
export type Scale = z.infer<typeof ScaleSchema>;
