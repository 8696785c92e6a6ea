import { CompactedError, FutureRevisionError, inRange, type KV, type KVEntry, type KVEvent, type KVWatch, type RangeResult, type TxnResult, type WatchSink, type WriteSource } from './kv.js';
import { KVStore, type StoreOptions } from './kv-store.js';
import { LocalHub } from './local-hub.js';
import { KeyIndex } from './key-index.js';

/** An MVCC map in process memory: the same semantics as the durable backends, nothing persisted. */
export class MemoryKV implements KV {
  private rev = 0;
  private compacted = 0;
  private readonly index = new KeyIndex<string>();
  /** Committed events after `compacted`, for watches that start in the past. */
  private log: KVEvent[] = [];
  private readonly hub = new LocalHub(() => this.rev);

  async get(key: string): Promise<KVEntry | undefined> {
    return this.entry(key);
  }

  private entry(key: string): KVEntry | undefined {
    const v = this.index.latest(key);
    return v && { key, value: v.value!, modRev: v.rev };
  }

  async range(start: string, end: string, limit: number, atRev: number): Promise<RangeResult> {
    const rev = this.checkRev(atRev);
    const { entries, more } = this.index.range(start, end, rev, limit);
    return { entries: entries.map(([key, v]) => ({ key, value: v.value!, modRev: v.rev })), rev, more };
  }

  async count(start: string, end: string): Promise<number> {
    return this.index.count(start, end);
  }

  async txn(key: string, expectModRev: number, value: string | null, source?: WriteSource): Promise<TxnResult> {
    const current = this.entry(key);
    if ((current?.modRev ?? 0) !== expectModRev || (value === null && !current)) return { ok: false, current };
    const rev = ++this.rev;
    this.index.add(key, rev, value);
    const event: KVEvent = { key, rev, value, prev: current?.value ?? null, source };
    this.log.push(event);
    this.hub.publish([event]);
    event.source = undefined;
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
    this.index.compact(rev);
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
