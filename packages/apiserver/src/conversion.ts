import type { Obj } from './obj.js';

/**
 * Conversion between a served version and the stored form, for resources that share storage with
 * another group's (kube-apiserver stores one object and serves it in several versions). Both
 * directions return new objects and never modify their input.
 */
export interface Conversion {
  toStorage(obj: Obj): Obj;
  fromStorage(obj: Obj): Obj;
}

/** events.k8s.io/v1 field -> core/v1 Event field; the other fields are the same in both. */
const EVENT_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

const rename = (obj: Obj, pairs: ReadonlyArray<readonly [string, string]>, apiVersion: string): Obj => {
  const out: Obj = { ...obj, apiVersion, kind: 'Event' };
  for (const [from, to] of pairs) {
    if (from in out) {
      out[to] = out[from];
      delete out[from];
    }
  }
  return out;
};

/** events.k8s.io/v1 Events are stored as core/v1 Events, so both APIs list the same events. */
export const EVENTS_V1_CONVERSION: Conversion = {
  toStorage: (obj) => rename(obj, EVENT_FIELDS, 'v1'),
  fromStorage: (obj) => rename(obj, EVENT_FIELDS.map(([a, b]) => [b, a] as const), 'events.k8s.io/v1'),
};
