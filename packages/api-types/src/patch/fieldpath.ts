import { badRequest } from '../errors.js';
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
 * return new sets, or one of their operands when the result has the same members.
 */
export type PathElement = string;
export type FieldPath = readonly PathElement[];

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const valueElement = (v: Json): PathElement => `v:${JSON.stringify(v)}`;

/**
 * Single-key path elements by key and value, the same string each time: the sets, FieldsV1
 * objects and item indexes of one request look every element up several times, and a string
 * made anew is hashed anew at each. Bounded, as values (IPs, names) are unbounded.
 */
const singleKeyElements = new Map<string, Map<string | number | boolean, PathElement>>();
let singleKeyElementCount = 0;
export const keyElement = (keys: readonly (readonly [string, Json])[]): PathElement => {
  if (keys.length !== 1) return `k:${JSON.stringify(Object.fromEntries([...keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))}`;
  // Most list maps have one key (`name`, `type`) with a scalar value; values are never undefined.
  const [k, v] = keys[0];
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return `k:{${JSON.stringify(k)}:${JSON.stringify(v)}}`;
  let byValue = singleKeyElements.get(k);
  let pe = byValue?.get(v);
  if (pe === undefined) {
    if (singleKeyElementCount >= 4096) {
      singleKeyElements.clear();
      singleKeyElementCount = 0;
      byValue = undefined;
    }
    if (!byValue) singleKeyElements.set(k, (byValue = new Map()));
    byValue.set(v, (pe = `k:{${JSON.stringify(k)}:${JSON.stringify(v)}}`));
    singleKeyElementCount++;
  }
  return pe;
};

/**
 * A trie of path elements; a node exists only while it or something below it is a member.
 * `size` counts the members at and below the node. Nodes are shared between sets (set operations
 * reuse unchanged subtrees of their inputs), which is safe because a set is never changed after
 * it is built.
 */
interface Node {
  member: boolean;
  size: number;
  children: Map<PathElement, Node>;
}
/**
 * The children of every node built without any: most nodes are leaves, so they share this map
 * instead of one each. Never changed: `insert`, the one method that adds to an existing node,
 * gives a node its own map first.
 */
const NO_CHILDREN: Map<PathElement, Node> = new Map();
const node = (): Node => ({ member: false, size: 0, children: NO_CHILDREN });
/** The nodes along the path `insert` walks, reused from call to call (it holds on to one trie at most until the next). */
const trail: Node[] = [];

export class FieldSet {
  private trie: Node | undefined;
  /**
   * The FieldsV1 a set read from a stored object was decoded from, which is what encoding the set
   * gives: its trie is built only when an operation needs it, so an entry a write leaves alone
   * (the common case: a status write never touches the creator's spec fields) costs no decoding
   * and no encoding.
   */
  private stored: JsonObject | undefined;

  private get root(): Node {
    return (this.trie ??= this.stored ? FieldSet.read(this.stored).root : node());
  }

  static of(paths: Iterable<FieldPath>): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: FieldPath): void {
    const depth = path.length;
    if (depth === 0) return;
    let n = this.root;
    for (let i = 0; i < depth; i++) {
      trail[i] = n;
      let c = n.children.get(path[i]);
      if (!c) {
        if (n.children === NO_CHILDREN) n.children = new Map();
        n.children.set(path[i], (c = node()));
      }
      n = c;
    }
    if (!n.member) {
      n.member = true;
      n.size++;
      for (let i = 0; i < depth; i++) trail[i].size++;
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
    return this.root.size;
  }

  isEmpty(): boolean {
    // Every path element of FieldsV1 leads to a member, so a set is empty exactly when its FieldsV1 names none.
    if (!this.trie && this.stored) return Object.keys(this.stored).every((k) => k === '.');
    return this.root.size === 0;
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
    out.trie = root;
    return out;
  }

  /** `this` when `root` is its own trie (an operation that changed nothing), else a set over `root`. */
  private same(root: Node | undefined): FieldSet {
    return root === this.trie ? this : FieldSet.over(root);
  }

  /**
   * The members of `n` that `keep` accepts, told whether `other` (the parallel node of another
   * set) is a member, or undefined when nothing is left; `cut` drops a whole subtree. Both see
   * only `other`, so below a node `other` lacks everything is kept or nothing is.
   */
  private static prune(n: Node, other: Node | undefined, keep: (other: Node | undefined) => boolean, cut?: (other: Node | undefined) => boolean): Node | undefined {
    if (cut?.(other)) return undefined;
    if (!other) return keep(undefined) ? n : undefined;
    const member = n.member && keep(other);
    let changed = member !== n.member;
    let size = member ? 1 : 0;
    const children = new Map<PathElement, Node>();
    for (const [pe, c] of n.children) {
      const kept = FieldSet.prune(c, other.children.get(pe), keep, cut);
      if (kept !== c) changed = true;
      if (kept) {
        children.set(pe, kept);
        size += kept.size;
      }
    }
    if (!changed) return n;
    return size > 0 ? { member, size, children } : undefined;
  }

  /** A trie holding the members of both. */
  private static merged(a: Node | undefined, b: Node | undefined): Node {
    if (!a) return b!;
    if (!b) return a;
    const member = a.member || b.member;
    const out: Node = { member, size: member ? 1 : 0, children: new Map() };
    for (const pe of new Set([...a.children.keys(), ...b.children.keys()])) {
      const c = FieldSet.merged(a.children.get(pe), b.children.get(pe));
      out.children.set(pe, c);
      out.size += c.size;
    }
    return out;
  }

  union(other: FieldSet): FieldSet {
    if (other.isEmpty() || this.includes(other)) return this;
    if (this.isEmpty()) return other;
    if (!this.trie && this.stored) {
      // A stored set grows without being read: the union's FieldsV1 shares what `other` does not reach.
      const out = new FieldSet();
      out.stored = unionFieldsV1(this.stored, other.root, false);
      return out;
    }
    return FieldSet.over(FieldSet.merged(this.root, other.root));
  }

  difference(other: FieldSet): FieldSet {
    if (other.isEmpty() || this.isEmpty() || !this.intersects(other)) return this;
    return this.same(FieldSet.prune(this.root, other.root, (o) => !o?.member));
  }

  /** Whether some member of `other` is one of this set's. */
  intersects(other: FieldSet): boolean {
    return this.trie ? meets(TRIE, this.trie, other.root) : meets(FIELDS_V1, this.stored ?? {}, other.root);
  }

  /** Whether every member of `other` is one of this set's. */
  includes(other: FieldSet): boolean {
    return this.trie ? covers(TRIE, this.trie, other.root) : covers(FIELDS_V1, this.stored ?? {}, other.root);
  }

  intersection(other: FieldSet): FieldSet {
    return FieldSet.over(FieldSet.prune(this.root, other.root, (o) => o?.member ?? false));
  }

  /** Drops every path equal to or below one of `prefixes` (a set of them, or a list). */
  without(prefixes: readonly FieldPath[] | FieldSet): FieldSet {
    const cut = prefixes instanceof FieldSet ? prefixes : FieldSet.of(prefixes);
    return FieldSet.over(FieldSet.prune(this.root, cut.root, () => true, (c) => c?.member ?? false));
  }

  equals(other: FieldSet): boolean {
    return this.size === other.size && this.difference(other).isEmpty();
  }

  /**
   * Adds each `f:` prefix of every path as a member (structured-merge-diff's
   * `EnsureNamedFieldsAreMembers`): a struct field someone set something under counts as set.
   */
  withNamedFieldMembers(): FieldSet {
    const mark = (n: Node, named: boolean): Node => {
      const children = new Map([...n.children].map(([pe, c]) => [pe, mark(c, pe.startsWith('f:'))]));
      const member = n.member || named;
      let size = member ? 1 : 0;
      for (const c of children.values()) size += c.size;
      return { member, size, children };
    };
    return FieldSet.over(mark(this.root, false));
  }

  /** The path elements right below `path` on the way to members. */
  childrenOf(path: FieldPath): PathElement[] {
    return [...(this.find(path)?.children.keys() ?? [])];
  }

  /** FieldsV1 JSON, children sorted as Kubernetes writes them (a stored set's own FieldsV1, shared). */
  toFieldsV1(): JsonObject {
    return this.stored ?? emitFieldsV1(this.root, false);
  }

  /**
   * The set of FieldsV1 the server itself wrote (a stored object's managedFields), read when
   * first needed: `fields` must stay unchanged, and `toFieldsV1` returns it. 400 when it is not
   * FieldsV1, checked now.
   */
  static fromStoredFieldsV1(fields: unknown): FieldSet {
    checkFieldsV1(fields);
    const out = new FieldSet();
    out.stored = fields as JsonObject;
    return out;
  }

  /** The set FieldsV1 `fields` encodes; 400 when it is not FieldsV1. */
  static fromFieldsV1(fields: unknown): FieldSet {
    checkFieldsV1(fields);
    return FieldSet.read(fields as JsonObject);
  }

  private static read(fields: JsonObject): FieldSet {
    const out = new FieldSet();
    const walk = (json: JsonObject, prefix: PathElement[]) => {
      const keys = Object.keys(json);
      if (keys.length === 0 || keys.includes('.')) out.insert(prefix);
      for (const k of keys) if (k !== '.') walk(json[k] as JsonObject, [...prefix, k]);
    };
    walk(fields, []);
    return out;
  }
}

/** How a set comparison reads the set it walks: as a trie, or as the FieldsV1 it was stored as. */
interface Side<T> {
  child(t: T, pe: PathElement): T | undefined;
  member(t: T): boolean;
}
const TRIE: Side<Node> = { child: (n, pe) => n.children.get(pe), member: (n) => n.member };
const FIELDS_V1: Side<JsonObject> = { child: (j, pe) => (Object.hasOwn(j, pe) ? (j[pe] as JsonObject) : undefined), member: (j) => isFieldsV1Member(j) };

/** Whether some member below trie node `b` is a member below `a` at the same path. */
function meets<T>(side: Side<T>, a: T, b: Node): boolean {
  for (const [pe, bc] of b.children) {
    const ac = side.child(a, pe);
    if (ac !== undefined && ((bc.member && side.member(ac)) || meets(side, ac, bc))) return true;
  }
  return false;
}

/** Whether every member below trie node `b` is a member below `a` at the same path. */
function covers<T>(side: Side<T>, a: T, b: Node): boolean {
  for (const [pe, bc] of b.children) {
    const ac = side.child(a, pe);
    if (ac === undefined || (bc.member && !side.member(ac)) || !covers(side, ac, bc)) return false;
  }
  return true;
}

/** FieldsV1 of a trie node (`self`: not the root): `.` first for a member with children, children in Kubernetes' order. */
function emitFieldsV1(n: Node, self: boolean): JsonObject {
  const out: JsonObject = {};
  if (n.children.size === 0) return out;
  if (self && n.member) out['.'] = {};
  if (n.children.size === 1) {
    for (const [pe, c] of n.children) out[pe] = emitFieldsV1(c, true);
    return out;
  }
  for (const pe of sortPathElements([...n.children.keys()])) out[pe] = emitFieldsV1(n.children.get(pe)!, true);
  return out;
}

/**
 * FieldsV1 of the union of FieldsV1 `json` (as the server writes it) and trie node `n` at the same
 * path (`self`: not the root), written as the server writes it; `json` itself when `n` adds nothing.
 */
function unionFieldsV1(json: JsonObject, n: Node, self: boolean): JsonObject {
  const children = new Map<PathElement, JsonObject>();
  for (const k of Object.keys(json)) if (k !== '.') children.set(k, json[k] as JsonObject);
  let changed = false;
  for (const [pe, c] of n.children) {
    const before = children.get(pe);
    const after = before ? unionFieldsV1(before, c, true) : emitFieldsV1(c, true);
    if (after !== before) {
      children.set(pe, after);
      changed = true;
    }
  }
  const was = self && isFieldsV1Member(json);
  const member = was || (self && n.member);
  if (!changed && member === was) return json;
  const out: JsonObject = {};
  if (member && children.size > 0) out['.'] = {};
  for (const pe of sortPathElements([...children.keys()])) out[pe] = children.get(pe)!;
  return out;
}

/** `f:`, `k:`, `v:` or `i:` and what follows. */
const isPathElement = (k: string) => k.charCodeAt(1) === 58 /* : */ && (k[0] === 'f' || k[0] === 'k' || k[0] === 'v' || k[0] === 'i');

/** Whether a FieldsV1 object is a member itself: it holds `.`, or nothing at all. */
const isFieldsV1Member = (json: JsonObject) => {
  if (Object.hasOwn(json, '.')) return true;
  for (const k in json) if (Object.hasOwn(json, k)) return false;
  return true;
};

/** 400 unless `json` is FieldsV1: objects all the way down, keyed by path elements and `.`. */
function checkFieldsV1(json: unknown): void {
  if (!isObject(json)) throw badRequest('managedFields: fieldsV1 must be a JSON object');
  for (const k of Object.keys(json)) {
    if (k === '.') continue;
    if (!isPathElement(k)) throw badRequest(`managedFields: invalid path element ${JSON.stringify(k)}`);
    checkFieldsV1(json[k]);
  }
}

const ORDER = { f: 0, k: 1, v: 2, i: 3 } as const;

/**
 * `elements` in `comparePathElements` order, in place: without indices that is the strings' own
 * order (`sortStrings`).
 */
const sortPathElements = (elements: PathElement[]): PathElement[] =>
  elements.some((pe) => pe[0] === 'i') ? elements.sort(comparePathElements) : sortStrings(elements);

/**
 * `strings` in code-unit order (the built-in sort's), in place. The lists of one object's keys
 * are short, and sorting them by insertion allocates nothing and runs in about a third of the
 * built-in sort's time, which copies the list first.
 */
export function sortStrings<T extends string>(strings: T[]): T[] {
  if (strings.length > 16) return strings.sort();
  for (let i = 1; i < strings.length; i++) {
    const s = strings[i]!;
    let j = i - 1;
    for (; j >= 0 && strings[j]! > s; j--) strings[j + 1] = strings[j]!;
    strings[j + 1] = s;
  }
  return strings;
}

/** Field names before keys before values before indices, each kind in its natural order. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  // `f` < `k` < `v` as characters too: only indices need the table.
  if (a[0] !== 'i' && b[0] !== 'i') return a < b ? -1 : a > b ? 1 : 0;
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
