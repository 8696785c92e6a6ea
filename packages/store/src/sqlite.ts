import { closeSync, fdatasync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StatusError } from '@peapod/api-types';
import { CompactedError, FutureRevisionError, type KV, type KVEntry, type KVEvent, type KVWatch, type RangeResult, type TxnResult, type WatchSink, type WriteSource } from './kv.js';
import { KVStore, type StoreOptions } from './kv-store.js';
import { KeyIndex } from './key-index.js';
import { LocalHub } from './local-hub.js';

/**
 * `synchronous` for the WAL. FULL (the default) acknowledges a write only after the WAL holding it
 * is fsynced, so it survives kill -9 and also an OS crash or power loss, as etcd's fsync per commit
 * does; group commit amortizes that fsync over every write waiting at the time. NORMAL leaves the
 * WAL in the OS page cache: acknowledged writes still survive kill -9 of this process (the kernel
 * owns the pages), but not a machine crash.
 */
export type SqliteSync = 'full' | 'normal';

export interface SqliteStoreOptions extends StoreOptions {
  synchronous?: SqliteSync;
}

/**
 * What a file must carry to be opened as a store; a different value means someone else's file.
 * v2 keeps only the revision log: the index by key lives in memory (`KeyIndex`, rebuilt from the
 * log at open, as etcd rebuilds its tree index), so a write appends one row and updates no other
 * B-tree. v1 also had a `current` table and a `(key, rev)` index; a v1 file is upgraded on open,
 * and the new value makes an older peapod refuse the file rather than misread it.
 */
const FORMAT = 'peapod-store/v2';
const FORMAT_V1 = 'peapod-store/v1';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
-- Every version of every key since compaction; value NULL is a deletion, prev_rev the version it replaced (0: none).
CREATE TABLE IF NOT EXISTS revisions (rev INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT, prev_rev INTEGER NOT NULL);
`;

const UPGRADE_V1 = `
DROP TABLE IF EXISTS current;
DROP INDEX IF EXISTS revisions_by_key;
UPDATE meta SET value = '${FORMAT}' WHERE name = 'format';
`;

interface PendingTxn {
  key: string;
  expect: number;
  value: string | null;
  source: WriteSource | undefined;
  resolve: (r: TxnResult) => void;
  reject: (err: unknown) => void;
}

/** A batch committed to the WAL, waiting to be durable before it is acknowledged and published. */
interface Committed {
  batch: PendingTxn[];
  results: TxnResult[];
  events: KVEvent[];
  /** The store's revision after the batch. */
  rev: number;
}

/**
 * The event of a write this process committed. The value it replaced is read from the file only
 * when a watcher asks for it (the watch cache keeps its own copy of every object it caches), which
 * watchers do while the event is delivered: compaction keeps a version until a newer version of its
 * key is at or below the compaction revision, which is never past the durable one, and this write
 * becomes durable just as it is delivered.
 */
class CommittedEvent implements KVEvent {
  memo?: KVEvent['memo'];
  private read: string | null | undefined;

  constructor(
    readonly key: string,
    readonly rev: number,
    readonly value: string | null,
    private readonly prevRev: number,
    public source: WriteSource | undefined,
    private readonly valueAt: { get(rev: number): unknown },
  ) {}

  get prev(): string | null {
    return (this.read ??= this.prevRev ? (this.valueAt.get(this.prevRev) as string) : null);
  }
}

/** A failure to open the data file, naming it: a store never silently starts empty on a bad file. */
export function openError(path: string, why: string, cause?: unknown): StatusError {
  return new StatusError({ code: 500, reason: 'InternalError', message: `cannot open the store file ${path}: ${why}` }, { cause });
}

/**
 * An MVCC map in one SQLite file (WAL mode), owned by this process alone (exclusive locking).
 * Writes queue up and commit together in one transaction per turn of the event loop (group
 * commit). With FULL, SQLite commits without syncing and the store fdatasyncs the WAL itself on
 * libuv's thread pool, so the event loop keeps serving while the disk flushes; batches committed
 * meanwhile share the next fdatasync. A write is acknowledged, published to watchers and visible to
 * reads only once durable: reads are served at the durable revision (`durable`), while the
 * compare of the next writes sees every committed one (`rev`), so the order of writes is the order
 * of commits and nobody observes a write that a crash could still take back.
 */
export class SqliteKV implements KV {
  private readonly db: Database.Database;
  /** The newest revision committed to the WAL. */
  private rev = 0;
  /** The newest revision on disk: what reads, watches and acknowledgements see. */
  private durable = 0;
  private compacted = 0;
  private pending: PendingTxn[] = [];
  private flushScheduled = false;
  /** FULL: committed batches wait for an fdatasync of the WAL (`walFd`), one in flight at a time. */
  private readonly fsync: boolean;
  private unsynced: Committed[] = [];
  private syncing = false;
  private walFd: number | undefined;
  private drained: (() => void)[] = [];
  /** Set when an fdatasync failed: what the disk holds is unknown, so the store serves nothing more. */
  private failed: Error | undefined;
  private readonly hub = new LocalHub(() => this.durable);
  /** Which revision of which key is live when, mirroring the `revisions` table (values stay in the file). */
  private readonly index = new KeyIndex<true>();
  private readonly stmt;
  private closed = false;

  constructor(readonly path: string, opts: { synchronous?: SqliteSync } = {}) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, { timeout: 200 });
    } catch (err) {
      throw openError(path, (err as Error).message, err);
    }
    this.fsync = opts.synchronous !== 'normal';
    try {
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('journal_mode = WAL');
      // The store does FULL's fsync itself (see the class comment); NORMAL still syncs at checkpoints.
      this.db.pragma('synchronous = NORMAL');
      const check = this.db.pragma('quick_check(1)', { simple: true });
      if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
      const tables = this.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
      if (tables.length && !tables.includes('meta')) throw new Error('it is an SQLite database but not a peapod store');
      this.db.exec(SCHEMA);
      const format = this.db.prepare(`SELECT value FROM meta WHERE name = 'format'`).pluck().get();
      if (format === undefined && tables.length === 0) this.db.prepare(`INSERT INTO meta VALUES ('format', ?), ('compacted', 0)`).run(FORMAT);
      else if (format === FORMAT_V1) this.db.transaction(() => this.db.exec(UPGRADE_V1))();
      else if (format !== FORMAT) throw new Error(`unknown store format ${JSON.stringify(format)}`);
      this.compacted = Number(this.db.prepare(`SELECT value FROM meta WHERE name = 'compacted'`).pluck().get());
      this.rev = this.compacted;
      const log = this.db.prepare('SELECT rev, key, value IS NULL FROM revisions ORDER BY rev').raw().iterate() as Iterable<[number, string, number]>;
      for (const [rev, key, deleted] of log) {
        this.index.add(key, rev, deleted ? null : true);
        this.rev = Math.max(this.rev, rev);
      }
      this.durable = this.rev;
    } catch (err) {
      this.db.close();
      const msg = (err as Error).message;
      throw openError(path, /locked|busy/i.test(msg) ? `it is in use by another process (${msg})` : msg, err);
    }
    const db = this.db;
    this.stmt = {
      valueAt: db.prepare('SELECT value FROM revisions WHERE rev = ?').pluck(),
      insert: db.prepare('INSERT INTO revisions (rev, key, value, prev_rev) VALUES (?, ?, ?, ?)'),
      history: db.prepare(
        `SELECT r.key, r.rev, r.value, p.value FROM revisions r LEFT JOIN revisions p ON p.rev = r.prev_rev
         WHERE r.rev > ? AND r.rev <= ? AND r.key >= ? AND r.key < ? ORDER BY r.rev`,
      ).raw(),
      drop: db.prepare('DELETE FROM revisions WHERE rev = ?'),
      setCompacted: db.prepare(`UPDATE meta SET value = ? WHERE name = 'compacted'`),
    };
  }

  async get(key: string): Promise<KVEntry | undefined> {
    this.assertOpen();
    return this.entry(key);
  }

  /** The key's entry at `rev` (default: the durable revision). */
  private entry(key: string, rev = this.durable): KVEntry | undefined {
    const v = this.index.latest(key, rev);
    return v && { key, value: this.stmt.valueAt.get(v.rev) as string, modRev: v.rev };
  }

  async range(start: string, end: string, limit: number, atRev: number): Promise<RangeResult> {
    this.assertOpen();
    const rev = atRev === 0 ? this.durable : atRev;
    if (rev < this.compacted) throw new CompactedError(rev, this.compacted);
    if (rev > this.durable) throw new FutureRevisionError(rev, this.durable);
    const { entries, more } = this.index.range(start, end, rev, limit);
    return { entries: entries.map(([key, v]) => ({ key, value: this.stmt.valueAt.get(v.rev) as string, modRev: v.rev })), rev, more };
  }

  async count(start: string, end: string): Promise<number> {
    this.assertOpen();
    return this.index.count(start, end, this.durable);
  }

  txn(key: string, expect: number, value: string | null, source?: WriteSource): Promise<TxnResult> {
    this.assertOpen();
    return new Promise((resolve, reject) => {
      this.pending.push({ key, expect, value, source, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits every queued write in one transaction; they are acknowledged and published once durable. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (!batch.length) return;
    const startRev = this.rev;
    const results: TxnResult[] = [];
    const events: KVEvent[] = [];
    try {
      this.db.transaction(() => {
        for (const t of batch) {
          const cur = this.index.latest(t.key)?.rev ?? 0;
          if (cur !== t.expect || (t.value === null && cur === 0)) {
            // Answered with the batch, so by then durable like every write before it.
            results.push({ ok: false, current: this.entry(t.key, Infinity) });
            continue;
          }
          const rev = ++this.rev;
          this.stmt.insert.run(rev, t.key, t.value, cur);
          this.index.add(t.key, rev, t.value === null ? null : true);
          results.push({ ok: true, rev });
          events.push(new CommittedEvent(t.key, rev, t.value, cur, t.source, this.stmt.valueAt));
        }
      })();
    } catch (err) {
      // Nothing of the batch was committed: forget what it added to the index, newest first.
      for (let i = events.length - 1; i >= 0; i--) this.index.removeLatest(events[i]!.key);
      this.rev = startRev;
      for (const t of batch) t.reject(err);
      return;
    }
    this.unsynced.push({ batch, results, events, rev: this.rev });
    this.sync();
  }

  /** Makes the committed batches durable (one fdatasync for all of them), then acknowledges them. */
  private sync(): void {
    if (this.syncing || !this.unsynced.length) {
      if (!this.syncing) for (const done of this.drained.splice(0)) done();
      return;
    }
    const group = this.unsynced;
    this.unsynced = [];
    // Nothing written since the last sync (or NORMAL): the group is as durable as it will get.
    if (!this.fsync || this.rev === this.durable) return this.settle(group);
    this.syncing = true;
    // SQLite keeps the WAL file (same inode) open until close under exclusive locking, so one fd serves.
    this.walFd ??= openSync(`${this.path}-wal`, 'r+');
    fdatasync(this.walFd, (err) => {
      this.syncing = false;
      if (err) return this.fail(err, group);
      this.settle(group);
      this.sync();
    });
  }

  private settle(group: Committed[]): void {
    this.durable = group.at(-1)!.rev;
    for (const { batch, results } of group) for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
    const events = group.length === 1 ? group[0]!.events : group.flatMap((c) => c.events);
    if (events.length) this.hub.publish(events);
    for (const e of events) e.source = undefined;
  }

  /** An fdatasync failed: no write after the durable revision can be promised, so none is acknowledged. */
  private fail(cause: Error, group: Committed[]): void {
    this.failed = new StatusError(
      { code: 500, reason: 'InternalError', message: `the store file ${this.path} failed to reach the disk (${cause.message}); restart to recover what it holds` },
      { cause },
    );
    for (const c of [...group, ...this.unsynced.splice(0)]) for (const t of c.batch) t.reject(this.failed);
    for (const t of this.pending.splice(0)) t.reject(this.failed);
    this.hub.fail(this.failed);
    for (const done of this.drained.splice(0)) done();
  }

  watch(start: string, end: string, afterRev: number, sink: WatchSink): KVWatch {
    this.assertOpen();
    if (afterRev < this.compacted) {
      queueMicrotask(() => sink.error(new CompactedError(afterRev, this.compacted)));
      return { stop: () => undefined, progress: () => afterRev };
    }
    const rows = this.stmt.history.all(afterRev, this.durable, start, end) as [string, number, string | null, string | null][];
    const replay: KVEvent[] = rows.map(([key, rev, value, prev]) => ({ key, rev, value, prev }));
    return this.hub.subscribe(start, end, sink, replay);
  }

  async compact(rev: number): Promise<void> {
    this.assertOpen();
    if (rev <= this.compacted) return;
    if (rev > this.durable) throw new FutureRevisionError(rev, this.durable);
    this.index.compact(rev, (dropped) => this.db.transaction(() => {
      for (const r of dropped) this.stmt.drop.run(r);
      this.stmt.setCompacted.run(rev);
    })());
    this.compacted = rev;
  }

  async revision(): Promise<number> {
    this.assertOpen();
    return this.durable;
  }

  /** Commits and syncs what is queued (acknowledging it), then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    await new Promise<void>((done) => {
      this.drained.push(done);
      this.sync();
    });
    this.hub.fail(new Error('store closed'));
    this.db.close();
    if (this.walFd !== undefined) closeSync(this.walFd);
  }

  private assertOpen(): void {
    if (this.failed) throw this.failed;
    if (this.closed) throw new Error(`the store file ${this.path} is closed`);
  }
}

/** A durable store in one SQLite file; see SqliteKV. Throws (naming the file) if it cannot be opened. */
export function createSqliteStore(path: string, opts: SqliteStoreOptions = {}): KVStore {
  return new KVStore(new SqliteKV(path, opts), opts);
}
