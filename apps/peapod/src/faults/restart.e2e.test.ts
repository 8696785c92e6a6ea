import type { ConfigMap, Pod } from '@peapod/api-types';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, startUp, tempDir, type RunningUp } from '../testing/cli.js';
import { configMaps, informerOf, pods, portOf, Relay, remote, reportReliability } from './harness.js';

const SEEDS = 200;
const WRITERS = 8;
const PODS = 3;
const LABEL = 'fault=restart';
const NODE = ['--node-name', 'restart-node'];

const seed = (i: number, phase = 'before'): ConfigMap => ({
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: { name: `seed-${String(i).padStart(3, '0')}`, namespace: 'default', labels: { fault: 'restart' } },
  data: { n: '0', phase },
});
const sleeper = (i: number): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: `sleeper-${i}`, namespace: 'default' },
  spec: { containers: [{ name: 'app', image: 'busybox:1.28', command: ['sh', '-c', 'echo "started as pid $$"; exec sleep 3600'] }] },
} as Pod);
const running = (p: Pod) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running?.startedAt;

describe('peapod up restarted under load (API server and kubelet of the one process)', () => {
  const dir = tempDir('peapod-restart-');
  let up: RunningUp | undefined;
  let relay: Relay | undefined;
  afterAll(async () => { await up?.stop(); await relay?.close(); });

  it('adopts running pods, keeps acknowledged writes, and informers recover the final state of objects changed during the outage', async () => {
    up = await startUp(dir, NODE);
    const before = await remote(up.kubeconfig);
    const cms = before.client.resource(configMaps);
    await Promise.all(Array.from({ length: SEEDS }, (_, i) => cms.create(seed(i))));
    for (let i = 0; i < PODS; i++) await before.client.resource(pods).create(sleeper(i));
    const started = new Map<string, { pod: Pod; log: string }>();
    for (let i = 0; i < PODS; i++) {
      const name = `sleeper-${i}`;
      const pod = await eventually(async () => { const p = await before.client.resource(pods).get(name, { namespace: 'default' }); return running(p) ? p : undefined; }, 30_000, `${name} Running`);
      const log = await eventually(async () => { const l = await kubectl(up!.kubeconfig, ['logs', name]); return l.includes('started as pid') && l; }, 10_000, `${name} log`);
      started.set(name, { pod, log });
    }

    relay = await Relay.start(portOf(before.server));
    const watcher = await remote(up.kubeconfig, relay.url);
    const informer = informerOf<ConfigMap>(watcher.client, configMaps, LABEL);
    informer.start();
    await informer.waitForSync();

    // Load: writers keep updating their share of the seeds, each from its own HTTPS client, until the server goes away.
    const acked = new Map<string, number>();
    let restarting = false;
    let writes = 0;
    const writer = async (w: number) => {
      const res = (await remote(up!.kubeconfig)).client.resource(configMaps);
      for (let n = 1; ; n++) {
        for (let i = w; i < SEEDS; i += WRITERS) {
          const name = seed(i).metadata.name!;
          try {
            await res.patch(name, 'merge', { data: { n: String(n) } }, { namespace: 'default' });
            acked.set(name, n);
            writes++;
          } catch (err) {
            // Writes fail only once the server goes away; each writer then stops.
            if (!restarting) throw err;
            return;
          }
        }
      }
    };
    const load = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    await eventually(async () => writes >= 400, 30_000, 'load to build up');

    // The watcher loses its server; the process restarts (SIGTERM) in the middle of the writes.
    relay.down();
    restarting = true;
    expect(await up.stop()).toBe(0);
    await load;
    up = await startUp(dir, NODE);
    const after = await remote(up.kubeconfig);
    const res = after.client.resource(configMaps);

    // Every acknowledged update is kept (an unacknowledged in-flight one may have landed on top).
    const lost: string[] = [];
    for (const [name, n] of acked) if (!(Number((await res.get(name, { namespace: 'default' })).data?.n) >= n)) lost.push(name);
    expect(lost).toEqual([]);

    // While the watcher is still cut off: update, delete and create objects.
    const changed = Array.from({ length: 40 }, (_, i) => seed(i).metadata.name!);
    const deleted = Array.from({ length: 40 }, (_, i) => seed(SEEDS - 1 - i).metadata.name!);
    for (const name of changed) await res.patch(name, 'merge', { data: { phase: 'after' } }, { namespace: 'default' });
    for (const name of deleted) await res.delete(name, { namespace: 'default' });
    for (let i = SEEDS; i < SEEDS + 20; i++) await res.create(seed(i, 'after'));
    const final = await res.list({ namespace: 'default', labelSelector: LABEL });
    relay.upTo(portOf(after.server));

    const want = new Map(final.items.map((o) => [o.metadata.name!, o]));
    await eventually(async () => {
      const cached = informer.lister.list('default');
      return cached.length === want.size && cached.every((o) => want.get(o.metadata.name!)?.metadata.resourceVersion === o.metadata.resourceVersion);
    }, 30_000, 'informer cache to match the final state');
    for (const name of changed) expect(informer.lister.get('default', name)?.data?.phase).toBe('after');
    for (const name of deleted) expect(informer.lister.get('default', name)).toBeUndefined();
    expect(informer.lister.list('default').filter((o) => o.data?.phase === 'after')).toHaveLength(60);
    await informer.stop();

    // The kubelet of the new process adopts the running containers instead of restarting them: it
    // can exec into them (so it has taken them over), and the one process that started before the
    // restart is still the only one that ever started (same log line, same pid, same startedAt).
    for (const [name, was] of started) {
      await eventually(async () => (await kubectl(up!.kubeconfig, ['exec', name, '--', 'echo', 'alive'])) === 'alive\n', 30_000, `exec into ${name} after restart`);
      const now = await after.client.resource(pods).get(name, { namespace: 'default' });
      expect(now.metadata.uid).toBe(was.pod.metadata.uid);
      expect(running(now)).toBe(running(was.pod));
      expect(now.status?.containerStatuses?.[0]?.restartCount).toBe(0);
      expect(await kubectl(up.kubeconfig, ['logs', name])).toBe(was.log);
    }

    reportReliability({
      suite: 'peapod up: restart under load (API server, kubelet, informer)',
      load: `${WRITERS} HTTPS writers, ${writes} acknowledged updates to ${SEEDS} ConfigMaps; ${PODS} running process-runtime pods`,
      faults: 'SIGTERM restart of the whole process mid-load; informer cut off while 100 objects changed (40 updated, 40 deleted, 20 created)',
      inputs: writes + 100,
      lost: lost.length,
    });
  }, 120_000);
});
