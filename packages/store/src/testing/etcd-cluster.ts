// Real etcd clusters for tests and benchmarks: members on free loopback ports with their own data dirs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
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
  /** `etcd://HOST:PORT,...`, as `createStore` and `peapod server --store` take it. */
  storeUrl: string;
  /** The index of the current leader (asks each running member; waits up to 10 s for an election). */
  leader(): Promise<number>;
  /** SIGKILLs one member and waits for it to exit. */
  kill(i: number): Promise<void>;
  /** SIGKILLs every member and removes the data dirs. */
  stop(): Promise<void>;
}

/** A free TCP port on `host` (bound, then released: another process may race for it, which callers retry). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(0, host, resolve); });
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Fails (never skips) when etcd is missing: CI installs it through tools/setup.sh. */
export function requireEtcd(): void {
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error('etcd is not on PATH: the etcd tests need it (Debian package etcd-server, installed by tools/setup.sh)');
  }
}

class MemberExited extends Error {}

async function waitHealthy(url: string, proc: ChildProcess, log: () => string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new MemberExited(`etcd exited with ${proc.exitCode}: ${log()}`);
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

/**
 * Starts an `n`-member cluster (Debian's etcd-server `etcd` binary) with fast elections and
 * frequent watch progress notifications, and resolves once every member is healthy. Data dirs go
 * under `dir` (default a fresh temp dir). A member that exits at once lost the race for a port
 * picked free: the start is retried on fresh ports.
 */
export async function startEtcdCluster(n: number, dir = mkdtempSync(join(tmpdir(), 'peapod-etcd-'))): Promise<EtcdCluster> {
  requireEtcd();
  for (let attempt = 1; ; attempt++) {
    try {
      return await tryStart(n, join(dir, `try${attempt}`));
    } catch (err) {
      if (attempt === 3 || !(err instanceof MemberExited)) throw err;
    }
  }
}

async function tryStart(n: number, dir: string): Promise<EtcdCluster> {
  const ports = await Promise.all(Array.from({ length: n * 2 }, () => freePort()));
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
  const endpoints = members.map((m) => m.clientUrl.replace('http://', ''));
  const cluster: EtcdCluster = {
    members,
    endpoints,
    storeUrl: `etcd://${endpoints.join(',')}`,
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
