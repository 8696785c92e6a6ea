import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedKeys, lowerBound } from './sorted-keys.js';

describe('SortedKeys', () => {
  it('views the same ordered set as a reference for any interleaving of adds, deletes, re-adds and reads', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.constantFrom('toggle', 'view'), fc.stringMatching(/^[a-e]{0,2}$/)), { maxLength: 80 }),
      fc.uniqueArray(fc.stringMatching(/^[a-e]{0,2}$/), { maxLength: 5 }),
      (ops, initial) => {
        const keys = new SortedKeys(initial);
        const ref = new Set(initial);
        for (const [op, k] of ops) {
          if (op === 'view') expect(keys.view()).toEqual([...ref].sort());
          else if (ref.has(k)) { keys.delete(k); ref.delete(k); }
          else { keys.add(k); ref.add(k); }
        }
        expect(keys.view()).toEqual([...ref].sort());
      },
    ), { numRuns: 500 });
  });

  it('finds the first key at or after a bound', () => {
    expect(lowerBound(['a', 'c', 'e'], 'c')).toBe(1);
    expect(lowerBound(['a', 'c', 'e'], 'd')).toBe(2);
    expect(lowerBound(['a', 'c', 'e'], 'f')).toBe(3);
    expect(lowerBound([], 'a')).toBe(0);
  });
});
