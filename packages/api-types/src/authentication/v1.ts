import { z } from 'zod';
import { def, int64, time } from '../schema.js';
import { ObjectMetaSchema } from '../meta/v1.js';

// authentication.k8s.io/v1 TokenRequest: the body of the serviceaccounts/token subresource
// (`kubectl create token`). Not stored; the server fills `status` and answers.

export const BoundObjectReferenceSchema = def('io.k8s.api.authentication.v1.BoundObjectReference', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
});
export type BoundObjectReference = z.infer<typeof BoundObjectReferenceSchema>;

export const TokenRequestSpecSchema = def('io.k8s.api.authentication.v1.TokenRequestSpec', {
  audiences: z.array(z.string()).nullish(),
  boundObjectRef: BoundObjectReferenceSchema.nullish(),
  expirationSeconds: int64.nullish(),
});
export type TokenRequestSpec = z.infer<typeof TokenRequestSpecSchema>;

// Both are set in answers; a request carries an empty status.
export const TokenRequestStatusSchema = def('io.k8s.api.authentication.v1.TokenRequestStatus', {
  expirationTimestamp: time.optional(),
  token: z.string().optional(),
});
export type TokenRequestStatus = z.infer<typeof TokenRequestStatusSchema>;

export const TokenRequestSchema = def('io.k8s.api.authentication.v1.TokenRequest', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema.optional(),
  spec: TokenRequestSpecSchema,
  status: TokenRequestStatusSchema.optional(),
}, { gvk: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' } });
export type TokenRequest = z.infer<typeof TokenRequestSchema>;
