import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepCopy, sameJson } from './json.js';

/** Values as API objects hold them, plus what JSON drops or serialises specially. */
const anything = (withSparseArray: boolean) => fc.anything({
  maxDepth: 3, withDate: true, withNullPrototype: true, withSparseArray, withBoxedValues: false, withMap: false, withSet: false, withBigInt: false, withTypedArray: false,
});
const value = anything(true);

describe('deepCopy', () => {
  it('copies as structuredClone does, sharing nothing with the original', () => {
    // Sparse arrays aside (deepCopy fills a hole with undefined; JSON has no holes).
    fc.assert(fc.property(anything(false), (v) => {
      const copy = deepCopy(v);
      expect(copy).toStrictEqual(structuredClone(v));
      if (v !== null && typeof v === 'object') expect(copy).not.toBe(v);
    }));
  });

  it('keeps an own "__proto__" member a member, and copies frozen objects into unfrozen ones', () => {
    const parsed = Object.freeze(JSON.parse('{"__proto__":{"polluted":true},"a":[1]}') as Record<string, unknown>);
    const copy = deepCopy(parsed);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect(Object.isFrozen(copy)).toBe(false);
    (copy.a as number[]).push(2);
    expect(parsed.a).toEqual([1]);
  });
});

describe('sameJson', () => {
  it('tells exactly whether two values serialise to the same JSON', () => {
    const pair = fc.oneof(
      fc.tuple(value, value),
      // Mostly equal pairs: a value and its copy, changed a little or not.
      value.chain((v) => fc.tuple(fc.constant(v), fc.constantFrom(structuredClone(v), JSON.parse(JSON.stringify(v ?? null)) as unknown, { wrap: v }, [v]))),
    );
    fc.assert(fc.property(pair, ([a, b]) => {
      expect(sameJson(a, b)).toBe(JSON.stringify(a) === JSON.stringify(b));
    }), { numRuns: 2000 });
  });

  it('compares members in order, and counts members JSON drops as absent', () => {
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
    expect(sameJson({ a: 1, gone: undefined }, { a: 1 })).toBe(true);
    expect(sameJson([undefined], [null])).toBe(true);
    expect(sameJson({ t: new Date(0) }, { t: '1970-01-01T00:00:00.000Z' })).toBe(true);
    expect(sameJson({ n: Number.NaN }, { n: null })).toBe(true);
    expect(sameJson({ spec: { nodeName: 'a' } }, { spec: {} })).toBe(false);
  });
});
