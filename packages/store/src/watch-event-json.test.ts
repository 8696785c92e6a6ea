import { FakeClock } from '@peapod/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { watchEventJson } from './codec.js';
import { KVStore } from './kv-store.js';
import { MemoryKV } from './memory.js';
import type { Store, StoredObject, Watch, WatchEvent } from './types.js';
import { WatchCache } from './watch-cache.js';

/** A watch cache over memory; `/events/` is not cached, so its watches are the backend's own. */
const open = () => {
  const clock = new FakeClock();
  return new WatchCache(new KVStore(new MemoryKV(), { clock }), { clock });
};

/** The next `n` events of `w`, then stops it. */
async function take(w: Watch<StoredObject>, n: number): Promise<WatchEvent<StoredObject>[]> {
  const out: WatchEvent<StoredObject>[] = [];
  if (n === 0) return out;
  for await (const e of w) if (out.push(e) >= n) break;
  return out;
}

const json = fc.jsonValue({ maxDepth: 3 });
/** Objects whose metadata sits anywhere among their members and holds arbitrary JSON. */
const object = fc.tuple(
  fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== 'metadata' && k !== 'replaced'), json, { maxKeys: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== 'name' && k !== 'resourceVersion'), json, { maxKeys: 3 }),
  fc.nat(4),
).map(([rest, meta, at]) => (name: string): StoredObject => {
  const entries: [string, unknown][] = Object.entries(rest);
  entries.splice(Math.min(at, entries.length), 0, ['metadata', { ...meta, name }]);
  return Object.fromEntries(entries) as StoredObject;
});

/** Whether `watchEventJson(ev)` serialised the event's object rather than reusing the stored text. */
function serialises(ev: WatchEvent<unknown>): boolean {
  const spy = vi.spyOn(JSON, 'stringify');
  try {
    watchEventJson(ev);
    return spy.mock.calls.some(([v]) => v === ev || v === ev.object);
  } finally {
    spy.mockRestore();
  }
}

/** Creates, replaces and deletes `objs` under `prefix`, returning the events watches of `prefix` saw (two of them, live). */
async function writeAndWatch(s: Store, prefix: string, objs: ((name: string) => StoredObject)[]): Promise<WatchEvent<StoredObject>[]> {
  const rv = await s.currentRevision();
  const watches = [s.watch<StoredObject>(prefix, { resourceVersion: rv }), s.watch<StoredObject>(prefix, { resourceVersion: rv })];
  const seen = Promise.all(watches.map((w) => take(w, objs.length * 3))).then((evs) => evs.flat());
  for (const [i, make] of objs.entries()) {
    const key = `${prefix}default/o${i}`;
    await s.create(key, make(`o${i}`));
    // The replacement is the next object's content under this one's name, marked so that it differs.
    await s.guaranteedUpdate(key, { tryUpdate: () => ({ ...objs[(i + 1) % objs.length]!(`o${i}`), replaced: true }) });
    await s.delete(key);
  }
  return seen;
}

describe('watchEventJson', () => {
  it('is JSON.stringify of the event, member order included, whether the watch is served by the cache or the backend', async () => {
    await fc.assert(fc.asyncProperty(fc.array(object, { minLength: 1, maxLength: 4 }), async (objs) => {
      const s = open();
      try {
        for (const prefix of ['/pods/', '/events/']) {
          const events = await writeAndWatch(s, prefix, objs);
          expect(events.map((e) => e.type)).toEqual([1, 2].flatMap(() => objs.flatMap(() => ['ADDED', 'MODIFIED', 'DELETED'])));
          for (const e of events) {
            expect(watchEventJson(e)).toBe(JSON.stringify(e));
            // A live event of a write made in this process is built from what the store wrote (a
            // DELETED one carries the previous state, which is serialised).
            expect(serialises(e)).toBe(e.type === 'DELETED');
          }
        }
      } finally {
        await s.close();
      }
    }), { numRuns: 60 });
  });

  it('reuses the text in replayed recent history, and serialises older history, bookmarks and changed events', async () => {
    const s = open();
    try {
      // A watch from resourceVersion "0" starts now: the replayed one starts after a first write.
      const rev = (await s.create<StoredObject>('/pods/default/first', { metadata: { name: 'first' } })).metadata.resourceVersion;
      const live = take(s.watch<StoredObject>('/pods/', { resourceVersion: rev }), 2);
      for (let i = 0; i < 2100; i++) await s.create(`/pods/default/p${i}`, { metadata: { name: `p${i}` }, spec: { i } });
      const [ev, other] = await live;
      expect(serialises(ev!)).toBe(false);
      // The cache keeps the stored text of its 2,048 newest changes.
      const replayed = await take(s.watch<StoredObject>('/pods/', { resourceVersion: rev }), 2100);
      expect(replayed.map((e) => serialises(e))).toEqual(replayed.map((_, i) => i < 2100 - 2048));
      for (const e of [...replayed.slice(0, 3), ...replayed.slice(-3)]) expect(watchEventJson(e)).toBe(JSON.stringify(e));
      const variants: WatchEvent<unknown>[] = [
        { type: 'BOOKMARK', object: { metadata: { resourceVersion: '7' } } },
        { type: 'MODIFIED', object: { ...ev!.object, spec: { i: -1 } } },
        { object: ev!.object, type: 'ADDED' } as WatchEvent<unknown>,
        { type: 'ADDED', object: ev!.object, extra: 1 } as WatchEvent<unknown>,
        Object.assign(Object.create({ toJSON: () => 'custom' }) as object, { type: 'ADDED', object: ev!.object }) as WatchEvent<unknown>,
      ];
      for (const v of variants) expect(watchEventJson(v)).toBe(JSON.stringify(v));
      expect(watchEventJson(variants[2]!)).toMatch(/^\{"object":/);
      expect(watchEventJson(variants[4]!)).toBe('"custom"');
      // An event whose object was replaced after the store built it is serialised too.
      (other as { object: unknown }).object = { metadata: { name: 'other' } };
      expect(watchEventJson(other!)).toBe('{"type":"ADDED","object":{"metadata":{"name":"other"}}}');
    } finally {
      await s.close();
    }
  });
});
