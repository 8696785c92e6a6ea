import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyIndex } from './key-index.js';

/** A reference model: every write as (key, rev, value), nothing forgotten. */
type Write = { key: string; rev: number; value: string | null };
const liveAt = (log: Write[], rev: number): Map<string, Write> => {
  const m = new Map<string, Write>();
  for (const w of log) if (w.rev <= rev) m.set(w.key, w);
  for (const [k, w] of m) if (w.value === null) m.delete(k);
  return m;
};

describe('KeyIndex', () => {
  it('answers latest, range and count at every revision not older than the compaction point, as a full log does', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.constantFrom('put', 'del', 'compact', 'undo'), fc.constantFrom('a', 'b', 'c', 'd')), { maxLength: 60 }),
      (ops) => {
        const index = new KeyIndex<string>();
        let log: Write[] = [];
        let rev = 0;
        let compacted = 0;
        for (const [op, key] of ops) {
          const live = index.latest(key);
          if (op === 'put' || (op === 'del' && live)) {
            const value = op === 'put' ? `${key}${rev + 1}` : null;
            index.add(key, ++rev, value);
            log.push({ key, rev, value });
          } else if (op === 'undo' && log.length && log.at(-1)!.rev > compacted) {
            // A write whose commit failed is forgotten; the revision is handed out again.
            index.removeLatest(log.pop()!.key);
            rev--;
          } else if (op === 'compact' && rev > compacted) {
            compacted = rev - 1;
            const dropped: number[] = [];
            index.compact(compacted, (d) => dropped.push(...d));
            const reachable = new Set([...liveAt(log, compacted).values()].map((w) => w.rev));
            expect(dropped.sort((x, y) => x - y)).toEqual(log.filter((w) => w.rev <= compacted && !reachable.has(w.rev)).map((w) => w.rev));
            log = log.filter((w) => w.rev > compacted || reachable.has(w.rev));
          }
          for (let at = compacted; at <= rev; at++) {
            const want = [...liveAt(log, at).values()].sort((x, y) => (x.key < y.key ? -1 : 1));
            const got = index.range('a', 'z', at, 0);
            expect(got.entries.map(([k, v]) => [k, v.rev, v.value])).toEqual(want.map((w) => [w.key, w.rev, w.value]));
            expect(index.range('a', 'z', at, 1).more).toBe(Math.max(0, want.length - 1));
            expect(index.count('a', 'z', at)).toBe(want.length);
            expect(index.latest(key, at)?.rev).toBe(liveAt(log, at).get(key)?.rev);
          }
          expect(index.count('a', 'z')).toBe(liveAt(log, rev).size);
          expect(index.latest(key)?.rev).toBe(liveAt(log, rev).get(key)?.rev);
        }
      },
    ), { numRuns: 300 });
  });

  it('leaves itself unchanged when persisting a compaction fails', () => {
    const index = new KeyIndex<string>();
    index.add('a', 1, 'a1');
    index.add('a', 2, 'a2');
    index.add('b', 3, null);
    expect(() => index.compact(3, () => { throw new Error('disk full'); })).toThrow('disk full');
    expect(index.range('a', 'z', 1, 0).entries).toEqual([['a', { rev: 1, value: 'a1' }]]);
    let dropped: number[] = [];
    index.compact(3, (d) => (dropped = d));
    expect(dropped).toEqual([1, 3]);
    expect(index.range('a', 'z', 3, 0).entries).toEqual([['a', { rev: 2, value: 'a2' }]]);
  });
});
