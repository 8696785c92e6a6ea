import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../resources.js';
import type { ResourceInfo } from '../resource.js';
import { SchemaNode } from '../openapi/model.js';
import { schemaFor } from '../openapi/definitions.js';
import { FieldSet, fieldElement, keyElement, sortStrings, valueElement } from './fieldpath.js';
import { applyPatch, updateManagedFields } from './index.js';
import type { Json, JsonObject } from './json.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch } from './strategic.js';
import { compare, pathCut, toFieldSet } from './typed.js';
import { webPod } from '../testdata/objects.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const pods = RESOURCES.pods as ResourceInfo;
const name = fc.constantFrom('a', 'b', 'c', 'web', 'side');
const labels = fc.dictionary(fc.constantFrom('app', 'tier', 'team', 'x/y'), fc.constantFrom('1', '2', 'web'), { maxKeys: 3 });
const containers = fc.uniqueArray(fc.record({ name, image: fc.constantFrom('nginx', 'busybox', 'redis') }), { selector: (c) => c.name, minLength: 1, maxLength: 3 });
const finalizers = fc.uniqueArray(fc.constantFrom('example.com/a', 'example.com/b', 'example.com/c'), { maxLength: 3 });
const podConfig = fc.record({ labels, containers, finalizers }).map(({ labels: l, containers: c, finalizers: f }) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: l, finalizers: f }, spec: { containers: c },
}));

describe('properties', () => {
  it('sortStrings orders any list as the built-in sort does, short lists and long', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('f:a', 'f:B', 'k:{"name":"x"}', 'v:1', '.')), { maxLength: 40 }), (xs) => {
      expect(sortStrings([...xs])).toEqual([...xs].sort());
    }));
  });

  it('FieldsV1 encodes any field set without loss', () => {
    const pe = fc.oneof(
      name.map(fieldElement),
      name.map((n) => keyElement([['name', n]])),
      fc.integer({ min: 0, max: 99 }).map((n) => valueElement(n)),
    );
    fc.assert(fc.property(fc.array(fc.array(pe, { minLength: 1, maxLength: 4 }), { maxLength: 12 }), (paths) => {
      const set = FieldSet.of(paths);
      expect(FieldSet.fromFieldsV1(JSON.parse(JSON.stringify(set.toFieldsV1()))).equals(set)).toBe(true);
    }));
  });

  it('a set read lazily from stored FieldsV1 behaves as the set decoded at once, and an operation that changes nothing returns its operand', () => {
    const pe = fc.oneof(fc.constantFrom('a', 'b', 'c').map(fieldElement), fc.constantFrom('a', 'b').map((n) => keyElement([['name', n]])), fc.integer({ min: 0, max: 2 }).map((n) => valueElement(n)));
    const set = fc.array(fc.array(pe, { minLength: 1, maxLength: 3 }), { maxLength: 8 }).map((paths) => FieldSet.of(paths));
    const members = (s: FieldSet) => [...s].map((p) => p.join('.')).sort();
    fc.assert(fc.property(set, set, (a, b) => {
      const stored = () => FieldSet.fromStoredFieldsV1(JSON.parse(JSON.stringify(a.toFieldsV1())));
      const shared = [...a].some((p) => b.has(p));
      const all = [...b].every((p) => a.has(p));
      expect(stored().intersects(b)).toBe(shared);
      expect(stored().includes(b)).toBe(all);
      expect(a.intersects(b)).toBe(shared);
      expect(a.includes(b)).toBe(all);
      expect(stored().isEmpty()).toBe(a.isEmpty());
      expect(members(stored().difference(b))).toEqual(members(a.difference(b)));
      expect(members(stored().union(b))).toEqual(members(a.union(b)));
      expect(stored().difference(b).toFieldsV1()).toEqual(a.difference(b).toFieldsV1());
      // Key order too: FieldsV1 is stored and shown as it is encoded.
      expect(JSON.stringify(stored().union(b).toFieldsV1())).toBe(JSON.stringify(a.union(b).toFieldsV1()));
      expect(members(stored().union(b).union(a))).toEqual(members(a.union(b)));
      for (const s of [a, stored()]) {
        expect(s.difference(b) === s).toBe(!shared);
        expect(s.union(b) === s).toBe(all);
      }
    }), { numRuns: 500 });
  });

  it('strategic merge patch without lists or directives is JSON merge patch', () => {
    const value = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 3 }));
    const tree = fc.letrec<{ node: Json }>((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, value, fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('node'), { maxKeys: 3 })),
    })).node;
    const object = fc.dictionary(fc.constantFrom('a', 'b', 'c'), tree, { maxKeys: 3 });
    fc.assert(fc.property(object, object, (doc, patch) => {
      expect(applyStrategicMergePatch(doc, patch, SchemaNode.definition({}, 'untyped'))).toEqual(applyMergePatch(doc, patch));
    }));
  });

  it('an apply sets every configured value, owns exactly the configured fields, and is idempotent', () => {
    const root = schemaFor(pods);
    fc.assert(fc.property(fc.option(podConfig, { nil: undefined }), podConfig, (first, second) => {
      const live = first && applyPatch({ type: 'apply', current: undefined, patch: first, info: pods, fieldManager: 'm', force: false, now: '2024-01-01T00:00:00Z' });
      const out = applyPatch({ type: 'apply', current: live, patch: second, info: pods, fieldManager: 'm', force: false, now: '2024-01-01T00:00:01Z' });
      expect(out.spec.containers).toEqual(second.spec.containers);
      expect(out.metadata.labels ?? {}).toEqual(second.metadata.labels);
      expect(out.metadata.finalizers ?? []).toEqual(second.metadata.finalizers);
      const entries = out.metadata.managedFields as Obj[];
      expect(entries).toHaveLength(1);
      const identity = [['f:apiVersion'], ['f:kind'], ['f:metadata', 'f:name']];
      expect(FieldSet.fromFieldsV1(entries[0].fieldsV1).equals(toFieldSet(second as unknown as JsonObject, root).without(identity))).toBe(true);
      const again = applyPatch({ type: 'apply', current: out, patch: second, info: pods, fieldManager: 'm', force: false, now: '2024-01-01T00:00:02Z' });
      expect(again).toEqual(out);
    }));
  });

  it('a create records the fields the general diff against an empty object finds', () => {
    // `previous === undefined` takes the create walk; an empty previous object takes the general
    // diff (compare, field sets, encoding), which must come to exactly the same entry.
    const scalar = fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 3 }), fc.constantFrom('', 'x', 'TCP', 'UDP'));
    const loose = fc.letrec<{ node: Json }>((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('node'), { maxLength: 2 }), fc.dictionary(fc.constantFrom('a', 'name', 'b'), tie('node'), { maxKeys: 2 })),
    })).node;
    const env = fc.array(fc.record({ name: fc.constantFrom('A', 'B'), value: fc.option(fc.constantFrom('1', ''), { nil: undefined }) }, { requiredKeys: ['name'] }), { maxLength: 3 });
    const ports = fc.array(fc.record({ containerPort: fc.constantFrom(80, 443), protocol: fc.constantFrom('TCP', 'UDP'), name: fc.constantFrom('http', 'x') }, { requiredKeys: ['containerPort'] }), { maxLength: 2 });
    const container = fc.record({
      name, image: fc.constantFrom('nginx', ''), env, ports,
      resources: fc.oneof(fc.constant({}), fc.record({ requests: fc.dictionary(fc.constantFrom('cpu', 'memory'), fc.constantFrom('1', '10m')) })),
      command: fc.array(fc.constantFrom('sh', '-c'), { maxLength: 2 }),
      securityContext: fc.oneof(fc.constant(null), fc.constant({}), fc.record({ privileged: fc.boolean() })),
    }, { requiredKeys: ['name'] });
    const pod = fc.record({
      apiVersion: fc.constant('v1'), kind: fc.constant('Pod'),
      metadata: fc.record({ name: fc.constant('p'), namespace: fc.constant('default'), uid: fc.constant('u'), labels, annotations: fc.constant({}), finalizers, generateName: fc.constant('p-') }, { requiredKeys: ['name'] }),
      spec: fc.record({ containers: fc.array(container, { maxLength: 3 }), nodeSelector: labels, volumes: fc.constant([]), extra: loose }, { requiredKeys: ['containers'] }),
      status: fc.record({ phase: fc.constant('Pending'), conditions: fc.constant([{ type: 'Ready', status: 'False' }]) }),
      unknown: loose,
    }, { requiredKeys: ['apiVersion', 'kind', 'metadata'] });
    const created = (previous: Obj | undefined, obj: Obj) => updateManagedFields(previous, obj, 'creator', 'Update', undefined, '2024-01-01T00:00:00Z');
    for (const fixture of [webPod() as unknown as Obj]) expect(created(undefined, fixture)).toEqual(created({}, fixture));
    fc.assert(fc.property(pod, (obj) => {
      expect(created(undefined, obj)).toEqual(created({}, obj));
    }), { numRuns: 300 });
  });

  it('a write comes back as the stored object itself exactly when it changes nothing', () => {
    // The API server skips the store write by identity; an equal result as a fresh object would
    // bump resourceVersion for nothing, and an unequal one answered as the stored object loses the write.
    const at = (s: number) => `2024-01-01T00:00:0${s}Z`;
    const record = (previous: Obj | undefined, next: Obj, manager: string, op: 'Update' | 'Apply', s: number, sub?: string) =>
      updateManagedFields(previous, next, manager, op, sub, at(s));
    const edit = fc.record({ config: podConfig, manager: fc.constantFrom('creator', 'other'), sub: fc.constantFrom(undefined, 'status'), phase: fc.constantFrom('Pending', 'Running') });
    fc.assert(fc.property(podConfig, fc.option(edit, { nil: undefined }), fc.constantFrom<'Update' | 'Apply'>('Update', 'Apply'), (first, change, op) => {
      const stored = record(undefined, { ...first, status: { phase: 'Pending' } }, 'creator', 'Update', 1);
      const next = change
        ? { ...structuredClone(stored), spec: change.config.spec, metadata: { ...structuredClone(stored.metadata), labels: change.config.metadata.labels }, status: { phase: change.phase } }
        : structuredClone(stored);
      const out = record(stored, next, change?.manager ?? 'creator', op, 2, change?.sub);
      expect(out === stored).toBe(isDeepStrictEqual(out, stored));
      if (!change) expect(out).toBe(stored);
    }), { numRuns: 300 });
  });

  it('a comparison that leaves paths out equals the full comparison without them', () => {
    const root = schemaFor(pods);
    const cuts = [[['f:status']], [['f:spec'], ['f:apiVersion']], [['f:metadata', 'f:labels'], ['f:metadata', 'f:name']], [['f:spec', 'f:containers']]];
    fc.assert(fc.property(podConfig, podConfig, fc.constantFrom(...cuts), (a, b, paths) => {
      const l = { ...a, status: { phase: 'Pending' } } as unknown as JsonObject;
      const r = { ...b, status: { phase: 'Running', podIP: '10.0.0.1' } } as unknown as JsonObject;
      const full = compare(l, r, root);
      const part = compare(l, r, root, pathCut(paths));
      for (const k of ['added', 'modified', 'removed'] as const) expect(part[k].equals(full[k].without(paths))).toBe(true);
    }));
  });
});
