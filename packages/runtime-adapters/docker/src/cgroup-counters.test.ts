import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupCounters, keyedFile } from './cgroup-counters.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A fake host: `/proc/42/cgroup` and cgroup files, under a temp dir. */
function host(procCgroup: string, files: Record<string, string>) {
  dir = mkdtempSync(join(tmpdir(), 'pp-cgroup-'));
  for (const [path, text] of Object.entries({ 'proc/42/cgroup': procCgroup, ...files })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return { root: join(dir, 'cg'), proc: join(dir, 'proc') };
}

describe('cgroup counters of a container process', () => {
  it('reads the v1 memory and cpuacct hierarchies, wherever their controllers are co-mounted', async () => {
    const { root, proc } = host('12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/docker/abc\n', {
      'cg/memory/docker/abc/memory.usage_in_bytes': '1048576\n',
      'cg/memory/docker/abc/memory.stat': 'cache 4096\nrss 524288\ntotal_inactive_file 8192\n',
      'cg/cpu,cpuacct/docker/abc/cpuacct.usage': '123456789\n',
    });
    expect(await cgroupCounters(42, root, proc)).toEqual({ cpuNs: 123456789, memoryUsage: 1048576, memoryStat: { cache: 4096, rss: 524288, total_inactive_file: 8192 } });
  });

  it('reads the v2 unified hierarchy when the process is in no v1 memory hierarchy', async () => {
    const { root, proc } = host('0::/system.slice/docker-abc.scope\n', {
      'cg/system.slice/docker-abc.scope/memory.current': '2097152\n',
      'cg/system.slice/docker-abc.scope/memory.stat': 'anon 1048576\ninactive_file 4096\n',
      'cg/system.slice/docker-abc.scope/cpu.stat': 'usage_usec 2500\nuser_usec 2000\n',
    });
    expect(await cgroupCounters(42, root, proc)).toEqual({ cpuNs: 2_500_000, memoryUsage: 2097152, memoryStat: { anon: 1048576, inactive_file: 4096 } });
  });

  it('leaves out what it cannot read, and fails for a process that is gone', async () => {
    const { root, proc } = host('3:memory:/docker/abc\n', { 'cg/memory/docker/abc/memory.usage_in_bytes': '10\n' });
    expect(await cgroupCounters(42, root, proc)).toEqual({ cpuNs: undefined, memoryUsage: 10, memoryStat: undefined });
    await expect(cgroupCounters(43, root, proc)).rejects.toThrow(/ENOENT/);
    expect(keyedFile('a 1\n\nb x\nc 3')).toEqual({ a: 1, c: 3 });
  });
});
