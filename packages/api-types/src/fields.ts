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
