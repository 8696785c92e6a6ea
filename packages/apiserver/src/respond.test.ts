import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { STREAM_BUFFER_BYTES, respond } from './respond.js';

/**
 * A response whose socket never catches up until told to: every write reports back-pressure (as
 * Node does past 16 KB) and stays unsent, until `flush` empties it and emits 'drain'.
 */
function slowResponse() {
  const r = new EventEmitter() as EventEmitter & { writableLength: number; destroyed: boolean; written: number; ended: boolean };
  Object.assign(r, { writableLength: 0, destroyed: false, written: 0, ended: false });
  const res = Object.assign(r, {
    writeHead: () => res,
    flushHeaders: () => undefined,
    write: (chunk: Uint8Array) => {
      r.writableLength += chunk.length;
      r.written++;
      return false;
    },
    end: () => { r.ended = true; },
    flush: () => { r.writableLength = 0; r.emit('drain'); },
  });
  return res;
}

const settle = () => new Promise((r) => setImmediate(r));

describe('respond: streams', () => {
  it('keeps writing past the socket\'s back-pressure up to STREAM_BUFFER_BYTES unsent, then waits for it to drain', async () => {
    const chunk = new Uint8Array(64 * 1024);
    const total = 40;
    async function* chunks() { for (let i = 0; i < total; i++) yield chunk; }
    const res = slowResponse();
    const done = respond(res as unknown as ServerResponse, { type: 'stream', contentType: 'text/plain', chunks: chunks() });
    await settle();
    // Not one chunk per drain: as many as fit under the bound, and the one that crossed it.
    const perDrain = Math.floor(STREAM_BUFFER_BYTES / chunk.length) + 1;
    expect(res.written).toBe(perDrain);
    await settle();
    expect(res.written).toBe(perDrain);
    res.flush();
    await settle();
    expect(res.written).toBe(2 * perDrain);
    while (!res.ended) {
      res.flush();
      await settle();
    }
    await done;
    expect(res.written).toBe(total);
  });
});
