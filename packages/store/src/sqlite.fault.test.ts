import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite.js';

const writerScript = fileURLToPath(new URL('./testdata/sqlite-writer.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'peapod-sqlite-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ack { key: string; rev: number; n: number }

/**
 * Runs the writer child until SIGKILL, sent a random 0-20 ms after its `killAfter`th
 * acknowledgement (so it lands anywhere in a commit); returns every write it acknowledged.
 */
function writeUntilKilled(file: string, round: number, killAfter: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@peapod/source', writerScript, file, String(round)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: Ack[] = [];
    let buf = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        const [key, rev, n] = line.split(' ');
        acks.push({ key: key!, rev: Number(rev), n: Number(n) });
        if (acks.length === killAfter) setTimeout(() => child.kill('SIGKILL'), Math.random() * 20);
      }
    });
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited without being killed: ${stderr}`));
      else resolve(acks);
    });
  });
}

describe('sqlite store under kill -9', () => {
  it('keeps every acknowledged write, with revisions that only grow, across repeated SIGKILLs', async () => {
    const file = join(dir, 'state.db');
    let lastMax = 0;
    const latest = new Map<string, Ack>();
    for (let round = 0; round < 3; round++) {
      const acks = await writeUntilKilled(file, round, 100 + Math.floor(Math.random() * 400));
      expect(acks.length).toBeGreaterThanOrEqual(100);
      const revs = acks.map((a) => a.rev);
      // Acknowledgements come in commit order: strictly increasing, and above everything before the kill.
      expect(revs).toEqual([...revs].sort((a, b) => a - b));
      expect(new Set(revs).size).toBe(revs.length);
      expect(revs[0]).toBeGreaterThan(lastMax);
      for (const a of acks) latest.set(a.key, a);
      lastMax = revs.at(-1)!;

      const s = createSqliteStore(file);
      expect(Number(await s.currentRevision())).toBeGreaterThanOrEqual(lastMax);
      for (const a of latest.values()) {
        const o = await s.get<{ metadata: { resourceVersion?: string }; n: number }>(a.key);
        expect(Number(o!.metadata.resourceVersion)).toBeGreaterThanOrEqual(a.rev);
        expect(o!.n).toBeGreaterThanOrEqual(a.n);
      }
      lastMax = Number(await s.currentRevision());
      await s.close();
    }
  }, 30_000);
});
