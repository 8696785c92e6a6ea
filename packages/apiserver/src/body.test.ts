import { describe, expect, it } from 'vitest';
import { decodeBody, mediaInfo, MAX_BODY_BYTES } from './body.js';

describe('request bodies', () => {
  it('decodes JSON and YAML', () => {
    expect(decodeBody('{"a":[1,2]}', 'json')).toEqual({ a: [1, 2] });
    expect(decodeBody('a:\n  - 1\n  - x\n', 'yaml')).toEqual({ a: [1, 'x'] });
  });

  it('refuses syntax errors, duplicate YAML keys, alias bombs and deep nesting with 400', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefghi'[i]}`).join(', ')}]`)].join('\n');
    for (const [raw, format] of [['{', 'json'], ['a: 1\na: 2\n', 'yaml'], [bomb, 'yaml'], [`${'['.repeat(200)}${']'.repeat(200)}`, 'json'], [`${'['.repeat(500_000)}`, 'json']] as const) {
      expect(() => decodeBody(raw, format)).toThrow(expect.objectContaining({ code: 400, reason: 'BadRequest' }));
    }
  });

  it('refuses bodies over 3 MiB with 413', () => {
    expect(() => decodeBody(Buffer.alloc(MAX_BODY_BYTES + 1, 0x20), 'json')).toThrow(expect.objectContaining({ code: 413 }));
  });

  it('maps media types, refusing CBOR with 415', () => {
    expect(mediaInfo('application/json; charset=utf-8')).toEqual({ format: 'json' });
    expect(mediaInfo('application/apply-patch+yaml')).toEqual({ format: 'yaml', patch: 'apply' });
    expect(mediaInfo('application/vnd.kubernetes.protobuf')).toEqual({ format: 'protobuf' });
    expect(() => mediaInfo('application/apply-patch+cbor')).toThrow(expect.objectContaining({ code: 415 }));
  });

  it('decodes protobuf ConfigMaps and refuses kinds and fields it does not know with 415', () => {
    const field = (n: number, data: Buffer) => Buffer.concat([Buffer.from([(n << 3) | 2, data.length]), data]);
    const str = (n: number, s: string) => field(n, Buffer.from(s));
    const envelope = (kind: string, raw: Buffer) => Buffer.concat([Buffer.from('k8s\0', 'latin1'), field(1, Buffer.concat([str(1, 'v1'), str(2, kind)])), field(2, raw)]);
    const cm = Buffer.concat([field(1, Buffer.concat([str(1, 'cfg'), field(11, Buffer.concat([str(1, 'app'), str(2, 'web')]))])), field(2, Buffer.concat([str(1, 'k'), str(2, 'v')]))]);
    expect(decodeBody(envelope('ConfigMap', cm), 'protobuf')).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', labels: { app: 'web' } }, data: { k: 'v' } });
    expect(() => decodeBody(envelope('Pod', cm), 'protobuf')).toThrow(expect.objectContaining({ code: 415 }));
    expect(() => decodeBody(envelope('ConfigMap', str(9, 'x')), 'protobuf')).toThrow(expect.objectContaining({ code: 415 }));
    expect(() => decodeBody(Buffer.from('{}'), 'protobuf')).toThrow(expect.objectContaining({ code: 415 }));
  });
});
