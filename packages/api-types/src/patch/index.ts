import { apiVersionOf, type ResourceInfo } from '../resource.js';
import { badRequest, notFound, unsupportedMediaType } from '../errors.js';
import { resourceForKind } from '../resources.js';
import { schemaFor } from '../openapi/definitions.js';
import { applyJsonPatch } from './json-patch.js';
import { clone, deepEqual, isObject, type Json, type JsonObject } from './json.js';
import { serverSideApply, updateManagedFields as recordUpdate } from './managed-fields.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch } from './strategic.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** The PATCH media types and the patch each names. */
export const PATCH_CONTENT_TYPES: Readonly<Record<string, PatchType>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** The patch type of a request's Content-Type (parameters ignored); 415 for anything else. */
export function patchTypeOf(contentType: string | undefined): PatchType {
  const type = PATCH_CONTENT_TYPES[(contentType ?? '').split(';')[0].trim().toLowerCase()];
  if (!type) throw unsupportedMediaType(contentType ?? '');
  return type;
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface PatchRequest {
  type: PatchType;
  /** The stored object; `undefined` only for an apply that creates the object. */
  current: Obj | undefined;
  /** The decoded body: a list of operations for `json`, an object for the others. */
  patch: unknown;
  info: ResourceInfo<unknown>;
  fieldManager: string;
  force: boolean;
  /** `status`, `scale`, ...; decides which fields the request may set (and, for `scale`, the schema). */
  subresource?: string;
  /** Time written into managedFields entries this request changes (RFC 3339); defaults to now. */
  now?: string;
}

/**
 * Applies one PATCH body to the stored object and returns the new object; `current` is never
 * modified. The result shares the values the patch leaves alone with `current` (no copy of the
 * whole object per patch), so a caller that changes it in place must not change those: the API
 * server decodes it into a new object first (`decodeObject` never modifies its input). JSON patch, merge patch and strategic merge patch only change the object (the caller
 * records managedFields with `updateManagedFields`, as for any write); server-side apply also
 * returns the object's new managedFields.
 *
 * Errors: 415 for an unknown type; 400 for a body of the wrong shape, a missing field manager
 * on apply, `force` outside apply, or an applied object of another kind; 422 for a patch that
 * does not fit the object (failed JSON patch `test`, missing merge key); 409 with one cause per
 * field for apply conflicts; 404 when a non-apply patch has no object.
 */
export function applyPatch(req: PatchRequest): Obj {
  const { type, info, subresource } = req;
  if (!Object.values(PATCH_CONTENT_TYPES).includes(type)) throw unsupportedMediaType(String(type));
  if (req.force && type !== 'apply') throw badRequest('force is only allowed for apply patches (application/apply-patch+yaml)');
  if (type === 'apply') return apply(req);
  if (req.current === undefined) throw notFound({ kind: info.plural, ...(info.group ? { group: info.group } : {}) });
  const current = req.current as Json;
  const root = schemaFor(info, subresource);
  switch (type) {
    case 'json':
      return expectObject(applyJsonPatch(current, req.patch));
    case 'merge':
      return expectObject(applyMergePatch(current, req.patch));
    case 'strategic':
      return expectObject(applyStrategicMergePatch(current, req.patch, root));
  }
}

function expectObject(v: Json): Obj {
  if (!isObject(v)) throw badRequest('the patched document is not an object');
  return v;
}

function apply(req: PatchRequest): Obj {
  const { info, subresource } = req;
  if (!req.fieldManager) throw badRequest('PATCH, application/apply-patch+yaml: fieldManager is required for apply requests');
  const config = req.patch;
  if (!isObject(config)) throw badRequest('an apply patch must be a single object (YAML or JSON)');
  const [apiVersion, kind] = subresource === 'scale' ? ['autoscaling/v1', 'Scale'] : [apiVersionOf(info), info.kind];
  if (typeof config['kind'] !== 'string' || !config['kind']) throw badRequest(`Object 'Kind' is missing in the applied configuration`);
  if (typeof config['apiVersion'] !== 'string' || !config['apiVersion']) throw badRequest(`Object 'apiVersion' is missing in the applied configuration`);
  if (config['kind'] !== kind || config['apiVersion'] !== apiVersion) {
    throw badRequest(`the applied object is ${config['apiVersion']}, Kind=${config['kind']}, but this endpoint serves ${apiVersion}, Kind=${kind}`);
  }
  const meta = config['metadata'];
  if (isObject(meta) && meta['managedFields'] !== undefined && meta['managedFields'] !== null) throw badRequest('metadata.managedFields must be nil');
  return serverSideApply(req.current as Json | undefined, clone(config) as JsonObject, {
    info,
    root: schemaFor(info, subresource),
    manager: req.fieldManager,
    force: req.force,
    ...(subresource ? { subresource } : {}),
    ...(req.now ? { now: req.now } : {}),
  }) as Obj;
}

/**
 * Records managedFields for a create, update or patch (`operation: 'Update'`) of `next` by
 * `manager`, with `previous` the stored object (undefined on create). The resource is found by
 * `next`'s apiVersion and kind; objects of kinds Peapod does not serve are returned unchanged.
 * `Apply` writes return `next` as is: `applyPatch` already recorded them. `next` is not modified.
 * A result equal to `previous` as JSON is `previous` itself, so that a caller tells a no-op write
 * by identity.
 */
export function updateManagedFields(previous: Obj | undefined, next: Obj, manager: string, operation: 'Update' | 'Apply', subresource?: string, now?: string): Obj {
  const out = record(previous, next, manager, operation, subresource, now);
  // managedFields first: any change moves an entry's time there, so most writes are told apart at once.
  return previous !== undefined && deepEqual(out['metadata']?.managedFields, previous['metadata']?.managedFields) && deepEqual(out, previous) ? previous : out;
}

function record(previous: Obj | undefined, next: Obj, manager: string, operation: 'Update' | 'Apply', subresource?: string, now?: string): Obj {
  if (operation === 'Apply') return next;
  const [group, version] = String(next['apiVersion'] ?? '').includes('/') ? String(next['apiVersion']).split('/') : ['', String(next['apiVersion'] ?? '')];
  const info = resourceForKind(group, String(next['kind'] ?? ''));
  if (!info || info.version !== version) return next;
  return recordUpdate(previous as Json | undefined, next as Json, {
    info,
    root: schemaFor(info),
    manager,
    ...(subresource ? { subresource } : {}),
    ...(now ? { now } : {}),
  }) as Obj;
}
