import type { z } from 'zod';
import { nodeOf } from './fields.js';
import { k8sMeta, quantity } from './schema.js';

/**
 * One walk over freshly decoded JSON along an API schema that does the decoder's pre-pass (drop
 * null fields, list unknown fields) and, when `build` is set, also the schema parse itself for the
 * input zod would accept, building the same output zod's `safeParse` returns. It exists because
 * zod's object parser runs every field of the schema (a PodSpec has ~45, a Container ~25) with a
 * fresh result object each, while a real object sets a few; this walk visits only the fields that
 * are there.
 *
 * Contract of the parse: it returns `FAIL` whenever it is not sure zod would accept the input with
 * this very output (wrong type, a missing required field, a schema construct it does not model,
 * an object that is not plain JSON data), and the caller then runs zod, which decides and reports
 * the errors. Schema constructs it does not model are handed to zod node by node (`safeParse` of
 * that subtree). What it reads of an object is what JSON can express: own enumerable string keys
 * of plain objects.
 */
export const FAIL: unique symbol = Symbol('decode-walk: not accepted on the fast path');

interface Field {
  /** Position in the schema's shape: zod's output lists fields in shape order. */
  index: number;
  optional: boolean;
  plan: Plan;
}
/**
 * Leaves zod hands back as given (`string`, `boolean`, `number` within [lo, hi], integer or not,
 * `set` for enums and literals, `union` of such), `quantity` (a JSON number becomes its decimal
 * text), `any` (opaque values), and `zod` for anything else, parsed by zod itself.
 */
type Leaf =
  | { kind: 'leaf'; leaf: 'string' | 'boolean' | 'any' | 'quantity' }
  | { kind: 'leaf'; leaf: 'number'; integer: boolean; lo: number; hi: number }
  | { kind: 'leaf'; leaf: 'set'; values: ReadonlySet<unknown> }
  | { kind: 'leaf'; leaf: 'union'; options: readonly Leaf[] }
  | { kind: 'leaf'; leaf: 'zod'; schema: z.ZodType };
type Plan =
  | { kind: 'object'; fields: Map<string, Field>; required: number; shapes: Shape; shapeCount: number }
  | { kind: 'array'; item: Plan }
  /** `opaque`: a map kept whole (managedFields' fieldsV1): not scanned, nulls kept. */
  | { kind: 'record'; item: Plan; opaque: boolean }
  | Leaf;

interface Def {
  type: string;
  checks?: { _zod: { def: { check: string; format?: string } } }[];
  coerce?: boolean;
  format?: string;
  catchall?: unknown;
  innerType?: z.ZodType;
  keyType?: z.ZodType;
  options?: z.ZodType[];
}
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;
const valuesOf = (s: z.ZodType) => (s as unknown as { _zod: { values?: Set<unknown> } })._zod.values;

/** zod's ranges of the integer number formats this package uses. */
const INT_RANGES: Record<string, [number, number]> = {
  int32: [-2147483648, 2147483647],
  safeint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** A leaf zod hands back unchanged when it accepts it, or undefined when the node is something else. */
const identityLeaf = (s: z.ZodType): Leaf | undefined => {
  const d = defOf(s);
  if (d.coerce) return undefined;
  const checks = d.checks ?? [];
  switch (d.type) {
    case 'string':
    case 'boolean':
      return checks.length ? undefined : { kind: 'leaf', leaf: d.type };
    case 'number': {
      // z.int32()/z.int() carry their format on the schema itself, z.number().int() as a check.
      const formats = checks.map((c) => (c._zod.def.check === 'number_format' ? c._zod.def.format : undefined));
      if (d.format !== undefined) formats.push(d.format);
      const ranges = formats.map((f) => (f === undefined ? undefined : INT_RANGES[f]));
      if (ranges.some((r) => r === undefined)) return undefined;
      const integer = ranges.length > 0;
      const lo = Math.max(-Infinity, ...ranges.map((r) => r![0]));
      const hi = Math.min(Infinity, ...ranges.map((r) => r![1]));
      return { kind: 'leaf', leaf: 'number', integer, lo, hi };
    }
    case 'enum':
    case 'literal':
      return { kind: 'leaf', leaf: 'set', values: valuesOf(s)! };
    case 'union': {
      const options = d.options!.map(identityLeaf);
      return options.every((o) => o !== undefined) ? { kind: 'leaf', leaf: 'union', options: options as Leaf[] } : undefined;
    }
    default:
      return undefined;
  }
};

const leafOf = (s: z.ZodType): Leaf => {
  if (s === quantity) return { kind: 'leaf', leaf: 'quantity' };
  const t = defOf(s).type;
  if (t === 'unknown' || t === 'any') return { kind: 'leaf', leaf: 'any' };
  return identityLeaf(s) ?? { kind: 'leaf', leaf: 'zod', schema: s };
};

/** The value zod's parse of `v` returns, or FAIL. */
const parseLeaf = (l: Leaf, v: unknown): unknown => {
  switch (l.leaf) {
    case 'string':
    case 'boolean':
      return typeof v === l.leaf ? v : FAIL;
    case 'number':
      return typeof v === 'number' && (l.integer ? Number.isInteger(v) && v >= l.lo && v <= l.hi : Number.isFinite(v)) ? v : FAIL;
    case 'set':
      return l.values.has(v) ? v : FAIL;
    case 'union':
      return l.options.some((o) => parseLeaf(o, v) !== FAIL) ? v : FAIL;
    case 'quantity':
      return typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : FAIL;
    case 'any':
      return v;
    case 'zod': {
      const r = l.schema.safeParse(v);
      return r.success ? r.data : FAIL;
    }
  }
};

const plans = new WeakMap<z.ZodType, Plan>();
const planOf = (schema: z.ZodType): Plan => {
  const cached = plans.get(schema);
  if (cached) return cached;
  const d = defOf(schema);
  const n = nodeOf(schema);
  let plan: Plan;
  if (d.type === 'object' && d.catchall === undefined && !d.checks?.length) {
    const shape = (n as { shape: Record<string, z.ZodType> }).shape;
    const fields = new Map<string, Field>();
    const object = { kind: 'object' as const, fields, required: 0, shapes: { next: [] }, shapeCount: 0 };
    plans.set(schema, object); // before the fields: schemas may nest themselves
    Object.keys(shape).forEach((k, index) => {
      const fd = defOf(shape[k]);
      const optional = fd.type === 'optional' && defOf(fd.innerType!).type !== 'default' && defOf(fd.innerType!).type !== 'prefault';
      fields.set(k, { index, optional, plan: planOf(optional ? fd.innerType! : shape[k]) });
      if (!optional) object.required++;
    });
    return object;
  }
  if (d.type === 'array' && !d.checks?.length) plan = { kind: 'array', item: planOf((n as { element: z.ZodType }).element) };
  else if (d.type === 'record' && !d.checks?.length && identityLeaf(d.keyType!) && defOf(d.keyType!).type === 'string') {
    plan = { kind: 'record', item: planOf((n as { value: z.ZodType }).value), opaque: !!k8sMeta.get(schema)?.openapi };
  } else plan = leafOf(schema);
  plans.set(schema, plan);
  return plan;
};

/** What one walk carries. Path segments stay raw (object keys, list indexes, `[mapKey]`) until an unknown field needs its path. */
interface Walk {
  unknown: string[];
  segments: (string | number)[];
  dropNulls: boolean;
  collect: boolean;
  build: boolean;
}

/** Paths as `fieldPath` formats them: fields dotted, list indexes and map keys in brackets. */
const unknownAt = (w: Walk, last: string) => {
  let p = '';
  for (const s of w.segments) p += typeof s === 'number' ? `[${s}]` : s.startsWith('[') || !p ? s : `.${s}`;
  w.unknown.push(p ? `${p}.${last}` : last);
};

const isPlain = (v: object) => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * The fields an object walk has parsed, as a stack shared by the nested walks (an object's
 * entries sit above those of the objects it is nested in, and are popped before it returns):
 * zod's output lists fields in shape order, which inputs rarely follow, so they are sorted by
 * shape position before the output object is made.
 */
const parsedIndex: number[] = [];
const parsedKey: string[] = [];
const parsedValue: unknown[] = [];
let parsedTop = 0;
/** How far the stack reached in this walk: what to clear after it, so that it holds no decoded value. */
let parsedHigh = 0;

/**
 * Output objects are made by an object literal per set of fields seen (compiled once, at most
 * MAX_SHAPES per object schema), as JSON.parse lays objects out: fields in the object itself
 * rather than added one by one, which later reads (defaulting, validation) are faster on. Shapes
 * form a trie over the fields' shape positions; past the cap objects are built field by field.
 */
interface Shape {
  next: (Shape | undefined)[];
  build?: (values: readonly unknown[], base: number) => Record<string, unknown>;
}
const MAX_SHAPES = 64;
/** Off under `--disallow-code-generation-from-strings`: then every object is built field by field. */
const CAN_COMPILE = (() => {
  try {
    return typeof new Function('return 1') === 'function';
  } catch {
    return false;
  }
})();

/** Field names come from the schema, never from input. */
const compileShape = (keys: readonly string[]) =>
  new Function('v', 'b', `return {${keys.map((k, j) => `${JSON.stringify(k)}: v[b + ${j}]`).join(', ')}};`) as Shape['build'];

const buildObject = (plan: Extract<Plan, { kind: 'object' }>, base: number, top: number): Record<string, unknown> => {
  let shape: Shape | undefined = CAN_COMPILE ? plan.shapes : undefined;
  for (let i = base; i < top && shape; i++) {
    const at = parsedIndex[i];
    let next: Shape | undefined = shape.next[at];
    if (!next && plan.shapeCount < MAX_SHAPES) {
      next = shape.next[at] = { next: [] };
      plan.shapeCount++;
    }
    shape = next;
  }
  if (shape) return (shape.build ??= compileShape(parsedKey.slice(base, top)))!(parsedValue, base);
  const out: Record<string, unknown> = {};
  for (let i = base; i < top; i++) out[parsedKey[i]] = parsedValue[i];
  return out;
};

const walkObject = (w: Walk, plan: Extract<Plan, { kind: 'object' }>, o: Record<string, unknown>): unknown => {
  const base = parsedTop;
  let required = 0;
  for (const k in o) {
    const c = o[k];
    if (c === null && w.dropNulls) {
      if (!w.build) delete o[k];
      continue;
    }
    const f = plan.fields.get(k);
    if (!f) {
      if (w.collect) unknownAt(w, k);
      continue;
    }
    if (!f.optional) required++;
    let r: unknown;
    if (f.plan.kind === 'leaf') {
      if (!w.build) continue;
      r = c === undefined && f.optional ? undefined : parseLeaf(f.plan, c);
    } else if (c === undefined && f.optional && w.build) {
      r = undefined;
    } else {
      w.segments.push(k);
      r = walk(w, f.plan, c);
      w.segments.pop();
    }
    if (!w.build) continue;
    if (r === FAIL) return FAIL;
    // Insertion into shape order: objects have few fields.
    let i = parsedTop++;
    if (parsedTop > parsedHigh) parsedHigh = parsedTop;
    for (; i > base && parsedIndex[i - 1] > f.index; i--) {
      parsedIndex[i] = parsedIndex[i - 1];
      parsedKey[i] = parsedKey[i - 1];
      parsedValue[i] = parsedValue[i - 1];
    }
    parsedIndex[i] = f.index;
    parsedKey[i] = k;
    parsedValue[i] = r;
  }
  if (!w.build) return o;
  const out = buildObject(plan, base, parsedTop);
  parsedTop = base;
  return required < plan.required ? FAIL : out;
};

const walkRecord = (w: Walk, plan: Extract<Plan, { kind: 'record' }>, o: Record<string, unknown>): unknown => {
  if (!w.build) {
    if (plan.opaque) return o;
    for (const k in o) {
      if (o[k] === null && w.dropNulls) delete o[k];
      else if (plan.item.kind !== 'leaf') {
        w.segments.push(`[${k}]`);
        walk(w, plan.item, o[k]);
        w.segments.pop();
      }
    }
    return o;
  }
  // zod refuses symbol keys in maps; JSON has none.
  if (!isPlain(o) || Object.getOwnPropertySymbols(o).length) return FAIL;
  const out: Record<string, unknown> = {};
  for (const k in o) {
    const c = o[k];
    if (c === null && w.dropNulls && !plan.opaque) continue;
    if (k === '__proto__') continue;
    let r: unknown;
    if (plan.item.kind === 'leaf') r = parseLeaf(plan.item, c);
    else {
      if (!plan.opaque) w.segments.push(`[${k}]`);
      r = walk(w, plan.item, c);
      if (!plan.opaque) w.segments.pop();
    }
    if (r === FAIL) return FAIL;
    out[k] = r;
  }
  return out;
};

const walk = (w: Walk, plan: Plan, v: unknown): unknown => {
  switch (plan.kind) {
    case 'leaf':
      return w.build ? parseLeaf(plan, v) : v;
    case 'object':
      if (v === null || typeof v !== 'object' || Array.isArray(v) || (w.build && !isPlain(v))) return w.build ? FAIL : v;
      return walkObject(w, plan, v as Record<string, unknown>);
    case 'record':
      if (v === null || typeof v !== 'object' || (w.build && Array.isArray(v))) return w.build ? FAIL : v;
      return walkRecord(w, plan, v as Record<string, unknown>);
    case 'array': {
      if (!Array.isArray(v)) return w.build ? FAIL : v;
      const item = plan.item;
      if (!w.build) {
        if (item.kind === 'leaf') return v;
        for (let i = 0; i < v.length; i++) {
          w.segments.push(i);
          walk(w, item, v[i]);
          w.segments.pop();
        }
        return v;
      }
      const out: unknown[] = [];
      for (let i = 0; i < v.length; i++) {
        let r: unknown;
        if (item.kind === 'leaf') r = parseLeaf(item, v[i]);
        else {
          w.segments.push(i);
          r = walk(w, item, v[i]);
          w.segments.pop();
        }
        if (r === FAIL) return FAIL;
        out.push(r);
      }
      return out;
    }
  }
};

const run = (schema: z.ZodType, value: unknown, dropNulls: boolean, collect: boolean, build: boolean) => {
  const state: Walk = { unknown: [], segments: [], dropNulls, collect, build };
  try {
    return { value: walk(state, planOf(schema), value), unknown: state.unknown };
  } finally {
    for (let i = 0; i < parsedHigh; i++) parsedValue[i] = undefined;
    parsedTop = parsedHigh = 0;
  }
};

/**
 * Paths of every field in `value` that `schema` does not know, which parsing would silently
 * drop. The API server reports them as warnings (`fieldValidation=Warn`) or refuses the request
 * (`Strict`).
 */
export const unknownFields = (schema: z.ZodType, value: unknown): string[] =>
  run(schema, value, false, true, false).unknown;

/**
 * The decoder's pre-pass over freshly decoded JSON owned by the caller: drops null fields in
 * place (`creationTimestamp: null` from `kubectl create --dry-run -o yaml`) and returns the
 * unknown fields when `collect`. Opaque values (raw extensions, managedFields' fieldsV1) are left
 * alone.
 */
export const prepareForDecode = (schema: z.ZodType, value: unknown, collect: boolean): string[] =>
  run(schema, value, true, collect, false).unknown;

/**
 * `prepareForDecode` and `schema.safeParse` in one walk: the parsed value (as zod would return
 * it, null fields dropped) and the unknown fields, or `FAIL` as the value when zod must decide
 * (see the contract above). `value` is not modified; the parsed value shares its opaque values
 * (raw extensions, fieldsV1) with it.
 */
export const decodeFast = (schema: z.ZodType, value: unknown, collect: boolean): { value: unknown; unknown: string[] } =>
  run(schema, value, true, collect, true);
