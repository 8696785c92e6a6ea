import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runStoreConformance } from './conformance.js';
import { MemoryKV, createMemoryStore } from './memory.js';

runStoreConformance('memory', (opts) => createMemoryStore(opts));

describe('MemoryKV key index', () => {
  it('ranges over keys in order however creates, reads, deletes and compactions interleave', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.oneof(
        fc.record({ op: fc.constant('put' as const), key: fc.stringMatching(/^\/[a-d]{1,3}$/) }),
        fc.record({ op: fc.constantFrom('range' as const, 'compact' as const) }),
      ), { maxLength: 60 }),
      async (ops) => {
        const kv = new MemoryKV();
        const live = new Map<string, number>();
        for (const o of ops) {
          if (o.op === 'put') {
            const r = await kv.txn(o.key, live.get(o.key) ?? 0, 'v');
            if (r.ok) live.set(o.key, r.rev);
          } else if (o.op === 'compact') {
            await kv.compact(Math.max(0, ...live.values()));
          } else {
            const { entries } = await kv.range('/', '0', 0, 0);
            expect(entries.map((e) => e.key)).toEqual([...live.keys()].sort());
          }
        }
        expect((await kv.range('/', '0', 0, 0)).entries.map((e) => e.key)).toEqual([...live.keys()].sort());
        expect(await kv.count('/b', '/c')).toBe([...live.keys()].filter((k) => k >= '/b' && k < '/c').length);
      },
    ), { numRuns: 200 });
  });
});
