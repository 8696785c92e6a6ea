import { isGone } from '@peapod/api-types';
import { FakeClock } from '@peapod/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writtenJson } from './codec.js';
import { createMemoryStore } from './memory.js';
import type { StoredObject } from './types.js';

const settle = () => new Promise((r) => setImmediate(r));
const obj = (name: string): StoredObject => ({ metadata: { name } });

describe('KVStore compactor', () => {
  it('compacts, every interval, to the revision seen one interval before', async () => {
    const clock = new FakeClock();
    const s = createMemoryStore({ clock, compactionIntervalMs: 60_000 });
    const old = await s.create('/a/old', obj('old'));
    const kept = await s.create('/a/kept', obj('kept'));
    await clock.advance(60_000);
    await settle();
    // The first tick only records the revision: all history is still readable.
    expect((await s.list('/a/', { resourceVersion: old.metadata.resourceVersion!, resourceVersionMatch: 'Exact' })).items).toHaveLength(1);
    const later = await s.create('/a/later', obj('later'));
    await clock.advance(60_000);
    await settle();
    const err = await s.list('/a/', { resourceVersion: old.metadata.resourceVersion!, resourceVersionMatch: 'Exact' }).catch((e: unknown) => e);
    expect(isGone(err)).toBe(true);
    expect((await s.list('/a/', { resourceVersion: kept.metadata.resourceVersion!, resourceVersionMatch: 'Exact' })).items).toHaveLength(2);
    expect((await s.list('/a/', { resourceVersion: later.metadata.resourceVersion!, resourceVersionMatch: 'Exact' })).items).toHaveLength(3);
    await s.close();
    expect(clock.pending()).toBe(0);
  });

  it('does not compact when disabled', async () => {
    const clock = new FakeClock();
    const s = createMemoryStore({ clock, compactionIntervalMs: 0 });
    const first = await s.create('/a/x', obj('x'));
    await s.create('/a/y', obj('y'));
    await clock.advance(10 * 60_000);
    await settle();
    expect((await s.list('/a/', { resourceVersion: first.metadata.resourceVersion!, resourceVersionMatch: 'Exact' })).items).toHaveLength(1);
    await s.close();
  });
});

describe('writtenJson', () => {
  // Any JSON below the top level, metadata (possibly empty) anywhere among the members, members
  // that JSON drops (undefined).
  const json = fc.jsonValue({ maxDepth: 3 });
  const member = fc.oneof(json, fc.constant(undefined));
  const meta = fc.dictionary(fc.string({ maxLength: 6 }), member, { maxKeys: 4 });
  const object = fc.tuple(fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== 'metadata'), member, { maxKeys: 4 }), meta, fc.nat(4))
    .map(([rest, metadata, at]) => {
      const entries: [string, unknown][] = Object.entries(rest);
      entries.splice(Math.min(at, entries.length), 0, ['metadata', metadata]);
      return Object.fromEntries(entries) as StoredObject;
    });

  it('is the text a read of the written object serialises to, for creates, updates and no-op updates', async () => {
    const s = createMemoryStore({ compactionIntervalMs: 0 });
    let n = 0;
    await fc.assert(fc.asyncProperty(object, object, async (created, updated) => {
      const key = `/a/${n++}`;
      const c = await s.create(key, created);
      expect(writtenJson(c)).toBe(JSON.stringify(await s.get(key)));
      const u = await s.guaranteedUpdate(key, { tryUpdate: () => structuredClone(updated) });
      expect(writtenJson(u)).toBe(JSON.stringify(await s.get(key)));
    }), { numRuns: 200 });
    await s.close();
  });

  it('knows only objects a write returned', async () => {
    const s = createMemoryStore({ compactionIntervalMs: 0 });
    await s.create('/a/x', obj('x'));
    expect(writtenJson(await s.get('/a/x'))).toBeUndefined();
    expect(writtenJson(obj('x'))).toBeUndefined();
    await s.close();
  });
});
