import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../resources.js';
import { isBadRequest, isInvalid } from '../errors.js';
import type { ResourceInfo } from '../resource.js';
import { SchemaNode } from '../openapi/model.js';
import { schemaFor } from '../openapi/definitions.js';
import { applyStrategicMergePatch } from './strategic.js';
import type { Json, JsonObject } from './json.js';

const podSchema = schemaFor(RESOURCES.pods as ResourceInfo);
const pod = (spec: JsonObject, metadata: JsonObject = { name: 'p' }): JsonObject => ({ apiVersion: 'v1', kind: 'Pod', metadata, spec });
const smp = (doc: Json, patch: unknown, schema = podSchema) => applyStrategicMergePatch(doc, patch, schema);

describe('strategic merge patch', () => {
  const web = { name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80, protocol: 'TCP' }] };
  const side = { name: 'side', image: 'busybox' };
  const base = pod({ containers: [web, side], volumes: [{ name: 'data', emptyDir: {} }] }, { name: 'p', finalizers: ['a', 'b'], labels: { app: 'web' } });

  it.each<[string, JsonObject, JsonObject]>([
    ['merges containers by name, keeping the others', { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } },
      pod({ containers: [{ ...web, image: 'nginx:2' }, side], volumes: [{ name: 'data', emptyDir: {} }] }, base.metadata as JsonObject)],
    ['appends a container with a new name', { spec: { containers: [{ name: 'extra', image: 'x' }] } },
      pod({ containers: [web, side, { name: 'extra', image: 'x' }], volumes: [{ name: 'data', emptyDir: {} }] }, base.metadata as JsonObject)],
    ['merges env inside a container by name', { spec: { containers: [{ name: 'web', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }] } },
      pod({ containers: [{ ...web, env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }] }, side], volumes: [{ name: 'data', emptyDir: {} }] }, base.metadata as JsonObject)],
    ['merges ports by containerPort', { spec: { containers: [{ name: 'web', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }] } },
      pod({ containers: [{ ...web, ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 443 }] }, side], volumes: [{ name: 'data', emptyDir: {} }] }, base.metadata as JsonObject)],
    ['deletes one item with $patch: delete', { spec: { containers: [{ name: 'side', $patch: 'delete' }] } },
      pod({ containers: [web], volumes: [{ name: 'data', emptyDir: {} }] }, base.metadata as JsonObject)],
    ['replaces a whole list with a $patch: replace item', { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } },
      pod({ containers: [{ name: 'only', image: 'x' }], volumes: [{ name: 'data', emptyDir: {} }] }, base.metadata as JsonObject)],
    ['replaces a map with $patch: replace', { metadata: { labels: { tier: 'db', $patch: 'replace' } } },
      { ...base, metadata: { ...(base.metadata as JsonObject), labels: { tier: 'db' } } }],
    ['deletes a map with $patch: delete', { metadata: { labels: { $patch: 'delete' } } },
      { ...base, metadata: { name: 'p', finalizers: ['a', 'b'] } }],
    ['deletes a field with null', { metadata: { labels: { app: null } }, spec: { volumes: null } },
      { ...base, metadata: { ...(base.metadata as JsonObject), labels: {} }, spec: { containers: [web, side] } }],
    ['adds to a merge list of scalars without duplicates', { metadata: { finalizers: ['b', 'c'] } },
      { ...base, metadata: { ...(base.metadata as JsonObject), finalizers: ['a', 'b', 'c'] } }],
    ['removes scalars with $deleteFromPrimitiveList', { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } },
      { ...base, metadata: { ...(base.metadata as JsonObject), finalizers: ['b'] } }],
    ['replaces a list without a merge strategy (args)', { spec: { containers: [{ name: 'side', args: ['x'] }] } },
      pod({ containers: [web, { ...side, args: ['x'] }], volumes: [{ name: 'data', emptyDir: {} }] }, base.metadata as JsonObject)],
    ['keeps only $retainKeys in a retainKeys item (volume source switch)', { spec: { volumes: [{ name: 'data', hostPath: { path: '/d' }, $retainKeys: ['hostPath', 'name'] }] } },
      pod({ containers: [web, side], volumes: [{ name: 'data', hostPath: { path: '/d' } }] }, base.metadata as JsonObject)],
    ['orders a merged list by $setElementOrder', { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }], containers: [{ name: 'web', image: 'nginx:3' }] } },
      pod({ containers: [side, { ...web, image: 'nginx:3' }], volumes: [{ name: 'data', emptyDir: {} }] }, base.metadata as JsonObject)],
    ['strips directives from newly added values', { spec: { containers: [{ name: 'new', env: [{ name: 'X', value: '1' }, { name: 'Y', $patch: 'delete' }] }] } },
      pod({ containers: [web, side, { name: 'new', env: [{ name: 'X', value: '1' }] }], volumes: [{ name: 'data', emptyDir: {} }] }, base.metadata as JsonObject)],
  ])('%s', (_name, patch, want) => {
    expect(smp(structuredClone(base), patch)).toEqual(want);
  });

  it.each<[string, JsonObject[], JsonObject[]]>([
    ['server-only items interleave by their original position', [{ name: 'c', image: 'x' }], [{ name: 'b' }, { name: 'c', image: 'x' }, { name: 'a' }]],
    ['new items come before server-only items', [{ name: 'c', image: 'x' }, { name: 'n' }], [{ name: 'b' }, { name: 'c', image: 'x' }, { name: 'n' }, { name: 'a' }]],
  ])('$setElementOrder: %s', (_n, containers, want) => {
    const three = pod({ containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] });
    const order = [...containers.map((c) => ({ name: c['name'] })), { name: 'a' }];
    const out = smp(three, { spec: { '$setElementOrder/containers': order, containers } }) as JsonObject;
    expect((out['spec'] as JsonObject)['containers']).toEqual(want);
  });

  it('what kubectl debug sends: appends an ephemeral container', () => {
    const running = pod({ containers: [side], ephemeralContainers: [{ name: 'debugger-1', image: 'busybox' }] });
    const out = smp(running, { spec: { ephemeralContainers: [{ name: 'debugger-2', image: 'busybox', stdin: true, tty: true }] } }) as JsonObject;
    expect(((out['spec'] as JsonObject)['ephemeralContainers'] as JsonObject[]).map((c) => c['name'])).toEqual(['debugger-1', 'debugger-2']);
  });

  it('merges maps field by field and leaves untouched fields alone', () => {
    expect(smp(base, { metadata: { labels: { tier: 'front' } } })).toEqual({ ...base, metadata: { ...(base.metadata as JsonObject), labels: { app: 'web', tier: 'front' } } });
  });

  it('treats fields without a schema as maps to merge and lists to replace', () => {
    const untyped = SchemaNode.definition({}, 'untyped');
    expect(smp({ a: { b: 1, c: [1, 2] } }, { a: { d: 2, c: [3] } }, untyped)).toEqual({ a: { b: 1, c: [3], d: 2 } });
  });

  it('never changes its input', () => {
    const input = structuredClone(base);
    smp(input, { spec: { containers: [{ name: 'web', image: 'changed' }] }, metadata: { finalizers: ['z'] } });
    expect(input).toEqual(base);
  });

  const error = (patch: unknown): unknown => {
    try {
      smp(base, patch);
    } catch (err) {
      return err;
    }
    throw new Error('patch applied');
  };

  it.each<[string, unknown]>([
    ['a list as the patch', [{ op: 'add' }]],
    ['an unknown $patch directive', { metadata: { labels: { $patch: 'explode' } } }],
    ['$retainKeys that is not a list', { spec: { volumes: [{ name: 'data', $retainKeys: 'name' }] } }],
    ['$setElementOrder that is not a list', { spec: { '$setElementOrder/containers': { name: 'web' } } }],
    ['$deleteFromPrimitiveList that is not a list', { metadata: { '$deleteFromPrimitiveList/finalizers': 'a' } }],
    ['a scalar where merge-keyed items are expected', { spec: { containers: ['web'] } }],
  ])('rejects %s with 400', (_name, patch) => {
    expect(isBadRequest(error(patch))).toBe(true);
  });

  it('rejects a merge-list item without its merge key with 422', () => {
    const err = error({ spec: { containers: [{ image: 'nameless' }] } });
    expect(isInvalid(err)).toBe(true);
    expect((err as Error).message).toContain('does not contain declared merge key: name');
  });

  it('rejects fields outside $retainKeys with 422', () => {
    expect(isInvalid(error({ spec: { volumes: [{ name: 'data', hostPath: { path: '/x' }, $retainKeys: ['name'] }] } }))).toBe(true);
  });
});
