import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { decodeFast, FAIL, prepareForDecode } from './decode-walk.js';
import { RESOURCES } from './resources.js';
import { samples } from './testdata/objects.js';

type Json = unknown;

/** What the decoder did before the one-walk parse, and still does when it fails: the pre-pass, then zod. */
const reference = (schema: z.ZodType, value: Json) => {
  const v = structuredClone(value);
  const unknown = prepareForDecode(schema, v, true);
  const parsed = schema.safeParse(v);
  return { ok: parsed.success, data: parsed.data, unknown };
};

/** The one-walk parse agrees with zod: same value, same field order (JSON text), same unknown fields. */
const expectSameAsZod = (schema: z.ZodType, value: Json) => {
  const ref = reference(schema, value);
  const fast = decodeFast(schema, structuredClone(value), true);
  if (fast.value === FAIL) return { accepted: false, zodAccepted: ref.ok };
  expect(ref.ok).toBe(true);
  expect(fast.value).toStrictEqual(ref.data);
  expect(JSON.stringify(fast.value)).toBe(JSON.stringify(ref.data));
  expect(fast.unknown).toEqual(ref.unknown);
  return { accepted: true, zodAccepted: ref.ok };
};

const entries = Object.entries(samples).map(([k, v]) => [k, RESOURCES[k as keyof typeof RESOURCES].schema as z.ZodType, v] as const);

/** Every path to a value inside `v` (object keys and list indexes). */
const pathsOf = (v: Json, at: (string | number)[] = []): (string | number)[][] => {
  const out = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...at, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...at, k]));
  return out;
};

type Edit = { kind: 'set'; value: Json } | { kind: 'delete' } | { kind: 'add'; key: string; value: Json };
const applyEdit = (root: Json, path: (string | number)[], edit: Edit): Json => {
  const copy = structuredClone(root) as Record<string | number, Json>;
  if (path.length === 0) return edit.kind === 'set' ? edit.value : copy;
  let parent = copy;
  for (const seg of path.slice(0, -1)) parent = parent[seg] as Record<string | number, Json>;
  const last = path[path.length - 1];
  if (edit.kind === 'set') parent[last] = edit.value;
  else if (edit.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else {
    const target = parent[last];
    // An own property even for `__proto__`, as JSON.parse makes it.
    if (target && typeof target === 'object' && !Array.isArray(target)) Object.defineProperty(target, edit.key, { value: edit.value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
};

/** Values that sit on the edges of what the schemas accept. */
const edgy = fc.constantFrom<Json>(
  2 ** 31, 2 ** 31 - 1, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53, 1.5, -0, 0, -1, '1Gi', '', 'Always', 'TCP', 'linux', true, false, null, [], {}, [null], { a: null },
);
const anyJson = fc.oneof(edgy, fc.jsonValue({ maxDepth: 2 }));
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), value: anyJson }),
  fc.constant({ kind: 'delete' as const }),
  fc.record({ kind: fc.constant('add' as const), key: fc.oneof(fc.constantFrom('name', 'image', 'value', 'key', '__proto__', 'bogus'), fc.string()), value: anyJson }),
);

describe('one-walk decode', () => {
  it.each(entries)('%s: accepts the sample and builds exactly what zod builds', (_, schema, sample) => {
    expect(expectSameAsZod(schema, sample).accepted).toBe(true);
  });

  it('drops null fields and map entries, keeps opaque values, orders fields as the schema does', () => {
    const pod = { spec: { containers: [{ image: 'x', name: 'c', env: null, ports: [{ protocol: 'TCP', containerPort: 80 }] }] }, metadata: { name: 'p', labels: { a: null, b: 'x' }, managedFields: [{ fieldsV1: { 'f:x': null }, manager: 'm' }] } };
    const { value } = decodeFast(RESOURCES.pods.schema, pod, true);
    expect(JSON.stringify(value)).toBe(JSON.stringify({
      metadata: { labels: { b: 'x' }, managedFields: [{ fieldsV1: { 'f:x': null }, manager: 'm' }], name: 'p' },
      spec: { containers: [{ image: 'x', name: 'c', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
    }));
  });

  it('builds what zod builds for more sets of fields than it compiles object shapes for', () => {
    const optional: [string, unknown][] = [['workingDir', '/w'], ['command', ['a']], ['args', ['b']], ['tty', true], ['stdin', false], ['imagePullPolicy', 'Always'], ['terminationMessagePath', '/t'], ['image', 'x']];
    for (let bits = 0; bits < 2 ** optional.length; bits++) {
      const container = Object.fromEntries([['name', `c${bits}`], ...optional.filter((_, j) => bits & (1 << j))]);
      expect(expectSameAsZod(RESOURCES.pods.schema, { metadata: { name: 'p' }, spec: { containers: [container] } }).accepted).toBe(true);
    }
  });

  it('skips `__proto__` keys as zod does', () => {
    const pod = JSON.parse('{"metadata":{"name":"p","__proto__":{"x":1},"labels":{"__proto__":"x","a":"b"},"managedFields":[{"fieldsV1":{"__proto__":{"f:x":{}}}}]}}');
    expect(expectSameAsZod(RESOURCES.pods.schema, pod).accepted).toBe(true);
    const fast = decodeFast(RESOURCES.pods.schema, pod, true) as { value: { metadata: { managedFields: { fieldsV1: object }[] } }; unknown: string[] };
    expect(fast.unknown).toEqual(['metadata.__proto__']);
    expect(Object.getPrototypeOf(fast.value.metadata.managedFields[0].fieldsV1)).toBe(Object.prototype);
  });

  it('leaves to zod what is not plain JSON data', () => {
    class Meta {
      name = 'p';
    }
    expect(decodeFast(RESOURCES.pods.schema, { metadata: new Meta() }, true).value).toBe(FAIL);
    expect(decodeFast(RESOURCES.pods.schema, { metadata: { labels: { [Symbol('s')]: 'x' } } }, true).value).toBe(FAIL);
    expect(expectSameAsZod(RESOURCES.pods.schema, { metadata: { labels: Object.assign(Object.create(null), { a: 'b' }) } }).accepted).toBe(true);
  });

  it('never accepts what zod refuses, and builds what zod builds, for any edit of any sample', () => {
    const cases = fc.constantFrom(...entries).chain(([name, schema, sample]) =>
      fc.tuple(fc.constant(name), fc.constant(schema), fc.constant(sample), fc.constantFrom(...pathsOf(sample)), fc.array(edit, { minLength: 1, maxLength: 3 })));
    let zodAccepted = 0;
    let fastAccepted = 0;
    fc.assert(fc.property(cases, ([, schema, sample, path, edits]) => {
      const value = edits.reduce<Json>((v, e) => applyEdit(v, path, e), sample);
      const r = expectSameAsZod(schema, value);
      if (r.zodAccepted) zodAccepted++;
      if (r.accepted) fastAccepted++;
    }), { numRuns: 3000, seed: 20261121 });
    // The fast path is the common path: it takes nearly everything zod takes.
    expect(fastAccepted).toBeGreaterThan(zodAccepted * 0.95);
  });
});
