import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBadRequest, isForbidden } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeAtomically, type Payload } from './atomic-writer.js';

let root: string;
let vol: string;
let outside: string;
beforeEach(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'peapod-aw-'));
  vol = join(root, 'volume');
  outside = join(root, 'outside');
  await fs.mkdir(outside);
  await fs.writeFile(join(outside, 'secret.txt'), 'host secret');
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const files = (entries: Record<string, string | [string, number]>): Payload =>
  new Map(Object.entries(entries).map(([p, v]) => [p, typeof v === 'string' ? { data: Buffer.from(v), mode: 0o644 } : { data: Buffer.from(v[0]), mode: v[1] }]));
const tsDirs = async () => (await fs.readdir(vol)).filter((n) => /^\.\.\d{4}_/.test(n));
const read = (p: string) => fs.readFile(join(vol, p), 'utf8');
const outsideUntouched = async () => {
  expect(await fs.readdir(outside)).toEqual(['secret.txt']);
  expect(await fs.readFile(join(outside, 'secret.txt'), 'utf8')).toBe('host secret');
};

describe('writeAtomically: layout and updates', () => {
  it("publishes files through ..data and per-name symlinks, with exact modes", async () => {
    const old = process.umask(0o077);
    try {
      expect(await writeAtomically(vol, files({ podname: 'web-0', 'conf/app.yaml': ['a: 1', 0o400], 'conf/run.sh': ['#!/bin/sh', 0o755] }))).toEqual({ written: true });
    } finally {
      process.umask(old);
    }
    const [ts] = await tsDirs();
    expect(ts).toMatch(/^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\w+$/);
    expect(await fs.readlink(join(vol, '..data'))).toBe(ts);
    expect(await fs.readlink(join(vol, 'podname'))).toBe('..data/podname');
    expect(await fs.readlink(join(vol, 'conf'))).toBe('..data/conf');
    expect(await read('podname')).toBe('web-0');
    expect(await read('conf/app.yaml')).toBe('a: 1');
    expect((await fs.stat(join(vol, 'conf/app.yaml'))).mode & 0o777).toBe(0o400);
    expect((await fs.stat(join(vol, 'conf/run.sh'))).mode & 0o777).toBe(0o755);
    expect((await fs.stat(join(vol, 'podname'))).mode & 0o777).toBe(0o644);
    expect((await fs.stat(join(vol, ts))).mode & 0o777).toBe(0o755);
  });

  it('rewrites only when content or mode changed', async () => {
    await writeAtomically(vol, files({ a: '1', 'd/b': '2' }));
    const [first] = await tsDirs();
    expect(await writeAtomically(vol, files({ a: '1', 'd/b': '2' }))).toEqual({ written: false });
    expect(await tsDirs()).toEqual([first]);
    expect(await writeAtomically(vol, files({ a: ['1', 0o600], 'd/b': '2' }))).toEqual({ written: true });
    expect(await writeAtomically(vol, files({ a: ['1', 0o600], 'd/b': 'changed' }))).toEqual({ written: true });
    const dirs = await tsDirs();
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).not.toBe(first);
    expect(await read('d/b')).toBe('changed');
  });

  it('removes names that left the payload and restores a deleted user-visible link', async () => {
    await writeAtomically(vol, files({ a: '1', b: '2', 'd/x': '3' }));
    expect(await writeAtomically(vol, files({ a: '1' }))).toEqual({ written: true });
    expect((await fs.readdir(vol)).filter((n) => !n.startsWith('..'))).toEqual(['a']);
    await fs.unlink(join(vol, 'a'));
    expect(await writeAtomically(vol, files({ a: '1' }))).toEqual({ written: false });
    expect(await read('a')).toBe('1');
  });

  it('cleans up generations a crashed write left behind', async () => {
    await writeAtomically(vol, files({ a: '1' }));
    await fs.mkdir(join(vol, '..2020_01_01_00_00_00.crash1'));
    await fs.writeFile(join(vol, '..2020_01_01_00_00_00.crash1', 'a'), 'half');
    expect(await writeAtomically(vol, files({ a: '1' }))).toEqual({ written: false });
    expect(await tsDirs()).toHaveLength(1);
    expect(await read('a')).toBe('1');
  });

  it('refuses unsafe payload paths with a 400 and writes nothing', async () => {
    for (const bad of ['/etc/passwd', '../escape', 'a/../../escape', '..hidden', '..', '', `${'x'.repeat(256)}`, 'a\0b']) {
      const err = await writeAtomically(vol, files({ [bad]: 'x' })).then(() => undefined, (e: unknown) => e);
      expect(isBadRequest(err), JSON.stringify(bad)).toBe(true);
    }
    const conflict = await writeAtomically(vol, files({ a: '1', 'a/b': '2' })).then(() => undefined, (e: unknown) => e);
    expect(isBadRequest(conflict)).toBe(true);
    expect(await fs.readdir(vol).catch(() => [])).toEqual([]);
  });
});

describe('writeAtomically: symlinks a container planted are never followed', () => {
  it('replaces a ..data link pointed outside the volume instead of writing through it', async () => {
    await fs.mkdir(vol);
    await fs.symlink(outside, join(vol, '..data'));
    await writeAtomically(vol, files({ 'secret.txt': 'volume data' }));
    await outsideUntouched();
    expect(await fs.readlink(join(vol, '..data'))).toMatch(/^\.\.\d{4}_/);
    expect(await read('secret.txt')).toBe('volume data');
  });

  it('does not trust or delete a timestamped-looking dir that is a symlink outside', async () => {
    await fs.mkdir(vol);
    const fake = '..2020_01_01_00_00_00.abcdef';
    await fs.symlink(outside, join(vol, fake));
    await fs.symlink(fake, join(vol, '..data'));
    await writeAtomically(vol, files({ a: '1' }));
    await writeAtomically(vol, files({ a: '2' }));
    await outsideUntouched();
    expect(await read('a')).toBe('2');
  });

  it('replaces a user-visible name re-pointed outside, leaving the target alone', async () => {
    await writeAtomically(vol, files({ 'secret.txt': 'volume data', dir: 'x' }));
    await fs.unlink(join(vol, 'secret.txt'));
    await fs.symlink(join(outside, 'secret.txt'), join(vol, 'secret.txt'));
    await fs.unlink(join(vol, 'dir'));
    await fs.mkdir(join(vol, 'dir'));
    await fs.symlink(outside, join(vol, 'dir', 'inner'));
    expect(await writeAtomically(vol, files({ 'secret.txt': 'volume data', dir: 'x' }))).toEqual({ written: false });
    await outsideUntouched();
    expect(await fs.readlink(join(vol, 'secret.txt'))).toBe('..data/secret.txt');
    expect(await read('secret.txt')).toBe('volume data');
    expect(await read('dir')).toBe('x');
  });

  it('rewrites a generation a container tampered with, without following its links', async () => {
    await writeAtomically(vol, files({ a: 'host secret', 'd/b': 'b' }));
    const [ts] = await tsDirs();
    // Same bytes, but through a symlink: must count as changed, not be read through.
    await fs.unlink(join(vol, ts, 'a'));
    await fs.symlink(join(outside, 'secret.txt'), join(vol, ts, 'a'));
    await fs.symlink(outside, join(vol, ts, 'd', 'escape'));
    await fs.symlink(outside, join(vol, ts, '..data'));
    expect(await writeAtomically(vol, files({ a: 'host secret', 'd/b': 'b' }))).toEqual({ written: true });
    await outsideUntouched();
    expect(await tsDirs()).not.toContain(ts);
    expect(await fs.readlink(join(vol, '..data'))).toMatch(/^\.\.\d{4}_/);
    expect((await fs.lstat(join(vol, 'a'))).isSymbolicLink()).toBe(true);
    expect(await fs.readdir(join(vol, 'd'))).toEqual(['b']);
  });

  it('refuses a volume directory that is itself a symlink', async () => {
    await fs.symlink(outside, vol);
    const err = await writeAtomically(vol, files({ a: '1' })).then(() => undefined, (e: unknown) => e);
    expect(isForbidden(err)).toBe(true);
    await outsideUntouched();
  });
});

describe('writeAtomically: a concurrent reader', () => {
  it('never sees a mix of generations or a partial file', async () => {
    const generation = (n: number) => {
      const text = `gen ${n}|`.repeat(2000 + (n % 7) * 500);
      return files({ a: text, b: text, 'sub/c': text });
    };
    await writeAtomically(vol, generation(0));
    const reader = spawn(process.execPath, [fileURLToPath(new URL('./testdata/reader.mjs', import.meta.url)), vol], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    await new Promise<void>((resolve) => reader.stdout.once('data', () => resolve()));

    const deadline = Date.now() + 3000;
    let n = 1;
    for (; n <= 300 && Date.now() < deadline; n++) await writeAtomically(vol, generation(n));
    reader.stdin.end();
    await new Promise((resolve) => reader.once('exit', resolve));
    const counts = JSON.parse(out.split('\n')[1]) as { sets: number; single: number; mixed: number; partial: number; vanished: number; generations: number };

    expect(counts.mixed).toBe(0);
    expect(counts.partial).toBe(0);
    // The reader really ran alongside the writer: it read many whole sets across several generations.
    expect(counts.sets).toBeGreaterThan(50);
    expect(counts.single).toBeGreaterThan(50);
    expect(counts.generations).toBeGreaterThan(5);
    expect(await tsDirs()).toHaveLength(1);
    expect(n).toBeGreaterThan(20);
  });
});
