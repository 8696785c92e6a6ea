import type { SchemaNode } from '../openapi/model.js';
import { FieldSet } from './fieldpath.js';
import { isObject, type Json, type JsonObject } from './json.js';
import { compare, toFieldSet } from './typed.js';

/**
 * The bridge from client-side to server-side apply (apimachinery's last-applied manager and
 * updater). Only the `kubectl` field manager uses it, as in Kubernetes:
 * - its apply may take over, without `force`, fields whose value in the
 *   `kubectl.kubernetes.io/last-applied-configuration` annotation still equals the live value
 *   (they were set by an earlier client-side `kubectl apply`);
 * - after its apply, an existing annotation is rewritten to the applied configuration, so that a
 *   later client-side apply computes its patch from what was applied last.
 */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
export const LAST_APPLIED_MANAGER = 'kubectl';

const annotationOf = (obj: Json | undefined): string | undefined => {
  const meta = isObject(obj) ? obj['metadata'] : undefined;
  const annotations = isObject(meta) ? meta['annotations'] : undefined;
  const value = isObject(annotations) ? annotations[LAST_APPLIED] : undefined;
  return typeof value === 'string' && value ? value : undefined;
};

/** Fields the last client-side apply set and that still hold its values; empty when there is no usable annotation. */
export function fieldsFromLastApplied(live: Json, apiVersion: string, root: SchemaNode): FieldSet {
  const text = annotationOf(live);
  if (!text) return new FieldSet();
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return new FieldSet();
  }
  if (!isObject(last) || last['apiVersion'] !== apiVersion) return new FieldSet();
  const diff = compare(last, live, root);
  return toFieldSet(last, root).difference(diff.modified).difference(diff.added).difference(diff.removed);
}

/** `result` with its last-applied annotation (if it has one) replaced by `config`. */
export function syncLastApplied(result: Json, config: JsonObject): Json {
  if (!annotationOf(result) || !isObject(result)) return result;
  const meta = config['metadata'];
  const annotations = isObject(meta) ? meta['annotations'] : undefined;
  let recorded: JsonObject = config;
  if (isObject(meta) && isObject(annotations)) {
    const { [LAST_APPLIED]: _drop, ...rest } = annotations;
    recorded = { ...config, metadata: { ...meta, annotations: rest } };
  }
  const resultMeta = result['metadata'] as JsonObject;
  return { ...result, metadata: { ...resultMeta, annotations: { ...(resultMeta['annotations'] as JsonObject), [LAST_APPLIED]: sortedJson(recorded) } } };
}

/** JSON with object keys sorted, as Go encodes maps (and kubectl writes the annotation). */
function sortedJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}
