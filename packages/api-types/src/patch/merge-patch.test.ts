import { describe, expect, it } from 'vitest';
import { isBadRequest } from '../errors.js';
import { applyMergePatch } from './merge-patch.js';
import type { Json } from './json.js';

describe('JSON merge patch (RFC 7386)', () => {
  // The cases of RFC 7386 appendix A that keep the document an object.
  it.each<[Json, Json, Json]>([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j = %j', (doc, patch, want) => {
    expect(applyMergePatch(doc, patch)).toEqual(want);
  });

  it('replaces lists whole: containers are not merged by name', () => {
    const pod = { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } };
    expect(applyMergePatch(pod, { spec: { containers: [{ name: 'b', image: 'z' }] } })).toEqual({ spec: { containers: [{ name: 'b', image: 'z' }] } });
  });

  it.each<[string, unknown]>([['a list', ['a']], ['a string', 'x'], ['null', null]])('rejects %s as the patch with 400', (_n, patch) => {
    let caught: unknown;
    try {
      applyMergePatch({}, patch);
    } catch (err) {
      caught = err;
    }
    expect(isBadRequest(caught)).toBe(true);
  });
});
