import { describe, expect, it } from 'vitest';
import { isBadRequest, isInvalid, isRequestEntityTooLarge, type StatusError } from '../errors.js';
import { applyJsonPatch } from './json-patch.js';
import type { Json } from './json.js';

const doc = { metadata: { name: 'p', labels: { app: 'web', 'a/b': 'x', 'c~d': 'y' } }, spec: { containers: [{ name: 'a' }, { name: 'b' }] } };

describe('JSON patch (RFC 6902)', () => {
  it.each<[string, unknown[], Json]>([
    ['add a map key', [{ op: 'add', path: '/metadata/labels/tier', value: 'front' }], { ...doc, metadata: { ...doc.metadata, labels: { ...doc.metadata.labels, tier: 'front' } } }],
    ['add replaces an existing key', [{ op: 'add', path: '/metadata/name', value: 'q' }], { ...doc, metadata: { ...doc.metadata, name: 'q' } }],
    ['add inserts into a list', [{ op: 'add', path: '/spec/containers/1', value: { name: 'x' } }], { ...doc, spec: { containers: [{ name: 'a' }, { name: 'x' }, { name: 'b' }] } }],
    ['add appends with -', [{ op: 'add', path: '/spec/containers/-', value: { name: 'z' } }], { ...doc, spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'z' }] } }],
    ['remove a list item', [{ op: 'remove', path: '/spec/containers/0' }], { ...doc, spec: { containers: [{ name: 'b' }] } }],
    ['replace a value', [{ op: 'replace', path: '/spec/containers/1/name', value: 'c' }], { ...doc, spec: { containers: [{ name: 'a' }, { name: 'c' }] } }],
    ['~1 and ~0 escapes', [{ op: 'remove', path: '/metadata/labels/a~1b' }, { op: 'remove', path: '/metadata/labels/c~0d' }], { ...doc, metadata: { name: 'p', labels: { app: 'web' } } }],
    ['move', [{ op: 'move', from: '/metadata/labels/app', path: '/metadata/labels/role' }], { ...doc, metadata: { name: 'p', labels: { 'a/b': 'x', 'c~d': 'y', role: 'web' } } }],
    ['copy', [{ op: 'copy', from: '/spec/containers/0', path: '/spec/containers/-' }], { ...doc, spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'a' }] } }],
    ['test that passes, then a change', [{ op: 'test', path: '/metadata/name', value: 'p' }, { op: 'replace', path: '/metadata/name', value: 'r' }], { ...doc, metadata: { ...doc.metadata, name: 'r' } }],
    ['test compares structurally', [{ op: 'test', path: '/spec/containers', value: [{ name: 'a' }, { name: 'b' }] }], doc],
  ])('%s', (_name, ops, want) => {
    expect(applyJsonPatch(structuredClone(doc), ops)).toEqual(want);
  });

  it('never changes its input', () => {
    const input = structuredClone(doc);
    applyJsonPatch(input, [{ op: 'remove', path: '/spec' }]);
    expect(input).toEqual(doc);
  });

  it('fails the whole patch when a later operation fails', () => {
    expect(() => applyJsonPatch(doc, [{ op: 'replace', path: '/metadata/name', value: 'x' }, { op: 'test', path: '/metadata/name', value: 'p' }])).toThrow(/test failed/);
  });

  const fails = (ops: unknown): StatusError => {
    try {
      applyJsonPatch(doc, ops);
    } catch (err) {
      return err as StatusError;
    }
    throw new Error('patch applied');
  };

  it.each<[string, unknown]>([
    ['an object instead of a list', { op: 'add' }],
    ['an unknown op', [{ op: 'merge', path: '/a', value: 1 }]],
    ['a path without a leading slash', [{ op: 'add', path: 'metadata', value: 1 }]],
    ['add without value', [{ op: 'add', path: '/a' }]],
    ['move without from', [{ op: 'move', path: '/a' }]],
    ['a bad escape', [{ op: 'remove', path: '/metadata/~2' }]],
  ])('a malformed patch (%s) is 400 BadRequest', (_name, ops) => {
    expect(isBadRequest(fails(ops))).toBe(true);
  });

  it.each<[string, unknown[]]>([
    ['remove of a missing key', [{ op: 'remove', path: '/metadata/nothing' }]],
    ['replace of a missing key', [{ op: 'replace', path: '/status', value: {} }]],
    ['add under a missing parent', [{ op: 'add', path: '/status/phase', value: 'Running' }]],
    ['an index past the end', [{ op: 'add', path: '/spec/containers/5', value: {} }]],
    ['a non-numeric index', [{ op: 'remove', path: '/spec/containers/first' }]],
    ['a failed test', [{ op: 'test', path: '/metadata/name', value: 'other' }]],
    ['moving a value into itself', [{ op: 'move', from: '/spec', path: '/spec/inner' }]],
  ])('an operation that does not fit the object (%s) is 422 Invalid', (_name, ops) => {
    const err = fails(ops);
    expect(isInvalid(err)).toBe(true);
    expect(err.code).toBe(422);
    expect(err.message).toMatch(/^the server rejected our request due to an error in our request/);
  });

  it('more than 10,000 operations is 413', () => {
    const ops = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '', value: doc }));
    expect(isRequestEntityTooLarge(fails(ops))).toBe(true);
  });
});
