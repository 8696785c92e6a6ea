import { k8sMeta } from '../schema.js';
import { toOpenAPISchemas } from './schemas.js';
import type { ResourceInfo } from '../resource.js';
import { SchemaNode, type Definitions, type OpenAPISchema } from './model.js';

/**
 * Defaults Kubernetes publishes for list-map key fields. Server-side apply needs them to match
 * an applied item that omits the key with the stored, defaulted item (a container port applied
 * without `protocol` is the stored `TCP` port).
 */
const KEY_DEFAULTS: Record<string, Record<string, string>> = {
  'io.k8s.api.core.v1.ContainerPort': { protocol: 'TCP' },
};

let cached: Definitions | undefined;

/** Every component schema Peapod publishes, built from the zod schemas once per process. */
export function definitions(): Definitions {
  if (!cached) {
    const defs = toOpenAPISchemas() as Record<string, OpenAPISchema>;
    for (const [name, fields] of Object.entries(KEY_DEFAULTS)) {
      const props = defs[name]?.properties;
      for (const [field, value] of Object.entries(fields)) if (props?.[field]) props[field] = { ...props[field], default: value };
    }
    cached = defs;
  }
  return cached;
}

/** The definition name of a resource's kind, e.g. `io.k8s.api.core.v1.Pod`. */
export function definitionOf(info: ResourceInfo): string {
  const name = k8sMeta.get(info.schema)?.definition;
  if (!name) throw new Error(`the schema of ${info.plural} has no definition name`);
  return name;
}

const SCALE = 'io.k8s.api.autoscaling.v1.Scale';

/** The schema an object of `info` is walked with; the `scale` subresource speaks autoscaling/v1 Scale. */
export const schemaFor = (info: ResourceInfo, subresource?: string): SchemaNode =>
  SchemaNode.definition(definitions(), subresource === 'scale' ? SCALE : definitionOf(info));
