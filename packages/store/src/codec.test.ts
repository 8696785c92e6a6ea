import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeObject } from './codec.js';
import type { StoredObject } from './types.js';

/** What the stored value must be: the object without its resourceVersion, serialised. */
const expected = (obj: StoredObject) => {
  const { resourceVersion: _rv, ...metadata } = obj.metadata ?? {};
  return JSON.stringify({ ...obj, metadata });
};

function expectEncoded(obj: StoredObject, mark?: string) {
  const enc = encodeObject(obj, mark);
  expect(enc.value).toBe(expected(obj));
  // metaEnd is the metadata's closing brace: the text up to it is a prefix of the serialised
  // object that ends with the serialised metadata.
  const { resourceVersion: _rv, ...metadata } = obj.metadata ?? {};
  const meta = JSON.stringify(metadata);
  expect(enc.value.slice(enc.metaEnd - meta.length + 1, enc.metaEnd + 1)).toBe(meta);
  expect(enc.metaEmpty).toBe(meta === '{}');
}

describe('encodeObject', () => {
  it('is JSON.stringify of the object without its resourceVersion, wherever the metadata sits', () => {
    const json = fc.jsonValue({ maxDepth: 3 });
    const meta = fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 4 });
    const object = fc.tuple(fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== 'metadata'), json, { maxKeys: 4 }), meta, fc.nat(4), fc.option(fc.string()))
      .map(([rest, metadata, at, rv]) => {
        const entries: [string, unknown][] = Object.entries(rest);
        entries.splice(Math.min(at, entries.length), 0, ['metadata', rv === null ? metadata : { ...metadata, resourceVersion: rv }]);
        return Object.fromEntries(entries) as StoredObject;
      });
    fc.assert(fc.property(object, (obj) => expectEncoded(obj)), { numRuns: 300 });
  });

  it('gives the same text when the object holds the mark it serialises with', () => {
    const mark = 'MARK';
    const cases: StoredObject[] = [
      { apiVersion: 'v1', metadata: { name: 'a', annotations: { resourceVersion: mark } } },
      { metadata: { name: 'a' }, spec: { resourceVersion: mark } },
      { metadata: { name: 'a', labels: { x: `${mark}"}` } } },
      { metadata: { [mark]: 'x' } },
      { kind: mark, metadata: {} },
      { metadata: { resourceVersion: '5' }, status: { note: `"resourceVersion":"${mark}"` } },
    ];
    for (const obj of cases) expectEncoded(obj, mark);
  });
});
