import { createRequire } from 'node:module';
import type { Etcd3, IKeyValue, IOptions, IWatchResponse, Watcher } from 'etcd3';
import { badRequest, internalError, requestEntityTooLarge, serviceUnavailable, timeout, type StatusError } from '@peapod/api-types';
import { CompactedError, FutureRevisionError, type KV, type KVEntry, type KVEvent, type KVWatch, type RangeResult, type TxnResult, type WatchSink } from './kv.js';
import { KVStore, type StoreOptions } from './kv-store.js';

export interface EtcdStoreOptions extends StoreOptions {
  /** Every key lives under this prefix in etcd (kube-apiserver: `/registry`). */
  prefix?: string;
  /** Per-request deadline. */
  requestTimeoutMs?: number;
  /** How long reads (and the check that settles a write of unknown outcome) keep retrying an unreachable cluster. */
  retryForMs?: number;
}

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;
/** Runs each call once: the client's default global policy would resend failed transactions. */
const noRetry = {
  execute: (fn: (ctx: { signal: AbortSignal }) => unknown) => Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
} as unknown as Policy;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Sends of one write that each failed without being applied, before giving up. */
const MAX_RESENDS = 5;

/** A failure the cluster reported (not a compacted/future revision), as the Status a client sees. */
function etcdError(err: unknown): StatusError {
  const msg = String((err as Error)?.message ?? err);
  if (/request is too large|message larger than max/i.test(msg)) return requestEntityTooLarge(`etcd: ${msg}`);
  if (/unavailable|circuit breaker|no leader|leader changed|connect|deadline|timed out|timeout/i.test(msg)) return serviceUnavailable(`etcd: ${msg}`);
  return internalError(err);
}

const isCompacted = (err: unknown) => /required revision has been compacted/.test(String((err as Error)?.message));
const isFuture = (err: unknown) => /required revision is a future revision/.test(String((err as Error)?.message));
/**
 * The etcd3 client (with gRPC, ~4 MB of heap) is loaded by the first EtcdKV, not with this
 * package: most processes run on sqlite. It is CommonJS, so `require` keeps the constructor synchronous.
 */
const loadEtcd3 = () => (createRequire(import.meta.url)('etcd3') as { Etcd3: typeof Etcd3 }).Etcd3;

/**
 * An MVCC map in an etcd v3 cluster. Every write is one transaction comparing the key's
 * mod_revision, and the client never retries a write on its own (the etcd3 client's global retry
 * policy is off): a transaction that failed with an unknown outcome, say because the leader went
 * away, is settled by reading what the cluster holds before anything is retried, since replaying
 * one that was applied would lose or double an update.
 */
export class EtcdKV implements KV {
  private readonly client: Etcd3;
  private readonly root: string;
  private readonly retryForMs: number;

  constructor(hosts: readonly string[], opts: EtcdStoreOptions = {}) {
    if (!hosts.length) throw badRequest('etcd: at least one endpoint is required');
    const deadline = opts.requestTimeoutMs ?? 5_000;
    this.client = new (loadEtcd3())({
      hosts: hosts.map((h) => (/^https?:\/\//.test(h) ? h : `http://${h}`)),
      dialTimeout: 2_000,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + deadline }),
      faultHandling: { global: noRetry },
    });
    this.root = opts.prefix ?? '/registry';
    this.retryForMs = opts.retryForMs ?? 10_000;
  }

  private k(key: string): Buffer {
    return Buffer.from(this.root + key);
  }

  private entry(kv: IKeyValue): KVEntry {
    return { key: kv.key.toString().slice(this.root.length), value: kv.value.toString(), modRev: Number(kv.mod_revision) };
  }

  /** Retries an idempotent read while the cluster is unreachable or electing a leader. */
  private async read<T>(fn: () => Promise<T>): Promise<T> {
    const until = Date.now() + this.retryForMs;
    for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
      try {
        return await fn();
      } catch (err) {
        if (isCompacted(err) || isFuture(err)) throw err;
        if (Date.now() > until) throw etcdError(err);
        await sleep(delay);
      }
    }
  }

  async get(key: string): Promise<KVEntry | undefined> {
    const res = await this.read(() => this.client.kv.range({ key: this.k(key) }));
    return res.kvs[0] && this.entry(res.kvs[0]);
  }

  async range(start: string, end: string, limit: number, atRev: number): Promise<RangeResult> {
    try {
      const res = await this.read(() => this.client.kv.range({ key: this.k(start), range_end: this.k(end), limit, revision: atRev }));
      const entries = res.kvs.map((kv) => this.entry(kv));
      return { entries, rev: atRev || Number(res.header.revision), more: res.more ? Number(res.count) - entries.length : 0 };
    } catch (err) {
      if (isCompacted(err)) throw new CompactedError(atRev, 0);
      if (isFuture(err)) throw new FutureRevisionError(atRev, await this.revision());
      throw err;
    }
  }

  async count(start: string, end: string): Promise<number> {
    const res = await this.read(() => this.client.kv.range({ key: this.k(start), range_end: this.k(end), count_only: true }));
    return Number(res.count);
  }

  async txn(key: string, expectModRev: number, value: string | null): Promise<TxnResult> {
    const k = this.k(key);
    for (let sends = 1; ; sends++) {
      try {
        const res = await this.client.kv.txn({
          compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectModRev }],
          success: [value === null ? { request_delete_range: { key: k } } : { request_put: { key: k, value: Buffer.from(value) } }],
          failure: [{ request_range: { key: k } }],
        });
        if (res.succeeded) return { ok: true, rev: Number(res.header.revision) };
        const kv = res.responses[0]?.response_range?.kvs[0];
        return { ok: false, current: kv && this.entry(kv) };
      } catch (err) {
        const settled = await this.settle(key, expectModRev, value, err);
        if (settled) return settled;
        // Not applied: the same compare-and-swap is safe to send again, a few times.
        if (sends >= MAX_RESENDS) throw etcdError(err);
        await sleep(50 * sends);
      }
    }
  }

  /**
   * Decides what became of a transaction that failed with an unknown outcome. Key unchanged since
   * `expect`: not applied (undefined: the same compare-and-swap may be sent again). Otherwise the
   * first change after `expect` was made by whichever transaction won that compare: a different
   * value means not ours (an ordinary conflict). The same value may be ours or an identical write
   * by another client; that stays unknown and fails with 504 rather than guessing.
   */
  private async settle(key: string, expect: number, value: string | null, cause: unknown): Promise<TxnResult | undefined> {
    const unknown = () => timeout(`etcd: the outcome of a write to ${key} is unknown: ${(cause as Error).message}`);
    const current = await this.get(key).catch(() => { throw unknown(); });
    if ((current?.modRev ?? 0) === expect) return undefined;
    // A create has no earlier version to start from: the current value is the first change.
    const first = expect === 0 ? current && { value: current.value } : await this.firstChangeAfter(key, expect);
    if (!first || first.value === value) throw unknown();
    return { ok: false, current };
  }

  /** The first event on `key` after revision `after` (from etcd's history, via a watch). */
  private firstChangeAfter(key: string, after: number): Promise<KVEvent | undefined> {
    return new Promise((resolve) => {
      let done = false;
      const h = this.watch(key, `${key}\0`, after, {
        events: (evs) => {
          if (done) return;
          done = true;
          h.stop();
          resolve(evs[0]);
        },
        error: () => {
          if (done) return;
          done = true;
          resolve(undefined);
        },
      });
      setTimeout(() => { if (!done) { done = true; h.stop(); resolve(undefined); } }, this.retryForMs).unref();
    });
  }

  watch(start: string, end: string, afterRev: number, sink: WatchSink): KVWatch {
    let delivered = afterRev;
    let stopped = false;
    const watcher: Watcher = this.client.watch()
      .inRange({ start: this.k(start), end: this.k(end) })
      .startRevision(String(afterRev + 1))
      .withPreviousKV()
      .watcher();
    // The client resumes a broken stream from the revision it last saw in any header, which can be
    // past events not yet received; resume from the last delivered event instead (these listeners
    // run after the client's own).
    const pinResume = () => { watcher.request.start_revision = String(delivered + 1); };
    watcher.on('connected', pinResume);
    watcher.on('data', (res: IWatchResponse) => {
      if (stopped) return;
      if (res.events.length === 0) {
        // A progress notification: every event up to the header revision has been sent.
        delivered = Math.max(delivered, Number(res.header.revision));
        pinResume();
        return;
      }
      const events: KVEvent[] = [];
      for (const ev of res.events) {
        const rev = Number(ev.kv.mod_revision);
        if (rev <= delivered) continue;
        const prev = ev.prev_kv ? ev.prev_kv.value.toString() : null;
        if (ev.type === 'Delete' && prev === null) {
          sink.error(new Error(`etcd: delete event for ${ev.kv.key.toString()} at ${rev} carries no previous value`));
          stop();
          return;
        }
        events.push({ key: ev.kv.key.toString().slice(this.root.length), rev, value: ev.type === 'Delete' ? null : ev.kv.value.toString(), prev });
        delivered = rev;
      }
      pinResume();
      if (events.length) sink.events(events);
    });
    watcher.on('error', (err: Error) => {
      if (stopped) return;
      stop();
      // etcd cancels a watch whose start was compacted without always saying why: ask a read at
      // the same revision, which names the compaction.
      void this.client.kv.range({ key: this.k(start), limit: 1, revision: delivered }).then(
        () => sink.error(err),
        (readErr: unknown) => sink.error(isCompacted(readErr) || isCompacted(err) ? new CompactedError(delivered, 0) : err),
      );
    });
    const stop = () => {
      if (stopped) return;
      stopped = true;
      void watcher.cancel().catch(() => undefined);
    };
    return { stop, progress: () => delivered };
  }

  async compact(rev: number): Promise<void> {
    try {
      await this.read(() => this.client.kv.compact({ revision: rev, physical: false }));
    } catch (err) {
      if (isCompacted(err)) return;
      if (isFuture(err)) throw new FutureRevisionError(rev, await this.revision());
      throw err;
    }
  }

  async revision(): Promise<number> {
    const res = await this.read(() => this.client.kv.range({ key: this.k('/'), count_only: true }));
    return Number(res.header.revision);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/** A store in an etcd v3 cluster (`hosts`: `host:port` or URLs). */
export function createEtcdStore(hosts: readonly string[], opts: EtcdStoreOptions = {}): KVStore {
  return new KVStore(new EtcdKV(hosts, opts), opts);
}
