import { z } from 'zod';

/**
 * The building blocks every API schema is made of, and the metadata Kubernetes tooling needs,
 * attached to the schemas themselves through the `k8sMeta` registry (never a second table):
 *
 * - `def(name, shape)` makes an object schema known by its Kubernetes definition name
 *   (`io.k8s.api.core.v1.Pod`), optionally with a group/version/kind or `structType`;
 * - `listOf(item, meta)` / `mapOf(value, meta)` carry the list/map semantics strategic merge patch
 *   and server-side apply rely on (`x-kubernetes-patch-merge-key`, `-patch-strategy`,
 *   `-list-type`, `-list-map-keys`, `-map-type`).
 *
 * Unknown-field policy: objects are `z.object` (unknown keys are dropped, as Kubernetes' decoder
 * drops them); `unknownFields()` in `fields.ts` lists their paths for `fieldValidation`.
 */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface K8sSchemaMeta {
  /** Kubernetes definition name, the key of the OpenAPI component (`io.k8s.api.core.v1.Container`). */
  definition?: string;
  /** Set on top-level kinds only. */
  gvk?: GroupVersionKind;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: readonly string[];
  patchMergeKey?: string;
  /** `merge`, `retainKeys`, `merge,retainKeys` or `replace`. */
  patchStrategy?: string;
  mapType?: 'atomic' | 'granular';
  /** `atomic` structs are replaced whole by apply and merge patch (e.g. LabelSelector). */
  structType?: 'atomic' | 'granular';
  /** OpenAPI body for definitions that are not objects (Quantity, IntOrString, Time). */
  openapi?: Record<string, unknown>;
}

export const k8sMeta = z.registry<K8sSchemaMeta>();

const withMeta = <S extends z.ZodType>(schema: S, meta: K8sSchemaMeta): S => {
  k8sMeta.add(schema, meta);
  return schema;
};

export const def = <T extends z.ZodRawShape>(definition: string, shape: T, meta: Omit<K8sSchemaMeta, 'definition'> = {}) =>
  withMeta(z.object(shape), { definition, ...meta });

export type ListSemantics = Pick<K8sSchemaMeta, 'listType' | 'listMapKeys' | 'patchMergeKey' | 'patchStrategy'>;
export const listOf = <S extends z.ZodType>(item: S, meta: ListSemantics) => withMeta(z.array(item), meta);
/** Patch semantics on a non-list field, e.g. `retainKeys` on a Deployment's `strategy`. Wraps a field's own schema instance. */
export const withPatchMeta = <S extends z.ZodType>(field: S, meta: Pick<K8sSchemaMeta, 'patchStrategy' | 'mapType'>) => withMeta(field, meta);
export const mapOf = <S extends z.ZodType>(value: S, meta: Pick<K8sSchemaMeta, 'mapType'> = {}) =>
  withMeta(z.record(z.string(), value), meta);

export const int32 = z.int32();
/** int64 as a JS number: exact up to 2^53, which every int64 field of these kinds stays within. */
export const int64 = z.int();

/** resource.Quantity: a string (`100m`, `1Gi`) or a JSON number, always handed out as a string. */
export const quantity = withMeta(
  z.union([z.string(), z.number()]).transform((v) => (typeof v === 'number' ? String(v) : v)),
  { definition: 'io.k8s.apimachinery.pkg.api.resource.Quantity', openapi: { oneOf: [{ type: 'string' }, { type: 'number' }] } },
);
/** intstr.IntOrString, kept as given (`3` or `"25%"`). */
export const intOrString = withMeta(z.union([z.int32(), z.string()]), {
  definition: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  openapi: { format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] },
});
/** meta/v1 Time: RFC 3339 with seconds, e.g. `2024-01-02T03:04:05Z`. */
export const time = withMeta(z.string(), {
  definition: 'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
  openapi: { type: 'string', format: 'date-time' },
});
/** meta/v1 MicroTime: RFC 3339 with microseconds. */
export const microTime = withMeta(z.string(), {
  definition: 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
  openapi: { type: 'string', format: 'date-time' },
});
/** Opaque JSON objects (managedFields' fieldsV1, ControllerRevision data): kept whole, never walked. */
export const fieldsV1 = withMeta(z.record(z.string(), z.unknown()), {
  definition: 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
  openapi: { type: 'object' },
});
export const rawExtension = withMeta(z.unknown(), {
  definition: 'io.k8s.apimachinery.pkg.runtime.RawExtension',
  openapi: { type: 'object' },
});
