import { SortedKeys, lowerBound } from './sorted-keys.js';

/** One version of a key; `value` null is a deletion. */
export interface Version<V> {
  readonly rev: number;
  readonly value: V | null;
}

/** The newest version at or before `rev`, or undefined. Versions are in ascending revision order. */
function versionAt<V>(vs: readonly Version<V>[], rev: number): Version<V> | undefined {
  for (let i = vs.length - 1; i >= 0; i--) if (vs[i]!.rev <= rev) return vs[i];
  return undefined;
}

/**
 * The key -> versions index of an MVCC map, as etcd's in-memory tree index: every version of every
 * key since the compaction point, in revision order, with the keys sorted for range reads. The
 * memory backend keeps the values in it; the sqlite backend keeps only which versions are
 * deletions and reads values from its file by revision, so its file needs no index by key.
 */
export class KeyIndex<V> {
  /** Every key that has a version. */
  private readonly keys = new SortedKeys();
  private readonly versions = new Map<string, Version<V>[]>();

  /** The key's newest version at or before `rev` (default: the newest), if it is not a deletion. */
  latest(key: string, rev = Infinity): Version<V> | undefined {
    const vs = this.versions.get(key);
    const v = vs && (rev === Infinity ? vs.at(-1) : versionAt(vs, rev));
    return v && v.value !== null ? v : undefined;
  }

  /** Records a new version; `rev` must be above every revision recorded for the key. */
  add(key: string, rev: number, value: V | null): void {
    let vs = this.versions.get(key);
    if (!vs) {
      vs = [];
      this.versions.set(key, vs);
      this.keys.add(key);
    }
    vs.push({ rev, value });
  }

  /** Forgets the key's newest version (a write whose commit failed); calls undo `add`s in reverse order. */
  removeLatest(key: string): void {
    const vs = this.versions.get(key)!;
    vs.pop();
    if (!vs.length) {
      this.versions.delete(key);
      this.keys.delete(key);
    }
  }

  /** The keys in [start, end) live at `rev`, in key order: at most `limit` (0: all) and how many more there are. */
  range(start: string, end: string, rev: number, limit: number): { entries: [string, Version<V>][]; more: number } {
    const entries: [string, Version<V>][] = [];
    let more = 0;
    const keys = this.keys.view();
    for (let i = lowerBound(keys, start); i < keys.length && keys[i]! < end; i++) {
      const key = keys[i]!;
      const v = versionAt(this.versions.get(key)!, rev);
      if (!v || v.value === null) continue;
      if (limit && entries.length >= limit) more++;
      else entries.push([key, v]);
    }
    return { entries, more };
  }

  /** How many keys in [start, end) are live at `rev` (default: now). */
  count(start: string, end: string, rev = Infinity): number {
    let n = 0;
    const keys = this.keys.view();
    for (let i = lowerBound(keys, start); i < keys.length && keys[i]! < end; i++) {
      if (this.latest(keys[i]!, rev)) n++;
    }
    return n;
  }

  /**
   * Forgets every version no read at or after `rev` can reach: those older than a key's newest
   * version at or before `rev`, and that one too if it is a deletion. `persist` is given the
   * forgotten revisions first; if it throws, the index is left unchanged.
   */
  compact(rev: number, persist: (dropped: number[]) => void = () => undefined): void {
    const cuts = new Map<string, number>();
    const dropped: number[] = [];
    for (const [key, vs] of this.versions) {
      let keep = 0;
      while (keep < vs.length && vs[keep]!.rev <= rev) keep++;
      // vs[keep - 1] is the newest version at or before `rev`: it stays unless it is a deletion.
      if (keep > 0 && vs[keep - 1]!.value !== null) keep--;
      if (!keep) continue;
      cuts.set(key, keep);
      for (let i = 0; i < keep; i++) dropped.push(vs[i]!.rev);
    }
    persist(dropped);
    for (const [key, keep] of cuts) {
      const vs = this.versions.get(key)!;
      if (keep < vs.length) vs.splice(0, keep);
      else {
        this.versions.delete(key);
        this.keys.delete(key);
      }
    }
  }
}
