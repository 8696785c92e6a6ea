import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type RunningApiServer } from '@peapod/apiserver';
import { RealClock } from '@peapod/core';
import { createStore, type Store } from '@peapod/store';

/** Shared pieces of the benchmark scripts: statistics, output, and a throw-away cluster core. */

export const quick = process.argv.includes('--quick');

export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
export const median = (values: readonly number[]) => percentile(values, 50);

/** Runs `fn` `runs` times and returns each run's result. */
export async function repeat<T>(runs: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < runs; i++) out.push(await fn(i));
  return out;
}

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n## ${title}\n`);
  if (!rows.length) return;
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const fmt = (v: string | number | undefined) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1)) : v ?? '');
  console.log(`| ${cols.join(' | ')} |`);
  console.log(`|${cols.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${cols.map((c) => fmt(r[c])).join(' | ')} |`);
}

export const rssMB = () => process.memoryUsage().rss / 1024 / 1024;

/** Forces a full GC when node runs with --expose-gc, so heap figures mean something. */
export const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** An API server on a fresh store in a temp dir; `close` removes everything. */
export async function tempApiServer(storeKind: 'sqlite' | 'memory' = 'sqlite'): Promise<{ server: RunningApiServer; store: Store; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-bench-'));
  const clock = new RealClock();
  const store = createStore(storeKind === 'sqlite' ? `sqlite://${join(dir, 'state.db')}` : 'memory://', { clock });
  const server = await startApiServer({ host: '127.0.0.1', port: 0, pkiDir: join(dir, 'pki'), rateLimit: { qps: 1e9, burst: 1e9 } }, { store, clock });
  return {
    server,
    store,
    async close() {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `tasks` with at most `concurrency` in flight. */
export async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}
