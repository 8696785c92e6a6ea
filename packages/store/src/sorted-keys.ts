/**
 * A sorted set of keys for range scans that stays cheap under bursts of writes: `add` and
 * `delete` are O(1) and are folded into the sorted array on the next read (one O(n) merge per
 * read that follows writes, instead of an O(n) array shift per write). The memory backend and the
 * watch cache index their keys with it; their reads are far rarer than their writes.
 *
 * Contract: `add` only keys that are absent and `delete` only keys that are present.
 */
export class SortedKeys {
  private sorted: string[];
  private added: string[] = [];
  private readonly removed = new Set<string>();

  constructor(keys: Iterable<string> = []) {
    this.sorted = [...keys].sort();
  }

  add(key: string): void {
    if (!this.removed.delete(key)) this.added.push(key);
  }

  delete(key: string): void {
    this.removed.add(key);
  }

  /** The keys in ascending order; the array is valid until the next write. */
  view(): readonly string[] {
    if (this.added.length || this.removed.size) {
      const keep = (k: string) => !this.removed.has(k);
      const a = this.removed.size ? this.sorted.filter(keep) : this.sorted;
      const b = (this.removed.size ? this.added.filter(keep) : this.added).sort();
      this.sorted = b.length ? merge(a, b) : a;
      this.added = [];
      this.removed.clear();
    }
    return this.sorted;
  }
}

/** Index of the first key >= `key` in ascending `keys`. */
export function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function merge(a: readonly string[], b: readonly string[]): string[] {
  const out = new Array<string>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]! < b[j]! ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}
