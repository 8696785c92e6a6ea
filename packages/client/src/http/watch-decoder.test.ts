import { isInternalError } from '@peapod/api-types';
import { describe, expect, it } from 'vitest';
import { WatchDecoder } from './watch-decoder.js';

const events = [
  { type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '1', annotations: { note: 'héllo wörld ✓' } } } },
  { type: 'MODIFIED', object: { metadata: { name: 'a', resourceVersion: '2' } } },
  { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, code: 410, reason: 'Expired' } },
];
const wire = new TextEncoder().encode(events.map((e) => JSON.stringify(e)).join('\n') + '\n');

describe('WatchDecoder', () => {
  it('decodes the same events however the stream is split, even inside a multi-byte character', () => {
    for (let a = 1; a < wire.length; a += 3) {
      for (const b of [a + 1, a + 7, wire.length - 1]) {
        if (b <= a || b >= wire.length) continue;
        const d = new WatchDecoder();
        const got = [...d.push(wire.subarray(0, a)), ...d.push(wire.subarray(a, b)), ...d.push(wire.subarray(b)), ...d.end()];
        expect(got).toEqual(events);
      }
    }
  });

  it('decodes a byte-at-a-time stream', () => {
    const d = new WatchDecoder();
    const got = [];
    for (let i = 0; i < wire.length; i++) got.push(...d.push(wire.subarray(i, i + 1)));
    expect(got).toEqual(events);
  });

  it('takes a final event without a newline and skips blank lines', () => {
    const d = new WatchDecoder();
    expect(d.push(new TextEncoder().encode('\n\n{"type":"ADDED","object":{"metadata":{}}}'))).toEqual([]);
    expect(d.end()).toEqual([{ type: 'ADDED', object: { metadata: {} } }]);
  });

  it('rejects a line that is not a watch event with an InternalError', () => {
    for (const line of ['{"type":"ADDED"\n', '{"foo":1}\n']) {
      let caught: unknown;
      try { new WatchDecoder().push(new TextEncoder().encode(line)); } catch (err) { caught = err; }
      expect(isInternalError(caught)).toBe(true);
    }
  });
});
