import type { z } from 'zod';
import { k8sMeta, type K8sSchemaMeta } from './schema.js';

/**
 * Walking API schemas by JSON path: the node kinds this package builds schemas from (objects,
 * arrays, string-keyed records, optional wrappers, quantity/int-or-string leaves), looked at
 * through zod's public `_zod.def`.
 */
type Node =
  | { kind: 'object'; schema: z.ZodType; shape: Readonly<Record<string, z.ZodType>> }
  | { kind: 'array'; schema: z.ZodType; element: z.ZodType }
  | { kind: 'record'; schema: z.ZodType; value: z.ZodType }
  | { kind: 'leaf'; schema: z.ZodType };

interface AnyDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
}
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: AnyDef } })._zod.def;

const nodes = new WeakMap<z.ZodType, Node>();
/** Strips optional/nullable/default wrappers and returns the structural node (cached). */
export const nodeOf = (schema: z.ZodType): Node => {
  let n = nodes.get(schema);
  if (n) return n;
  let s = schema;
  for (let d = defOf(s); ; d = defOf(s)) {
    if ((d.type === 'optional' || d.type === 'nullable' || d.type === 'default' || d.type === 'readonly') && d.innerType) s = d.innerType;
    else break;
  }
  const d = defOf(s);
  if (d.type === 'object') n = { kind: 'object', schema: s, shape: d.shape! };
  else if (d.type === 'array') n = { kind: 'array', schema: s, element: d.element! };
  else if (d.type === 'record') n = { kind: 'record', schema: s, value: d.valueType! };
  else n = { kind: 'leaf', schema: s };
  nodes.set(schema, n);
  return n;
};

/** Whether a schema is an integer (int32/int64) number schema. */
export const isInteger = (schema: z.ZodType | undefined): boolean => {
  if (!schema) return false;
  const d = defOf(nodeOf(schema).schema) as AnyDef & { format?: string };
  return d.type === 'number' && (d.format === 'int32' || d.format === 'safeint');
};

/** The Kubernetes metadata of a (possibly optional-wrapped) schema node. */
export const metaOf = (schema: z.ZodType): K8sSchemaMeta | undefined => {
  const inner = k8sMeta.get(nodeOf(schema).schema);
  const outer = schema === nodeOf(schema).schema ? undefined : k8sMeta.get(schema);
  return inner && outer ? { ...inner, ...outer } : (inner ?? outer);
};

export type PathSegment = string | number;

/** The schema at a JSON path (`['spec', 'containers', 0, 'env']`), or undefined off the schema. */
export const schemaAt = (root: z.ZodType, path: readonly PathSegment[]): z.ZodType | undefined => {
  let s: z.ZodType | undefined = root;
  for (const seg of path) {
    if (!s) return undefined;
    const n = nodeOf(s);
    if (n.kind === 'object') s = typeof seg === 'string' && Object.hasOwn(n.shape, seg) ? n.shape[seg] : undefined;
    else if (n.kind === 'array') s = n.element;
    else if (n.kind === 'record') s = n.value;
    else return undefined;
  }
  return s;
};

/**
 * Formats a JSON path as Kubernetes prints field paths: fields dotted, list indexes and map keys
 * in brackets (`spec.containers[0].resources.limits[cpu]`, `metadata.labels[app]`).
 */
export const fieldPath = (root: z.ZodType, path: readonly PathSegment[]): string => {
  let out = '';
  let s: z.ZodType | undefined = root;
  for (const seg of path) {
    const n = s ? nodeOf(s) : undefined;
    if (typeof seg === 'number' || n?.kind === 'record') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
    s = s ? schemaAt(s, [seg]) : undefined;
  }
  return out;
};

/**
 * What the decode scan needs of a schema, resolved once per schema: an object's fields, a list's
 * or map's element. Leaves and opaque values are not descended into.
 */
interface ScanPlan {
  kind: 'leaf' | 'object' | 'array' | 'record';
  fields?: Map<string, ScanPlan>;
  item?: ScanPlan;
}
const LEAF: ScanPlan = { kind: 'leaf' };
const plans = new WeakMap<z.ZodType, ScanPlan>();
const planOf = (schema: z.ZodType): ScanPlan => {
  const cached = plans.get(schema);
  if (cached) return cached;
  const n = nodeOf(schema);
  let plan: ScanPlan = LEAF;
  if (n.kind === 'object') {
    plan = { kind: 'object', fields: new Map() };
    plans.set(schema, plan);
    for (const k of Object.keys(n.shape)) plan.fields!.set(k, planOf(n.shape[k]));
  } else if (n.kind === 'array') {
    plan = { kind: 'array', item: planOf(n.element) };
  } else if (n.kind === 'record' && !k8sMeta.get(n.schema)?.openapi) {
    plan = { kind: 'record', item: planOf(n.value) };
  }
  plans.set(schema, plan);
  return plan;
};

/** What one decode scan carries down its walk. Path segments are kept as a stack and joined only when an unknown field turns up. */
interface Scan {
  out: string[];
  stack: string[];
  dropNulls: boolean;
  collect: boolean;
}

const unknownAt = (s: Scan, last: string) => {
  const p = s.stack.join('');
  s.out.push(p ? `${p}.${last}` : last);
};

const walk = (s: Scan, plan: ScanPlan, v: unknown): void => {
  if (v === null || typeof v !== 'object') return;
  const stack = s.stack;
  if (plan.kind === 'object') {
    if (Array.isArray(v)) return;
    const o = v as Record<string, unknown>;
    for (const k in o) {
      const c = o[k];
      if (c === null && s.dropNulls) {
        delete o[k];
        continue;
      }
      const child = plan.fields!.get(k);
      if (!child) {
        if (s.collect) unknownAt(s, k);
      } else if (child.kind !== 'leaf') {
        stack.push(stack.length ? `.${k}` : k);
        walk(s, child, c);
        stack.pop();
      }
    }
  } else if (plan.kind === 'array') {
    if (!Array.isArray(v) || plan.item!.kind === 'leaf') return;
    for (let i = 0; i < v.length; i++) {
      stack.push(`[${i}]`);
      walk(s, plan.item!, v[i]);
      stack.pop();
    }
  } else if (plan.kind === 'record') {
    const o = v as Record<string, unknown>;
    for (const k in o) {
      if (o[k] === null && s.dropNulls) delete o[k];
      else if (plan.item!.kind !== 'leaf') {
        stack.push(`[${k}]`);
        walk(s, plan.item!, o[k]);
        stack.pop();
      }
    }
  }
};

/**
 * One walk of `value` along `schema`: collects the paths (as `fieldPath` formats them) of fields
 * the schema does not know, and with `dropNulls` deletes null-valued fields and map entries in
 * place, as Go's decoder leaves them unset. Opaque values (raw extensions, managedFields'
 * fieldsV1) are left alone.
 */
const scan = (schema: z.ZodType, value: unknown, dropNulls: boolean, collect: boolean): string[] => {
  const s: Scan = { out: [], stack: [], dropNulls, collect };
  walk(s, planOf(schema), value);
  return s.out;
};

/**
 * Paths of every field in `value` that `schema` does not know, which parsing would silently
 * drop. The API server reports them as warnings (`fieldValidation=Warn`) or refuses the request
 * (`Strict`).
 */
export const unknownFields = (schema: z.ZodType, value: unknown): string[] => scan(schema, value, false, true);

/**
 * The decoder's pre-pass over freshly decoded JSON owned by the caller: drops null fields in
 * place (`creationTimestamp: null` from `kubectl create --dry-run -o yaml`) and returns the
 * unknown fields when `collect`.
 */
export const prepareForDecode = (schema: z.ZodType, value: unknown, collect: boolean): string[] => scan(schema, value, true, collect);
