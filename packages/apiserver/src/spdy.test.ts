import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  encodeHeaderBlock, decodeHeaderBlock, FLAG_FIN, FrameDecoder, FrameEncoder, HEADER_DICTIONARY, RstStatus, SpdyProtocolError, type Frame,
} from './spdy-frames.js';
import { SpdySession, type SpdyStream } from './spdy.js';
import { socketPair, TestClient } from './testing/spdy-client.js';

async function roundTrip(frames: Frame[], slice = 0): Promise<Array<Frame | undefined>> {
  const enc = new FrameEncoder();
  const dec = new FrameDecoder();
  const bytes = Buffer.concat(await Promise.all(frames.map((f) => enc.encode(f))));
  const raws: Buffer[] = [];
  if (slice) for (let at = 0; at < bytes.length; at += slice) raws.push(...dec.push(bytes.subarray(at, at + slice)));
  else raws.push(...dec.push(bytes));
  return Promise.all(raws.map((r) => dec.decode(r)));
}

describe('SPDY/3.1 frames', () => {
  const all: Frame[] = [
    { type: 'synStream', streamId: 1, associatedTo: 0, priority: 3, flags: FLAG_FIN, headers: { streamtype: 'error', port: '80', requestid: '0' } },
    { type: 'synReply', streamId: 1, flags: 0, headers: {} },
    { type: 'headers', streamId: 3, flags: FLAG_FIN, headers: { 'x-multi': 'a\0b' } },
    { type: 'data', streamId: 3, flags: 0, data: Buffer.from('payload') },
    { type: 'data', streamId: 3, flags: FLAG_FIN, data: Buffer.alloc(0) },
    { type: 'rstStream', streamId: 5, status: RstStatus.Cancel },
    { type: 'settings', flags: 0, entries: [{ flags: 1, id: 7, value: 65536 }, { flags: 0, id: 4, value: 100 }] },
    { type: 'ping', id: 0xfffffffd },
    { type: 'goAway', lastGoodStreamId: 7, status: 0 },
    { type: 'windowUpdate', streamId: 3, delta: 1 << 20 },
  ];

  it('round-trips every frame type, whole or fed a byte at a time', async () => {
    expect(await roundTrip(all)).toEqual(all);
    expect(await roundTrip(all, 1)).toEqual(all);
  });

  it('compresses header blocks with one context per direction, so repeated headers shrink', async () => {
    const enc = new FrameEncoder();
    const headers = { streamtype: 'data', port: '8080', requestid: '17' };
    const first = await enc.encode({ type: 'synStream', streamId: 1, associatedTo: 0, priority: 0, flags: 0, headers });
    const second = await enc.encode({ type: 'synStream', streamId: 3, associatedTo: 0, priority: 0, flags: 0, headers });
    expect(second.length).toBeLessThan(first.length);
    // The first block is a zlib stream primed with the SPDY/3 dictionary (FDICT set, dictionary's Adler-32).
    const block = first.subarray(18);
    expect(block[1] & 0x20).toBe(0x20);
    expect(HEADER_DICTIONARY.length).toBe(1423);
  });

  it('reads header blocks from any zlib compressor that uses the SPDY/3 dictionary', async () => {
    const block = deflateSync(encodeHeaderBlock({ streamtype: 'data', port: '80' }), { dictionary: HEADER_DICTIONARY, finishFlush: 2 /* Z_SYNC_FLUSH */ });
    const head = Buffer.from([0x80, 0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    head.writeUInt32BE(10 + block.length, 4);
    head[4] = 0;
    const dec = new FrameDecoder();
    const [raw] = dec.push(Buffer.concat([head, block]));
    expect(await dec.decode(raw)).toMatchObject({ type: 'synStream', streamId: 1, headers: { streamtype: 'data', port: '80' } });
  });

  it('refuses malformed header blocks and other versions, and skips unknown control frames', async () => {
    expect(() => decodeHeaderBlock(encodeHeaderBlock({ a: 'b' }).subarray(0, 9))).toThrow(SpdyProtocolError);
    const upper = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 0x41, 0, 0, 0, 0]);
    expect(() => decodeHeaderBlock(upper)).toThrow(/not lower case/);
    const twice = Buffer.concat([Buffer.from([0, 0, 0, 2]), encodeHeaderBlock({ a: '1' }).subarray(4), encodeHeaderBlock({ a: '2' }).subarray(4)]);
    expect(() => decodeHeaderBlock(twice)).toThrow(/appears twice/);
    const dec = new FrameDecoder();
    await expect(dec.decode(Buffer.from([0x80, 0x02, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1]))).rejects.toThrow(/version 2/);
    expect(await dec.decode(Buffer.from([0x80, 0x03, 0, 10, 0, 0, 0, 0]))).toBeUndefined();
  });
});

describe('SPDY session (server end)', () => {
  function start(onStream: (s: SpdyStream) => void) {
    const [server, client] = socketPair();
    let closed = false;
    const session = new SpdySession(server, { onStream, onClose: () => { closed = true; } });
    return { session, client: new TestClient(client), isClosed: () => closed };
  }

  it('replies to a new stream before any data, echoes through it, and half-closes with FIN', async () => {
    const { client } = start((s) => s.pipe(s));
    await client.open(1, { streamtype: 'data' });
    await client.data(1, 'hello ');
    await client.data(1, 'world', true);
    const got = await client.waitForData(1, (r) => r.fin);
    expect(got.text).toBe('hello world');
    const types = client.frames.map((f) => f.type);
    expect(types[0]).toBe('synReply');
  });

  it('splits large writes into frames and keeps their order', async () => {
    const big = Buffer.alloc(200_000, 'x');
    big.write('end', big.length - 3);
    const { client } = start((s) => s.end(big));
    await client.open(1, {});
    const got = await client.waitForData(1, (r) => r.fin);
    expect(got.text.length).toBe(200_000);
    expect(got.text.endsWith('xend')).toBe(true);
    expect(client.frames.filter((f) => f.type === 'data').length).toBeGreaterThan(2);
  });

  it('pauses the transport while a stream\'s reader lags, and reads on once it catches up (over TCP)', async () => {
    // A real socket: its pause/resume is what a stream's back-pressure drives.
    const listener = createServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const accepted = new Promise<Socket>((r) => listener.once('connection', r));
    const socket = connect((listener.address() as AddressInfo).port, '127.0.0.1');
    const server = await accepted;
    try {
      let later: SpdyStream | undefined;
      new SpdySession(server, { onStream: (s) => { later = s; } });
      const client = new TestClient(socket);
      await client.open(1, {});
      const chunk = 'y'.repeat(32 * 1024);
      for (let i = 0; i < 64; i++) await client.data(1, chunk);
      await client.data(1, '', true);
      await new Promise((r) => setTimeout(r, 50));
      later!.pipe(later!); // an echo that starts late, as a slow pod would
      await client.waitFor((f) => f.type === 'data' && f.streamId === 1 && (f.flags & FLAG_FIN) !== 0, 'FIN');
      expect(client.received(1).text.length).toBe(64 * chunk.length);
    } finally {
      socket.destroy();
      server.destroy();
      listener.close();
    }
  });

  it('echoes the client\'s pings', async () => {
    const { client } = start(() => undefined);
    await client.send({ type: 'ping', id: 1 });
    await client.send({ type: 'ping', id: 3 });
    await client.waitFor((f) => f.type === 'ping' && f.id === 3);
    expect(client.frames.filter((f) => f.type === 'ping').map((f) => (f as { id: number }).id)).toEqual([1, 3]);
  });

  it('resets bad streams: data for an unknown stream, an even or reused id', async () => {
    const { client } = start(() => undefined);
    await client.data(9, 'x');
    await client.waitFor((f) => f.type === 'rstStream' && f.streamId === 9 && f.status === RstStatus.InvalidStream);
    await client.open(2, {});
    await client.waitFor((f) => f.type === 'rstStream' && f.streamId === 2 && f.status === RstStatus.ProtocolError);
    await client.open(5, {});
    await client.open(3, {});
    await client.waitFor((f) => f.type === 'rstStream' && f.streamId === 3 && f.status === RstStatus.ProtocolError);
  });

  it('destroys a stream the client resets, and resets streams the server destroys', async () => {
    const streams: SpdyStream[] = [];
    const { client } = start((s) => streams.push(s));
    await client.open(1, {});
    await client.open(3, {});
    await client.waitFor((f) => f.type === 'synReply' && f.streamId === 3);
    await client.send({ type: 'rstStream', streamId: 1, status: RstStatus.Cancel });
    await expect.poll(() => streams[0].destroyed).toBe(true);
    expect(streams[0].reset).toBe(true);
    streams[1].destroy();
    await client.waitFor((f) => f.type === 'rstStream' && f.streamId === 3 && f.status === RstStatus.Cancel);
    expect(client.frames.some((f) => f.type === 'rstStream' && f.streamId === 1)).toBe(false);
  });

  it('on GOAWAY refuses new streams and closes once the open ones are done', async () => {
    const streams: SpdyStream[] = [];
    const { client, isClosed } = start((s) => streams.push(s));
    await client.open(1, {});
    await client.waitFor((f) => f.type === 'synReply');
    await client.send({ type: 'goAway', lastGoodStreamId: 0, status: 0 });
    await client.open(3, {});
    await client.waitFor((f) => f.type === 'rstStream' && f.streamId === 3 && f.status === RstStatus.RefusedStream);
    expect(isClosed()).toBe(false);
    streams[0].end();
    await client.data(1, '', true);
    await client.waitFor((f) => f.type === 'goAway');
    await expect.poll(isClosed).toBe(true);
  });

  it('ends every stream when the transport goes away', async () => {
    const streams: SpdyStream[] = [];
    const { client, isClosed } = start((s) => streams.push(s));
    await client.open(1, {});
    await client.waitFor((f) => f.type === 'synReply');
    client.transport.destroy();
    await expect.poll(isClosed).toBe(true);
    expect(streams[0].destroyed).toBe(true);
  });

  it('answers a corrupt header block with GOAWAY and closes', async () => {
    const { client, isClosed } = start(() => undefined);
    const bogus = Buffer.from([0x80, 0x03, 0, 1, 0, 0, 0, 14, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef]);
    client.transport.write(bogus);
    await client.waitFor((f) => f.type === 'goAway' && f.status === 1);
    await expect.poll(isClosed).toBe(true);
  });
});
