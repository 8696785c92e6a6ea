import { z } from 'zod';
import { def, int32, microTime } from '../schema.js';
import { ObjectMetaSchema } from '../meta/v1.js';

// coordination/v1 Lease: node heartbeats (kube-node-lease) and leader election.

export const LeaseSpecSchema = def('io.k8s.api.coordination.v1.LeaseSpec', {
  acquireTime: microTime.optional(),
  holderIdentity: z.string().optional(),
  leaseDurationSeconds: int32.optional(),
  leaseTransitions: int32.optional(),
  preferredHolder: z.string().optional(),
  renewTime: microTime.optional(),
  strategy: z.string().optional(),
});
export type LeaseSpec = z.infer<typeof LeaseSpecSchema>;

export const LeaseSchema = def('io.k8s.api.coordination.v1.Lease', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: LeaseSpecSchema.optional(),
}, { gvk: { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' } });
export type Lease = z.infer<typeof LeaseSchema>;
