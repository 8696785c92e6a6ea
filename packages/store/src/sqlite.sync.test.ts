import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSqliteStore } from './sqlite.js';
import type { StoredObject } from './types.js';

/** fdatasync calls held back until the test lets them finish, so a write can be caught between commit and disk. */
const syncs: ((err: Error | null) => void)[] = [];
vi.mock('node:fs', async (original) => {
  const real = await original<typeof fs>();
  return { ...real, fdatasync: (fd: number, cb: (err: Error | null) => void) => syncs.push((err) => (err ? cb(err) : real.fdatasync(fd, cb))) };
});

const dir = mkdtempSync(join(tmpdir(), 'peapod-sqlite-sync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshFile = () => join(dir, `s${n++}`, 'state.db');
const settled = async <T>(p: Promise<T>) => Promise.race([p.then(() => true, () => true), new Promise<false>((r) => setTimeout(() => r(false), 20))]);
const waitForSync = () => vi.waitFor(() => expect(syncs.length).toBeGreaterThan(0));
beforeEach(() => { syncs.length = 0; });

describe('sqlite store with synchronous FULL', () => {
  it('acknowledges, shows and publishes a write only after the fdatasync of its WAL', async () => {
    const s = createSqliteStore(freshFile());
    const events: string[] = [];
    const w = s.watch('/pods/', { resourceVersion: '0' });
    void (async () => { for await (const e of w) events.push(`${e.type} ${(e.object as StoredObject).metadata.name}`); })();

    const created = s.create<StoredObject>('/pods/default/a', { metadata: { name: 'a' } });
    await waitForSync();
    // Committed to the WAL, not yet on disk: nobody may observe it.
    expect(await settled(created)).toBe(false);
    await expect(s.get('/pods/default/a')).rejects.toMatchObject({ status: { reason: 'NotFound' } });
    expect((await s.list('/pods/')).items).toEqual([]);
    expect(await s.currentRevision()).toBe('0');
    expect(events).toEqual([]);
    // A second write that conflicts with the first waits for it too, and then loses.
    const again = s.create<StoredObject>('/pods/default/a', { metadata: { name: 'a' } });
    expect(await settled(again)).toBe(false);

    syncs.shift()!(null);
    expect((await created).metadata.resourceVersion).toBe('1');
    // It wrote nothing, so it needs no fdatasync of its own.
    await expect(again).rejects.toMatchObject({ status: { reason: 'AlreadyExists' } });
    expect((await s.get<StoredObject>('/pods/default/a'))?.metadata.resourceVersion).toBe('1');
    await vi.waitFor(() => expect(events).toEqual(['ADDED a']));
    w.stop();
    await s.close();
  });

  it('shares one fdatasync among the writes committed while the previous one was running', async () => {
    const s = createSqliteStore(freshFile());
    const first = s.create<StoredObject>('/pods/default/a', { metadata: { name: 'a' } });
    await waitForSync();
    const later = ['b', 'c', 'd'].map((name) => s.create<StoredObject>(`/pods/default/${name}`, { metadata: { name } }));
    await new Promise((r) => setTimeout(r, 10));
    expect(syncs).toHaveLength(1);
    syncs.shift()!(null);
    await first;
    await waitForSync();
    expect(syncs).toHaveLength(1);
    syncs.shift()!(null);
    expect((await Promise.all(later)).map((o) => o.metadata.resourceVersion)).toEqual(['2', '3', '4']);
    await s.close();
  });

  it('refuses every write after a failed fdatasync, with an error naming the file, and acknowledges none of them', async () => {
    const file = freshFile();
    const s = createSqliteStore(file);
    const lost = s.create<StoredObject>('/pods/default/a', { metadata: { name: 'a' } });
    await waitForSync();
    syncs.shift()!(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await expect(lost).rejects.toThrow(`the store file ${file} failed to reach the disk (EIO: i/o error, fdatasync)`);
    await expect(s.create<StoredObject>('/pods/default/b', { metadata: { name: 'b' } })).rejects.toMatchObject({ status: { code: 500, reason: 'InternalError' } });
    await s.close();
  });
});
