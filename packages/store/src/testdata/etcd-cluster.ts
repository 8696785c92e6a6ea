// Starts real etcd members on free loopback ports with temporary data directories, for tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  proc: ChildProcess;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** host:port of every member. */
  endpoints: string[];
  /** The index of the current leader (asks each running member; waits up to 10 s for an election). */
  leader(): Promise<number>;
  /** SIGKILLs one member. */
  kill(i: number): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Fails (never skips) when etcd is missing: CI installs it through tools/setup.sh. */
export function requireEtcd(): void {
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error('etcd is not on PATH: the etcd tests need it (Debian package etcd-server, installed by tools/setup.sh)');
  }
}

async function waitHealthy(url: string, proc: ChildProcess, log: () => string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`etcd exited with ${proc.exitCode}: ${log()}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(500) });
      if (res.ok && ((await res.json()) as { health: string }).health === 'true') return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd at ${url} did not become healthy in ${ms} ms: ${log()}`);
}

/** Starts an `n`-member cluster with fast elections and frequent watch progress notifications. */
export async function startEtcdCluster(n: number): Promise<EtcdCluster> {
  requireEtcd();
  const dir = mkdtempSync(join(tmpdir(), 'peapod-etcd-'));
  const ports = await Promise.all(Array.from({ length: n * 2 }, freePort));
  const names = Array.from({ length: n }, (_, i) => `m${i}`);
  const peer = (i: number) => `http://127.0.0.1:${ports[2 * i + 1]}`;
  const initial = names.map((nm, i) => `${nm}=${peer(i)}`).join(',');
  const logs: string[] = names.map(() => '');
  const members: EtcdMember[] = names.map((name, i) => {
    const clientUrl = `http://127.0.0.1:${ports[2 * i]}`;
    const proc = spawn('etcd', [
      '--name', name, '--data-dir', join(dir, name),
      '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peer(i), '--initial-advertise-peer-urls', peer(i),
      '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', `peapod-test-${ports[0]}`,
      '--heartbeat-interval', '50', '--election-timeout', '500',
      '--experimental-watch-progress-notify-interval', '200ms',
      '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.on('data', (d: Buffer) => { logs[i] = (logs[i]! + d.toString()).slice(-2000); });
    return { name, clientUrl, proc };
  });
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl.replace('http://', '')),
    async leader() {
      for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
        for (const m of members) {
          if (m.proc.exitCode !== null || m.proc.signalCode !== null) continue;
          try {
            const res = await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(1000) });
            const st = (await res.json()) as { header: { member_id: string }; leader: string };
            if (st.leader !== '0' && st.header.member_id === st.leader) return members.indexOf(m);
          } catch {
            // not answering: ask the next member
          }
        }
      }
      throw new Error('no etcd leader elected within 10 s');
    },
    async kill(i) {
      const p = members[i]!.proc;
      if (p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    },
    async stop() {
      await Promise.all(members.map((_, i) => cluster.kill(i)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(members.map((m, i) => waitHealthy(m.clientUrl, m.proc, () => logs[i]!, 20_000)));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
