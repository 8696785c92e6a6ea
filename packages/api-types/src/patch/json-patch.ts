import { StatusError, badRequest, requestEntityTooLarge } from '../errors.js';
import { clone, deepEqual, isObject, type Json, type JsonObject } from './json.js';

/**
 * JSON Patch (RFC 6902): `add`, `remove`, `replace`, `move`, `copy` and `test`, applied in order
 * to a copy of the document; the first failing operation aborts the whole patch.
 *
 * Errors follow the API server: a patch that is not a list of well-formed operations is 400
 * BadRequest; an operation that cannot apply to this document (missing path, failed `test`) is
 * 422 with the reason kubectl prints as "The request is invalid"; more than 10,000 operations is 413.
 */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

type Op =
  | { op: 'add' | 'replace' | 'test'; path: string; value: Json }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

export function applyJsonPatch(document: Json, patch: unknown): Json {
  const ops = decodeOps(patch);
  let doc = clone(document);
  ops.forEach((op, i) => {
    try {
      doc = applyOp(doc, op);
    } catch (err) {
      if (err instanceof OpError) throw unprocessable(`operation ${i} (${op.op} ${op.path}): ${err.message}`);
      throw err;
    }
  });
  return doc;
}

class OpError extends Error {}

const unprocessable = (detail: string) =>
  new StatusError({
    code: 422,
    reason: 'Invalid',
    message: `the server rejected our request due to an error in our request: ${detail}`,
    details: { causes: [{ reason: 'FieldValueInvalid', message: detail }] },
  });

function decodeOps(patch: unknown): Op[] {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch: a JSON patch must be a list of operations');
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw requestEntityTooLarge(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
  }
  return patch.map((raw, i): Op => {
    const bad = (why: string) => badRequest(`invalid JSON patch operation ${i}: ${why}`);
    if (!isObject(raw)) throw bad('an operation must be an object');
    const { op, path } = raw;
    if (typeof path !== 'string') throw bad('missing "path"');
    parsePointer(path, bad);
    switch (op) {
      case 'add':
      case 'replace':
      case 'test':
        if (!('value' in raw)) throw bad(`"${op}" needs a "value"`);
        return { op, path, value: raw['value'] as Json };
      case 'remove':
        return { op, path };
      case 'move':
      case 'copy':
        if (typeof raw['from'] !== 'string') throw bad(`"${op}" needs a "from"`);
        parsePointer(raw['from'], bad);
        return { op, from: raw['from'], path };
      default:
        throw bad(`unsupported operation ${JSON.stringify(op)}`);
    }
  });
}

/** RFC 6901 pointer to reference tokens. */
function parsePointer(pointer: string, fail: (why: string) => Error = (why) => new OpError(why)): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw fail(`path ${JSON.stringify(pointer)} must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => {
      if (/~[^01]|~$/.test(t)) throw fail(`path ${JSON.stringify(pointer)} has an invalid escape`);
      return t.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

function applyOp(doc: Json, op: Op): Json {
  switch (op.op) {
    case 'add':
      return add(doc, parsePointer(op.path), clone(op.value));
    case 'remove':
      return remove(doc, parsePointer(op.path)).doc;
    case 'replace': {
      const tokens = parsePointer(op.path);
      get(doc, tokens);
      if (tokens.length === 0) return clone(op.value);
      const { doc: without } = remove(doc, tokens);
      return add(without, tokens, clone(op.value));
    }
    case 'move': {
      if (op.path !== op.from && op.path.startsWith(`${op.from}/`)) throw new OpError('cannot move a value into one of its own children');
      const { doc: without, value } = remove(doc, parsePointer(op.from));
      return add(without, parsePointer(op.path), value);
    }
    case 'copy':
      return add(doc, parsePointer(op.path), clone(get(doc, parsePointer(op.from))));
    case 'test': {
      const actual = get(doc, parsePointer(op.path));
      if (!deepEqual(actual, op.value)) throw new OpError(`test failed: value is ${JSON.stringify(actual)}, expected ${JSON.stringify(op.value)}`);
      return doc;
    }
  }
}

function get(doc: Json, tokens: readonly string[]): Json {
  let cur = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[index(cur, t, false)];
    else if (isObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw new OpError(`path element ${JSON.stringify(t)} does not exist`);
  }
  return cur;
}

function index(list: readonly Json[], token: string, forInsert: boolean): number {
  if (forInsert && token === '-') return list.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new OpError(`${JSON.stringify(token)} is not a list index`);
  const i = Number(token);
  if (i > list.length || (!forInsert && i === list.length)) throw new OpError(`index ${i} is out of bounds (length ${list.length})`);
  return i;
}

function parentOf(doc: Json, tokens: readonly string[]): { parent: Json; last: string } {
  return { parent: get(doc, tokens.slice(0, -1)), last: tokens[tokens.length - 1] };
}

function add(doc: Json, tokens: readonly string[], value: Json): Json {
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens);
  if (Array.isArray(parent)) parent.splice(index(parent, last, true), 0, value);
  else if (isObject(parent)) (parent as JsonObject)[last] = value;
  else throw new OpError(`cannot add ${JSON.stringify(last)} to a scalar`);
  return doc;
}

function remove(doc: Json, tokens: readonly string[]): { doc: Json; value: Json } {
  if (tokens.length === 0) throw new OpError('cannot remove the whole document');
  const { parent, last } = parentOf(doc, tokens);
  if (Array.isArray(parent)) return { doc, value: parent.splice(index(parent, last, false), 1)[0] };
  if (isObject(parent) && Object.hasOwn(parent, last)) {
    const value = parent[last];
    delete (parent as JsonObject)[last];
    return { doc, value };
  }
  throw new OpError(`path element ${JSON.stringify(last)} does not exist`);
}
