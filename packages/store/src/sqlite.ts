import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StatusError } from '@peapod/api-types';
import { CompactedError, FutureRevisionError, type KV, type KVEntry, type KVEvent, type KVWatch, type RangeResult, type TxnResult, type WatchSink } from './kv.js';
import { KVStore, type StoreOptions } from './kv-store.js';
import { LocalHub } from './local-hub.js';

/**
 * `synchronous` for the WAL. FULL (the default) fsyncs the WAL at every commit, so an acknowledged
 * write survives kill -9 and also an OS crash or power loss, as etcd's fsync per commit does; group
 * commit amortizes that fsync over every write waiting at the time. NORMAL leaves the WAL in the OS
 * page cache: acknowledged writes still survive kill -9 of this process (the kernel owns the
 * pages), but not a machine crash.
 */
export type SqliteSync = 'full' | 'normal';

export interface SqliteStoreOptions extends StoreOptions {
  synchronous?: SqliteSync;
}

/** What a file must carry to be opened as a store; a different value means someone else's file. */
const FORMAT = 'peapod-store/v1';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
-- Every version of every key since compaction; value NULL is a deletion, prev_rev the version it replaced (0: none).
CREATE TABLE IF NOT EXISTS revisions (rev INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT, prev_rev INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS revisions_by_key ON revisions (key, rev);
-- The live keys and their newest revision.
CREATE TABLE IF NOT EXISTS current (key TEXT PRIMARY KEY, rev INTEGER NOT NULL) WITHOUT ROWID;
`;

interface PendingTxn {
  key: string;
  expect: number;
  value: string | null;
  resolve: (r: TxnResult) => void;
  reject: (err: unknown) => void;
}

/** A failure to open the data file, naming it: a store never silently starts empty on a bad file. */
export function openError(path: string, why: string, cause?: unknown): StatusError {
  return new StatusError({ code: 500, reason: 'InternalError', message: `cannot open the store file ${path}: ${why}` }, { cause });
}

/**
 * An MVCC map in one SQLite file (WAL mode), owned by this process alone (exclusive locking).
 * Writes queue up and commit together in one transaction per turn of the event loop (group
 * commit); a write's promise resolves only after its transaction is durable.
 */
export class SqliteKV implements KV {
  private readonly db: Database.Database;
  private rev = 0;
  private compacted = 0;
  private pending: PendingTxn[] = [];
  private flushScheduled = false;
  private readonly hub = new LocalHub(() => this.rev);
  /** Live key -> modRev, mirroring the `current` table, so a write's compare needs no read. */
  private readonly live = new Map<string, number>();
  private readonly stmt;
  private closed = false;

  constructor(readonly path: string, opts: { synchronous?: SqliteSync } = {}) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, { timeout: 200 });
    } catch (err) {
      throw openError(path, (err as Error).message, err);
    }
    try {
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      const check = this.db.pragma('quick_check(1)', { simple: true });
      if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
      const tables = this.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
      if (tables.length && !tables.includes('meta')) throw new Error('it is an SQLite database but not a peapod store');
      this.db.exec(SCHEMA);
      const format = this.db.prepare(`SELECT value FROM meta WHERE name = 'format'`).pluck().get();
      if (format === undefined && tables.length === 0) this.db.prepare(`INSERT INTO meta VALUES ('format', ?), ('compacted', 0)`).run(FORMAT);
      else if (format !== FORMAT) throw new Error(`unknown store format ${JSON.stringify(format)}`);
      this.compacted = Number(this.db.prepare(`SELECT value FROM meta WHERE name = 'compacted'`).pluck().get());
      const maxRev = Number(this.db.prepare('SELECT coalesce(max(rev), 0) FROM revisions').pluck().get());
      this.rev = Math.max(maxRev, this.compacted);
      for (const [key, rev] of this.db.prepare('SELECT key, rev FROM current').raw().iterate() as Iterable<[string, number]>) this.live.set(key, rev);
    } catch (err) {
      this.db.close();
      const msg = (err as Error).message;
      throw openError(path, /locked|busy/i.test(msg) ? `it is in use by another process (${msg})` : msg, err);
    }
    const db = this.db;
    this.stmt = {
      get: db.prepare('SELECT r.value, r.rev FROM current c JOIN revisions r ON r.rev = c.rev WHERE c.key = ?').raw(),
      valueAt: db.prepare('SELECT value FROM revisions WHERE rev = ?').pluck(),
      insert: db.prepare('INSERT INTO revisions (rev, key, value, prev_rev) VALUES (?, ?, ?, ?)'),
      upsert: db.prepare('INSERT INTO current (key, rev) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET rev = excluded.rev'),
      unset: db.prepare('DELETE FROM current WHERE key = ?'),
      rangeNow: db.prepare(
        'SELECT c.key, r.value, r.rev FROM current c JOIN revisions r ON r.rev = c.rev WHERE c.key >= ? AND c.key < ? ORDER BY c.key LIMIT ?',
      ).raw(),
      countNow: db.prepare('SELECT count(*) FROM current WHERE key >= ? AND key < ?').pluck(),
      rangeAt: db.prepare(
        `SELECT v.key, r.value, r.rev FROM (SELECT key, max(rev) AS rev FROM revisions WHERE key >= ? AND key < ? AND rev <= ? GROUP BY key) v
         JOIN revisions r ON r.rev = v.rev WHERE r.value IS NOT NULL ORDER BY v.key LIMIT ?`,
      ).raw(),
      countAt: db.prepare(
        `SELECT count(*) FROM (SELECT key, max(rev) AS rev FROM revisions WHERE key >= ? AND key < ? AND rev <= ? GROUP BY key) v
         JOIN revisions r ON r.rev = v.rev WHERE r.value IS NOT NULL`,
      ).pluck(),
      history: db.prepare(
        `SELECT r.key, r.rev, r.value, p.value FROM revisions r LEFT JOIN revisions p ON p.rev = r.prev_rev
         WHERE r.rev > ? AND r.key >= ? AND r.key < ? ORDER BY r.rev`,
      ).raw(),
      compactOld: db.prepare(
        `DELETE FROM revisions WHERE rev <= @rev AND rev < (SELECT max(r2.rev) FROM revisions r2 WHERE r2.key = revisions.key AND r2.rev <= @rev)`,
      ),
      compactTombstones: db.prepare('DELETE FROM revisions WHERE rev <= ? AND value IS NULL'),
      setCompacted: db.prepare(`UPDATE meta SET value = ? WHERE name = 'compacted'`),
    };
  }

  async get(key: string): Promise<KVEntry | undefined> {
    this.assertOpen();
    const row = this.stmt.get.get(key) as [string, number] | undefined;
    return row && { key, value: row[0], modRev: row[1] };
  }

  async range(start: string, end: string, limit: number, atRev: number): Promise<RangeResult> {
    this.assertOpen();
    const rev = atRev === 0 ? this.rev : atRev;
    if (rev < this.compacted) throw new CompactedError(rev, this.compacted);
    if (rev > this.rev) throw new FutureRevisionError(rev, this.rev);
    const latest = rev === this.rev;
    const rows = (latest
      ? this.stmt.rangeNow.all(start, end, limit || -1)
      : this.stmt.rangeAt.all(start, end, rev, limit || -1)) as [string, string, number][];
    const entries = rows.map(([key, value, modRev]) => ({ key, value, modRev }));
    let more = 0;
    if (limit && entries.length === limit) {
      const after = `${entries[entries.length - 1]!.key}\0`;
      more = Number(latest ? this.stmt.countNow.get(after, end) : this.stmt.countAt.get(after, end, rev));
    }
    return { entries, rev, more };
  }

  async count(start: string, end: string): Promise<number> {
    this.assertOpen();
    return Number(this.stmt.countNow.get(start, end));
  }

  txn(key: string, expect: number, value: string | null): Promise<TxnResult> {
    this.assertOpen();
    return new Promise((resolve, reject) => {
      this.pending.push({ key, expect, value, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits every queued write in one transaction, then acknowledges and publishes them. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (!batch.length) return;
    const startRev = this.rev;
    const results: TxnResult[] = [];
    const events: KVEvent[] = [];
    /** Keys this batch changed, with their modRev before it, to restore `live` if the commit fails. */
    const undo = new Map<string, number | undefined>();
    try {
      this.db.transaction(() => {
        for (const t of batch) {
          const cur = this.live.get(t.key) ?? 0;
          if (cur !== t.expect || (t.value === null && cur === 0)) {
            const current = cur ? { key: t.key, value: this.stmt.valueAt.get(cur) as string, modRev: cur } : undefined;
            results.push({ ok: false, current });
            continue;
          }
          const rev = ++this.rev;
          const prev = cur ? (this.stmt.valueAt.get(cur) as string) : null;
          this.stmt.insert.run(rev, t.key, t.value, cur);
          if (!undo.has(t.key)) undo.set(t.key, cur || undefined);
          if (t.value === null) {
            this.stmt.unset.run(t.key);
            this.live.delete(t.key);
          } else {
            this.stmt.upsert.run(t.key, rev);
            this.live.set(t.key, rev);
          }
          results.push({ ok: true, rev });
          events.push({ key: t.key, rev, value: t.value, prev });
        }
      })();
    } catch (err) {
      this.rev = startRev;
      for (const [key, rev] of undo) {
        if (rev === undefined) this.live.delete(key);
        else this.live.set(key, rev);
      }
      for (const t of batch) t.reject(err);
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
    if (events.length) this.hub.publish(events);
  }

  watch(start: string, end: string, afterRev: number, sink: WatchSink): KVWatch {
    this.assertOpen();
    if (afterRev < this.compacted) {
      queueMicrotask(() => sink.error(new CompactedError(afterRev, this.compacted)));
      return { stop: () => undefined, progress: () => afterRev };
    }
    const rows = this.stmt.history.all(afterRev, start, end) as [string, number, string | null, string | null][];
    const replay: KVEvent[] = rows.map(([key, rev, value, prev]) => ({ key, rev, value, prev }));
    return this.hub.subscribe(start, end, sink, replay);
  }

  async compact(rev: number): Promise<void> {
    this.assertOpen();
    if (rev <= this.compacted) return;
    if (rev > this.rev) throw new FutureRevisionError(rev, this.rev);
    this.db.transaction(() => {
      this.stmt.compactOld.run({ rev });
      this.stmt.compactTombstones.run(rev);
      this.stmt.setCompacted.run(rev);
    })();
    this.compacted = rev;
  }

  async revision(): Promise<number> {
    this.assertOpen();
    return this.rev;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.hub.fail(new Error('store closed'));
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`the store file ${this.path} is closed`);
  }
}

/** A durable store in one SQLite file; see SqliteKV. Throws (naming the file) if it cannot be opened. */
export function createSqliteStore(path: string, opts: SqliteStoreOptions = {}): KVStore {
  return new KVStore(new SqliteKV(path, opts), opts);
}
