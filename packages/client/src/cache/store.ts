import type { KubeObject } from '../types.js';

/** Index values of one object for one index, e.g. `[pod.spec.nodeName]`; an empty list leaves it out. */
export type IndexFunc<T> = (obj: T) => readonly string[];
export type Indexers<T> = Record<string, IndexFunc<T>>;

/** The built-in index every store has: objects by `metadata.namespace`. */
export const NAMESPACE_INDEX = 'namespace';
const NO_VALUES: readonly string[] = [];
const byNamespace: IndexFunc<KubeObject> = (o) => (o.metadata.namespace ? [o.metadata.namespace] : NO_VALUES);

/** The cache key of an object: `namespace/name`, or `name` when cluster-scoped (client-go's MetaNamespaceKeyFunc). */
export const keyOf = (obj: KubeObject): string =>
  obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');
export const objectKey = (namespace: string | undefined, name: string): string => (namespace ? `${namespace}/${name}` : name);
export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/**
 * An indexed object cache. Objects are stored as given, never copied: they are shared with every
 * reader and must be treated as immutable. Each write updates every index in O(values per
 * object), so a store of 10,000s of objects stays cheap per event. Writes are synchronous, so a
 * reader never sees an object in the store but missing from an index.
 */
export class Store<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Indexers<T> = {}) {
    this.addIndexers({ [NAMESPACE_INDEX]: byNamespace, ...indexers });
  }

  /** Adds indexes (building them over what is already stored). A name already in use throws. */
  addIndexers(indexers: Indexers<T>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexers.has(name)) throw new Error(`indexer ${name} already exists`);
      this.indexers.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, obj] of this.items) for (const v of fn(obj)) addTo(index, v, key);
    }
  }

  get size(): number { return this.items.size; }
  get(key: string): T | undefined { return this.items.get(key); }
  list(): T[] { return [...this.items.values()]; }
  keys(): IterableIterator<string> { return this.items.keys(); }
  values(): IterableIterator<T> { return this.items.values(); }

  /** Keys of the objects whose `index` holds `value`. An unknown index throws. */
  indexKeys(index: string, value: string): string[] {
    return [...(this.index(index).get(value) ?? [])];
  }
  byIndex(index: string, value: string): T[] {
    const keys = this.index(index).get(value);
    return keys ? [...keys].map((k) => this.items.get(k)!) : [];
  }
  /** The distinct values an index currently holds. */
  indexValues(index: string): string[] {
    return [...this.index(index).keys()];
  }

  /** Stores `obj` under `key` and returns what it replaced. */
  set(key: string, obj: T): T | undefined {
    const old = this.items.get(key);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) {
      const before = old ? fn(old) : NO_VALUES;
      const after = fn(obj);
      // Most updates keep their index values (a pod stays in its namespace and on its node).
      if (before.length === 1 && after.length === 1 && before[0] === after[0]) continue;
      const index = this.indices.get(name)!;
      for (const v of before) if (!after.includes(v)) removeFrom(index, v, key);
      for (const v of after) if (!before.includes(v)) addTo(index, v, key);
    }
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.items.delete(key);
    for (const [name, fn] of this.indexers) for (const v of fn(old)) removeFrom(this.indices.get(name)!, v, key);
    return old;
  }

  private index(name: string): Map<string, Set<string>> {
    const i = this.indices.get(name);
    if (!i) throw new Error(`index ${name} does not exist`);
    return i;
  }
}

function addTo(index: Map<string, Set<string>>, value: string, key: string): void {
  let s = index.get(value);
  if (!s) index.set(value, (s = new Set()));
  s.add(key);
}

function removeFrom(index: Map<string, Set<string>>, value: string, key: string): void {
  const s = index.get(value);
  if (!s) return;
  s.delete(key);
  if (s.size === 0) index.delete(value);
}
