import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';

/** Helpers for e2e tests that drive the real `peapod` CLI and the real `kubectl`. */

const root = resolve(import.meta.dirname, '../../../..');
const main = join(root, 'apps/peapod/src/main.ts');

const dirs = new Set<string>();

/** A fresh temp dir; every process still using it when the test file ends is killed (see killLeftovers). */
export function tempDir(prefix = 'peapod-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/**
 * Kills every process that names a path under `dir` on its command line or has something of it
 * mounted (a sandboxed container whose bwrap is gone still has its binds). Containers outlive
 * `peapod up` and `peapod agent` by design, so that a restart adopts them, as on a machine whose
 * kubelet restarts: a test must not leave them running on the machine.
 */
export function killLeftovers(dir: string): void {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number)) {
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir) || readFileSync(`/proc/${pid}/mountinfo`, 'utf8').includes(dir)) process.kill(pid, 'SIGKILL');
    } catch {
      // gone already, or not ours to read
    }
  }
}

// Registered once per test file that uses these helpers: its temp dirs' processes go with it.
afterAll(() => {
  for (const dir of dirs) killLeftovers(dir);
});

/** A running `peapod` process. */
export interface RunningUp {
  proc: ChildProcess;
  dataDir: string;
  kubeconfig: string;
  output: () => string;
  /** SIGTERM, then waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs the CLI from source (no build needed) and returns its exit code and output. */
export async function peapod(args: string[], opts: { timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, ['--import', 'tsx', '--conditions=@peapod/source', main, ...args], { cwd: root, timeout: opts.timeoutMs ?? 60_000 }, (err, stdout, stderr) => {
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Starts `peapod up` on a free port and resolves once it printed its ready line. */
export function startUp(dataDir: string, args: string[] = [], timeoutMs = 90_000): Promise<RunningUp> {
  return startPeapod(['up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', ...args], dataDir, timeoutMs);
}

/**
 * Starts a long-running `peapod` command (`up`, `server`, `agent`) from source and resolves once it
 * printed its `ready in N ms` line; rejects with its output if it exits or times out first.
 */
export async function startPeapod(args: string[], dataDir: string, timeoutMs = 90_000): Promise<RunningUp> {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=@peapod/source', main, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`peapod ${args[0]} not ready within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => { if (/ready in \d+ ms/.test(out)) { clearTimeout(timer); res(); } };
    proc.stdout!.on('data', check);
    void exited.then((code) => { clearTimeout(timer); rej(new Error(`peapod ${args[0]} exited with ${code}:\n${out}`)); });
  });
  return {
    proc,
    dataDir,
    kubeconfig: join(dataDir, 'kubeconfig'),
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      return exited;
    },
  };
}

const run = promisify(execFile);

/** Runs the real kubectl against a kubeconfig; rejects with its stderr on failure. */
export async function kubectl(kubeconfig: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  try {
    const p = run('kubectl', ['--kubeconfig', kubeconfig, ...args], { cwd: root, timeout: opts.timeoutMs ?? 30_000, env: { ...process.env, KUBECONFIG: kubeconfig } });
    if (opts.input !== undefined) p.child.stdin!.end(opts.input);
    return (await p).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

/** Polls `fn` until it returns a truthy value or the time runs out. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const examples = join(root, 'examples');
