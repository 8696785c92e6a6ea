import { z } from 'zod';

export const StatusCauseSchema = z.object({
  reason: z.string().optional(),
  message: z.string().optional(),
  field: z.string().optional(),
});
export type StatusCause = z.infer<typeof StatusCauseSchema>;

export const StatusDetailsSchema = z.object({
  name: z.string().optional(),
  group: z.string().optional(),
  kind: z.string().optional(),
  uid: z.string().optional(),
  causes: z.array(StatusCauseSchema).optional(),
  retryAfterSeconds: z.number().int().optional(),
});
export type StatusDetails = z.infer<typeof StatusDetailsSchema>;

/** meta/v1 Status: the body of every error answer (and of some successful deletes). */
export const StatusSchema = z.object({
  kind: z.literal('Status'),
  apiVersion: z.literal('v1'),
  metadata: z.object({ resourceVersion: z.string().optional(), selfLink: z.string().optional(), continue: z.string().optional(), remainingItemCount: z.number().int().optional() }),
  status: z.enum(['Success', 'Failure']).optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  details: StatusDetailsSchema.optional(),
  code: z.number().int().optional(),
});
export type Status = z.infer<typeof StatusSchema>;
