import type { z } from 'zod';
import { badRequest, invalid, type FieldError } from './errors.js';
import { showValue } from './validation/field.js';
import { fieldPath, isInteger, metaOf, schemaAt } from './fields.js';
import { decodeFast, FAIL, prepareForDecode } from './decode-walk.js';
import type { ResourceInfo } from './resource.js';
import { apiVersionOf } from './resource.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface DecodeResult<T> {
  object: T;
  /** `unknown field "spec.foo"` per unknown field, when fieldValidation is `Warn`. */
  warnings: string[];
}

/** Turns zod issues into Kubernetes field errors with Kubernetes field paths and reasons. */
export const issuesToFieldErrors = (schema: z.ZodType, issues: readonly z.core.$ZodIssue[]): FieldError[] =>
  issues.map((i): FieldError => {
    const field = fieldPath(schema, i.path as (string | number)[]);
    const input = (i as { input?: unknown }).input;
    switch (i.code) {
      case 'invalid_type':
        return input === undefined
          ? { type: 'FieldValueRequired', field, message: 'Required value' }
          : { type: 'FieldValueTypeInvalid', field, message: `Invalid value: ${showValue(input)}: must be of type ${isInteger(schemaAt(schema, i.path as (string | number)[])) ? 'integer' : i.expected}` };
      case 'invalid_union': {
        const at = schemaAt(schema, i.path as (string | number)[]);
        const intOrString = at !== undefined && metaOf(at)?.definition === 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
        return { type: 'FieldValueTypeInvalid', field, message: `Invalid value: ${showValue(input)}: must be of type ${intOrString ? 'integer or string' : 'string or number'}` };
      }
      case 'invalid_value':
        return { type: 'FieldValueNotSupported', field, message: `Unsupported value: ${showValue(input)}: supported values: ${i.values.map((v) => showValue(v)).join(', ')}` };
      case 'too_big':
        return { type: 'FieldValueInvalid', field, message: `Invalid value: ${showValue(input)}: must be less than or equal to ${String(i.maximum)}` };
      case 'too_small':
        return { type: 'FieldValueInvalid', field, message: `Invalid value: ${showValue(input)}: must be greater than or equal to ${String(i.minimum)}` };
      default:
        return { type: 'FieldValueInvalid', field, message: `Invalid value: ${showValue(input)}: ${i.message}` };
    }
  });

/**
 * Parses one API object as the API server receives it (from JSON or YAML, or in process).
 * Contract: `raw` is never modified (null fields are dropped from the result), so it may share
 * values with a stored object (a patch result does); the result is a new object that shares only
 * opaque values (raw extensions, fieldsV1) with `raw`.
 * - not a JSON object: 400 BadRequest;
 * - unknown fields: dropped; listed as warnings (`Warn`, the default), or a 400 BadRequest
 *   `strict decoding error: unknown field "..."` (`Strict`), or ignored (`Ignore`);
 * - schema mismatches: 422 Invalid carrying every cause with its field path.
 */
export const decodeObject = <T>(info: ResourceInfo<T>, raw: unknown, fieldValidation: FieldValidation = 'Warn'): DecodeResult<T> => {
  const cannot = `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw badRequest(`${cannot}: the object is not a JSON object`);
  }
  const collect = fieldValidation !== 'Ignore';
  const refuseUnknown = (unknown: string[]) => {
    if (fieldValidation === 'Strict' && unknown.length > 0) {
      throw badRequest(`${cannot}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
    }
  };
  const fast = decodeFast(info.schema, raw, collect);
  if (fast.value !== FAIL) {
    refuseUnknown(fast.unknown);
    return { object: fast.value as T, warnings: fast.unknown.map((f) => `unknown field "${f}"`) };
  }
  // zod decides whatever the one-walk decoder did not accept, and words its errors, on a copy
  // the pre-pass may drop nulls from.
  const own = copyContainers(raw);
  const unknown = prepareForDecode(info.schema, own, collect);
  refuseUnknown(unknown);
  const parsed = info.schema.safeParse(own);
  if (!parsed.success) {
    // Parse again with inputs recorded, for the messages; only failures pay for it.
    const issues = info.schema.safeParse(own, { reportInput: true }).error?.issues ?? parsed.error.issues;
    const meta = (raw as { metadata?: { name?: unknown } }).metadata;
    const name = typeof meta?.name === 'string' ? meta.name : undefined;
    throw invalid({ kind: info.kind, group: info.group || undefined, name }, issuesToFieldErrors(info.schema, issues));
  }
  return { object: parsed.data, warnings: unknown.map((f) => `unknown field "${f}"`) };
};

/** `v` with its arrays and plain objects copied, everything else shared. */
const copyContainers = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(copyContainers);
  if (v === null || typeof v !== 'object') return v;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = copyContainers(x);
  return out;
};

/** `apiVersion`/`kind` a resource's objects carry. */
export const typeMetaOf = (info: Pick<ResourceInfo, 'group' | 'version' | 'kind'>) => ({ apiVersion: apiVersionOf(info), kind: info.kind });
