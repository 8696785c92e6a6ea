import { decodeObject, validateObject, isGone, type ConfigMap } from '@peapod/api-types';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, startUp, tempDir, type RunningUp } from '../testing/cli.js';
import { configMaps, informerOf, portOf, Relay, remote, reportReliability, rv } from './harness.js';

const TOTAL = 5_000;
const CLIENTS = 32;
/** SIGKILL lands once this many creates were acknowledged, so thousands are still in flight or unsent. */
const KILL_AFTER = 1_500;
const LABEL = 'fault=crash';

const cm = (i: number): ConfigMap => ({
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: { name: `burst-${String(i).padStart(5, '0')}`, namespace: 'default', labels: { fault: 'crash' } },
  data: { index: String(i), payload: 'x'.repeat(256 + (i % 512)) },
});

describe('peapod up killed with SIGKILL during a burst of creates', () => {
  const dir = tempDir('peapod-crash-');
  let up: RunningUp | undefined;
  let relay: Relay | undefined;
  afterAll(async () => { await up?.stop(); await relay?.close(); });

  it('keeps every acknowledged create, writes nothing half, keeps resourceVersions growing, and watches resume or relist', async () => {
    up = await startUp(dir, ['--node-name', 'crash-node']);
    const direct = await remote(up.kubeconfig);
    relay = await Relay.start(portOf(direct.server));
    // The watcher's connection goes through the relay, so it reaches the restarted server on its new port.
    const watcher = await remote(up.kubeconfig, relay.url);
    const informer = informerOf<ConfigMap>(watcher.client, configMaps, LABEL);
    informer.start();
    await informer.waitForSync();
    let lastSeen = 0n;
    informer.on('added', (o) => { lastSeen = rv(o) > lastSeen ? rv(o) : lastSeen; });

    // 32 HTTPS clients (one keep-alive agent each) share the 5,000 names; each records what was acknowledged.
    const acked = new Map<string, bigint>();
    let next = 0;
    let failed = 0;
    let killed: Promise<number | null> | undefined;
    const worker = async () => {
      const { client } = await remote(up!.kubeconfig);
      const res = client.resource(configMaps);
      while (next < TOTAL && !killed) {
        const obj = cm(next++);
        try {
          const created = await res.create(obj);
          acked.set(created.metadata.name!, rv(created));
          if (acked.size >= KILL_AFTER && !killed) killed = up!.stop('SIGKILL');
        } catch {
          failed++;
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, worker));
    expect(await killed).toBeNull(); // killed by the signal, not exited
    relay.down();
    const attempted = next;
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(attempted).toBeLessThan(TOTAL); // the kill landed inside the burst
    const watchedBeforeCrash = lastSeen;

    up = await startUp(dir, ['--node-name', 'crash-node']);
    const after = await remote(up.kubeconfig);
    const res = after.client.resource(configMaps);
    const list = await res.list({ namespace: 'default', labelSelector: LABEL });

    // Every acknowledged create survived, at its acknowledged version or a later one.
    const byName = new Map(list.items.map((o) => [o.metadata.name!, o]));
    const lost = [...acked].filter(([name, v]) => !byName.has(name) || rv(byName.get(name)!) < v).map(([n]) => n);
    expect(lost).toEqual([]);
    // Nothing half-written: every stored object decodes strictly, validates and carries the whole payload it was created with.
    for (const o of list.items) {
      const { object } = decodeObject(configMaps, o, 'Strict');
      expect(validateObject(configMaps, object)).toEqual([]);
      const i = Number(object.data?.index);
      expect(object.data).toEqual(cm(i).data);
    }
    // Unacknowledged creates may or may not have landed, but only names that were sent.
    expect(list.items.every((o) => Number(o.data?.index) < attempted)).toBe(true);

    // Versions keep growing: a write after the restart gets a version above everything stored before.
    const maxBefore = list.items.reduce((m, o) => (rv(o) > m ? rv(o) : m), 0n);
    expect(BigInt(list.metadata.resourceVersion!)).toBeGreaterThanOrEqual(maxBefore);
    const fresh = await res.create(cm(TOTAL));
    expect(rv(fresh)).toBeGreaterThan(maxBefore);

    // A raw watch from the last version seen before the crash either resumes (delivering every
    // object written after it, the fresh one included) or answers 410 Gone.
    const expected = new Set([...list.items, fresh].filter((o) => rv(o) > watchedBeforeCrash).map((o) => o.metadata.name!));
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 20_000);
    let outcome: 'resumed' | 'gone' = 'resumed';
    try {
      for await (const ev of res.watch({ namespace: 'default', labelSelector: LABEL, resourceVersion: String(watchedBeforeCrash), signal: abort.signal })) {
        if (ev.type === 'ERROR') { expect(ev.object.code).toBe(410); outcome = 'gone'; break; }
        if (ev.type !== 'BOOKMARK') expected.delete(ev.object.metadata.name!);
        if (expected.size === 0) break;
      }
    } catch (err) {
      if (!isGone(err)) throw err;
      outcome = 'gone';
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
    if (outcome === 'resumed') expect([...expected]).toEqual([]);

    // The informer that watched through the crash reconnects (resuming or relisting) and converges on the server's list.
    relay.upTo(portOf(after.server));
    const want = new Map([...list.items, fresh].map((o) => [o.metadata.name!, o.metadata.resourceVersion]));
    await eventually(async () => {
      const cached = informer.lister.list('default');
      return cached.length === want.size && cached.every((o) => want.get(o.metadata.name!) === o.metadata.resourceVersion);
    }, 30_000, 'informer cache to match the list after the restart');
    await informer.stop();

    reportReliability({
      suite: 'peapod up: SIGKILL during a burst of creates',
      load: `${CLIENTS} HTTPS clients, ${attempted} of ${TOTAL} ConfigMap creates sent (${acked.size} acknowledged before the kill)`,
      faults: `SIGKILL of the whole process, restart on the same data dir; watch from rv ${watchedBeforeCrash}: ${outcome === 'gone' ? '410 Gone, relist' : 'resumed'}`,
      inputs: attempted,
      lost: lost.length,
    });
    console.log(`[crash] acknowledged ${acked.size}, attempted ${attempted}, failed in flight ${failed}, stored after restart ${list.items.length}, watch ${outcome}`);
  }, 120_000);
});
