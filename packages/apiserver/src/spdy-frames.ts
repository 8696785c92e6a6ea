import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';

/**
 * SPDY/3.1 framing (the draft-3.1 spec), the subset Kubernetes' streaming protocols use through
 * moby/spdystream: every frame type is decoded, header blocks are zlib streams primed with the
 * spec's dictionary (one compression context per direction for the whole connection).
 */

export const SPDY_VERSION = 3;
/** The largest payload a frame can carry (24-bit length). */
export const MAX_FRAME_LENGTH = 0xffffff;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

export const enum ControlType { SynStream = 1, SynReply = 2, RstStream = 3, Settings = 4, Ping = 6, GoAway = 7, Headers = 8, WindowUpdate = 9 }

/** RST_STREAM status codes. */
export const RstStatus = { ProtocolError: 1, InvalidStream: 2, RefusedStream: 3, UnsupportedVersion: 4, Cancel: 5, InternalError: 6 } as const;
/** GOAWAY status codes. */
export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

/** Header names are lower case; a value with several parts keeps them NUL-separated, as on the wire. */
export type SpdyHeaders = Record<string, string>;

export type Frame =
  | { type: 'data'; streamId: number; flags: number; data: Buffer }
  | { type: 'synStream'; streamId: number; associatedTo: number; priority: number; flags: number; headers: SpdyHeaders }
  | { type: 'synReply'; streamId: number; flags: number; headers: SpdyHeaders }
  | { type: 'headers'; streamId: number; flags: number; headers: SpdyHeaders }
  | { type: 'rstStream'; streamId: number; status: number }
  | { type: 'settings'; flags: number; entries: Array<{ flags: number; id: number; value: number }> }
  | { type: 'ping'; id: number }
  | { type: 'goAway'; lastGoodStreamId: number; status: number }
  | { type: 'windowUpdate'; streamId: number; delta: number };

/** A frame that breaks the protocol; `streamId` is set when only that stream is affected. */
export class SpdyProtocolError extends Error {
  override readonly name = 'SpdyProtocolError';
  constructor(message: string, readonly streamId?: number) {
    super(message);
  }
}

/** The SPDY/3 header compression dictionary (spec section 2.6.10.1), 1,423 bytes. */
export const HEADER_DICTIONARY = Buffer.concat([
  ...['options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language', 'accept-ranges', 'age',
    'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding', 'content-language', 'content-length',
    'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host', 'if-match',
    'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'pragma',
    'proxy-authenticate', 'proxy-authorization', 'range', 'referer', 'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade',
    'user-agent', 'vary', 'via', 'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public',
    'set-cookie', 'keep-alive', 'origin'].map(lengthPrefixed),
  Buffer.from('100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505'
    + '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found'
    + '500 Internal Server Error501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 '
    + 'Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,'
    + 'text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.', 'latin1'),
]);

function lengthPrefixed(s: string): Buffer {
  const b = Buffer.alloc(4 + s.length);
  b.writeUInt32BE(s.length, 0);
  b.write(s, 4, 'latin1');
  return b;
}

/** Serialises an uncompressed name/value block: a count, then length-prefixed names and values. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0].writeUInt32BE(entries.length, 0);
  for (const [name, value] of entries) parts.push(lengthPrefixed(name.toLowerCase()), lengthPrefixedUtf8(value));
  return Buffer.concat(parts);
}

function lengthPrefixedUtf8(s: string): Buffer {
  const v = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(v.length, 0);
  return Buffer.concat([len, v]);
}

/** Parses an uncompressed name/value block; names must be lower case and unique, as spdystream requires. */
export function decodeHeaderBlock(block: Buffer, streamId?: number): SpdyHeaders {
  const fail = (why: string) => new SpdyProtocolError(`invalid header block: ${why}`, streamId);
  let at = 0;
  const u32 = () => {
    if (at + 4 > block.length) throw fail('truncated');
    const v = block.readUInt32BE(at);
    at += 4;
    return v;
  };
  const str = () => {
    const len = u32();
    if (at + len > block.length) throw fail('truncated');
    const s = block.toString('utf8', at, at + len);
    at += len;
    return s;
  };
  const count = u32();
  if (count > block.length / 8) throw fail('too many headers');
  const headers: SpdyHeaders = {};
  for (let i = 0; i < count; i++) {
    const name = str();
    if (!name || name !== name.toLowerCase()) throw fail(`header name ${JSON.stringify(name)} is not lower case`);
    if (Object.hasOwn(headers, name)) throw fail(`header ${name} appears twice`);
    headers[name] = str();
  }
  return headers;
}

/**
 * One direction's zlib context. Each block is written then sync-flushed, so it ends on a byte
 * boundary the peer can decode alone while the dictionary window carries over (spec 2.6.10.1).
 * Calls are serialised: blocks must pass through the context in frame order.
 */
class HeaderZlib {
  private chain: Promise<unknown> = Promise.resolve();
  constructor(private readonly z: Deflate | Inflate) {
    z.on('error', () => undefined); // surfaced through the pending step's rejection
  }

  step(input: Buffer): Promise<Buffer> {
    const run = () => new Promise<Buffer>((resolve, reject) => {
      const out: Buffer[] = [];
      const onData = (c: Buffer) => out.push(c);
      const onError = (e: Error) => { this.z.off('data', onData); reject(e); };
      this.z.on('data', onData).once('error', onError);
      this.z.write(input);
      this.z.flush(constants.Z_SYNC_FLUSH, () => {
        this.z.off('data', onData).off('error', onError);
        resolve(Buffer.concat(out));
      });
    });
    const p = this.chain.then(run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  close(): void {
    this.z.close();
  }
}

const controlHeader = (type: ControlType, flags: number, length: number) => {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(length, 4);
  h[4] = flags;
  return h;
};

const u31 = (n: number) => n & 0x7fffffff;

/**
 * Turns frames into bytes. Header-carrying frames go through the compression context, so
 * `encode` is asynchronous and must be called in the order frames are to be sent.
 */
export class FrameEncoder {
  private readonly deflate = new HeaderZlib(createDeflate({ dictionary: HEADER_DICTIONARY }));

  async encode(frame: Frame): Promise<Buffer> {
    switch (frame.type) {
      case 'data': {
        if (frame.data.length > MAX_FRAME_LENGTH) throw new RangeError('a DATA frame carries at most 16 MiB');
        const h = Buffer.alloc(8);
        h.writeUInt32BE(u31(frame.streamId), 0);
        h.writeUInt32BE(frame.data.length, 4);
        h[4] = frame.flags;
        return Buffer.concat([h, frame.data]);
      }
      case 'synStream': {
        const block = await this.deflate.step(encodeHeaderBlock(frame.headers));
        const body = Buffer.alloc(10);
        body.writeUInt32BE(u31(frame.streamId), 0);
        body.writeUInt32BE(u31(frame.associatedTo), 4);
        body[8] = (frame.priority & 0x7) << 5;
        return Buffer.concat([controlHeader(ControlType.SynStream, frame.flags, 10 + block.length), body, block]);
      }
      case 'synReply':
      case 'headers': {
        const block = await this.deflate.step(encodeHeaderBlock(frame.headers));
        const body = Buffer.alloc(4);
        body.writeUInt32BE(u31(frame.streamId), 0);
        return Buffer.concat([controlHeader(frame.type === 'synReply' ? ControlType.SynReply : ControlType.Headers, frame.flags, 4 + block.length), body, block]);
      }
      case 'rstStream':
        return fixed(ControlType.RstStream, 0, [u31(frame.streamId), frame.status]);
      case 'settings': {
        const body = Buffer.alloc(4 + 8 * frame.entries.length);
        body.writeUInt32BE(frame.entries.length, 0);
        frame.entries.forEach((e, i) => {
          body.writeUInt32BE(e.id & 0xffffff, 4 + 8 * i);
          body[4 + 8 * i] = e.flags;
          body.writeUInt32BE(e.value, 8 + 8 * i);
        });
        return Buffer.concat([controlHeader(ControlType.Settings, frame.flags, body.length), body]);
      }
      case 'ping':
        return fixed(ControlType.Ping, 0, [frame.id >>> 0]);
      case 'goAway':
        return fixed(ControlType.GoAway, 0, [u31(frame.lastGoodStreamId), frame.status]);
      case 'windowUpdate':
        return fixed(ControlType.WindowUpdate, 0, [u31(frame.streamId), u31(frame.delta)]);
    }
  }

  close(): void {
    this.deflate.close();
  }
}

function fixed(type: ControlType, flags: number, words: number[]): Buffer {
  const body = Buffer.alloc(4 * words.length);
  words.forEach((w, i) => body.writeUInt32BE(w >>> 0, 4 * i));
  return Buffer.concat([controlHeader(type, flags, body.length), body]);
}

/**
 * Turns a byte stream into frames. `push` accepts any slicing of the stream; frames come out of
 * `decode` in order (header blocks are decompressed through the connection's single context).
 * Control frames of another SPDY version and malformed frames are session errors.
 */
export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly inflate = new HeaderZlib(createInflate({ dictionary: HEADER_DICTIONARY }));

  /** Complete raw frames now available; the rest stays buffered. */
  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const frames: Buffer[] = [];
    while (this.buffered.length >= 8) {
      const length = this.buffered.readUInt32BE(4) & 0xffffff;
      if (this.buffered.length < 8 + length) break;
      frames.push(this.buffered.subarray(0, 8 + length));
      this.buffered = this.buffered.subarray(8 + length);
    }
    return frames;
  }

  /** The frame, or undefined for a control frame type this version does not define. */
  async decode(raw: Buffer): Promise<Frame | undefined> {
    const flags = raw[4];
    const body = raw.subarray(8);
    if (!(raw[0] & 0x80)) return { type: 'data', streamId: u31(raw.readUInt32BE(0)), flags, data: body };
    const version = raw.readUInt16BE(0) & 0x7fff;
    if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
    const type = raw.readUInt16BE(2);
    const need = (n: number) => {
      if (body.length < n) throw new SpdyProtocolError(`control frame ${type} is too short`);
    };
    const word = (at: number) => body.readUInt32BE(at);
    switch (type) {
      case ControlType.SynStream: {
        need(10);
        const streamId = u31(word(0));
        const headers = decodeHeaderBlock(await this.inflate.step(body.subarray(10)), streamId);
        return { type: 'synStream', streamId, associatedTo: u31(word(4)), priority: body[8] >> 5, flags, headers };
      }
      case ControlType.SynReply:
      case ControlType.Headers: {
        need(4);
        const streamId = u31(word(0));
        const headers = decodeHeaderBlock(await this.inflate.step(body.subarray(4)), streamId);
        return { type: type === ControlType.SynReply ? 'synReply' : 'headers', streamId, flags, headers };
      }
      case ControlType.RstStream:
        need(8);
        return { type: 'rstStream', streamId: u31(word(0)), status: word(4) };
      case ControlType.Settings: {
        need(4);
        const n = word(0);
        need(4 + 8 * n);
        const entries = Array.from({ length: n }, (_, i) => ({ flags: body[4 + 8 * i], id: word(4 + 8 * i) & 0xffffff, value: word(8 + 8 * i) }));
        return { type: 'settings', flags, entries };
      }
      case ControlType.Ping:
        need(4);
        return { type: 'ping', id: word(0) };
      case ControlType.GoAway:
        need(8);
        return { type: 'goAway', lastGoodStreamId: u31(word(0)), status: word(4) };
      case ControlType.WindowUpdate:
        need(8);
        return { type: 'windowUpdate', streamId: u31(word(0)), delta: u31(word(4)) };
      default:
        return undefined; // unknown control frames are ignored (spec 2.2.1)
    }
  }

  close(): void {
    this.inflate.close();
  }
}
