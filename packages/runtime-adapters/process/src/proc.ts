import { readFileSync } from 'node:fs';

/**
 * What /proc tells about a process: enough to check that a pid recorded before a restart is still
 * the same process (pids are recycled; the start time in clock ticks since boot is not), and to
 * report CPU and memory usage.
 */
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, fixed at 100 on Linux for every architecture Node runs on

interface ProcStat {
  ppid: number;
  /** Start time in clock ticks since boot. */
  startTime: number;
  /** User + system CPU time in clock ticks. */
  cpuTicks: number;
  state: string;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name (field 2) may contain spaces and parentheses: fields resume after the last ')'
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: f[0], ppid: Number(f[1]), cpuTicks: Number(f[11]) + Number(f[12]), startTime: Number(f[19]) };
}

/** The start time of a live process, or undefined if there is none (zombies count as gone). */
export function processStartTime(pid: number): number | undefined {
  const s = readStat(pid);
  return s && s.state !== 'Z' ? s.startTime : undefined;
}

/** True while `pid` is alive and is the process that had `startTime`. */
export function isSameProcess(pid: number, startTime: number): boolean {
  return processStartTime(pid) === startTime;
}

/** Direct children of a process (Linux 3.5+ `children` file of its main thread). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export interface ProcessUsage {
  cpuNanos: number;
  rssBytes: number;
}

export function processUsage(pid: number): ProcessUsage | undefined {
  const s = readStat(pid);
  if (!s) return undefined;
  let rssBytes = 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    rssBytes = m ? Number(m[1]) * 1024 : 0;
  } catch {
    return undefined;
  }
  return { cpuNanos: (s.cpuTicks * 1e9) / CLOCK_TICKS_PER_SECOND, rssBytes };
}

/** Sends `signal` to a process; false if it does not exist. */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
