import { z } from 'zod';
import { def, int32, microTime, time } from '../schema.js';
import { ObjectMetaSchema } from '../meta/v1.js';
import { EventSourceSchema, ObjectReferenceSchema } from '../core/v1.js';

// events.k8s.io/v1 Event: the newer event API; the same stored events as core/v1 Event with
// renamed fields (regarding = involvedObject, note = message, deprecated* = the old counters).

const EventSeriesSchema = def('io.k8s.api.events.v1.EventSeries', {
  count: int32,
  lastObservedTime: microTime,
});

export const EventsV1EventSchema = def('io.k8s.api.events.v1.Event', {
  action: z.string().optional(),
  apiVersion: z.string().optional(),
  deprecatedCount: int32.optional(),
  deprecatedFirstTimestamp: time.optional(),
  deprecatedLastTimestamp: time.optional(),
  deprecatedSource: EventSourceSchema.optional(),
  eventTime: microTime,
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  note: z.string().optional(),
  reason: z.string().optional(),
  regarding: ObjectReferenceSchema.optional(),
  related: ObjectReferenceSchema.optional(),
  reportingController: z.string().optional(),
  reportingInstance: z.string().optional(),
  series: EventSeriesSchema.optional(),
  type: z.string().optional(),
}, { gvk: { group: 'events.k8s.io', version: 'v1', kind: 'Event' } });
export type EventsV1Event = z.infer<typeof EventsV1EventSchema>;
