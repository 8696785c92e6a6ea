import { describe, expect, it } from 'vitest';
import { isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isEnvVarName, isQualifiedName, isValidLabelValue, isValidPortName } from './names.js';

describe('name syntax', () => {
  it.each([
    [isDNS1123Label, 'web-0', true], [isDNS1123Label, '0abc', true], [isDNS1123Label, 'a.b', false], [isDNS1123Label, '-a', false],
    [isDNS1123Label, 'a'.repeat(63), true], [isDNS1123Label, 'a'.repeat(64), false], [isDNS1123Label, '', false],
    [isDNS1123Subdomain, 'example.com', true], [isDNS1123Subdomain, 'a..b', false], [isDNS1123Subdomain, 'A.com', false],
    [isQualifiedName, 'app', true], [isQualifiedName, 'example.com/app_Name.1', true], [isQualifiedName, '/app', false],
    [isQualifiedName, 'a/b/c', false], [isQualifiedName, `example.com/${'n'.repeat(64)}`, false], [isQualifiedName, 'app_', false],
    [isValidLabelValue, '', true], [isValidLabelValue, 'v1.2_x', true], [isValidLabelValue, 'v!', false],
    [isConfigMapKey, '.env', true], [isConfigMapKey, '..data', false], [isConfigMapKey, 'a/b', false],
    [isEnvVarName, 'PATH', true], [isEnvVarName, '1st', true], [isEnvVarName, 'A=B', false], [isEnvVarName, 'tab\t', false],
    [isValidPortName, 'http', true], [isValidPortName, 'h2c-port', true], [isValidPortName, 'a--b', false], [isValidPortName, 'HTTP', false],
  ] as const)('%o(%j) valid=%s', (fn, v, ok) => {
    expect(fn(v).length === 0).toBe(ok);
  });
  it('reports Kubernetes wording', () => {
    expect(isDNS1123Label('A')).toEqual([
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    expect(isQualifiedName('a/b/c')[0]).toMatch(/^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e.g. 'example.com\/MyName'\)$/);
    expect(isQualifiedName('/x')).toEqual(['prefix part must be non-empty']);
  });
});
