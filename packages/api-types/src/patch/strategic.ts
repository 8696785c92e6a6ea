import { StatusError, badRequest } from '../errors.js';
import type { SchemaNode } from '../openapi/model.js';
import { clone, deepEqual, isObject, type Json, type JsonObject } from './json.js';

/**
 * Strategic merge patch, the server side of it (apimachinery `strategicpatch.StrategicMergeMapPatch`).
 *
 * Maps merge key by key (`null` deletes). Lists replace whole unless their schema says
 * `x-kubernetes-patch-strategy: merge`: then items with `x-kubernetes-patch-merge-key` are
 * matched by that key (containers by `name`, ports by `containerPort`) and merged, and lists of
 * scalars (finalizers) take the union. Directives:
 * - `$patch: replace | delete | merge` in a map (replace or delete it), and `{"$patch": "replace"}`
 *   as a list item (replace the list) or `{"$patch": "delete", <key>: v}` (drop one item);
 * - `$retainKeys: [...]` drops the map's other keys (retainKeys strategy, e.g. Deployment strategy);
 * - `$setElementOrder/<list>: [...]` fixes the order of a merged list (kubectl sends it);
 * - `$deleteFromPrimitiveList/<list>: [...]` removes scalars from a merged scalar list.
 * Malformed directives are 400; a merge list item without its merge key is 422.
 */
export function applyStrategicMergePatch(document: Json, patch: unknown, root: SchemaNode): Json {
  if (!isObject(patch)) throw badRequest('a strategic merge patch must be a JSON object');
  return mergeMap(isObject(document) ? document : undefined, patch, root) ?? {};
}

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';

const unprocessable = (message: string) => new StatusError({ code: 422, reason: 'Invalid', message });

/** Merges `patch` into `original`; `undefined` means the map itself is deleted. */
function mergeMap(original: JsonObject | undefined, patch: JsonObject, node: SchemaNode): JsonObject | undefined {
  const directive = patch['$patch'];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return strip(patch);
  if (directive !== undefined && directive !== 'merge') throw badRequest(`unknown patch type: ${JSON.stringify(directive)} in map`);

  const out: JsonObject = original ? { ...original } : {};
  let orders: Map<string, Json[]> | undefined;

  if ('$retainKeys' in patch) {
    const keep = patch['$retainKeys'];
    if (!Array.isArray(keep) || !keep.every((k) => typeof k === 'string')) throw badRequest('$retainKeys must be a list of field names');
    for (const k of Object.keys(patch)) {
      if (!k.startsWith('$') && !keep.includes(k)) throw unprocessable(`the patch sets ${JSON.stringify(k)}, which is not listed in its $retainKeys`);
    }
    for (const k of Object.keys(out)) if (!keep.includes(k)) delete out[k];
  }

  for (const k of Object.keys(patch)) {
    if (k[0] !== '$') continue;
    const v = patch[k];
    if (k.startsWith(DELETE_FROM_PRIMITIVE)) {
      const field = k.slice(DELETE_FROM_PRIMITIVE.length);
      if (!Array.isArray(v)) throw badRequest(`${k} must be a list`);
      const current = out[field];
      if (Array.isArray(current)) out[field] = current.filter((x) => !v.some((d) => deepEqual(d, x)));
    } else if (k.startsWith(SET_ORDER)) {
      if (!Array.isArray(v)) throw badRequest(`${k} must be a list`);
      (orders ??= new Map()).set(k.slice(SET_ORDER.length), v);
    }
  }

  for (const k of Object.keys(patch)) {
    if (k[0] === '$') continue;
    const v = patch[k];
    if (v === null) {
      delete out[k];
      continue;
    }
    const child = node.field(k);
    const prior = out[k];
    if (isObject(v)) {
      const merged = mergeMap(isObject(prior) ? prior : undefined, v, child);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) {
      out[k] = mergeList(Array.isArray(prior) ? prior : [], v, child);
    } else {
      out[k] = v;
    }
  }

  for (const [field, order] of orders ?? []) {
    const list = out[field];
    if (Array.isArray(list)) out[field] = reorder(list, order, original?.[field], mergeKeyOf(node.field(field)));
  }
  return out;
}

const mergeKeyOf = (node: SchemaNode): string | undefined => {
  const s = node.shape;
  return s.kind === 'list' ? s.mergeKey : undefined;
};

function mergeList(original: Json[], patch: Json[], node: SchemaNode): Json[] {
  const shape = node.shape;
  const isMergeList = shape.kind === 'list' && shape.patchStrategy.includes('merge');
  const replaceAll = patch.some((e) => isObject(e) && e['$patch'] === 'replace');
  if (!isMergeList || replaceAll) {
    return patch.filter((e) => !(isObject(e) && e['$patch'] === 'replace')).map((e) => (isObject(e) ? strip(e) : clone(e)));
  }
  const key = shape.mergeKey;
  if (key === undefined) {
    // A merge list of scalars: the union, original order first.
    const out = [...original];
    for (const e of patch) if (!out.some((x) => deepEqual(x, e))) out.push(clone(e));
    return out;
  }
  const out = [...original];
  for (const e of patch) {
    if (!isObject(e)) throw badRequest(`the items of a list merged by ${JSON.stringify(key)} must be objects`);
    if (!(key in e)) throw unprocessable(`map: ${JSON.stringify(e)} does not contain declared merge key: ${key}`);
    const at = out.findIndex((x) => isObject(x) && deepEqual(x[key], e[key]));
    if (e['$patch'] === 'delete') {
      for (let i = out.length - 1; i >= 0; i--) if (isObject(out[i]) && deepEqual((out[i] as JsonObject)[key], e[key])) out.splice(i, 1);
      continue;
    }
    const merged = mergeMap(at >= 0 ? (out[at] as JsonObject) : undefined, e, node.items);
    if (merged === undefined) {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) out[at] = merged;
    else out.push(merged);
  }
  return out;
}

/**
 * Applies `$setElementOrder`: the items it names come in its order, and items only the server
 * had are interleaved by their original positions (apimachinery's `normalizeElementOrder`).
 */
function reorder(list: Json[], order: Json[], original: Json | undefined, key: string | undefined): Json[] {
  const id = (x: Json) => (key !== undefined && isObject(x) ? x[key] : x);
  const rank = (x: Json) => order.findIndex((o) => deepEqual(key !== undefined && isObject(o) ? o[key] : o, id(x)));
  const before = Array.isArray(original) ? original : [];
  const originalIndex = (x: Json) => before.findIndex((o) => deepEqual(id(o), id(x)));
  const ordered = list.filter((x) => rank(x) >= 0).sort((a, b) => rank(a) - rank(b));
  const serverOnly = list.filter((x) => rank(x) < 0);
  const out: Json[] = [];
  while (ordered.length && serverOnly.length) {
    // A server-only item goes first only when both were in the original and it came first there.
    const [s, o] = [originalIndex(serverOnly[0]), originalIndex(ordered[0])];
    out.push(s >= 0 && o >= 0 && s < o ? serverOnly.shift()! : ordered.shift()!);
  }
  return out.concat(ordered, serverOnly);
}

/** A patch value taken as is: drops directives and nulls, as a new value carries neither. */
function strip(v: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$') || x === null) continue;
    out[k] = isObject(x) ? strip(x) : Array.isArray(x) ? x.filter((e) => !(isObject(e) && '$patch' in e)).map((e) => (isObject(e) ? strip(e) : e)) : x;
  }
  return out;
}
