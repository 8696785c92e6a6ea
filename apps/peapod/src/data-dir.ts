import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from './errors.js';

/**
 * Takes the data directory for this process: creates it and writes `DIR/peapod.lock` holding our
 * pid. A lock held by a live process refuses the start (two `up`s on one state.db would corrupt
 * nothing — SQLite locks too — but would fight over pods); a stale lock from a killed process is
 * taken over. Returns a release function.
 */
export function lockDataDir(dir: string): { dir: string; release: () => void } {
  const abs = resolve(dir);
  try {
    mkdirSync(abs, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new CliError(`cannot create data dir ${abs}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  const lock = join(abs, 'peapod.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { dir: abs, release: () => rmSync(lock, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new CliError(`cannot lock data dir ${abs}: ${(err as Error).message}`);
      const pid = Number(readFileSync(lock, 'utf8').trim());
      if (pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new CliError(`data dir ${abs} is in use by another peapod process (pid ${pid}); stop it or pass --data-dir`);
      }
      rmSync(lock, { force: true });
    }
  }
  throw new CliError(`cannot lock data dir ${abs}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
