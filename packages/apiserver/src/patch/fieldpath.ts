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

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const valueElement = (v: Json): PathElement => `v:${JSON.stringify(v)}`;
export const keyElement = (keys: readonly (readonly [string, Json])[]): PathElement =>
  `k:${JSON.stringify(Object.fromEntries([...keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))}`;

/** A trie of path elements; a node exists only while it or something below it is a member. */
interface Node {
  member: boolean;
  children: Map<PathElement, Node>;
}
const node = (): Node => ({ member: false, children: new Map() });

export class FieldSet {
  private readonly root: Node = node();
  private count = 0;

  static of(paths: Iterable<FieldPath>): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: FieldPath): void {
    if (path.length === 0) return;
    let n = this.root;
    for (const pe of path) {
      let c = n.children.get(pe);
      if (!c) n.children.set(pe, (c = node()));
      n = c;
    }
    if (!n.member) {
      n.member = true;
      this.count++;
    }
  }

  private find(path: FieldPath): Node | undefined {
    let n: Node | undefined = this.root;
    for (const pe of path) n = n?.children.get(pe);
    return n;
  }

  has(path: FieldPath): boolean {
    return this.find(path)?.member ?? false;
  }

  get size(): number {
    return this.count;
  }

  isEmpty(): boolean {
    return this.count === 0;
  }

  *[Symbol.iterator](): IterableIterator<FieldPath> {
    const stack: [Node, PathElement[]][] = [[this.root, []]];
    while (stack.length) {
      const [n, path] = stack.pop()!;
      if (n.member) yield path;
      for (const [pe, c] of n.children) stack.push([c, [...path, pe]]);
    }
  }

  /** This set's members that `keep` accepts, told whether `other` has the same path as a member. */
  private filter(other: FieldSet, keep: (inOther: boolean) => boolean): FieldSet {
    const out = new FieldSet();
    const walk = (n: Node, o: Node | undefined, path: PathElement[]) => {
      if (n.member && keep(o?.member ?? false)) out.insert(path);
      for (const [pe, c] of n.children) walk(c, o?.children.get(pe), [...path, pe]);
    };
    walk(this.root, other.root, []);
    return out;
  }

  union(other: FieldSet): FieldSet {
    const out = this.filter(other, () => true);
    for (const p of other) out.insert(p);
    return out;
  }

  difference(other: FieldSet): FieldSet {
    return this.filter(other, (inOther) => !inOther);
  }

  intersection(other: FieldSet): FieldSet {
    return this.filter(other, (inOther) => inOther);
  }

  /** Drops every path equal to or below one of `prefixes`. */
  without(prefixes: readonly FieldPath[]): FieldSet {
    const cut = FieldSet.of(prefixes);
    const out = new FieldSet();
    const walk = (n: Node, c: Node | undefined, path: PathElement[]) => {
      if (c?.member) return;
      if (n.member) out.insert(path);
      for (const [pe, child] of n.children) walk(child, c?.children.get(pe), [...path, pe]);
    };
    walk(this.root, cut.root, []);
    return out;
  }

  equals(other: FieldSet): boolean {
    return this.count === other.count && this.difference(other).isEmpty();
  }

  /**
   * Adds each `f:` prefix of every path as a member (structured-merge-diff's
   * `EnsureNamedFieldsAreMembers`): a struct field someone set something under counts as set.
   */
  withNamedFieldMembers(): FieldSet {
    const out = this.filter(this, () => true);
    const walk = (n: Node, path: PathElement[]) => {
      for (const [pe, c] of n.children) {
        const p = [...path, pe];
        if (pe.startsWith('f:')) out.insert(p);
        walk(c, p);
      }
    };
    walk(this.root, []);
    return out;
  }

  /** The path elements right below `path` on the way to members. */
  childrenOf(path: FieldPath): PathElement[] {
    return [...(this.find(path)?.children.keys() ?? [])];
  }

  /** FieldsV1 JSON, children sorted as Kubernetes writes them. */
  toFieldsV1(): JsonObject {
    const emit = (n: Node, self: boolean): JsonObject => {
      const out: JsonObject = {};
      if (self && n.member && n.children.size > 0) out['.'] = {};
      for (const pe of [...n.children.keys()].sort(comparePathElements)) out[pe] = emit(n.children.get(pe)!, true);
      return out;
    };
    return emit(this.root, false);
  }

  static fromFieldsV1(fields: unknown): FieldSet {
    const out = new FieldSet();
    const walk = (json: unknown, prefix: PathElement[]) => {
      if (!isObject(json)) throw badRequest('managedFields: fieldsV1 must be a JSON object');
      const keys = Object.keys(json);
      if (keys.length === 0 || keys.includes('.')) out.insert(prefix);
      for (const k of keys) {
        if (k === '.') continue;
        if (!/^[fkvi]:/.test(k)) throw badRequest(`managedFields: invalid path element ${JSON.stringify(k)}`);
        walk(json[k], [...prefix, k]);
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
