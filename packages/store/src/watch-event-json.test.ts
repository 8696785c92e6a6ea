import { FakeClock } from '@peapod/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { watchEventJson, writtenJson } from './codec.js';
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

/** Creates, replaces and deletes `objs` under `prefix`, returning the events a watch of `prefix` saw. */
async function writeAndWatch(s: Store, prefix: string, objs: ((name: string) => StoredObject)[]): Promise<WatchEvent<StoredObject>[]> {
  const w = s.watch<StoredObject>(prefix, { resourceVersion: await s.currentRevision() });
  const seen = take(w, objs.length * 3);
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
          expect(events.map((e) => e.type)).toEqual(objs.flatMap(() => ['ADDED', 'MODIFIED', 'DELETED']));
          for (const e of events) {
            expect(watchEventJson(e)).toBe(JSON.stringify(e));
            // Written in this process, the object's text comes from what the store wrote (the
            // backend's DELETED object is decoded from the previous value, whose encoding it did not keep).
            if (prefix === '/pods/' || e.type !== 'DELETED') expect(writtenJson(e.object)).toBe(JSON.stringify(e.object));
          }
        }
      } finally {
        await s.close();
      }
    }), { numRuns: 60 });
  });

  it('serialises what the store did not just write: bookmarks, changed copies, events with more members, old objects', async () => {
    const s = open();
    try {
      const rev = await s.currentRevision();
      const w = s.watch<StoredObject>('/pods/', { resourceVersion: rev });
      const seen = take(w, 1100);
      for (let i = 0; i < 1100; i++) await s.create(`/pods/default/p${i}`, { metadata: { name: `p${i}` }, spec: { i } });
      const events = await seen;
      const [first, last] = [events[0]!, events.at(-1)!];
      // The cache keeps the encoding of its newest objects only; older ones are serialised.
      expect(writtenJson(first.object)).toBeUndefined();
      expect(writtenJson(last.object)).toBeDefined();
      expect(watchEventJson(first)).toBe(JSON.stringify(first));

      const variants: WatchEvent<unknown>[] = [
        { type: 'BOOKMARK', object: { metadata: { resourceVersion: '7' } } },
        { type: 'MODIFIED', object: { ...last.object, spec: { i: -1 } } },
        { object: last.object, type: 'ADDED' } as WatchEvent<unknown>,
        { type: 'ADDED', object: last.object, extra: 1 } as WatchEvent<unknown>,
        Object.assign(Object.create({ toJSON: () => 'custom' }) as object, { type: 'ADDED', object: last.object }) as WatchEvent<unknown>,
      ];
      for (const v of variants) expect(watchEventJson(v)).toBe(JSON.stringify(v));
      expect(watchEventJson(variants[2]!)).toMatch(/^\{"object":/);
      expect(watchEventJson(variants[4]!)).toBe('"custom"');
    } finally {
      await s.close();
    }
  });
});
