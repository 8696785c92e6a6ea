/** The real `peapod up` (the built CLI) as a child process, for the benchmarks that measure it whole. */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';

const MAIN = resolve(import.meta.dirname, '../../../apps/peapod/dist/main.js');
/** Node's flags as the root package.json's `pnpm peapod` script runs the CLI (apps/peapod/README.md says why). */
const NODE_FLAGS = ['--max-semi-space-size=64'];
const GC_PRELOAD = resolve(import.meta.dirname, 'gc-on-signal.mjs');

// A time limit ends a benchmark with SIGTERM: exit normally then, so the 'exit' hooks below
// reap the children and their data dirs.
process.once('SIGTERM', () => process.exit(143));

/**
 * CPU seconds (user + system) a process has used so far, or only its thread `tid` (the main
 * thread's tid is the pid; with `--fake-nodes-worker` the simulated nodes run on another thread). Linux: clock
 * ticks of 1/100 s.
 */
export const cpuSecsOf = (pid: number, tid?: number) => {
  const f = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

/** Resident set size of a process, in MB (Linux). */
export const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

export interface RunningUp {
  pid: number;
  /** From spawn to the `ready` line. */
  readyMs: number;
  kubeconfig: string;
  /** Full GC in the child (needs `gcOnSignal`), then its RSS in MB. */
  rssAfterGc(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts `peapod up` on a fresh data dir and a free port; resolves at its `ready` line (rejects
 * if it exits first or is not ready within `timeoutMs`). `stop` sends SIGTERM, waits for the
 * exit and removes the data dir. With `gcOnSignal` the child runs with --expose-gc and the
 * gc-on-signal preload, so RSS can be read after a full collection.
 */
export async function startPeapodUp(extra: string[] = [], opts: { gcOnSignal?: boolean; timeoutMs?: number } = {}): Promise<RunningUp> {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-bench-up-'));
  const node = [...NODE_FLAGS, ...(opts.gcOnSignal ? ['--expose-gc', '--import', GC_PRELOAD] : [])];
  const t0 = performance.now();
  const p: ChildProcessByStdio<null, Readable, null> = spawn(process.execPath, [...node, MAIN, 'up', '--data-dir', dir, '--listen', '127.0.0.1:0', '--node-name', 'bench', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  // Never outlive the benchmark, even when it dies on an error.
  const reap = () => { p.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); };
  process.once('exit', reap);
  const exited = new Promise<void>((r) => p.once('exit', () => { process.off('exit', reap); r(); }));
  let out = '';
  const waitFor = (re: RegExp, ms: number) => new Promise<void>((res, rej) => {
    const from = out.length;
    const timer = setTimeout(() => rej(new Error(`peapod up: no ${re} within ${ms} ms`)), ms);
    const check = () => { if (re.test(out.slice(from))) { clearTimeout(timer); p.stdout.off('data', check); res(); } };
    p.stdout.on('data', check);
    p.once('exit', (code) => { clearTimeout(timer); rej(new Error(`peapod up exited ${code}: ${out}`)); });
  });
  p.stdout.on('data', (d: Buffer) => { out += d; });
  const stop = async () => {
    p.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(/ready in \d+ ms/, opts.timeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid: p.pid!,
    readyMs: performance.now() - t0,
    kubeconfig: join(dir, 'kubeconfig'),
    async rssAfterGc() {
      if (!opts.gcOnSignal) throw new Error('rssAfterGc needs startPeapodUp(..., { gcOnSignal: true })');
      const done = waitFor(/bench: gc done/, 60_000);
      p.kill('SIGUSR2');
      await done;
      return rssOf(p.pid!);
    },
    stop,
  };
}
