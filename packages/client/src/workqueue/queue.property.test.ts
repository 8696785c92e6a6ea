import { FakeClock } from '@peapod/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WorkQueue } from './queue.js';

type Op =
  | { op: 'add' | 'addRateLimited'; key: string }
  | { op: 'addAfter'; key: string; ms: number }
  | { op: 'start' }
  | { op: 'finish'; which: number }
  | { op: 'advance'; ms: number };

const key = fc.constantFrom('a', 'b', 'c');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('add', 'addRateLimited'), key }) as fc.Arbitrary<Op>,
  fc.record({ op: fc.constant('addAfter'), key, ms: fc.integer({ min: 0, max: 50 }) }) as fc.Arbitrary<Op>,
  fc.record({ op: fc.constant('start') }) as fc.Arbitrary<Op>,
  fc.record({ op: fc.constant('finish'), which: fc.nat() }) as fc.Arbitrary<Op>,
  fc.record({ op: fc.constant('advance'), ms: fc.integer({ min: 0, max: 100 }) }) as fc.Arbitrary<Op>,
);

describe('WorkQueue under random use', () => {
  it('never hands out a key that is being processed, never queues a key twice, and processes every add after it happened', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { maxLength: 80 }), async (ops) => {
      const clock = new FakeClock();
      const q = new WorkQueue<string>({ clock });
      const processing: string[] = [];
      let seq = 0;
      const lastAdd = new Map<string, number>();
      const lastStart = new Map<string, number>();
      const start = async () => {
        const k = (await q.get())!;
        expect(processing).not.toContain(k);
        processing.push(k);
        lastStart.set(k, ++seq);
      };
      for (const o of ops) {
        switch (o.op) {
          case 'add': q.add(o.key); lastAdd.set(o.key, ++seq); break;
          case 'addRateLimited': q.addRateLimited(o.key); break;
          case 'addAfter': q.addAfter(o.key, o.ms); break;
          case 'start': if (q.len() > 0) await start(); break;
          case 'finish': if (processing.length) q.done(processing.splice(o.which % processing.length, 1)[0]); break;
          case 'advance': await clock.advance(o.ms); break;
        }
        expect(q.len()).toBeLessThanOrEqual(3);
      }
      // Drain: finish everything, let delayed adds fire, process until nothing is left.
      for (let i = 0; i < 100 && (processing.length || q.len() || clock.pending()); i++) {
        while (processing.length) q.done(processing.pop()!);
        await clock.advance(10_000);
        while (q.len() > 0) await start();
      }
      expect(clock.pending()).toBe(0);
      for (const [k, at] of lastAdd) expect(lastStart.get(k) ?? 0).toBeGreaterThan(at);
    }), { numRuns: 200 });
  });
});
