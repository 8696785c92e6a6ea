import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../../..');
const main = resolve(root, 'apps/peapod/src/main.ts');

export interface RunningAgent {
  proc: ChildProcess;
  output: () => string;
  /** The kubelet's port, from the ready line. */
  port: number;
  /** SIGTERM (or `signal`), then waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `peapod agent ARGS` from source and resolves once it printed its ready line (rejects with its output if it exits first). */
export async function startAgent(args: string[], timeoutMs = 60_000): Promise<RunningAgent> {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=@peapod/source', main, 'agent', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`peapod agent not ready within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /ready in \d+ ms: .*kubelet at https:\/\/.*:(\d+)\)/.exec(out);
      if (m) { clearTimeout(timer); res(Number(m[1])); }
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => { clearTimeout(timer); rej(new Error(`peapod agent exited with ${code}:\n${out}`)); });
  });
  return {
    proc,
    port,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill(signal);
      return exited;
    },
  };
}
