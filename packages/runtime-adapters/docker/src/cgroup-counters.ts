import { readFile } from 'node:fs/promises';

/** A container's CPU and memory counters, as the Engine's stats carry them (the cgroup's own files). */
export interface CgroupCounters {
  /** Total CPU time, ns (`cpuacct.usage`, or v2 `cpu.stat` usage_usec × 1000). */
  cpuNs?: number;
  /** `memory.usage_in_bytes` (v1) or `memory.current` (v2). */
  memoryUsage?: number;
  /** `memory.stat` (v1 keys such as `total_inactive_file` and `rss`, v2 keys such as `inactive_file` and `anon`). */
  memoryStat?: Record<string, number>;
}

/** `key value` lines (memory.stat, cpu.stat) as numbers. */
export function keyedFile(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && Number.isFinite(Number(v))) out[k] = Number(v);
  }
  return out;
}

/**
 * The counters of a host process's cgroups, from `/proc/<pid>/cgroup` and the cgroup files under
 * `root`: the v1 memory and cpuacct hierarchies when the process is in them, else the v2 unified
 * one. It reads the host's files, so it serves a local Engine only (one in this host's PID namespace).
 */
export async function cgroupCounters(pid: number, root = '/sys/fs/cgroup', proc = '/proc'): Promise<CgroupCounters> {
  const lines = (await readFile(`${proc}/${pid}/cgroup`, 'utf8')).split('\n').map((l) => l.split(':'));
  // Each v1 hierarchy is mounted at <root>/<its controller list> (e.g. `cpu,cpuacct`).
  const v1 = (controller: string) => {
    const line = lines.find(([, controllers]) => controllers?.split(',').includes(controller));
    return line && `${root}/${line[1]}${line[2]}`;
  };
  const read = (path: string) => readFile(path, 'utf8').catch(() => undefined);
  const number = (text: string | undefined) => (text === undefined ? undefined : Number(text.trim()));
  const memory = v1('memory');
  if (memory) {
    const cpuacct = v1('cpuacct');
    const [usage, stat, cpu] = await Promise.all([read(`${memory}/memory.usage_in_bytes`), read(`${memory}/memory.stat`), cpuacct ? read(`${cpuacct}/cpuacct.usage`) : undefined]);
    return { cpuNs: number(cpu), memoryUsage: number(usage), memoryStat: stat === undefined ? undefined : keyedFile(stat) };
  }
  const unified = lines.find(([h, controllers]) => h === '0' && controllers === '');
  if (!unified) return {};
  const dir = `${root}${unified[2]}`;
  const [current, stat, cpu] = await Promise.all([read(`${dir}/memory.current`), read(`${dir}/memory.stat`), read(`${dir}/cpu.stat`)]);
  const usec = cpu === undefined ? undefined : keyedFile(cpu).usage_usec;
  return { cpuNs: usec === undefined ? undefined : usec * 1000, memoryUsage: number(current), memoryStat: stat === undefined ? undefined : keyedFile(stat) };
}
