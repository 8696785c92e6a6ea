import { badRequest } from '@peapod/api-types';
import { isObject, type Json, type JsonObject } from './json.js';

/**
 * Field sets as server-side apply tracks them (structured-merge-diff `fieldpath.Set`).
 *
 * A path is a list of path elements, each written as in FieldsV1:
 * `f:<field>` (a struct field or map key), `k:{"name":"web"}` (a list-map item by its keys, the
 * keys sorted by name), `v:<json>` (a set item by value) and `i:<n>` (an atomic list's index, only
 * met in sets decoded from elsewhere). A set is a plain set of such paths; FieldsV1 nests them,
 * writing `.` for a path that is itself a member and has members below it.
 */
export type PathElement = string;
export type FieldPath = readonly PathElement[];

const SEP = '\u0000';

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const valueElement = (v: Json): PathElement => `v:${JSON.stringify(v)}`;
export const keyElement = (keys: readonly (readonly [string, Json])[]): PathElement =>
  `k:${JSON.stringify(Object.fromEntries([...keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))}`;

export class FieldSet {
  private readonly paths: Set<string>;

  constructor(paths: Iterable<string> = []) {
    this.paths = new Set(paths);
  }

  static of(paths: Iterable<FieldPath>): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: FieldPath): void {
    this.paths.add(path.join(SEP));
  }

  has(path: FieldPath): boolean {
    return this.paths.has(path.join(SEP));
  }

  /** True when the set holds `path` or anything below it. */
  touches(path: FieldPath): boolean {
    const key = path.join(SEP);
    if (key === '') return this.paths.size > 0;
    if (this.paths.has(key)) return true;
    for (const p of this.paths) if (p.startsWith(key + SEP)) return true;
    return false;
  }

  get size(): number {
    return this.paths.size;
  }

  isEmpty(): boolean {
    return this.paths.size === 0;
  }

  *[Symbol.iterator](): IterableIterator<FieldPath> {
    for (const p of this.paths) yield p.split(SEP);
  }

  union(other: FieldSet): FieldSet {
    return new FieldSet([...this.paths, ...other.paths]);
  }

  difference(other: FieldSet): FieldSet {
    return new FieldSet([...this.paths].filter((p) => !other.paths.has(p)));
  }

  intersection(other: FieldSet): FieldSet {
    return new FieldSet([...this.paths].filter((p) => other.paths.has(p)));
  }

  /** Drops every path equal to or below one of `prefixes`. */
  without(prefixes: readonly FieldPath[]): FieldSet {
    const keys = prefixes.map((p) => p.join(SEP));
    return new FieldSet([...this.paths].filter((p) => !keys.some((k) => p === k || p.startsWith(k + SEP))));
  }

  equals(other: FieldSet): boolean {
    return this.paths.size === other.paths.size && [...this.paths].every((p) => other.paths.has(p));
  }

  /**
   * Adds, for every path, each `f:` prefix as a member (structured-merge-diff's
   * `EnsureNamedFieldsAreMembers`): a struct field someone set something under counts as set.
   */
  withNamedFieldMembers(): FieldSet {
    const out = new FieldSet(this.paths);
    for (const p of this) {
      for (let i = 1; i < p.length; i++) if (p[i - 1].startsWith('f:')) out.insert(p.slice(0, i));
    }
    return out;
  }

  /** FieldsV1 JSON, children sorted as Kubernetes writes them. */
  toFieldsV1(): JsonObject {
    interface Node { member: boolean; children: Map<string, Node> }
    const root: Node = { member: false, children: new Map() };
    for (const p of this) {
      let n = root;
      for (const pe of p) {
        let c = n.children.get(pe);
        if (!c) n.children.set(pe, (c = { member: false, children: new Map() }));
        n = c;
      }
      n.member = true;
    }
    const emit = (n: Node, self: boolean): JsonObject => {
      const out: JsonObject = {};
      if (self && n.member && n.children.size > 0) out['.'] = {};
      for (const pe of [...n.children.keys()].sort(comparePathElements)) out[pe] = emit(n.children.get(pe)!, true);
      return out;
    };
    return emit(root, false);
  }

  static fromFieldsV1(fields: unknown): FieldSet {
    const out = new FieldSet();
    const walk = (node: unknown, prefix: PathElement[]) => {
      if (!isObject(node)) throw badRequest('managedFields: fieldsV1 must be a JSON object');
      const keys = Object.keys(node);
      if (prefix.length > 0 && (keys.length === 0 || keys.includes('.'))) out.insert(prefix);
      for (const k of keys) {
        if (k === '.') continue;
        if (!/^[fkvi]:/.test(k)) throw badRequest(`managedFields: invalid path element ${JSON.stringify(k)}`);
        walk(node[k], [...prefix, k]);
      }
    };
    walk(fields, []);
    return out;
  }
}

const ORDER = { f: 0, k: 1, v: 2, i: 3 } as const;

/** Field names before keys before values before indices, each kind in its natural order. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  const ta = ORDER[a[0] as keyof typeof ORDER];
  const tb = ORDER[b[0] as keyof typeof ORDER];
  if (ta !== tb) return ta - tb;
  if (a[0] === 'i') return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A path as conflict messages print it: `.spec.containers[name="web"].image`. */
export function formatPath(path: FieldPath): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${body}`;
        case 'k':
          return `[${Object.entries(JSON.parse(body) as JsonObject).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
        case 'v':
          return `[=${body}]`;
        default:
          return `[${body}]`;
      }
    })
    .join('');
}
