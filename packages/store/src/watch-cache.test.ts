import { isConflict, isGone, type Status } from '@peapod/api-types';
import { FakeClock } from '@peapod/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runStoreConformance } from './conformance.js';
import type { KVEntry, KVWatch, RangeResult, WatchSink } from './kv.js';
import { KVStore } from './kv-store.js';
import { MemoryKV } from './memory.js';
import type { StoredObject, Watch, WatchEvent } from './types.js';
import { WatchCache, type WatchCacheOptions } from './watch-cache.js';

runStoreConformance('watch cache over memory', (opts) => new WatchCache(new KVStore(new MemoryKV(), opts), opts));

/** A memory backend that counts range reads, can hold back its watch events, and can break its watches. */
class SpyKV extends MemoryKV {
  ranges = 0;
  gets = 0;
  /** Full-keyspace reads (the cache's loads) that fail before one succeeds. */
  failLoads = 0;
  sinks: WatchSink[] = [];
  held: (() => void)[] | undefined;
  override async range(start: string, end: string, limit: number, atRev: number): Promise<RangeResult> {
    this.ranges++;
    if (start === '' && this.failLoads > 0 && this.failLoads--) throw new Error('backend unavailable');
    return super.range(start, end, limit, atRev);
  }
  override async get(key: string): Promise<KVEntry | undefined> {
    this.gets++;
    return super.get(key);
  }
  override watch(start: string, end: string, afterRev: number, sink: WatchSink): KVWatch {
    this.sinks.push(sink);
    const h = super.watch(start, end, afterRev, {
      events: (evs) => (this.held ? this.held.push(() => sink.events(evs)) : sink.events(evs)),
      error: (err) => sink.error(err),
    });
    return { stop: h.stop, progress: () => (this.held ? afterRev : h.progress()) };
  }
  hold(): void {
    this.held = [];
  }
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const deliver of held) deliver();
  }
}

const obj = (name: string, extra: Record<string, unknown> = {}): StoredObject => ({ metadata: { name, namespace: 'default' }, ...extra });

function setup(opts: WatchCacheOptions = {}) {
  const kv = new SpyKV();
  const cache = new WatchCache(new KVStore(kv, opts), opts);
  return { kv, cache };
}

async function collect(w: Watch<StoredObject>, n: number): Promise<WatchEvent<StoredObject>[]> {
  const out: WatchEvent<StoredObject>[] = [];
  if (n === 0) return out;
  for await (const e of w) {
    out.push(e);
    if (out.length >= n) break;
  }
  return out;
}

describe('watch cache', () => {
  it('serves resourceVersion "0", NotOlderThan and consistent lists from memory, Exact ones from the backend', async () => {
    const { kv, cache } = setup();
    for (let i = 0; i < 5; i++) await cache.create(`/pods/default/p${i}`, obj(`p${i}`));
    const before = kv.ranges;
    const any = await cache.list('/pods/', { resourceVersion: '0' });
    const notOlder = await cache.list('/pods/', { resourceVersion: any.resourceVersion });
    const consistent = await cache.list('/pods/', {});
    expect(kv.ranges).toBe(before);
    expect(any.items.map((o) => o.metadata.name)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(notOlder.items).toEqual(any.items);
    expect(consistent.items).toEqual(any.items);
    expect(any.resourceVersion).toBe(await cache.currentRevision());
    await cache.list('/pods/', { resourceVersion: any.resourceVersion, resourceVersionMatch: 'Exact' });
    expect(kv.ranges).toBe(before + 1);
    await cache.close();
  });

  it('answers a consistent list from the backend when the cache lags, and waits for a NotOlderThan one', async () => {
    const { kv, cache } = setup({ consistentReadWaitMs: 50 });
    await cache.create('/pods/default/p0', obj('p0'));
    kv.hold();
    const p1 = await cache.create('/pods/default/p1', obj('p1'));
    const before = kv.ranges;
    expect((await cache.list('/pods/', {})).items.map((o) => o.metadata.name)).toEqual(['p0', 'p1']);
    expect(kv.ranges).toBe(before + 1);
    expect((await cache.list('/pods/', { resourceVersion: '0' })).items.map((o) => o.metadata.name)).toEqual(['p0']);
    const waiting = cache.list('/pods/', { resourceVersion: p1.metadata.resourceVersion! });
    setTimeout(() => kv.release(), 30);
    expect((await waiting).items.map((o) => o.metadata.name)).toEqual(['p0', 'p1']);
    expect(kv.ranges).toBe(before + 1);
    await cache.close();
  });

  it('answers a get with a resourceVersion from memory once it has reached it, and one without from the backend', async () => {
    const { kv, cache } = setup();
    const v1 = await cache.create('/pods/default/p0', obj('p0', { spec: { v: 1 } }));
    kv.hold();
    const v2 = await cache.guaranteedUpdate<StoredObject>('/pods/default/p0', { tryUpdate: (o) => ({ ...o!, spec: { v: 2 } }) });
    expect(await cache.get('/pods/default/p0', { resourceVersion: '0' })).toEqual(v1);
    expect(await cache.get('/pods/default/p0')).toEqual(v2);
    const waiting = cache.get('/pods/default/p0', { resourceVersion: v2.metadata.resourceVersion! });
    setTimeout(() => kv.release(), 30);
    expect(await waiting).toEqual(v2);
    expect(await cache.get('/pods/default/none', { resourceVersion: '0', ignoreNotFound: true })).toBeUndefined();
    await expect(cache.get('/pods/default/none', { resourceVersion: '0' })).rejects.toMatchObject({ status: { reason: 'NotFound' } });
    await cache.close();
  });

  it('sends consistent lists to the backend when consistentReadWaitMs is 0', async () => {
    const { kv, cache } = setup({ consistentReadWaitMs: 0 });
    await cache.create('/pods/default/p0', obj('p0'));
    await cache.list('/pods/', { resourceVersion: '0' });
    const before = kv.ranges;
    expect((await cache.list('/pods/', {})).items).toHaveLength(1);
    expect(kv.ranges).toBe(before + 1);
    await cache.close();
  });

  it('hands out shared, frozen objects that a caller cannot corrupt', async () => {
    const { cache } = setup();
    await cache.create('/pods/default/p1', obj('p1', { spec: { nodeName: 'n1' } }));
    const [item] = (await cache.list<StoredObject & { spec: { nodeName: string } }>('/pods/', { resourceVersion: '0' })).items;
    expect(() => { item!.spec.nodeName = 'x'; }).toThrow(TypeError);
    expect((await cache.list<StoredObject & { spec: { nodeName: string } }>('/pods/', { resourceVersion: '0' })).items[0]!.spec.nodeName).toBe('n1');
    await cache.close();
  });

  it('pages a cached list: first page from memory, the rest from the backend at the same revision', async () => {
    const { cache } = setup();
    for (let i = 0; i < 5; i++) await cache.create(`/pods/default/p${i}`, obj(`p${i}`));
    const first = await cache.list('/pods/', { resourceVersion: '0', limit: 2 });
    expect(first.items.map((o) => o.metadata.name)).toEqual(['p0', 'p1']);
    expect(first.remainingItemCount).toBe(3);
    await cache.create('/pods/default/p25', obj('p25'));
    const rest = await cache.list('/pods/', { continue: first.continue! });
    expect(rest.items.map((o) => o.metadata.name)).toEqual(['p2', 'p3', 'p4']);
    expect(rest.resourceVersion).toBe(first.resourceVersion);
    await cache.close();
  });

  it('closes a watcher that falls too far behind, which resumes from its last resourceVersion, while the others get every event', async () => {
    const { cache } = setup({ watchBufferSize: 10 });
    const rev = await cache.currentRevision();
    const slow = cache.watch('/pods/', { resourceVersion: rev });
    const fast = Array.from({ length: 5 }, () => cache.watch('/pods/', { resourceVersion: rev }));
    const received = fast.map((w) => collect(w, 30));
    for (let i = 0; i < 30; i++) {
      await cache.create(`/pods/default/p${i}`, obj(`p${i}`));
      await new Promise((r) => setImmediate(r));
    }
    for (const evs of await Promise.all(received)) expect(evs.map((e) => e.object.metadata?.resourceVersion)).toHaveLength(30);
    const slowEvents: WatchEvent<StoredObject>[] = [];
    for await (const e of slow) slowEvents.push(e);
    // Ended after the 10 it had room for, with no error; a watch from the last one seen gets the rest.
    expect(slowEvents.map((e) => e.type)).toEqual(Array(10).fill('ADDED'));
    const resumed = cache.watch('/pods/', { resourceVersion: slowEvents.at(-1)!.object.metadata!.resourceVersion });
    const rest = await collect(resumed, 20);
    expect([...slowEvents, ...rest].map((e) => (e.object as StoredObject).metadata.name)).toEqual(Array.from({ length: 30 }, (_, i) => `p${i}`));
    await cache.close();
  });

  it('fans every event out to many watchers in order', async () => {
    const { cache } = setup();
    const rev = await cache.currentRevision();
    const ws = Array.from({ length: 300 }, () => cache.watch('/pods/', { resourceVersion: rev }));
    const got = ws.map((w) => collect(w, 20));
    const revs: string[] = [];
    for (let i = 0; i < 20; i++) revs.push((await cache.create(`/pods/default/p${i}`, obj(`p${i}`))).metadata.resourceVersion!);
    for (const evs of await Promise.all(got)) expect(evs.map((e) => e.object.metadata?.resourceVersion)).toEqual(revs);
    await cache.close();
  });

  it('delivers to watchers selecting spec.nodeName exactly what the uncached store delivers, as pods are bound, move and go', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ pod: fc.constantFrom('p1', 'p2', 'p3'), node: fc.constantFrom(undefined, '', 'a', 'b'), del: fc.boolean() }), { minLength: 1, maxLength: 25 }),
      async (writes) => {
        const { cache } = setup();
        const backend = (cache as unknown as { store: KVStore }).store;
        const selectors = ['', 'spec.nodeName=a', 'spec.nodeName=b', 'spec.nodeName=', 'spec.nodeName!=a'];
        // A first write, so the replays below start at a revision ("0" would mean from now).
        const start = (await cache.create('/pods/default/p0', obj('p0'))).metadata.resourceVersion!;
        const cached = selectors.map((fieldSelector) => cache.watch<StoredObject>('/pods/', { fieldSelector }));
        const direct = selectors.map((fieldSelector) => backend.watch<StoredObject>('/pods/', { fieldSelector }));
        const live = new Set<string>();
        for (const w of writes) {
          const key = `/pods/default/${w.pod}`;
          if (w.del && live.has(w.pod)) {
            await cache.delete(key);
            live.delete(w.pod);
          } else {
            const spec = w.node === undefined ? {} : { nodeName: w.node };
            if (live.has(w.pod)) await cache.guaranteedUpdate(key, { tryUpdate: (cur) => ({ ...cur!, spec }) as StoredObject });
            else await cache.create(key, obj(w.pod, { spec }));
            live.add(w.pod);
          }
        }
        // Markers after the writes, one every selector matches: each watcher's events up to its first marker are the writes'.
        for (const [name, spec] of [['zz-a', { nodeName: 'a' }], ['zz-b', { nodeName: 'b' }], ['zz-none', {}]] as const) await cache.create(`/pods/default/${name}`, obj(name, { spec }));
        const upToMarker = async (w: Watch<StoredObject>) => {
          const out: string[] = [];
          for await (const e of w) {
            if ((e.object as StoredObject).metadata.name!.startsWith('zz-')) break;
            out.push(`${e.type} ${JSON.stringify(e.object)}`);
          }
          w.stop();
          return out;
        };
        for (let i = 0; i < selectors.length; i++) expect(await upToMarker(cached[i]!), selectors[i]).toEqual(await upToMarker(direct[i]!));
        // The same events replayed from history by watches starting at the first revision, previous states included.
        for (const fieldSelector of selectors) {
          const replayed = await upToMarker(cache.watch<StoredObject>('/pods/', { fieldSelector, resourceVersion: start }));
          expect(replayed, `replay ${fieldSelector}`).toEqual(await upToMarker(backend.watch<StoredObject>('/pods/', { fieldSelector, resourceVersion: start })));
        }
        await cache.close();
      },
    ), { numRuns: 60 });
  });

  it('keeps Events out of memory, as kube-apiserver does: their lists and watches, and any reaching into them, come from the backend', async () => {
    const { kv, cache } = setup();
    const from = (await cache.create('/pods/default/p0', obj('p0'))).metadata.resourceVersion!;
    await cache.delete('/pods/default/p0');
    const pod = await cache.create('/pods/default/p1', obj('p1'));
    const evs: StoredObject[] = [];
    for (let i = 0; i < 3; i++) evs.push(await cache.create(`/events/default/e${i}`, obj(`e${i}`, { reason: 'Started' })));
    const live = cache.watch('/events/default/', {});
    const before = kv.ranges;
    expect((await cache.list('/events/', { resourceVersion: '0' })).items).toEqual(evs);
    expect((await cache.list('/', { resourceVersion: '0' })).items).toEqual([...evs, pod]);
    expect(kv.ranges).toBe(before + 2);
    expect((await cache.list('/pods/', { resourceVersion: '0' })).items).toEqual([pod]);
    expect(kv.ranges).toBe(before + 2);
    const replayed = await collect(cache.watch('/events/', { resourceVersion: from }), 3);
    expect(replayed.map((e) => [e.type, e.object])).toEqual(evs.map((e) => ['ADDED', e]));
    const next = collect(live, 1);
    const e3 = await cache.create('/events/default/e3', obj('e3'));
    expect((await next)[0]).toEqual({ type: 'ADDED', object: e3 });
    // The cache's own watches skip the Events' revisions without a gap.
    const podWatch = collect(cache.watch('/pods/', { resourceVersion: from }), 3);
    await cache.delete('/pods/default/p1');
    expect((await podWatch).map((e) => [e.type, (e.object as StoredObject).metadata.name])).toEqual([['DELETED', 'p0'], ['ADDED', 'p1'], ['DELETED', 'p1']]);
    await cache.close();
  });

  it('shares the parts an update left alone with the version it replaced, and hands out what the backend stores', async () => {
    const { cache } = setup();
    const spec = { containers: [{ name: 'app', image: 'a:1', resources: {} }], tolerations: [] };
    await cache.create('/pods/default/p1', obj('p1', { spec, status: { phase: 'Pending' } }));
    const [v1] = (await cache.list<StoredObject & { spec: typeof spec }>('/pods/', { resourceVersion: '0' })).items;
    await cache.guaranteedUpdate('/pods/default/p1', { tryUpdate: (cur) => ({ ...cur!, status: { phase: 'Running' } }) });
    const [v2] = (await cache.list<StoredObject & { spec: typeof spec }>('/pods/', { resourceVersion: '0' })).items;
    expect(v2!.spec).toBe(v1!.spec);
    expect(v2!.status).toEqual({ phase: 'Running' });
    expect(v2).toEqual(await cache.get('/pods/default/p1'));
    await cache.close();
  });

  it('hands out, for any sequence of updates, frozen objects that serialise exactly as the backend\'s', async () => {
    // Versions are drawn from a few values, each rendered with its objects' keys in order or reversed, so
    // that parts often repeat, in the same order or another. Rendered as JSON text, so that "__proto__"
    // is an own key (as in a decoded object; an assignment would set the prototype instead).
    type Value = string | Value[] | { entries: [string, Value][] };
    const value = fc.letrec<{ v: Value }>((tie) => ({
      v: fc.oneof({ depthSize: 'small', maxDepth: 3 }, fc.constantFrom('"x"', '1', 'null', '[]', '{}', '{"__proto__":{}}'), fc.array(tie('v'), { maxLength: 2 }),
        fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'b', '__proto__', '10', '2'), tie('v')), { selector: ([k]) => k, minLength: 1, maxLength: 3 })
          .map((entries) => ({ entries }))),
    })).v;
    const render = (v: Value, reversed: boolean): string => {
      if (typeof v === 'string') return v;
      if (Array.isArray(v)) return `[${v.map((x) => render(x, reversed)).join(',')}]`;
      const entries = reversed ? [...v.entries].reverse() : v.entries;
      return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${render(x, reversed)}`).join(',')}}`;
    };
    const history = fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 3 }).chain((pool) =>
      fc.array(fc.tuple(fc.constantFrom(...pool), fc.boolean()), { minLength: 1, maxLength: 6 }).map((picks) => picks.map(([[spec, status], reversed]) =>
        `{"spec":${render(spec, reversed)},"status":${render(status, false)},"metadata":{"name":"o","namespace":"default"}}`)));
    await fc.assert(fc.asyncProperty(history, async (versions) => {
      const { cache } = setup();
      const backend = (cache as unknown as { store: KVStore }).store;
      const from = (await cache.create('/seeds/default/first', obj('first'))).metadata.resourceVersion!;
      const revs = new Set<string>();
      for (const [i, version] of versions.entries()) {
        const next = JSON.parse(version) as StoredObject;
        const written = i === 0 ? await cache.create('/things/default/o', next) : await cache.guaranteedUpdate('/things/default/o', { tryUpdate: () => next });
        revs.add(written.metadata.resourceVersion!); // an update to an equal object writes nothing
        const [item] = (await cache.list('/things/', { resourceVersion: '0' })).items;
        expect(JSON.stringify(item)).toBe(JSON.stringify(await backend.get('/things/default/o')));
        const frozen = (x: unknown): boolean => x === null || typeof x !== 'object' || (Object.isFrozen(x) && Object.values(x).every(frozen));
        expect(frozen(item)).toBe(true);
      }
      const replayed = await collect(cache.watch('/things/', { resourceVersion: from }), revs.size);
      const direct = await collect(backend.watch('/things/', { resourceVersion: from }), revs.size);
      expect(replayed.map((e) => JSON.stringify(e))).toEqual(direct.map((e) => JSON.stringify(e)));
      await cache.close();
    }), { numRuns: 100 });
  });

  it('holds, for objects written in this process with any values, exactly what decoding the stored text gives', async () => {
    // What writers may hand the store: besides JSON data, members JSON drops, Dates, -0, NaN, holes, null prototypes.
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom(-0, [-0], { a: -0, b: undefined }),
      fc.anything({ maxDepth: 3, withDate: true, withNullPrototype: true, withSparseArray: true, withBoxedValues: false, withMap: false, withSet: false, withBigInt: false, withTypedArray: false }),
    );
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 3 }), async (versions) => {
      const { cache } = setup();
      const backend = (cache as unknown as { store: KVStore }).store;
      for (const [i, [spec, status]] of versions.entries()) {
        const next = { metadata: { name: 'o', namespace: 'default', labels: { gone: undefined } }, spec, status } as unknown as StoredObject;
        if (i === 0) await cache.create('/things/default/o', next);
        // Every other update keeps parts of the cached object itself, as writers often do.
        else await cache.guaranteedUpdate<StoredObject>('/things/default/o', { tryUpdate: (cur) => (i % 2 ? next : { ...cur!, spec: [cur!.spec, spec], status: cur!.status }) });
        const [item] = (await cache.list('/things/', { resourceVersion: '0' })).items;
        const stored = await backend.get('/things/default/o');
        expect(item).toStrictEqual(stored);
        expect(JSON.stringify(item)).toBe(JSON.stringify(stored));
      }
      await cache.close();
    }), { numRuns: 200 });
  });

  it('replays a watch from its history window and gives 410 before it', async () => {
    const { cache } = setup({ historySize: 4 });
    const revs: string[] = [];
    for (let i = 0; i < 10; i++) revs.push((await cache.create(`/pods/default/p${i}`, obj(`p${i}`))).metadata.resourceVersion!);
    const recent = await collect(cache.watch('/pods/', { resourceVersion: revs[7]! }), 2);
    expect(recent.map((e) => (e.object as StoredObject).metadata.name)).toEqual(['p8', 'p9']);
    const old = await collect(cache.watch('/pods/', { resourceVersion: revs[0]! }), 1);
    expect(old[0]!.type).toBe('ERROR');
    expect((old[0]!.object as Status).message).toMatch(/too old resource version/);
    await cache.close();
  });

  it('relists when its backend watch breaks: watchers get 410, later reads and watches are current', async () => {
    const { kv, cache } = setup();
    await cache.create('/pods/default/p1', obj('p1'));
    const w = cache.watch('/pods/', { resourceVersion: await cache.currentRevision() });
    kv.sinks[0]!.error(new Error('connection reset'));
    const evs = await collect(w, 1);
    expect(evs[0]!.type).toBe('ERROR');
    await new Promise((r) => setTimeout(r, 10));
    await cache.create('/pods/default/p2', obj('p2'));
    expect((await cache.list('/pods/', { resourceVersion: '0' })).items.map((o) => o.metadata.name)).toEqual(['p1', 'p2']);
    const after = cache.watch('/pods/', {});
    const next = collect(after, 1);
    await cache.delete('/pods/default/p1');
    expect((await next)[0]!.type).toBe('DELETED');
    await cache.close();
  });

  it('lists from the backend while its first load keeps failing, and serves watches once it loads', async () => {
    const clock = new FakeClock();
    const kv = new SpyKV();
    kv.failLoads = 2;
    const cache = new WatchCache(new KVStore(kv, { clock }), { clock, freshnessTimeoutMs: 1500 });
    await cache.create('/pods/default/p0', obj('p0'));
    const before = kv.ranges;
    const listing = cache.list('/pods/', { resourceVersion: '0' });
    await clock.advance(1500);
    expect((await listing).items.map((o) => o.metadata.name)).toEqual(['p0']);
    expect(kv.ranges).toBe(before + 2); // the failed second load, then the backend list
    const w = cache.watch('/pods/', {});
    await clock.advance(1000);
    await cache.create('/pods/default/p1', obj('p1'));
    const [ev] = await collect(w, 1);
    expect([ev!.type, (ev!.object as StoredObject).metadata.name]).toEqual(['ADDED', 'p1']);
    const loaded = kv.ranges;
    expect((await cache.list('/pods/', { resourceVersion: '0' })).items).toHaveLength(2);
    expect(kv.ranges).toBe(loaded);
    await cache.close();
  });

  it('answers a list for a revision the backend has not reached with 504', async () => {
    const { cache } = setup();
    const err = await cache.list('/pods/', { resourceVersion: '999' }).catch((e: unknown) => e);
    expect(isGone(err)).toBe(false);
    expect((err as Error).message).toMatch(/Too large resource version: 999/);
    await cache.close();
  });
});

describe('writes through the watch cache', () => {
  type Counter = StoredObject & { n: number };
  const KEY = '/counters/default/c';
  /** A cache holding counter `c` at n=0, plus a way to change it behind the cache's back (held events). */
  async function counter() {
    const { kv, cache } = setup();
    const created = await cache.create<Counter>(KEY, { ...obj('c'), n: 0 });
    await cache.get(KEY, { resourceVersion: created.metadata.resourceVersion! });
    const behind = async (n: number) => {
      kv.hold();
      return cache.guaranteedUpdate<Counter>(KEY, { tryUpdate: (cur) => ({ ...cur!, n }) });
    };
    return { kv, cache, created, behind };
  }

  it('updates and deletes from the cached object without reading the backend, and hands the caller its own result', async () => {
    const { kv, cache } = await counter();
    const seen: Counter[] = [];
    const updated = await cache.guaranteedUpdate<Counter>(KEY, { tryUpdate: (cur) => { seen.push(cur!); return { ...cur!, n: cur!.n + 1 }; } });
    expect(seen.map((c) => [c.n, Object.isFrozen(c)])).toEqual([[0, true]]);
    expect(updated.n).toBe(1);
    await cache.get(KEY, { resourceVersion: updated.metadata.resourceVersion! });
    const gone = await cache.delete<Counter>(KEY, { preconditions: { resourceVersion: updated.metadata.resourceVersion! } });
    expect(kv.gets).toBe(0);
    expect([gone.n, Object.isFrozen(gone), Object.isFrozen(gone.metadata)]).toEqual([1, false, false]);
    expect(Number(gone.metadata.resourceVersion)).toBeGreaterThan(Number(updated.metadata.resourceVersion));
    expect(await cache.get(KEY, { ignoreNotFound: true })).toBeUndefined();
    await cache.close();
  });

  it('retries a stale cached object from the stored one: no write is lost, and no conflict or refusal comes from the staleness', async () => {
    const { kv, cache, behind } = await counter();
    const latest = await behind(5);
    const seen: number[] = [];
    const bumped = await cache.guaranteedUpdate<Counter>(KEY, { tryUpdate: (cur) => { seen.push(cur!.n); return { ...cur!, n: cur!.n + 1 }; } });
    expect([seen, bumped.n]).toEqual([[0, 5], 6]);
    // Pinned to the stored resourceVersion (the cache still holds n=0): no Conflict.
    const pinned = await cache.guaranteedUpdate<Counter>(KEY, { tryUpdate: (cur) => ({ ...cur!, n: 7, metadata: { ...cur!.metadata, resourceVersion: bumped.metadata.resourceVersion! } }) });
    expect(pinned.n).toBe(7);
    // A refusal computed from the stale object is retried; one from the stored object stands.
    const refuse = (cur: Counter | undefined) => { if (cur!.n < 7) throw new Error('stale'); return { ...cur!, n: 8 }; };
    expect((await cache.guaranteedUpdate<Counter>(KEY, { tryUpdate: refuse })).n).toBe(8);
    const err = await cache.guaranteedUpdate<Counter>(KEY, { tryUpdate: () => { throw new Error('no'); } }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('no');
    // A stale pinned resourceVersion is still a Conflict.
    const stale = await cache.guaranteedUpdate<Counter>(KEY, { tryUpdate: (cur) => ({ ...cur!, n: 9, metadata: { ...cur!.metadata, resourceVersion: latest.metadata.resourceVersion! } }) }).catch((e: unknown) => e);
    expect(isConflict(stale)).toBe(true);
    kv.release();
    expect((await cache.get<Counter>(KEY))!.n).toBe(8);
    await cache.close();
  });

  it('answers a no-op computed from a stale cached object with the stored state, without a write', async () => {
    const { kv, cache, behind } = await counter();
    const latest = await behind(3);
    for (const tryUpdate of [(cur: Counter | undefined) => cur!, (cur: Counter | undefined) => structuredClone(cur!)]) {
      const same = await cache.guaranteedUpdate<Counter>(KEY, { tryUpdate });
      expect([same.n, same.metadata.resourceVersion]).toEqual([3, latest.metadata.resourceVersion]);
    }
    expect(await cache.currentRevision()).toBe(latest.metadata.resourceVersion);
    // An equal copy of a current cached object is a no-op too.
    kv.release();
    await cache.get(KEY, { resourceVersion: latest.metadata.resourceVersion! });
    const copy = await cache.guaranteedUpdate<Counter>(KEY, { tryUpdate: (cur) => ({ ...structuredClone(cur!), metadata: { ...cur!.metadata, resourceVersion: undefined } }) });
    expect(copy.metadata.resourceVersion).toBe(latest.metadata.resourceVersion);
    expect(await cache.currentRevision()).toBe(latest.metadata.resourceVersion);
    await cache.close();
  });

  it('deletes an object recreated behind a stale cache when the preconditions name the new one, and refuses the old one', async () => {
    const { kv, cache } = await counter();
    kv.hold();
    await cache.delete(KEY);
    const again = await cache.create<Counter>(KEY, { ...obj('c', { metadata: { name: 'c', namespace: 'default', uid: 'new' } }), n: 1 });
    const old = await cache.delete(KEY, { preconditions: { uid: 'old' } }).catch((e: unknown) => e);
    expect(isConflict(old)).toBe(true);
    const gone = await cache.delete<Counter>(KEY, { preconditions: { uid: 'new', resourceVersion: again.metadata.resourceVersion! } });
    expect([gone.n, gone.metadata.uid]).toEqual([1, 'new']);
    kv.release();
    await cache.close();
  });
});
