import type { z } from 'zod';
import { metaOf, nodeOf, schemaAt, type PathSegment } from '../fields.js';
import { k8sMeta, type K8sSchemaMeta } from '../schema.js';
import { RESOURCES, listSchemaOf } from '../resources.js';
import type { ResourceInfo } from '../resource.js';
import { DeleteOptionsSchema, PartialObjectMetadataSchema, TableSchema, WatchEventSchema } from '../meta/v1.js';
import { StatusSchema } from '../meta/status.js';
import { BindingSchema } from '../core/v1.js';
import { EvictionSchema } from '../policy/v1.js';
import { ScaleSchema } from '../autoscaling/v1.js';

/** What strategic merge patch and server-side apply need to know about one field. */
export interface PatchMeta {
  patchStrategy?: string;
  patchMergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: readonly string[];
  mapType?: 'atomic' | 'granular';
  structType?: 'atomic' | 'granular';
}

/**
 * The patch semantics of the field at a JSON path of an object of `root`'s kind, e.g.
 * `patchMetaAt(PodSchema, ['spec', 'containers'])` gives `{ patchStrategy: 'merge',
 * patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] }`. List indexes and map keys in
 * the path are followed (`['spec', 'containers', 0, 'env']`). Returns `undefined` for a path that
 * is not in the schema, and `{}` for a field without special semantics (lists are then atomic
 * for apply and replaced by strategic merge patch, as in Kubernetes).
 */
export const patchMetaAt = (root: z.ZodType, path: readonly PathSegment[]): PatchMeta | undefined => {
  const s = schemaAt(root, path);
  if (!s) return undefined;
  const m = metaOf(s) ?? {};
  const out: PatchMeta = {};
  for (const k of ['patchStrategy', 'patchMergeKey', 'listType', 'listMapKeys', 'mapType', 'structType'] as const) {
    if (m[k] !== undefined) (out as Record<string, unknown>)[k] = m[k];
  }
  return out;
};

type OpenAPISchema = Record<string, unknown>;
const REF = '#/components/schemas/';

const extensions = (m: K8sSchemaMeta | undefined): OpenAPISchema => {
  if (!m) return {};
  const x: OpenAPISchema = {};
  if (m.listType) x['x-kubernetes-list-type'] = m.listType;
  if (m.listMapKeys) x['x-kubernetes-list-map-keys'] = [...m.listMapKeys];
  if (m.patchMergeKey) x['x-kubernetes-patch-merge-key'] = m.patchMergeKey;
  if (m.patchStrategy) x['x-kubernetes-patch-strategy'] = m.patchStrategy;
  if (m.mapType) x['x-kubernetes-map-type'] = m.mapType;
  return x;
};

interface LeafDef {
  type: string;
  format?: string;
  entries?: Record<string, string>;
  options?: z.ZodType[];
  in?: z.ZodType;
}

/**
 * OpenAPI v3 component schemas for every kind Peapod serves, their lists and the meta kinds
 * (Status, DeleteOptions, Table, WatchEvent, Scale, Binding, Eviction), keyed by Kubernetes
 * definition name (`io.k8s.api.core.v1.Pod`), with the `x-kubernetes-*` extensions kubectl's
 * validation and client-side strategic merge rely on:
 * - nested definitions are `$ref: '#/components/schemas/<name>'` (wrapped in `allOf` when the
 *   field carries its own extensions);
 * - top-level kinds carry `x-kubernetes-group-version-kind: [{ group, kind, version }]`;
 * - `required` lists the fields the schema requires.
 * The result is a fresh object per call; the API server adds `paths` per group-version.
 */
export const toOpenAPISchemas = (): Record<string, OpenAPISchema> => {
  const out: Record<string, OpenAPISchema> = {};

  const emit = (schema: z.ZodType, topLevel: boolean): OpenAPISchema => {
    const n = nodeOf(schema);
    const m = k8sMeta.get(n.schema);
    if (!topLevel && m?.definition) {
      define(n.schema, m.definition);
      return { $ref: REF + m.definition };
    }
    switch (n.kind) {
      case 'object': {
        const properties: Record<string, OpenAPISchema> = {};
        const required: string[] = [];
        for (const [k, child] of Object.entries(n.shape)) {
          const x = extensions(metaOf(child));
          const body = emit(child, false);
          properties[k] = body.$ref && Object.keys(x).length ? { allOf: [body], ...x } : { ...body, ...x };
          // Top-level kinds require metadata for typing; the API (and kubectl) treat it as optional.
          if (!(child as unknown as { _zod: { optin?: string } })._zod.optin && !(m?.gvk && k === 'metadata')) required.push(k);
        }
        return {
          type: 'object',
          properties,
          ...(required.length ? { required } : {}),
          ...(m?.structType === 'atomic' ? { 'x-kubernetes-map-type': 'atomic' } : {}),
          ...(m?.gvk ? { 'x-kubernetes-group-version-kind': [{ group: m.gvk.group, kind: m.gvk.kind, version: m.gvk.version }] } : {}),
        };
      }
      case 'array':
        return { type: 'array', items: emit(n.element, false) };
      case 'record':
        return { type: 'object', additionalProperties: emit(n.value, false) };
      case 'leaf': {
        if (m?.openapi) return { ...m.openapi };
        const d = (n.schema as unknown as { _zod: { def: LeafDef } })._zod.def;
        if (d.type === 'string') return { type: 'string' };
        if (d.type === 'boolean') return { type: 'boolean' };
        if (d.type === 'enum') return { type: 'string', enum: Object.values(d.entries!) };
        if (d.type === 'literal') return { type: 'string' };
        if (d.type === 'number') {
          if (d.format === 'int32') return { type: 'integer', format: 'int32' };
          if (d.format === 'safeint') return { type: 'integer', format: 'int64' };
          return { type: 'number', format: 'double' };
        }
        return {};
      }
    }
  };

  const define = (schema: z.ZodType, name: string) => {
    if (out[name]) return;
    out[name] = {}; // placeholder against cycles
    out[name] = emit(schema, true);
  };

  const roots: z.ZodType[] = [StatusSchema, DeleteOptionsSchema, TableSchema, PartialObjectMetadataSchema, WatchEventSchema, ScaleSchema, BindingSchema, EvictionSchema];
  for (const info of Object.values(RESOURCES) as ResourceInfo[]) roots.push(info.schema, listSchemaOf(info));
  for (const r of roots) define(r, k8sMeta.get(r)!.definition!);
  return out;
};
