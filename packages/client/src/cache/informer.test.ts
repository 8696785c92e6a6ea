import { RESOURCES, StatusError, type Pod } from '@peapod/api-types';
import { FakeClock, silentLogger } from '@peapod/core';
import { describe, expect, it } from 'vitest';
import { createClient } from '../client.js';
import { FakeApiServer } from '../testing/fake-api-server.js';
import type { KubeObject, ObjectList, Transport, WatchEvent } from '../types.js';
import { InformerFactory } from './factory.js';
import { SharedInformer } from './informer.js';

const pod = (name: string, extra: { labels?: Record<string, string>; nodeName?: string; namespace?: string } = {}) =>
  ({ metadata: { name, namespace: extra.namespace ?? 'default', labels: extra.labels }, spec: { containers: [{ name: 'c', image: 'i' }], nodeName: extra.nodeName } }) as Pod;

function setup(transport?: Transport) {
  const clock = new FakeClock();
  const api = new FakeApiServer({ clock });
  const client = createClient(transport ?? api);
  const pods = client.resource(RESOURCES.pods);
  const deps = { client, clock, logger: silentLogger };
  const log: string[] = [];
  const record = (inf: SharedInformer<Pod>) => inf.addEventHandler({
    onAdd: (p, initial) => log.push(`add ${p.metadata.name}@${p.metadata.resourceVersion}${initial ? ' (initial)' : ''}`),
    onUpdate: (o, n) => log.push(`update ${n.metadata.name}@${o.metadata.resourceVersion}->${n.metadata.resourceVersion}`),
    onDelete: (p, unknown) => log.push(`delete ${p.metadata.name}${unknown ? ' (final state unknown)' : ''}`),
  });
  /** Lets the informer's async work settle without moving time. */
  const settle = () => clock.advance(0);
  return { clock, api, client, pods, deps, log, record, settle };
}

const names = (inf: SharedInformer<Pod>) => inf.store.list().map((p) => p.metadata.name).sort();

describe('SharedInformer', () => {
  it('lists, then delivers watch events in order, keeping the cache and listers current', async () => {
    const { pods, deps, log, record, settle } = setup();
    await pods.create(pod('a', { labels: { app: 'web' } }));
    await pods.create(pod('b', { namespace: 'other' }));
    const inf = new SharedInformer(RESOURCES.pods, {}, deps);
    record(inf);
    expect(inf.hasSynced()).toBe(false);
    inf.start();
    await inf.waitForSync();
    expect(log.splice(0)).toEqual(['add a@1 (initial)', 'add b@2 (initial)']);

    await pods.patch('a', 'merge', { metadata: { annotations: { x: 'y' } } }, { namespace: 'default' });
    await pods.create(pod('c'));
    await pods.delete('b', { namespace: 'other' });
    await settle();
    expect(log).toEqual(['update a@1->3', 'add c@4', 'delete b']);
    expect(inf.lister.get('default', 'a')?.metadata.annotations).toEqual({ x: 'y' });
    expect(inf.lister.get('other', 'b')).toBeUndefined();
    expect(inf.lister.list('default', 'app=web').map((p) => p.metadata.name)).toEqual(['a']);
    expect(inf.lister.list().length).toBe(2);
    await inf.stop();
  });

  it('relists after a 410 and reconciles the cache without losing or duplicating anything', async () => {
    const { api, clock, pods, deps, log, record, settle } = setup();
    for (const n of ['a', 'b', 'c']) await pods.create(pod(n));
    const inf = new SharedInformer(RESOURCES.pods, {}, deps);
    record(inf);
    inf.start();
    await inf.waitForSync();
    await settle();
    expect(api.watchCount).toBe(1);
    log.length = 0;

    // The watch ends; while the informer waits to resume, the world changes and history is compacted.
    api.closeWatches();
    await settle();
    await pods.delete('a', { namespace: 'default' });
    await pods.patch('b', 'merge', { metadata: { labels: { v: '2' } } }, { namespace: 'default' });
    await pods.create(pod('d'));
    api.compact();
    const lists = () => api.requests.filter((r) => r.method === 'GET' && !r.query?.watch).length;
    expect(lists()).toBe(1);

    await clock.advance(800);
    expect(lists()).toBe(2);
    expect(log.splice(0)).toEqual(['update b@2->5', 'add d@6', 'delete a (final state unknown)']);
    expect(names(inf)).toEqual(['b', 'c', 'd']);

    // And it watches again from the relist's resourceVersion.
    await pods.create(pod('e'));
    await settle();
    expect(log).toEqual(['add e@7']);
    await inf.stop();
  });

  it('survives a transport error by backing off on the clock and relisting', async () => {
    const { api, clock, pods, deps, log, record, settle } = setup();
    let down = true;
    api.onRequest = () => { if (down) throw new StatusError({ code: 503, reason: 'ServiceUnavailable', message: 'connection refused' }); };
    const inf = new SharedInformer(RESOURCES.pods, {}, deps);
    record(inf);
    inf.start();
    await settle();
    await clock.advance(800 + 1600);
    expect(api.requests).toHaveLength(3); // first try, then after 800 ms and 1600 ms more
    expect(inf.hasSynced()).toBe(false);

    down = false;
    await pods.create(pod('a'));
    await clock.advance(3200);
    expect(inf.hasSynced()).toBe(true);
    expect(log.splice(0)).toEqual(['add a@1 (initial)']);

    // A failure mid-life: the watch ends, the resume fails, objects change meanwhile.
    down = true;
    api.closeWatches();
    await settle();
    down = false;
    await pods.create(pod('b'));
    down = true;
    await clock.advance(800); // watch resume fails
    down = false;
    await clock.advance(1600); // relist
    expect(log).toEqual(['add b@2']);
    expect(names(inf)).toEqual(['a', 'b']);
    await inf.stop();
  });

  it('relists after an ERROR event other than 410, after a backoff', async () => {
    const script = scripted([pod('a', {})], [
      [{ type: 'ERROR', object: new StatusError({ code: 500, reason: 'InternalError', message: 'boom' }).status }],
    ]);
    const { clock, deps, log, record, settle } = setup(script.transport);
    const inf = new SharedInformer(RESOURCES.pods, {}, deps);
    record(inf);
    inf.start();
    await settle();
    expect(script.lists).toBe(1);
    await clock.advance(800);
    expect(script.lists).toBe(2);
    expect(log).toEqual(['add a@1 (initial)']);
    await inf.stop();
  });

  it('never replaces an object with an older version of it', async () => {
    const v = (rv: string) => ({ ...pod('a'), metadata: { ...pod('a').metadata, resourceVersion: rv } });
    const script = scripted([v('5')], [[
      { type: 'MODIFIED', object: v('3') },
      { type: 'MODIFIED', object: v('5') },
      { type: 'MODIFIED', object: v('10') },
      { type: 'MODIFIED', object: v('9') },
    ]]);
    const { deps, log, record, settle } = setup(script.transport);
    const inf = new SharedInformer(RESOURCES.pods, {}, deps);
    record(inf);
    inf.start();
    await settle();
    expect(log).toEqual(['add a@5 (initial)', 'update a@5->10']);
    expect(inf.lister.get('default', 'a')?.metadata.resourceVersion).toBe('10');
    await inf.stop();
  });

  it('resumes from the resourceVersion of the last bookmark', async () => {
    const { api, client, deps, settle } = setup();
    const inf = new SharedInformer(RESOURCES.pods, {}, deps);
    inf.start();
    await inf.waitForSync();
    await client.resource(RESOURCES.configmaps).create({ metadata: { name: 'x', namespace: 'default' } } as never);
    api.bookmark();
    await settle();
    api.closeWatches();
    await settle();
    const watches = api.requests.filter((r) => r.query?.watch === 'true');
    expect(watches.map((w) => [w.query?.resourceVersion, w.query?.allowWatchBookmarks])).toEqual([['0', 'true'], ['1', 'true']]);
    await inf.stop();
  });

  it('replays the cache to a handler added late and isolates a throwing handler', async () => {
    const { pods, deps, settle } = setup();
    await pods.create(pod('a'));
    const inf = new SharedInformer(RESOURCES.pods, {}, deps);
    inf.start();
    await inf.waitForSync();
    inf.addEventHandler({ onAdd: () => { throw new Error('handler bug'); } });
    const seen: string[] = [];
    const reg = inf.addEventHandler({ onAdd: (p, initial) => seen.push(`${p.metadata.name}:${initial}`) });
    await pods.create(pod('b'));
    await settle();
    expect(seen).toEqual(['a:true', 'b:false']);
    reg.remove();
    await pods.create(pod('c'));
    await settle();
    expect(seen).toHaveLength(2);
    await inf.stop();
  });

  it('re-delivers every object as an update each resync period', async () => {
    const { clock, pods, deps, log, record } = setup();
    await pods.create(pod('a'));
    const inf = new SharedInformer(RESOURCES.pods, { resyncPeriodMs: 60_000 }, deps);
    record(inf);
    inf.start();
    await inf.waitForSync();
    await clock.advance(60_000);
    expect(log).toEqual(['add a@1 (initial)', 'update a@1->1']);
    await inf.stop();
    await clock.advance(60_000);
    expect(log).toHaveLength(2);
  });

  it('indexes pods by node and watches only what its selectors select', async () => {
    const { pods, deps, settle } = setup();
    const inf = new SharedInformer(RESOURCES.pods, { fieldSelector: 'spec.nodeName!=' }, deps, {
      byNode: (p: Pod) => (p.spec?.nodeName ? [p.spec.nodeName] : []),
    });
    inf.start();
    await inf.waitForSync();
    await pods.create(pod('a', { nodeName: 'n1' }));
    await pods.create(pod('b'));
    await pods.create(pod('c', { nodeName: 'n2' }));
    await pods.createSubresource('b', 'binding', { target: { name: 'n1' } }, { namespace: 'default' });
    await settle();
    expect(inf.store.indexKeys('byNode', 'n1').sort()).toEqual(['default/a', 'default/b']);
    expect(inf.store.byIndex('byNode', 'n2').map((p) => p.metadata.name)).toEqual(['c']);
    await inf.stop();
  });

  it('stops at once even while a list is hanging on a server that does not answer', async () => {
    let listed = 0;
    const hung: Transport = {
      request: (req) => new Promise((_, reject) => {
        listed++;
        req.signal?.addEventListener('abort', () => reject(req.signal!.reason));
      }),
      async *watch() { /* never reached */ },
      async *stream() { /* unused */ },
    };
    const { deps, settle } = setup(hung);
    const inf = new SharedInformer(RESOURCES.pods, {}, deps);
    inf.start();
    await settle();
    expect(listed).toBe(1);
    await inf.stop();
    expect(inf.hasSynced()).toBe(false);
  });
});

describe('InformerFactory', () => {
  it('shares one informer per resource and selector, and starts late ones at once', async () => {
    const { api, pods, deps } = setup();
    await pods.create(pod('a'));
    const f = new InformerFactory(deps);
    const i1 = f.informerFor(RESOURCES.pods);
    expect(f.informerFor(RESOURCES.pods)).toBe(i1);
    expect(f.informerFor(RESOURCES.pods, { labelSelector: 'app=x' })).not.toBe(i1);
    f.start();
    await f.waitForCacheSync();
    const late = f.informerFor(RESOURCES.nodes);
    await late.waitForSync();
    expect(i1.lister.list()).toHaveLength(1);
    expect(api.requests.filter((r) => r.path === '/api/v1/pods' && !r.query?.watch)).toHaveLength(2);
    await f.stop();
    expect(api.watchCount).toBe(0);
  });
});

/** A transport whose list answers `items` (resourceVersion 1) and whose nth watch yields `watches[n]`, then idles until aborted. */
function scripted(items: Pod[], watches: WatchEvent<KubeObject>[][]) {
  const s = { lists: 0, transport: undefined as unknown as Transport };
  let n = 0;
  s.transport = {
    async request(): Promise<{ status: number; body: ObjectList<KubeObject> }> {
      s.lists++;
      return { status: 200, body: { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '1' }, items: items.map((p) => ({ ...p, metadata: { resourceVersion: '1', ...p.metadata } })) } };
    },
    async *watch(req) {
      yield* watches[n++] ?? [];
      await new Promise((r) => req.signal?.addEventListener('abort', r));
    },
    async *stream() { /* unused */ },
  };
  return s;
}
