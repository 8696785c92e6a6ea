import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStatusError } from '@peapod/api-types';
import { afterAll, describe, expect, it } from 'vitest';
import { runStoreConformance } from './conformance.js';
import { createSqliteStore } from './sqlite.js';
import type { StoredObject } from './types.js';

type Obj = StoredObject;

const dir = mkdtempSync(join(tmpdir(), 'peapod-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshFile = () => join(dir, `s${n++}`, 'state.db');

runStoreConformance('sqlite', (opts) => createSqliteStore(freshFile(), opts));

describe('sqlite store', () => {
  it('keeps objects, revisions and compaction across a reopen', async () => {
    const file = freshFile();
    const a = createSqliteStore(file);
    await a.create<Obj>('/pods/default/p1', { metadata: { name: 'p1' }, v: 1 });
    const p2 = await a.create<Obj>('/pods/default/p2', { metadata: { name: 'p2' }, v: 2 });
    await a.delete('/pods/default/p1');
    await a.compact(p2.metadata.resourceVersion!);
    const rev = await a.currentRevision();
    await a.close();
    const b = createSqliteStore(file);
    expect(await b.currentRevision()).toBe(rev);
    expect((await b.list('/pods/')).items).toEqual([p2]);
    const next = await b.create<Obj>('/pods/default/p3', { metadata: { name: 'p3' } });
    expect(Number(next.metadata.resourceVersion)).toBe(Number(rev) + 1);
    const evs: string[] = [];
    const w = b.watch('/pods/', { resourceVersion: p2.metadata.resourceVersion! });
    for await (const e of w) {
      evs.push(`${e.type} ${(e.object as Obj).metadata.name}`);
      if (evs.length === 2) break;
    }
    expect(evs).toEqual(['DELETED p1', 'ADDED p3']);
    await b.close();
  });

  it('opens a file written by the v1 format, with its objects, history and revision, and upgrades it', async () => {
    const file = freshFile();
    mkdirp(file);
    const Database = (await import('better-sqlite3')).default;
    const v1 = new Database(file);
    v1.pragma('journal_mode = WAL');
    v1.exec(`
      CREATE TABLE meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
      CREATE TABLE revisions (rev INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT, prev_rev INTEGER NOT NULL);
      CREATE INDEX revisions_by_key ON revisions (key, rev);
      CREATE TABLE current (key TEXT PRIMARY KEY, rev INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO meta VALUES ('format', 'peapod-store/v1'), ('compacted', 0);
      INSERT INTO revisions VALUES (1, '/pods/default/a', '{"metadata":{"name":"a"},"v":1}', 0),
        (2, '/pods/default/b', '{"metadata":{"name":"b"}}', 0),
        (3, '/pods/default/a', '{"metadata":{"name":"a"},"v":2}', 1),
        (4, '/pods/default/b', NULL, 2);
      INSERT INTO current VALUES ('/pods/default/a', 3);
    `);
    v1.close();
    const s = createSqliteStore(file);
    expect(await s.currentRevision()).toBe('4');
    expect((await s.list('/pods/')).items).toEqual([{ metadata: { name: 'a', resourceVersion: '3' }, v: 2 }]);
    expect((await s.list('/pods/', { resourceVersion: '2', resourceVersionMatch: 'Exact' })).items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect((await s.create<Obj>('/pods/default/b', { metadata: { name: 'b' } })).metadata.resourceVersion).toBe('5');
    await s.close();
    const after = new Database(file);
    expect(after.prepare(`SELECT value FROM meta WHERE name = 'format'`).pluck().get()).toBe('peapod-store/v2');
    expect(after.prepare(`SELECT name FROM sqlite_master WHERE name IN ('current', 'revisions_by_key')`).all()).toEqual([]);
    after.close();
  });

  it('refuses a file of a newer store format, naming the file', async () => {
    const file = freshFile();
    await createSqliteStore(file).close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(file);
    db.prepare(`UPDATE meta SET value = 'peapod-store/v9' WHERE name = 'format'`).run();
    db.close();
    const err = catchSync(() => createSqliteStore(file));
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/unknown store format "peapod-store\/v9"/);
  });

  it('commits concurrent writes together (group commit) and acknowledges each', async () => {
    const s = createSqliteStore(freshFile());
    const created = await Promise.all(Array.from({ length: 200 }, (_, i) => s.create<Obj>(`/pods/default/p${i}`, { metadata: { name: `p${i}` } })));
    const revs = created.map((o) => Number(o.metadata.resourceVersion)).sort((a, b) => a - b);
    expect(new Set(revs).size).toBe(200);
    expect(revs.at(-1)! - revs[0]!).toBe(199);
    expect(await s.count('/pods/')).toBe(200);
    await s.close();
  });

  it('fails every write of a batch whose commit fails, leaving no trace of them, and commits later writes', async () => {
    const s = createSqliteStore(freshFile());
    const kept = await s.create<Obj>('/pods/default/kept', { metadata: { name: 'kept' } });
    const w = s.watch('/pods/', { resourceVersion: kept.metadata.resourceVersion! });
    // Cap the file at its current size, so the next commit fails as on a full disk.
    const db = (s.kv as unknown as { db: { pragma(p: string, o?: object): unknown } }).db;
    const pages = Number(db.pragma('page_count', { simple: true }));
    db.pragma(`max_page_count = ${pages}`);
    const big = 'x'.repeat(20_000);
    const results = await Promise.allSettled([
      s.create<Obj>('/pods/default/a', { metadata: { name: 'a' } }), // fits: its insert succeeds, the next one fails
      s.guaranteedUpdate<Obj>('/pods/default/kept', { tryUpdate: (o) => ({ ...o!, big }) }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await s.currentRevision()).toBe(kept.metadata.resourceVersion);
    expect(await s.get('/pods/default/a', { ignoreNotFound: true })).toBeUndefined();
    expect(await s.get('/pods/default/kept')).toEqual(kept);
    db.pragma(`max_page_count = ${pages * 100}`);
    const a = await s.create<Obj>('/pods/default/a', { metadata: { name: 'a' } });
    expect(Number(a.metadata.resourceVersion)).toBe(Number(kept.metadata.resourceVersion) + 1);
    for await (const e of w) {
      // The failed writes were never published: the first event is the write that committed.
      expect([e.type, e.object.metadata.resourceVersion]).toEqual(['ADDED', a.metadata.resourceVersion]);
      break;
    }
    await s.close();
  });

  it.each([
    ['garbage', Buffer.from('this is not a database at all, just some text that is long enough '.repeat(100))],
    ['a truncated header', Buffer.from('SQLite format 3\0garbage')],
  ])('refuses a file holding %s, naming the file', (_what, bytes) => {
    const file = freshFile();
    rmSync(dirOf(file), { recursive: true, force: true });
    mkdirp(file);
    writeFileSync(file, bytes);
    const err = catchSync(() => createSqliteStore(file));
    expect(isStatusError(err)).toBe(true);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/cannot open the store file/);
  });

  it('refuses a damaged store whose pages were overwritten', async () => {
    const file = freshFile();
    const s = createSqliteStore(file);
    for (let i = 0; i < 300; i++) await s.create<Obj>(`/pods/default/p${i}`, { metadata: { name: `p${i}` }, pad: 'x'.repeat(500) });
    await s.close();
    const { openSync, writeSync, closeSync, statSync } = await import('node:fs');
    const fd = openSync(file, 'r+');
    // Overwrite pages in the middle of the file (past the header) with noise.
    const noise = Buffer.alloc(8192, 0xa5);
    writeSync(fd, noise, 0, noise.length, Math.floor(statSync(file).size / 2 / 4096) * 4096);
    closeSync(fd);
    const err = catchSync(() => createSqliteStore(file));
    expect((err as Error).message).toContain(file);
  });

  it('refuses a path it cannot open as a file, naming it', () => {
    const file = freshFile();
    mkdirSync(file, { recursive: true });
    const err = catchSync(() => createSqliteStore(file));
    expect(isStatusError(err)).toBe(true);
    expect((err as Error).message).toContain(`cannot open the store file ${file}`);
  });

  it('refuses an SQLite database that is not a store', async () => {
    const file = freshFile();
    mkdirp(file);
    const Database = (await import('better-sqlite3')).default;
    const other = new Database(file);
    other.exec('CREATE TABLE notes (x TEXT)');
    other.close();
    expect((catchSync(() => createSqliteStore(file)) as Error).message).toMatch(/not a peapod store/);
  });

  it('refuses a second opener of a file in use', async () => {
    const file = freshFile();
    const s = createSqliteStore(file);
    await s.create('/a/b', { metadata: { name: 'b' } });
    const err = catchSync(() => createSqliteStore(file));
    expect((err as Error).message).toMatch(/in use by another process/);
    expect((err as Error).message).toContain(file);
    await s.close();
  });
});

const dirOf = (f: string) => join(f, '..');
const mkdirp = (f: string) => mkdirSync(dirOf(f), { recursive: true });
function catchSync(fn: () => unknown): unknown {
  try { fn(); } catch (err) { return err; }
  throw new Error('expected a failure');
}
