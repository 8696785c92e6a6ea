import { isGone } from '@peapod/api-types';
import { FakeClock } from '@peapod/core';
import { describe, expect, it } from 'vitest';
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
