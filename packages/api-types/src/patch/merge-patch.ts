import { badRequest } from '../errors.js';
import { clone, isObject, type Json, type JsonObject } from './json.js';

/**
 * JSON Merge Patch (RFC 7386): objects merge key by key, `null` deletes a key, and anything else
 * (lists included) replaces the target whole. The API server only accepts an object as a patch,
 * since the result must remain an object.
 */
export function applyMergePatch(document: Json, patch: unknown): Json {
  if (!isObject(patch)) throw badRequest('a merge patch must be a JSON object');
  return mergeValue(document, patch);
}

export function mergeValue(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergeValue(out[k], v);
  }
  return out;
}
