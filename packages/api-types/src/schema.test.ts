import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { RESOURCES, listSchemaOf } from './resources.js';
import { decodeObject } from './decode.js';
import { fieldPath } from './fields.js';
import { prepareForDecode, unknownFields } from './decode-walk.js';
import { patchMetaAt, toOpenAPISchemas } from './openapi/schemas.js';
import { applyDefaults } from './defaults.js';
import { isBadRequest, isInvalid, type StatusError } from './errors.js';
import { PodSchema } from './core/v1.js';
import { DeploymentSchema } from './apps/v1.js';
import { BindingSchema } from './core/v1.js';
import { EvictionSchema } from './policy/v1.js';
import { ScaleSchema } from './autoscaling/v1.js';
import { TableSchema, WatchEventSchema } from './meta/v1.js';
import type { ResourceInfo } from './resource.js';
import { samples, webPod } from './testdata/objects.js';

const catchStatus = (f: () => unknown): StatusError => {
  try {
    f();
  } catch (e) {
    return e as StatusError;
  }
  throw new Error('expected a StatusError');
};

describe('schemas', () => {
  it.each(Object.entries(samples))('%s: parse -> serialize -> parse is the identity, also after defaulting', (key, sample) => {
    const info = RESOURCES[key as keyof typeof RESOURCES] as ResourceInfo;
    const once = info.schema.parse(structuredClone(sample));
    const twice = info.schema.parse(JSON.parse(JSON.stringify(once)));
    expect(twice).toEqual(once);
    const defaulted = applyDefaults(info, once);
    expect(info.schema.parse(JSON.parse(JSON.stringify(defaulted)))).toEqual(defaulted);
    expect(unknownFields(info.schema, sample)).toEqual([]);
  });

  it('list schemas carry items of their kind', () => {
    const list = listSchemaOf(RESOURCES.pods).parse({ apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '7' }, items: [webPod()] });
    expect(list.items[0].spec!.containers[1].name).toBe('metrics');
    expect(listSchemaOf(RESOURCES.pods)).toBe(listSchemaOf(RESOURCES.pods));
  });

  it('subresource and meta kinds parse', () => {
    expect(BindingSchema.parse({ metadata: { name: 'p' }, target: { kind: 'Node', name: 'n1' } }).target.name).toBe('n1');
    expect(EvictionSchema.parse({ metadata: { name: 'p', namespace: 'd' }, deleteOptions: { gracePeriodSeconds: 0 } }).deleteOptions!.gracePeriodSeconds).toBe(0);
    expect(ScaleSchema.parse({ metadata: { name: 'd' }, spec: { replicas: 3 }, status: { replicas: 1, selector: 'app=a' } }).spec!.replicas).toBe(3);
    expect(WatchEventSchema.parse({ type: 'ADDED', object: { kind: 'Pod' } }).type).toBe('ADDED');
    expect(TableSchema.parse({ metadata: {}, columnDefinitions: [{ name: 'Name', type: 'string', format: 'name', description: '', priority: 0 }], rows: [{ cells: ['web', 1] }] }).rows).toHaveLength(1);
  });

  it('quantities given as numbers become strings; int-or-string keeps its type', () => {
    const node = RESOURCES.nodes.schema.parse(samples.nodes);
    expect(node.status!.allocatable!.memory).toBe('25000000000');
    const d = RESOURCES.deployments.schema.parse(samples.deployments);
    expect(d.spec!.strategy!.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: '10%' });
  });

  it('the newer fields the reference OpenAPI lacks are present', () => {
    const pod = PodSchema.parse({
      metadata: {},
      spec: {
        containers: [{ name: 'c', resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }], lifecycle: { preStop: { sleep: { seconds: 3 } } } }],
        initContainers: [{ name: 's', restartPolicy: 'Always' }],
      },
      status: {
        hostIPs: [{ ip: '127.0.0.1' }], resize: 'InProgress', observedGeneration: 2,
        containerStatuses: [{ name: 'c', image: 'i', imageID: 'x', ready: true, restartCount: 0, allocatedResources: { cpu: '1' }, user: { linux: { uid: 0, gid: 0 } }, volumeMounts: [{ name: 'v', mountPath: '/v' }] }],
        conditions: [{ type: 'Ready', status: 'True', observedGeneration: 2 }],
      },
    });
    expect(pod.spec!.initContainers![0].restartPolicy).toBe('Always');
    expect(pod.spec!.containers[0].lifecycle!.preStop!.sleep!.seconds).toBe(3);
    expect(pod.status!.hostIPs).toEqual([{ ip: '127.0.0.1' }]);
    expect(pod.status!.containerStatuses![0].user!.linux!.uid).toBe(0);
  });
});

describe('decodeObject', () => {
  it('decodes a valid object and warns about unknown fields, which are dropped', () => {
    const raw = { ...webPod(), extra: 1, spec: { ...webPod().spec!, containers: [{ name: 'c', image: 'x', imagePullSecrets: [] }] } };
    const { object, warnings } = decodeObject(RESOURCES.pods, raw);
    expect(warnings).toEqual(['unknown field "spec.containers[0].imagePullSecrets"', 'unknown field "extra"']);
    expect(object).not.toHaveProperty('extra');
    expect(object.spec!.containers[0]).not.toHaveProperty('imagePullSecrets');
  });
  it('Strict refuses unknown fields with a 400 naming every one', () => {
    const err = catchStatus(() => decodeObject(RESOURCES.deployments, { metadata: { name: 'd' }, spec: { replica: 1, selector: {}, template: {} } }, 'Strict'));
    expect(isBadRequest(err)).toBe(true);
    expect(err.message).toBe('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"');
  });
  it('Ignore gives no warnings', () => {
    expect(decodeObject(RESOURCES.pods, { ...webPod(), extra: 1 }, 'Ignore').warnings).toEqual([]);
  });
  it('drops null fields as Go does', () => {
    const { object } = decodeObject(RESOURCES.pods, { ...webPod(), metadata: { name: 'p', creationTimestamp: null }, status: null });
    expect(object.metadata).toEqual({ name: 'p' });
    expect(object).not.toHaveProperty('status');
  });
  it('never modifies its input, accepted or refused (a patch result shares values with the stored object)', () => {
    const accepted = { ...webPod(), metadata: { name: 'p', creationTimestamp: null, labels: { a: null, b: 'x' } } };
    const refused = { ...accepted, spec: { containers: [{ name: 'c', image: null, ports: [{ containerPort: '80' }] }] } };
    for (const raw of [accepted, refused]) {
      const before = structuredClone(raw);
      try {
        decodeObject(RESOURCES.pods, raw);
      } catch {
        // refused: a 422, input untouched all the same
      }
      expect(raw).toEqual(before);
    }
    expect(isInvalid(catchStatus(() => decodeObject(RESOURCES.pods, refused)))).toBe(true);
    expect(decodeObject(RESOURCES.pods, accepted).object.metadata).toEqual({ name: 'p', labels: { b: 'x' } });
  });
  it('a non-object is a 400', () => {
    for (const raw of [null, 'pod', 3, []]) expect(isBadRequest(catchStatus(() => decodeObject(RESOURCES.pods, raw)))).toBe(true);
  });
  it('schema mismatches are one 422 with every cause and Kubernetes field paths', () => {
    const err = catchStatus(() => decodeObject(RESOURCES.pods, {
      metadata: { name: 'p', labels: { a: 1 } },
      spec: { restartPolicy: 'Sometimes', containers: [{ image: 'x', ports: [{ containerPort: '80' }], resources: { limits: { cpu: true } } }] },
    }));
    expect(isInvalid(err)).toBe(true);
    expect(err.code).toBe(422);
    expect(err.status.details!.causes).toEqual([
      { reason: 'FieldValueTypeInvalid', field: 'metadata.labels[a]', message: 'Invalid value: 1: must be of type string' },
      { reason: 'FieldValueRequired', field: 'spec.containers[0].name', message: 'Required value' },
      { reason: 'FieldValueTypeInvalid', field: 'spec.containers[0].ports[0].containerPort', message: 'Invalid value: "80": must be of type integer' },
      { reason: 'FieldValueTypeInvalid', field: 'spec.containers[0].resources.limits[cpu]', message: 'Invalid value: true: must be of type string or number' },
      { reason: 'FieldValueNotSupported', field: 'spec.restartPolicy', message: 'Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"' },
    ]);
    expect(err.message).toMatch(/^Pod "p" is invalid: \[metadata.labels\[a\]: Invalid value: 1/);
  });
  it('int-or-string and int32 range errors', () => {
    const err = catchStatus(() => decodeObject(RESOURCES.deployments, { metadata: { name: 'd' }, spec: { replicas: 2 ** 31, selector: {}, template: {}, strategy: { rollingUpdate: { maxSurge: true } } } }));
    expect(err.status.details!.causes!.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.replicas: Invalid value: 2147483648: must be less than or equal to 2147483647',
      'spec.strategy.rollingUpdate.maxSurge: Invalid value: true: must be of type integer or string',
    ]);
  });
});

describe('schema walking', () => {
  it('unknownFields descends lists and maps but not opaque fields', () => {
    expect(unknownFields(PodSchema, {
      metadata: { labels: { any: 'x' }, managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': {} }, bogus: 1 }] },
      spec: { containers: [{ name: 'a', resources: { limits: { cpu: '1' } }, env: [{ name: 'x', vlaue: 'typo' }] }] },
    })).toEqual(['metadata.managedFields[0].bogus', 'spec.containers[0].env[0].vlaue']);
  });
  it('fieldPath formats indexes and map keys as Kubernetes does', () => {
    expect(fieldPath(PodSchema, ['spec', 'containers', 0, 'resources', 'limits', 'cpu'])).toBe('spec.containers[0].resources.limits[cpu]');
    expect(fieldPath(PodSchema, ['metadata', 'annotations', 'example.com/x'])).toBe('metadata.annotations[example.com/x]');
  });
  it('prepareForDecode drops null fields and map entries, keeps opaque values, lists unknown fields', () => {
    const v = {
      metadata: { name: 'p', creationTimestamp: null, labels: { a: null, b: 'x' }, managedFields: [{ manager: 'm', fieldsV1: { 'f:x': null } }] },
      spec: { containers: [{ name: 'c', image: null, bogus: null, extra: 1 }] },
      status: null,
    };
    expect(prepareForDecode(PodSchema, v, true)).toEqual(['spec.containers[0].extra']);
    expect(v).toEqual({
      metadata: { name: 'p', labels: { b: 'x' }, managedFields: [{ manager: 'm', fieldsV1: { 'f:x': null } }] },
      spec: { containers: [{ name: 'c', extra: 1 }] },
    });
  });
  it.each([
    [PodSchema, ['spec', 'containers'], { patchStrategy: 'merge', patchMergeKey: 'name' }],
    [PodSchema, ['spec', 'containers', 0, 'env'], { patchStrategy: 'merge', patchMergeKey: 'name' }],
    [PodSchema, ['spec', 'containers', 3, 'ports'], { patchStrategy: 'merge', patchMergeKey: 'containerPort', listType: 'map', listMapKeys: ['containerPort', 'protocol'] }],
    [PodSchema, ['spec', 'containers', 0, 'volumeMounts'], { patchStrategy: 'merge', patchMergeKey: 'mountPath' }],
    [PodSchema, ['spec', 'volumes'], { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' }],
    [PodSchema, ['spec', 'tolerations'], {}],
    [PodSchema, ['spec', 'nodeSelector'], { mapType: 'atomic' }],
    [PodSchema, ['metadata', 'finalizers'], { patchStrategy: 'merge' }],
    [PodSchema, ['metadata', 'ownerReferences'], { patchStrategy: 'merge', patchMergeKey: 'uid' }],
    [PodSchema, ['status', 'conditions'], { patchStrategy: 'merge', patchMergeKey: 'type' }],
    [PodSchema, ['spec', 'nope'], undefined],
    [DeploymentSchema, ['spec', 'strategy'], { patchStrategy: 'retainKeys' }],
    [DeploymentSchema, ['spec', 'selector'], { structType: 'atomic' }],
  ] as [z.ZodType, (string | number)[], object | undefined][])('patchMetaAt %#', (schema, path, want) => {
    expect(patchMetaAt(schema, path)).toEqual(want);
  });
});

describe('toOpenAPISchemas', () => {
  const doc = toOpenAPISchemas();
  const def = (n: string) => doc[n] as { properties: Record<string, Record<string, unknown>>; required?: string[]; [k: string]: unknown };
  it('covers every served kind and its list with group/version/kind', () => {
    expect(def('io.k8s.api.core.v1.Pod')['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'Pod', version: 'v1' }]);
    expect(def('io.k8s.api.core.v1.PodList')['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'PodList', version: 'v1' }]);
    expect(def('io.k8s.api.apps.v1.Deployment')['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    expect(def('io.k8s.api.events.v1.Event')['x-kubernetes-group-version-kind']).toEqual([{ group: 'events.k8s.io', kind: 'Event', version: 'v1' }]);
    for (const info of Object.values(RESOURCES)) expect(Object.values(doc).some((d) => JSON.stringify(d['x-kubernetes-group-version-kind']) === JSON.stringify([{ group: info.group, kind: info.kind, version: info.version }]))).toBe(true);
  });
  it('every $ref resolves', () => {
    const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
    for (const r of new Set(refs)) expect(doc[r.slice(22, -1)], r).toBeDefined();
  });
  it('carries list semantics, enums, required fields and primitive formats', () => {
    expect(def('io.k8s.api.core.v1.PodSpec').properties.containers).toEqual({
      type: 'array', items: { $ref: '#/components/schemas/io.k8s.api.core.v1.Container' }, 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge',
    });
    expect(def('io.k8s.api.core.v1.PodSpec').properties.restartPolicy).toEqual({ type: 'string', enum: ['Always', 'Never', 'OnFailure'] });
    expect(def('io.k8s.api.core.v1.PodSpec').required).toEqual(['containers']);
    expect(def('io.k8s.api.core.v1.Container').required).toEqual(['name']);
    expect(def('io.k8s.api.core.v1.ContainerPort').properties.containerPort).toEqual({ type: 'integer', format: 'int32' });
    expect(def('io.k8s.api.apps.v1.DeploymentSpec').properties.strategy).toEqual({ allOf: [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' }], 'x-kubernetes-patch-strategy': 'retainKeys' });
    expect(doc['io.k8s.apimachinery.pkg.api.resource.Quantity']).toEqual({ oneOf: [{ type: 'string' }, { type: 'number' }] });
    expect(def('io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector')['x-kubernetes-map-type']).toBe('atomic');
    expect(def('io.k8s.api.core.v1.Pod').required).toBeUndefined();
  });
  it('returns a fresh document each call', () => {
    const a = toOpenAPISchemas();
    (a['io.k8s.api.core.v1.Pod'] as Record<string, unknown>).mutated = true;
    expect(toOpenAPISchemas()['io.k8s.api.core.v1.Pod']).not.toHaveProperty('mutated');
  });
});
