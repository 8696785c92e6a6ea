import { isBadRequest } from '@peapod/api-types';
import { describe, expect, it } from 'vitest';
import { effectiveLimits, envFieldValue, formatMap, goQuote, isQualifiedName, resourceValue, volumeFieldValue } from './fieldpath.js';
import { makePod, NODE_ALLOCATABLE } from './testdata/pods.js';

const pod = makePod();
const badRequestOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (isBadRequest(err)) return err.message;
    throw err;
  }
  throw new Error('expected a BadRequest StatusError');
};

describe('env fieldRef', () => {
  it.each([
    ['metadata.name', 'web-0'],
    ['metadata.namespace', 'shop'],
    ['metadata.uid', '6f1c2d3e-0000-4000-8000-000000000001'],
    ["metadata.labels['app']", 'web'],
    ["metadata.labels['app.kubernetes.io/tier']", 'frontend'],
    ["metadata.labels['missing']", ''],
    ["metadata.annotations['build/commit']", 'abc123'],
    ["metadata.annotations['note']", 'line one\nline "two"'],
    ['spec.nodeName', 'node-a'],
    ['spec.serviceAccountName', 'web-sa'],
    ['status.hostIP', '10.0.0.5'],
    ['status.hostIPs', '10.0.0.5,fd00::5'],
    ['status.podIP', '10.244.1.7'],
    ['status.podIPs', '10.244.1.7,fd00:244::7'],
  ])('%s', (fieldPath, want) => {
    expect(envFieldValue(pod, { apiVersion: 'v1', fieldPath })).toBe(want);
  });

  it('prefers the sandbox and node addresses the kubelet passes over a stale status', () => {
    const fresh = { podIPs: ['10.244.9.9'], hostIPs: ['192.168.1.2'] };
    expect(envFieldValue(pod, { fieldPath: 'status.podIP' }, fresh)).toBe('10.244.9.9');
    expect(envFieldValue(pod, { fieldPath: 'status.hostIP' }, fresh)).toBe('192.168.1.2');
  });

  it("orders pod IPs by the node's primary family, one per family", () => {
    const addresses = { podIPs: ['fd00::1', '10.1.1.1', 'fd00::2'], hostIPs: ['fd00::5', '10.0.0.5'] };
    expect(envFieldValue(pod, { fieldPath: 'status.podIPs' }, addresses)).toBe('fd00::1,10.1.1.1');
    expect(envFieldValue(pod, { fieldPath: 'status.podIP' }, { ...addresses, hostIPs: ['10.0.0.5'] })).toBe('10.1.1.1');
  });

  it('gives empty strings before the pod has an IP, but fails on a node without addresses', () => {
    const pending = { ...pod, status: { phase: 'Pending' as const } };
    expect(envFieldValue(pending, { fieldPath: 'status.podIP' })).toBe('');
    expect(badRequestOf(() => envFieldValue(pending, { fieldPath: 'status.hostIP' }))).toMatch(/host IP unknown/);
  });

  it('refuses what env does not offer, with a message naming the path', () => {
    expect(badRequestOf(() => envFieldValue(pod, { fieldPath: 'metadata.labels' }))).toBe('field label not supported: metadata.labels');
    expect(badRequestOf(() => envFieldValue(pod, { fieldPath: 'spec.restartPolicy' }))).toBe('field label not supported: spec.restartPolicy');
    expect(badRequestOf(() => envFieldValue(pod, { fieldPath: "spec.nodeName['x']" }))).toMatch(/does not support subscript/);
    expect(badRequestOf(() => envFieldValue(pod, { fieldPath: "metadata.labels['a/b/c']" }))).toMatch(/invalid key subscript/);
    expect(badRequestOf(() => envFieldValue(pod, { apiVersion: 'v2', fieldPath: 'metadata.name' }))).toBe('unsupported pod version: v2');
  });
});

describe('volume fieldRef', () => {
  it.each([
    ['metadata.name', 'web-0'],
    ['metadata.namespace', 'shop'],
    ['metadata.uid', '6f1c2d3e-0000-4000-8000-000000000001'],
    ["metadata.labels['app']", 'web'],
    ["metadata.annotations['build/commit']", 'abc123'],
    ['metadata.labels', 'app="web"\napp.kubernetes.io/tier="frontend"'],
    ['metadata.annotations', 'build/commit="abc123"\nnote="line one\\nline \\"two\\""'],
  ])('%s', (fieldPath, want) => {
    expect(volumeFieldValue(pod, { fieldPath })).toBe(want);
  });

  it('refuses the env-only and unknown paths', () => {
    for (const fieldPath of ['spec.nodeName', 'status.podIP', 'metadata.generation']) {
      expect(badRequestOf(() => volumeFieldValue(pod, { fieldPath }))).toBe(`unsupported fieldPath: ${fieldPath}`);
    }
  });
});

describe('the labels/annotations file format', () => {
  it('sorts by key bytes and writes one key="value" line each, without a trailing newline', () => {
    expect(formatMap({ b: '2', a: '1', B: '0' })).toBe('B="0"\na="1"\nb="2"');
    expect(formatMap({})).toBe('');
    expect(formatMap(undefined)).toBe('');
  });

  it("escapes values as Go's strconv.Quote", () => {
    expect(goQuote('plain')).toBe('"plain"');
    expect(goQuote('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
    expect(goQuote('tab\there\nnl\rcr\x07\b\f\v')).toBe('"tab\\there\\nnl\\rcr\\a\\b\\f\\v"');
    expect(goQuote('\x00\x1b\x7f')).toBe('"\\x00\\x1b\\x7f"');
    expect(goQuote('café ✓ 日本 😀')).toBe('"café ✓ 日本 😀"');
    expect(goQuote('nb\u00a0sp soft\u00adhyphen zw\u200b')).toBe('"nb\\u00a0sp soft\\u00adhyphen zw\\u200b"');
    expect(goQuote('\u{e0001}')).toBe('"\\U000e0001"');
  });
});

describe('isQualifiedName', () => {
  it.each([
    ['app', true],
    ['app.kubernetes.io/name', true],
    ['a-b_c.d', true],
    ['-leading', false],
    ['trailing-', false],
    ['', false],
    ['Upper.Prefix/name', false],
    ['a/b/c', false],
    ['/name', false],
    ['x'.repeat(63), true],
    ['x'.repeat(64), false],
  ])('%s → %s', (key, ok) => {
    expect(isQualifiedName(key)).toBe(ok);
  });
});

describe('resourceFieldRef values and divisor rounding', () => {
  const limits = { cpu: '250m', memory: '64Mi', 'ephemeral-storage': '1500M', 'hugepages-2Mi': '4Mi' };
  const requests = { cpu: '1', memory: '100000000', 'ephemeral-storage': '1Gi' };

  it.each([
    // cpu: divisor 1 rounds 250m up to a whole core; 1m gives millicores
    ['limits.cpu', undefined, '1'],
    ['limits.cpu', '1', '1'],
    ['limits.cpu', '1m', '250'],
    ['requests.cpu', '1m', '1000'],
    ['requests.cpu', '1', '1'],
    // memory in bytes and every binary / decimal divisor the API allows
    ['limits.memory', undefined, '67108864'],
    ['limits.memory', '1', '67108864'],
    ['limits.memory', '1Ki', '65536'],
    ['limits.memory', '1Mi', '64'],
    ['limits.memory', '1Gi', '1'],
    ['limits.memory', '1k', '67109'],
    ['limits.memory', '1M', '68'],
    ['limits.memory', '1G', '1'],
    ['limits.memory', '1T', '1'],
    ['limits.memory', '1Ti', '1'],
    ['requests.memory', '1M', '100'],
    ['requests.memory', '1Mi', '96'],
    // ephemeral storage
    ['limits.ephemeral-storage', '1G', '2'],
    ['limits.ephemeral-storage', '1Gi', '2'],
    ['requests.ephemeral-storage', '1Mi', '1024'],
    ['requests.ephemeral-storage', '1Gi', '1'],
    // hugepages ride the same rules
    ['limits.hugepages-2Mi', '1Mi', '4'],
    // a zero divisor means the default of 1
    ['limits.cpu', '0', '1'],
  ])('%s / %s = %s', (resource, divisor, want) => {
    expect(resourceValue({ resource, ...(divisor !== undefined ? { divisor } : {}) }, limits, requests)).toBe(want);
  });

  it('reports 0 for a request that is not set', () => {
    expect(resourceValue({ resource: 'requests.cpu', divisor: '1m' }, {}, {})).toBe('0');
    expect(resourceValue({ resource: 'requests.memory' }, {}, {})).toBe('0');
  });

  it('rounds fractional quantities up, never down', () => {
    expect(resourceValue({ resource: 'limits.cpu', divisor: '1m' }, { cpu: '0.0001' })).toBe('1');
    expect(resourceValue({ resource: 'limits.memory', divisor: '1Ki' }, { memory: '1025' })).toBe('2');
    expect(resourceValue({ resource: 'limits.memory', divisor: '1' }, { memory: '1.5' })).toBe('2');
  });

  it('refuses resources the downward API does not expose', () => {
    expect(badRequestOf(() => resourceValue({ resource: 'limits.nvidia.com/gpu' }, {}))).toBe('Unsupported container resource : limits.nvidia.com/gpu');
  });
});

describe('missing-limit fallback', () => {
  const container = { name: 'c', resources: { limits: { cpu: '500m', memory: '0' } } };

  it("uses node allocatable for a missing or zero limit on cpu, memory and ephemeral-storage only", () => {
    expect(effectiveLimits(makePod(), container, NODE_ALLOCATABLE)).toEqual({ cpu: '500m', memory: '8Gi', 'ephemeral-storage': '100Gi' });
    expect(resourceValue({ resource: 'limits.memory', divisor: '1Mi' }, effectiveLimits(makePod(), container, NODE_ALLOCATABLE))).toBe('8192');
  });

  it('prefers pod-level limits over node allocatable for cpu and memory', () => {
    const p = makePod();
    p.spec!.resources = { limits: { cpu: '2', memory: '1Gi', 'ephemeral-storage': '5Gi' } };
    expect(effectiveLimits(p, { name: 'c' }, NODE_ALLOCATABLE)).toEqual({ cpu: '2', memory: '1Gi', 'ephemeral-storage': '100Gi' });
  });

  it('reports 0 when neither the container nor the node knows a limit', () => {
    expect(resourceValue({ resource: 'limits.cpu' }, effectiveLimits(makePod(), { name: 'c' }, {}))).toBe('0');
  });
});
