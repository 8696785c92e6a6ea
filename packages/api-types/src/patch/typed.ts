import { StatusError } from '../errors.js';
import type { SchemaNode } from '../openapi/model.js';
import { FieldSet, comparePathElements, fieldElement, formatPath, keyElement, sortStrings, valueElement, type FieldPath, type PathElement } from './fieldpath.js';
import { deepEqual, isObject, type Json, type JsonObject } from './json.js';

/**
 * Schema-aware walks over objects for server-side apply (structured-merge-diff's `typed`
 * package): the set of fields an object sets, the difference between two objects, the merge of
 * an applied configuration into a live object, and removal of fields by path.
 *
 * A list is atomic, a set of scalars, or a map whose items are identified by their key fields
 * (`x-kubernetes-list-type`/`-list-map-keys`, else derived from the patch strategy); structs and
 * maps are granular unless `x-kubernetes-map-type: atomic`. Atomic values are one leaf.
 */

const duplicate = (path: FieldPath, pe: PathElement) =>
  new StatusError({ code: 422, reason: 'Invalid', message: `${formatPath(path)}: duplicate entries for key ${formatPath([pe])}` });

/** Whether a value is one leaf: scalars, atomic lists/structs/maps, and untyped lists. */
function isLeaf(node: SchemaNode, v: Json | undefined): boolean {
  const s = node.shape;
  if (s.kind === 'scalar') return true;
  if (s.kind === 'list') return s.listType === 'atomic';
  if (s.kind === 'untyped') return !isObject(v);
  return s.atomic;
}

/**
 * Path elements of list-map items, which the walks of one request ask for many times. The cache
 * lives for one `withItemCache` call only, as callers may change items between requests.
 */
let itemElements: WeakMap<JsonObject, PathElement> | undefined;

/** Runs `fn` (synchronous) with list-map item path elements cached across its walks. */
export function withItemCache<T>(fn: () => T): T {
  const outer = itemElements;
  itemElements = new WeakMap();
  try {
    return fn();
  } finally {
    itemElements = outer;
  }
}

/** Path element of list item `item`: its keys in a list map, its value otherwise. */
function itemElement(node: SchemaNode, item: Json): PathElement {
  const s = node.shape;
  if (s.kind !== 'list' || s.listType !== 'map' || !isObject(item)) return valueElement(item);
  let pe = itemElements?.get(item);
  if (pe === undefined) {
    pe = keyedElement(node, s.keys, item);
    itemElements?.set(item, pe);
  }
  return pe;
}

function keyedElement(node: SchemaNode, keys: readonly string[], item: JsonObject): PathElement {
  const fields = node.items;
  if (keys.length === 1) {
    const v = item[keys[0]] ?? (fields.field(keys[0]).body?.default as Json | undefined);
    return keyElement(v === undefined ? [] : [[keys[0], v]]);
  }
  return keyElement(
    keys.flatMap((k): [string, Json][] => {
      const v = item[k] ?? (fields.field(k).body?.default as Json | undefined);
      return v === undefined ? [] : [[k, v]];
    }),
  );
}

/** The items of a list by path element; 422 for a repeated key unless `duplicates` collects them. */
function indexItems(node: SchemaNode, list: readonly Json[], path: FieldPath, duplicates?: Set<PathElement>): Map<PathElement, Json> {
  const out = new Map<PathElement, Json>();
  for (const item of list) {
    const pe = itemElement(node, item);
    if (!out.has(pe)) out.set(pe, item);
    else if (duplicates) duplicates.add(pe);
    else throw duplicate(path, pe);
  }
  return out;
}

/** The fields `value` sets: every leaf, every list item and map entry, and empty objects. */
export function toFieldSet(value: Json, node: SchemaNode): FieldSet {
  const set = new FieldSet();
  const walk = (v: Json, n: SchemaNode, path: PathElement[]) => {
    if (isLeaf(n, v)) {
      set.insert(path);
      return;
    }
    if (Array.isArray(v)) {
      for (const [pe, item] of indexItems(n, v, path)) {
        const p = [...path, pe];
        walk(item, n.items, p);
        set.insert(p);
      }
      return;
    }
    if (!isObject(v)) {
      set.insert(path);
      return;
    }
    for (const [k, child] of Object.entries(v)) {
      const p = [...path, fieldElement(k)];
      walk(child, n.field(k), p);
      if (child === null || (isObject(child) && Object.keys(child).length === 0) || !n.declares(k)) set.insert(p);
    }
  };
  if (isObject(value)) walk(value, node, []);
  return set;
}

const isEmptyValue = (v: Json | undefined) => v === undefined || v === null || (Array.isArray(v) ? v.length === 0 : isObject(v) && !hasKeys(v));

function hasKeys(o: JsonObject): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return true;
  return false;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * What changed from `lhs` to `rhs`. A struct field present on one side only is reported through
 * its fields, not as a member itself, and so is a field its schema requires: Kubernetes' Go types
 * always carry those, so its field sets never list them (`f:spec` has no `.`, `f:containers` has
 * none either, while a newly added `f:labels`, `f:ports` or list item does). Paths `cut` removes
 * are not walked: the result is the full comparison's sets `without` them.
 */
export function compare(lhs: Json | undefined, rhs: Json | undefined, node: SchemaNode, cut?: PathCut): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const leaf = (path: FieldPath, l: Json | undefined, r: Json | undefined) => {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
    else if (!deepEqual(l, r)) c.modified.insert(path);
  };
  // The path of the value being walked; `insert` copies what it keeps, so one array serves the whole walk.
  const path: PathElement[] = [];
  const walk = (l: Json | undefined, r: Json | undefined, n: SchemaNode, required: boolean, cutHere: PathCut | undefined) => {
    // One value on both sides (writes share what they leave alone with the stored object): nothing below differs.
    if (l === r && l !== undefined) return;
    const present = r ?? l;
    if (isLeaf(n, present) || (isEmptyValue(l) && isEmptyValue(r)) || (l !== undefined && r !== undefined && kindOf(l) !== kindOf(r))) {
      leaf(path, l, r);
      return;
    }
    if (Array.isArray(present)) {
      // Stored objects may repeat a key (Kubernetes accepts duplicate env names, for one): all
      // items of a repeated key are then compared as one value.
      const ll = Array.isArray(l) ? l : [];
      const rl = Array.isArray(r) ? r : [];
      const repeated = new Set<PathElement>();
      const li = indexItems(n, ll, path, repeated);
      const ri = indexItems(n, rl, path, repeated);
      const all = (list: Json[], pe: PathElement) => {
        const items = list.filter((x) => itemElement(n, x) === pe);
        return items.length ? items : undefined;
      };
      const item = (pe: PathElement, lv: Json | undefined, rv: Json | undefined) => {
        const below = cutHere?.get(pe);
        if (below === true) return;
        path.push(pe);
        if (repeated.has(pe)) leaf(path, all(ll, pe), all(rl, pe));
        else walk(lv, rv, n.items, false, below);
        path.pop();
      };
      for (const [pe, lv] of li) item(pe, lv, ri.get(pe));
      for (const [pe, rv] of ri) if (!li.has(pe)) item(pe, undefined, rv);
    } else {
      const lo = isObject(l) ? l : EMPTY;
      const ro = isObject(r) ? r : EMPTY;
      const requiredFields = n.body?.required;
      const field = (k: string, lv: Json | undefined, rv: Json | undefined) => {
        const pe = internedFieldElement(k);
        const below = cutHere?.get(pe);
        if (below === true) return;
        path.push(pe);
        walk(lv, rv, n.field(k), requiredFields?.includes(k) ?? false, below);
        path.pop();
      };
      for (const k of Object.keys(lo)) field(k, lo[k], Object.hasOwn(ro, k) ? ro[k] : undefined);
      for (const k of Object.keys(ro)) if (!Object.hasOwn(lo, k)) field(k, undefined, ro[k]);
    }
    const isField = path.length > 0 && path[path.length - 1].startsWith('f:');
    if (path.length === 0 || (isField && (required || n.shape.kind === 'struct'))) return;
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
  };
  walk(lhs, rhs, node, false, cut);
  return c;
}

/** Paths left out of a walk, as a trie: `true` cuts the path and everything below it. */
export type PathCut = ReadonlyMap<PathElement, PathCut | true>;

export function pathCut(paths: readonly FieldPath[]): PathCut {
  const root = new Map<PathElement, Map<PathElement, unknown> | true>();
  for (const p of paths) {
    let n = root;
    p.forEach((pe, i) => {
      const c = n.get(pe);
      if (c === true) return;
      if (i === p.length - 1) n.set(pe, true);
      else if (c) n = c as typeof root;
      else n.set(pe, (n = new Map()));
    });
  }
  return root as PathCut;
}

/**
 * FieldsV1 of the fields `compare(undefined, value)` reports added, without the paths `cut`
 * removes: what `FieldSet#toFieldsV1` writes for `compare(undefined, value, node).added.without(cut)`,
 * in one walk that builds no set (a create's managedFields entry). Undefined when nothing is left.
 */
export function addedFieldsV1(value: Json, node: SchemaNode, cut: PathCut): JsonObject | undefined {
  if (isLeaf(node, value) || isEmptyValue(value)) return undefined;
  return addedBelow(value, node, cut, true);
}

/** FieldsV1 of one added value at a non-root path (see `compare`'s rules for what is a member). */
function addedAt(pe: PathElement, v: Json | undefined, n: SchemaNode, required: boolean, cut: PathCut | undefined): JsonObject | undefined {
  if (isLeaf(n, v) || isEmptyValue(v)) return {};
  const member = !(pe.startsWith('f:') && (required || n.shape.kind === 'struct'));
  return addedBelow(v!, n, cut, !member);
}

/** The children of an added value as FieldsV1, headed by `.` when the value itself is a member. */
function addedBelow(v: Json, n: SchemaNode, cut: PathCut | undefined, ownsNothing: boolean): JsonObject | undefined {
  // Made at the first child, so that `.` comes first.
  let out: JsonObject | undefined;
  if (Array.isArray(v)) {
    const children: [PathElement, JsonObject][] = [];
    const repeated = new Set<PathElement>();
    for (const [pe, item] of indexItems(n, v, [], repeated)) {
      const c = cut?.get(pe);
      if (c === true) continue;
      const json = repeated.has(pe) ? {} : addedAt(pe, item, n.items, false, c);
      if (json) children.push([pe, json]);
    }
    children.sort(byPathElement);
    for (const [pe, json] of children) (out ??= ownsNothing ? {} : ({ '.': {} } as JsonObject))[pe] = json;
  } else if (isObject(v)) {
    const required = n.body?.required;
    // Field elements share their `f:` prefix, so the key order is FieldsV1's order.
    for (const k of sortStrings(Object.keys(v))) {
      const pe = internedFieldElement(k);
      const c = cut?.get(pe);
      if (c === true) continue;
      const json = addedAt(pe, v[k], n.field(k), required?.includes(k) ?? false, c);
      if (json) (out ??= ownsNothing ? {} : ({ '.': {} } as JsonObject))[pe] = json;
    }
  }
  return out ?? (ownsNothing ? undefined : {});
}

/**
 * `fieldElement(k)`, the same string each time for the names seen before: a key built anew per
 * request must be hashed and interned again each time it names a property of the FieldsV1
 * object. Bounded, as map keys (labels, annotations) are unbounded.
 */
const fieldElements = new Map<string, PathElement>();
function internedFieldElement(k: string): PathElement {
  let pe = fieldElements.get(k);
  if (pe === undefined) {
    if (fieldElements.size >= 4096) fieldElements.clear();
    fieldElements.set(k, (pe = fieldElement(k)));
  }
  return pe;
}

const byPathElement = (a: [PathElement, unknown], b: [PathElement, unknown]) => comparePathElements(a[0], b[0]);

const EMPTY: JsonObject = Object.freeze({}) as JsonObject;

const kindOf = (v: Json) => (Array.isArray(v) ? 'list' : isObject(v) ? 'object' : 'scalar');

/**
 * The applied configuration `rhs` merged into the live object `lhs`: granular structs and maps
 * merge per field, list maps per item and sets per value (configured items in the
 * configuration's order, live-only items where they were), anything atomic is replaced; `null`
 * removes a field.
 */
export function merge(lhs: Json | undefined, rhs: Json, node: SchemaNode, path: PathElement[] = []): Json {
  if (isLeaf(node, rhs) || (lhs !== undefined && kindOf(lhs) !== kindOf(rhs))) return rhs;
  if (Array.isArray(rhs)) return mergeItems(Array.isArray(lhs) ? lhs : [], rhs, node, path);
  if (!isObject(rhs)) return rhs;
  const out: JsonObject = { ...(isObject(lhs) ? lhs : {}) };
  for (const [k, v] of Object.entries(rhs)) {
    if (v === null) delete out[k];
    else if (out[k] !== undefined || !isOmittedWhenEmpty(node, k, v)) out[k] = merge(out[k], v, node.field(k), [...path, fieldElement(k)]);
  }
  return out;
}

/**
 * An optional list or map applied empty where the object has none stays absent: Kubernetes'
 * Go types drop empty optional slices and maps when they store an object, so an apply of
 * `finalizers: []` never creates the field (and re-applying it is a no-op).
 */
function isOmittedWhenEmpty(parent: SchemaNode, key: string, v: Json): boolean {
  if (parent.body?.required?.includes(key)) return false;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0 && parent.field(key).shape.kind === 'map';
}

function mergeItems(lhs: Json[], rhs: Json[], node: SchemaNode, path: PathElement[]): Json[] {
  const lmap = indexItems(node, lhs, path, new Set());
  const rmap = indexItems(node, rhs, path);
  const rpe = [...rmap.keys()];
  const out: Json[] = [];
  let r = 0;
  const emitThrough = (j: number) => {
    for (; r <= j; r++) out.push(merge(lmap.get(rpe[r]), rmap.get(rpe[r])!, node.items, [...path, rpe[r]]));
  };
  // Live-only items keep their place (repeats included); configured items come in the
  // configuration's order, each shared item pulling in the configured items before it, and
  // replace every live item with their key.
  for (const item of lhs) {
    const pe = itemElement(node, item);
    if (rmap.has(pe)) emitThrough(rpe.indexOf(pe));
    else out.push(item);
  }
  emitThrough(rpe.length - 1);
  return out;
}

/** `value` without the fields and items at `paths` (and everything below them). */
export function removePaths(value: Json, paths: readonly FieldPath[], node: SchemaNode): Json {
  let out = value;
  for (const p of paths) out = removeOne(out, p, node);
  return out;
}

function removeOne(v: Json, path: FieldPath, node: SchemaNode): Json {
  if (path.length === 0) return v;
  const [pe, ...rest] = path;
  if (Array.isArray(v)) {
    const i = v.findIndex((x) => itemElement(node, x) === pe);
    if (i < 0) return v;
    const copy = [...v];
    if (rest.length === 0) copy.splice(i, 1);
    else copy[i] = removeOne(copy[i], rest, node.items);
    return copy;
  }
  if (!isObject(v) || !pe.startsWith('f:')) return v;
  const k = pe.slice(2);
  if (!Object.hasOwn(v, k)) return v;
  const copy = { ...v };
  if (rest.length === 0) delete copy[k];
  else copy[k] = removeOne(copy[k], rest, node.field(k));
  return copy;
}
