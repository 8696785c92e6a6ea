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
 *
 * A set is filled by `insert` while it is built and never changed afterwards: set operations
 * return new sets, or one of their operands when the other is empty.
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

  /** A set over an already built trie. */
  private static over(root: Node | undefined): FieldSet {
    const out = new FieldSet();
    if (!root) return out;
    out.root.children = root.children;
    const count = (n: Node): number => (n.member ? 1 : 0) + [...n.children.values()].reduce((sum, c) => sum + count(c), 0);
    out.count = count(root);
    return out;
  }

  /**
   * A new trie with the members of `n` that `keep` accepts (told whether `other`, the parallel
   * node of another set, is a member), or undefined when nothing is left.
   */
  private static prune(n: Node, other: Node | undefined, keep: (n: Node, other: Node | undefined) => boolean, cut?: (other: Node | undefined) => boolean): Node | undefined {
    if (cut?.(other)) return undefined;
    const out = node();
    out.member = n.member && keep(n, other);
    for (const [pe, c] of n.children) {
      const kept = FieldSet.prune(c, other?.children.get(pe), keep, cut);
      if (kept) out.children.set(pe, kept);
    }
    return out.member || out.children.size > 0 ? out : undefined;
  }

  /** A new trie holding the members of both (set operations never share nodes with their inputs). */
  private static merged(a: Node | undefined, b: Node | undefined): Node {
    const out: Node = { member: (a?.member ?? false) || (b?.member ?? false), children: new Map() };
    for (const pe of new Set([...(a?.children.keys() ?? []), ...(b?.children.keys() ?? [])])) {
      out.children.set(pe, FieldSet.merged(a?.children.get(pe), b?.children.get(pe)));
    }
    return out;
  }

  union(other: FieldSet): FieldSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    return FieldSet.over(FieldSet.merged(this.root, other.root));
  }

  difference(other: FieldSet): FieldSet {
    if (other.isEmpty() || this.isEmpty()) return this;
    return FieldSet.over(FieldSet.prune(this.root, other.root, (_n, o) => !o?.member));
  }

  intersection(other: FieldSet): FieldSet {
    return FieldSet.over(FieldSet.prune(this.root, other.root, (_n, o) => o?.member ?? false));
  }

  /** Drops every path equal to or below one of `prefixes`. */
  without(prefixes: readonly FieldPath[]): FieldSet {
    return FieldSet.over(FieldSet.prune(this.root, FieldSet.of(prefixes).root, () => true, (c) => c?.member ?? false));
  }

  equals(other: FieldSet): boolean {
    return this.count === other.count && this.difference(other).isEmpty();
  }

  /**
   * Adds each `f:` prefix of every path as a member (structured-merge-diff's
   * `EnsureNamedFieldsAreMembers`): a struct field someone set something under counts as set.
   */
  withNamedFieldMembers(): FieldSet {
    const mark = (n: Node, named: boolean): Node => ({
      member: n.member || named,
      children: new Map([...n.children].map(([pe, c]) => [pe, mark(c, pe.startsWith('f:'))])),
    });
    return FieldSet.over(mark(this.root, false));
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
