import type { GroupVersionKind } from '../schema.js';

/**
 * The OpenAPI v3 schema objects Peapod publishes, and the view of them that patching uses.
 *
 * One representation serves both: the `/openapi/v3` documents carry these schemas, and strategic
 * merge patch and server-side apply read the same `x-kubernetes-*` extensions from them, as
 * Kubernetes' apiserver and kubectl do. Definitions are keyed by Kubernetes definition name
 * (`io.k8s.api.core.v1.Pod`) and referenced as `#/components/schemas/<name>`.
 */
export interface OpenAPISchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, OpenAPISchema>;
  required?: string[];
  items?: OpenAPISchema;
  additionalProperties?: OpenAPISchema | boolean;
  $ref?: string;
  allOf?: OpenAPISchema[];
  oneOf?: OpenAPISchema[];
  anyOf?: OpenAPISchema[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  'x-kubernetes-group-version-kind'?: GroupVersionKind[];
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

export type Definitions = Readonly<Record<string, OpenAPISchema>>;

export const REF_PREFIX = '#/components/schemas/';
export const refTo = (definition: string): string => `${REF_PREFIX}${definition}`;

/** How a value at some place in an object is merged, compared and owned. */
export type Shape =
  /** An object with declared fields; `atomic` objects are replaced and owned whole. */
  | { kind: 'struct'; atomic: boolean }
  /** A string-keyed map (labels, annotations, resource lists). */
  | { kind: 'map'; atomic: boolean }
  /** A list: `map` items are identified by `keys`, `set` items by value, `atomic` lists whole. */
  | { kind: 'list'; listType: 'atomic' | 'set' | 'map'; keys: readonly string[]; mergeKey?: string; patchStrategy: readonly string[] }
  | { kind: 'scalar' }
  /** No schema: objects merge as maps, lists are atomic (structured-merge-diff's "deduced" type). */
  | { kind: 'untyped' };

/**
 * A schema node bound to the definitions its `$ref`s resolve against. Nodes are interned per
 * definitions and schema object, and each memoises its resolved body, shape and child nodes, so
 * walking an object costs one property read per step once the schema has been walked before
 * (every request walks the same few definitions).
 */
export class SchemaNode {
  private static readonly interned = new WeakMap<Definitions, { nodes: WeakMap<OpenAPISchema, SchemaNode>; untyped: SchemaNode }>();

  private resolved?: OpenAPISchema;
  private shapeMemo?: Shape;
  private declaredMemo?: Map<string, SchemaNode>;
  private valuesMemo?: SchemaNode;
  private itemsMemo?: SchemaNode;

  private constructor(readonly definitions: Definitions, readonly schema: OpenAPISchema | undefined) {}

  /** The one node of `schema` (undefined: untyped) under `definitions`. */
  private static of(definitions: Definitions, schema: OpenAPISchema | undefined): SchemaNode {
    let table = SchemaNode.interned.get(definitions);
    if (!table) SchemaNode.interned.set(definitions, (table = { nodes: new WeakMap(), untyped: new SchemaNode(definitions, undefined) }));
    if (!schema) return table.untyped;
    let n = table.nodes.get(schema);
    if (!n) table.nodes.set(schema, (n = new SchemaNode(definitions, schema)));
    return n;
  }

  /** The node for a named definition; an unknown name yields an untyped node. */
  static definition(definitions: Definitions, name: string): SchemaNode {
    return SchemaNode.of(definitions, definitions[name]);
  }

  /**
   * The schema with `$ref`/single-element `allOf` wrappers followed. Extensions written on a
   * wrapper (where Kubernetes puts list semantics of a field) win over the target's.
   */
  get body(): OpenAPISchema | undefined {
    const s = this.schema;
    if (!s) return undefined;
    return (this.resolved ??= this.follow(s, 0));
  }

  private follow(s: OpenAPISchema, depth: number): OpenAPISchema {
    if (depth > 32) return s;
    const target = s.$ref ? this.definitions[s.$ref.slice(REF_PREFIX.length)] : s.allOf?.length === 1 ? s.allOf[0] : undefined;
    if (!target) return s;
    const { $ref: _r, allOf: _a, ...own } = s;
    return { ...this.follow(target, depth + 1), ...own };
  }

  /** The schema of field `name` of a struct, or of any value of a map. */
  field(name: string): SchemaNode {
    const known = this.declaredMemo?.get(name);
    if (known) return known;
    const b = this.body;
    const declared = b?.properties?.[name];
    if (declared) {
      // Only declared names are memoised: map keys (labels, annotations) are unbounded.
      const memo = (this.declaredMemo ??= new Map());
      let n = memo.get(name);
      if (!n) memo.set(name, (n = SchemaNode.of(this.definitions, declared)));
      return n;
    }
    if (!this.valuesMemo) {
      const extra = b?.additionalProperties;
      this.valuesMemo = SchemaNode.of(this.definitions, typeof extra === 'object' ? extra : undefined);
    }
    return this.valuesMemo;
  }

  /** True when `name` is a declared field (not a free map key). */
  declares(name: string): boolean {
    return this.body?.properties?.[name] !== undefined;
  }

  get items(): SchemaNode {
    return (this.itemsMemo ??= SchemaNode.of(this.definitions, this.body?.items));
  }

  get shape(): Shape {
    const b = this.body;
    return (this.shapeMemo ??= b ? shapeOf(b) : { kind: 'untyped' });
  }
}

function shapeOf(b: OpenAPISchema): Shape {
  if (b.type === 'array' || b.items) {
    const mergeKey = b['x-kubernetes-patch-merge-key'];
    const patchStrategy = (b['x-kubernetes-patch-strategy'] ?? '').split(',').filter(Boolean);
    // Without an explicit list type, Kubernetes derives apply semantics from the patch strategy:
    // a merge list with a key is a map keyed by it, a merge list of scalars is a set.
    const listType = b['x-kubernetes-list-type'] ?? (patchStrategy.includes('merge') ? (mergeKey ? 'map' : 'set') : 'atomic');
    const keys = b['x-kubernetes-list-map-keys'] ?? (mergeKey ? [mergeKey] : []);
    return { kind: 'list', listType, keys, ...(mergeKey ? { mergeKey } : {}), patchStrategy };
  }
  const atomic = b['x-kubernetes-map-type'] === 'atomic';
  if (b.properties) return { kind: 'struct', atomic };
  if (b.additionalProperties !== undefined || b.type === 'object') {
    return b['x-kubernetes-preserve-unknown-fields'] || (b.additionalProperties === undefined && b.type === 'object')
      ? { kind: 'untyped' }
      : { kind: 'map', atomic };
  }
  if (b.type || b.oneOf || b.anyOf || b.enum || b['x-kubernetes-int-or-string'] || b.format) return { kind: 'scalar' };
  return { kind: 'untyped' };
}
