import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

/** A free TCP port on `host` (bound then released, so another process may race for it; fine for tests). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = createServer();
  await new Promise<void>((res, rej) => { s.once('error', rej); s.listen(0, host, res); });
  const port = (s.address() as AddressInfo).port;
  await new Promise((res) => s.close(res));
  return port;
}

export interface EtcdMember {
  name: string;
  clientUrl: string;
  proc: ChildProcess;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** `etcd://127.0.0.1:A,127.0.0.1:B,...`, as `peapod server --store` takes it. */
  storeUrl: string;
  /** Kills every member (SIGKILL) and waits for them to exit. */
  stop(): Promise<void>;
}

/**
 * Starts an etcd cluster of `size` members on 127.0.0.1 (Debian's etcd-server `etcd` binary), each
 * with its own client and peer ports and its data dir under `dir`, and resolves once every member
 * reports healthy. Reusable by any test or script that needs a real multi-member etcd.
 */
export async function startEtcdCluster(dir: string, size = 3, timeoutMs = 30_000): Promise<EtcdCluster> {
  // A member that exits at once lost a race for its port (they are picked free, then bound by etcd): try fresh ones.
  for (let attempt = 1; ; attempt++) {
    try {
      return await tryStart(join(dir, `try${attempt}`), size, timeoutMs);
    } catch (err) {
      if (attempt === 3 || !/exited/.test(String(err))) throw err;
    }
  }
}

async function tryStart(dir: string, size: number, timeoutMs: number): Promise<EtcdCluster> {
  const ports: { client: number; peer: number }[] = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const initial = ports.map((p, i) => `m${i}=http://127.0.0.1:${p.peer}`).join(',');
  const members: EtcdMember[] = ports.map((p, i) => {
    const data = join(dir, `m${i}`);
    mkdirSync(data, { recursive: true });
    const clientUrl = `http://127.0.0.1:${p.client}`;
    const proc = spawn('etcd', [
      '--name', `m${i}`, '--data-dir', data,
      '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', `http://127.0.0.1:${p.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${p.peer}`,
      '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', `peapod-${ports[0].peer}`,
      '--logger', 'zap', '--log-level', 'error',
    ], { stdio: 'ignore' });
    return { name: `m${i}`, clientUrl, proc };
  });
  const cluster: EtcdCluster = {
    members,
    storeUrl: `etcd://${ports.map((p) => `127.0.0.1:${p.client}`).join(',')}`,
    async stop() {
      await Promise.all(members.map((m) => m.proc.exitCode !== null || m.proc.signalCode !== null
        ? undefined
        : new Promise((res) => { m.proc.once('exit', res); m.proc.kill('SIGKILL'); })));
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (const m of members) {
    for (;;) {
      const ok = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(2_000) }).then(async (r) => (await r.json() as { health?: string }).health === 'true', () => false);
      if (ok) break;
      const exited = m.proc.exitCode !== null;
      if (Date.now() > deadline || exited) {
        await cluster.stop();
        throw new Error(exited ? `etcd member ${m.name} exited with ${m.proc.exitCode}` : `etcd member ${m.name} did not become healthy within ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return cluster;
}
