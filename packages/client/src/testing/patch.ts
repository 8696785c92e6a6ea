import { StatusError, badRequest, metaOf, schemaAt, type PathSegment, type ResourceInfo } from '@peapod/api-types';

type Schema = ResourceInfo['schema'];

type Json = unknown;
type Obj = Record<string, Json>;
const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386 JSON merge patch: objects merge recursively, `null` removes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Strategic merge patch driven by the schema's list metadata: lists whose schema says
 * `patchStrategy: merge` with a `patchMergeKey` merge element by element on that key (an element
 * `{ $patch: delete, <key>: x }` removes one), primitive `merge` lists take the union, every other
 * list is replaced, and maps merge as in a JSON merge patch.
 */
export function strategicMergePatch(schema: Schema, target: Json, patch: Json, path: PathSegment[] = []): Json {
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    const p = [...path, k];
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = mergeList(schema, out[k], v, p);
    else out[k] = strategicMergePatch(schema, out[k], v, p);
  }
  return out;
}

function mergeList(schema: Schema, target: Json, patch: Json[], path: PathSegment[]): Json[] {
  const at = schemaAt(schema, path);
  const meta = at ? metaOf(at) : undefined;
  if (!meta?.patchStrategy?.split(',').includes('merge') || !Array.isArray(target)) return patch.filter((e) => !(isObj(e) && e.$patch === 'delete'));
  const key = meta.patchMergeKey;
  if (!key) return [...target, ...patch.filter((e) => !target.includes(e))];
  const out = [...target] as Json[];
  for (const e of patch) {
    if (!isObj(e)) continue;
    const i = out.findIndex((t) => isObj(t) && t[key] === e[key]);
    if (e.$patch === 'delete') { if (i >= 0) out.splice(i, 1); continue; }
    if (i >= 0) out[i] = strategicMergePatch(schema, out[i], e, [...path, i]);
    else out.push(e);
  }
  return out;
}

interface Op { op: string; path: string; value?: Json; from?: string }

/** RFC 6902 JSON patch. A failed `test` or a path that does not exist is a 422, as the API server answers. */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest('a JSON patch must be an array of operations');
  let doc = structuredClone(target);
  for (const op of ops as Op[]) {
    switch (op.op) {
      case 'add': doc = put(doc, op.path, op.value, 'add'); break;
      case 'replace': doc = put(doc, op.path, op.value, 'replace'); break;
      case 'remove': doc = remove(doc, op.path); break;
      case 'copy': doc = put(doc, op.path, structuredClone(read(doc, op.from!)), 'add'); break;
      case 'move': { const v = read(doc, op.from!); doc = put(remove(doc, op.from!), op.path, v, 'add'); break; }
      case 'test':
        if (JSON.stringify(read(doc, op.path)) !== JSON.stringify(op.value)) throw unprocessable(`testing value ${op.path} failed`);
        break;
      default: throw badRequest(`unknown JSON patch operation "${String(op.op)}"`);
    }
  }
  return doc;
}

const unprocessable = (message: string) => new StatusError({ code: 422, reason: 'Invalid', message });
const pointer = (p: string) => (p === '' ? [] : p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')));

function read(doc: Json, path: string, segs = pointer(path)): Json {
  let cur = doc;
  for (const seg of segs) {
    cur = Array.isArray(cur) ? cur[Number(seg)] : isObj(cur) && Object.hasOwn(cur, seg) ? cur[seg] : undefined;
    if (cur === undefined) throw unprocessable(`doc is missing path: "${path}"`);
  }
  return cur;
}

function parentOf(doc: Json, path: string): [Json, string] {
  const segs = pointer(path);
  const last = segs.pop();
  if (last === undefined) throw unprocessable('the root cannot be the target of this operation');
  return [read(doc, path, segs), last];
}

function put(doc: Json, path: string, value: Json, mode: 'add' | 'replace'): Json {
  if (path === '') return value;
  const [parent, last] = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (mode === 'replace' && i >= parent.length)) throw unprocessable(`index out of range in "${path}"`);
    parent.splice(i, mode === 'replace' ? 1 : 0, value);
  } else if (isObj(parent)) {
    if (mode === 'replace' && !(last in parent)) throw unprocessable(`doc is missing key: "${path}"`);
    parent[last] = value;
  } else {
    throw unprocessable(`doc is missing path: "${path}"`);
  }
  return doc;
}

function remove(doc: Json, path: string): Json {
  const [parent, last] = parentOf(doc, path);
  if (Array.isArray(parent) && Number(last) < parent.length) parent.splice(Number(last), 1);
  else if (isObj(parent) && last in parent) delete parent[last];
  else throw unprocessable(`doc is missing path: "${path}"`);
  return doc;
}
