import { CompactedError, FutureRevisionError, inRange, type KV, type KVEntry, type KVEvent, type KVWatch, type RangeResult, type TxnResult, type WatchSink } from './kv.js';
import { KVStore, type StoreOptions } from './kv-store.js';
import { LocalHub } from './local-hub.js';
import { SortedKeys, lowerBound } from './sorted-keys.js';

interface Version {
  rev: number;
  /** null: deleted at `rev`. */
  value: string | null;
}

/** The newest version at or before `rev`, or undefined. Versions are in ascending revision order. */
function versionAt(vs: readonly Version[], rev: number): Version | undefined {
  for (let i = vs.length - 1; i >= 0; i--) if (vs[i]!.rev <= rev) return vs[i];
  return undefined;
}

/** An MVCC map in process memory: the same semantics as the durable backends, nothing persisted. */
export class MemoryKV implements KV {
  private rev = 0;
  private compacted = 0;
  /** Every key that has a version. */
  private keys = new SortedKeys();
  private readonly versions = new Map<string, Version[]>();
  /** Committed events after `compacted`, for watches that start in the past. */
  private log: KVEvent[] = [];
  private readonly hub = new LocalHub(() => this.rev);

  async get(key: string): Promise<KVEntry | undefined> {
    const v = this.versions.get(key)?.at(-1);
    return v && v.value !== null ? { key, value: v.value, modRev: v.rev } : undefined;
  }

  async range(start: string, end: string, limit: number, atRev: number): Promise<RangeResult> {
    const rev = this.checkRev(atRev);
    const entries: KVEntry[] = [];
    let more = 0;
    const keys = this.keys.view();
    for (let i = lowerBound(keys, start); i < keys.length && keys[i]! < end; i++) {
      const key = keys[i]!;
      const v = versionAt(this.versions.get(key)!, rev);
      if (!v || v.value === null) continue;
      if (limit && entries.length >= limit) more++;
      else entries.push({ key, value: v.value, modRev: v.rev });
    }
    return { entries, rev, more };
  }

  async count(start: string, end: string): Promise<number> {
    let n = 0;
    const keys = this.keys.view();
    for (let i = lowerBound(keys, start); i < keys.length && keys[i]! < end; i++) {
      if (this.versions.get(keys[i]!)!.at(-1)!.value !== null) n++;
    }
    return n;
  }

  async txn(key: string, expectModRev: number, value: string | null): Promise<TxnResult> {
    let vs = this.versions.get(key);
    const last = vs?.at(-1);
    const current = last && last.value !== null ? { key, value: last.value, modRev: last.rev } : undefined;
    if ((current?.modRev ?? 0) !== expectModRev || (value === null && !current)) return { ok: false, current };
    const rev = ++this.rev;
    if (!vs) {
      vs = [];
      this.versions.set(key, vs);
      this.keys.add(key);
    }
    vs.push({ rev, value });
    const event: KVEvent = { key, rev, value, prev: current?.value ?? null };
    this.log.push(event);
    this.hub.publish([event]);
    return { ok: true, rev };
  }

  watch(start: string, end: string, afterRev: number, sink: WatchSink): KVWatch {
    if (afterRev < this.compacted) {
      queueMicrotask(() => sink.error(new CompactedError(afterRev, this.compacted)));
      return { stop: () => undefined, progress: () => afterRev };
    }
    const from = this.firstLogIndexAfter(afterRev);
    const replay = this.log.slice(from).filter((e) => inRange(e.key, start, end));
    return this.hub.subscribe(start, end, sink, replay);
  }

  async compact(rev: number): Promise<void> {
    if (rev <= this.compacted) return;
    this.checkRev(rev);
    for (const [key, vs] of this.versions) {
      let keep = vs.length - 1;
      while (keep > 0 && vs[keep]!.rev > rev) keep--;
      // vs[keep] is the newest version at or before `rev` (if any is); older ones are unreachable.
      if (vs[keep]!.rev <= rev) {
        if (keep === vs.length - 1 && vs[keep]!.value === null) this.versions.delete(key);
        else if (keep > 0) vs.splice(0, keep);
      }
    }
    this.keys = new SortedKeys(this.versions.keys());
    this.log = this.log.slice(this.firstLogIndexAfter(rev));
    this.compacted = rev;
  }

  async revision(): Promise<number> {
    return this.rev;
  }

  async close(): Promise<void> {
    this.hub.fail(new Error('store closed'));
  }

  private checkRev(atRev: number): number {
    if (atRev === 0) return this.rev;
    if (atRev < this.compacted) throw new CompactedError(atRev, this.compacted);
    if (atRev > this.rev) throw new FutureRevisionError(atRev, this.rev);
    return atRev;
  }

  private firstLogIndexAfter(rev: number): number {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.log[mid]!.rev <= rev) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A store kept in process memory: the full contract, nothing persisted (tests and simulations). */
export function createMemoryStore(opts: StoreOptions = {}): KVStore {
  return new KVStore(new MemoryKV(), opts);
}
