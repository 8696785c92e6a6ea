import {
  admitPodDefaults, applyDefaults, badRequest, decodeObject, throwIfInvalid, validateObject, validateObjectUpdate, type FieldValidation,
} from '@peapod/api-types';
import type { ServedResource } from './registry.js';
import type { Obj } from './obj.js';

/**
 * Turns a request body into an object of `r`'s kind: the body must name this kind (or no kind at
 * all), unknown fields follow `fieldValidation` (warnings appended to `warnings`), and the schema
 * decides types (422 with every cause). The returned object is freshly built: the caller owns it.
 */
export function decodeFor(r: ServedResource, body: unknown, fieldValidation: FieldValidation, warnings: string[]): Obj {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const { apiVersion, kind } = body as Obj;
    if (kind !== undefined && kind !== r.info.kind) {
      const [, v = apiVersion] = String(apiVersion ?? '').split('/');
      throw badRequest(`${String(kind)} in version "${String(v ?? '')}" cannot be handled as a ${r.info.kind}: the object kind does not match the resource in the URL`);
    }
    if (apiVersion !== undefined && apiVersion !== r.apiVersion) {
      throw badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${r.apiVersion})`);
    }
  }
  const { object, warnings: w } = decodeObject(r.info, body, fieldValidation);
  warnings.push(...w);
  const obj = object as Obj;
  obj.apiVersion = r.apiVersion;
  obj.kind = r.info.kind;
  obj.metadata ??= {};
  return obj;
}

/** Kubernetes defaulting for the object's kind (api-types). */
export function defaultObject(r: ServedResource, obj: Obj): void {
  applyDefaults(r.info, obj);
}

/** What admission plugins add to new objects (ServiceAccount, Priority, DefaultTolerationSeconds for pods). */
export function admitCreate(r: ServedResource, obj: Obj): void {
  if (r.info.group === '' && r.info.plural === 'pods') admitPodDefaults(obj as Parameters<typeof admitPodDefaults>[0]);
}

/** Create validation: every problem at once as a 422. */
export function validateCreate(r: ServedResource, obj: Obj): void {
  throwIfInvalid(r.info, obj, validateObject(r.info, obj));
}

/** Subresource writes whose change the server builds itself, so only the object's own rules would misfire. */
const SERVER_BUILT = new Set(['binding', 'resize', 'finalize']);

/** Update validation against the stored object; `subresource` selects the rules (`status`, `ephemeralcontainers`, main). */
export function validateUpdate(r: ServedResource, obj: Obj, old: Obj, subresource?: string): void {
  if (subresource && SERVER_BUILT.has(subresource)) return;
  const rules = subresource === 'status' || subresource === 'ephemeralcontainers' ? subresource : undefined;
  throwIfInvalid(r.info, obj, validateObjectUpdate(r.info, obj, old, rules));
}
