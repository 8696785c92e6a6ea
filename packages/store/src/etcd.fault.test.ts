import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createEtcdStore } from './etcd.js';
import { startEtcdCluster, type EtcdCluster } from './testing/etcd-cluster.js';
import type { StoredObject } from './types.js';

let cluster: EtcdCluster | undefined;
afterAll(async () => { await cluster?.stop(); });

const until = async (cond: () => boolean, ms: number, what: string) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

type Counter = StoredObject & { n: number };

/** A TCP relay to one etcd member that can be re-pointed, so a watch provably rides on the member we kill. */
async function relay(target: () => string): Promise<{ endpoint: string; server: Server; connections: Set<Socket> }> {
  const connections = new Set<Socket>();
  const server = createServer((down) => {
    const [host, port] = target().split(':');
    const up = connect(Number(port), host!);
    for (const s of [down, up]) {
      connections.add(s);
      s.on('error', () => { down.destroy(); up.destroy(); });
      s.on('close', () => { connections.delete(s); down.destroy(); up.destroy(); });
    }
    down.pipe(up);
    up.pipe(down);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { endpoint: `127.0.0.1:${(server.address() as { port: number }).port}`, server, connections };
}

describe('etcd store when the leader dies', () => {
  it('keeps every acknowledged write and resumes its watch without gaps or duplicates', async () => {
    cluster = await startEtcdCluster(3);
    const store = createEtcdStore(cluster.endpoints, { prefix: '/fault', requestTimeoutMs: 2_000 });
    await store.create<Counter>('/counters/c', { metadata: { name: 'c' }, n: 0 });
    const start = await store.currentRevision();

    // The watch reaches etcd only through a relay to the leader, re-pointed to a survivor when the leader dies.
    const leader = await cluster.leader();
    let target = cluster.endpoints[leader]!;
    const r = await relay(() => target);
    const watchStore = createEtcdStore([r.endpoint], { prefix: '/fault' });
    const watched: { type: string; name: string; rev: number }[] = [];
    const w = watchStore.watch('/pods/', { resourceVersion: start });
    const watching = (async () => {
      for await (const e of w) watched.push({ type: e.type, name: String((e.object as StoredObject).metadata?.name), rev: Number(e.object.metadata?.resourceVersion) });
    })();

    let stop = false;
    const acked = new Map<string, number>();
    let createFailures = 0;
    let increments = 0;
    let incrementFailures = 0;
    const writers = Array.from({ length: 6 }, async (_, wi) => {
      for (let i = 0; !stop; i++) {
        const name = `w${wi}-${i}`;
        try {
          acked.set(name, Number((await store.create<StoredObject>(`/pods/default/${name}`, { metadata: { name } })).metadata.resourceVersion));
        } catch {
          createFailures++;
        }
      }
    });
    const incrementers = Array.from({ length: 2 }, async () => {
      while (!stop) {
        try {
          await store.guaranteedUpdate<Counter>('/counters/c', { tryUpdate: (c) => ({ ...c!, n: c!.n + 1 }) });
          increments++;
        } catch {
          incrementFailures++;
        }
      }
    });

    await until(() => acked.size >= 150 && watched.length >= 100, 15_000, 'writes and watch events before the leader is killed');
    target = cluster.endpoints[(leader + 1) % 3]!;
    await cluster.kill(leader);
    expect(await cluster.leader()).not.toBe(leader);
    const atKill = acked.size;
    await until(() => acked.size >= atKill + 150, 15_000, 'writes to succeed again after the leader was killed');
    stop = true;
    await Promise.all([...writers, ...incrementers]);

    // Every acknowledged create is there, at the revision it was acknowledged with.
    const listed = await store.list('/pods/');
    const stored = new Map(listed.items.map((o) => [o.metadata.name!, Number(o.metadata.resourceVersion)]));
    for (const [name, rev] of acked) expect(stored.get(name), name).toBe(rev);
    // Writes whose outcome the client could not settle may or may not have happened; no more than those.
    expect(stored.size - acked.size).toBeLessThanOrEqual(createFailures);

    // No lost or doubled increment: the client never resent an applied transaction.
    const final = (await store.get<Counter>('/counters/c'))!.n;
    expect(final).toBeGreaterThanOrEqual(increments);
    expect(final).toBeLessThanOrEqual(increments + incrementFailures);

    // The watch resumed where it was: exactly the stored creates, in revision order, once each.
    await until(() => watched.length >= stored.size, 10_000, `the watch to deliver ${stored.size} events (has ${watched.length})`);
    w.stop();
    await watching;
    const revs = watched.map((e) => e.rev);
    expect(revs).toEqual([...revs].sort((a, b) => a - b));
    expect(new Set(revs).size).toBe(revs.length);
    expect(watched.every((e) => e.type === 'ADDED')).toBe(true);
    expect(new Map(watched.map((e) => [e.name, e.rev]))).toEqual(stored);
    await Promise.all([store.close(), watchStore.close()]);
    for (const c of r.connections) c.destroy();
    r.server.close();
  }, 60_000);
});
