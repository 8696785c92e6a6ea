import { Duplex, PassThrough } from 'node:stream';
import { FLAG_FIN, FrameDecoder, FrameEncoder, type Frame } from '../spdy-frames.js';

/** A connected pair of in-memory byte pipes: what one side writes, the other reads. */
export function socketPair(): [Duplex, Duplex] {
  const ab = new PassThrough();
  const ba = new PassThrough();
  const side = (read: PassThrough, write: PassThrough) => {
    const d = new Duplex({
      read() { read.resume(); },
      write(chunk, _enc, cb) { write.write(chunk, cb); },
      final(cb) { write.end(); cb(); },
      destroy(err, cb) { write.end(); cb(err); },
    });
    read.on('data', (c: Buffer) => { if (!d.push(c)) read.pause(); });
    read.on('end', () => d.push(null));
    return d;
  };
  return [side(ba, ab), side(ab, ba)];
}

/** The client end of a session, as spdystream drives it: opens odd streams, reads every frame. */
export class TestClient {
  readonly frames: Frame[] = [];
  private readonly enc = new FrameEncoder();
  private readonly dec = new FrameDecoder();
  private chain = Promise.resolve();
  private waiters: Array<() => void> = [];
  closed = false;

  constructor(readonly transport: Duplex) {
    transport.on('data', (c: Buffer) => {
      for (const raw of this.dec.push(c)) {
        this.chain = this.chain.then(async () => {
          const f = await this.dec.decode(raw);
          if (f) this.frames.push(f);
          for (const w of this.waiters.splice(0)) w();
        });
      }
    });
    transport.on('close', () => { this.closed = true; for (const w of this.waiters.splice(0)) w(); });
    transport.on('end', () => { this.closed = true; for (const w of this.waiters.splice(0)) w(); });
  }

  async send(frame: Frame): Promise<void> {
    this.transport.write(await this.enc.encode(frame));
  }

  open(id: number, headers: Record<string, string>, flags = 0): Promise<void> {
    return this.send({ type: 'synStream', streamId: id, associatedTo: 0, priority: 0, flags, headers });
  }

  data(id: number, text: string, fin = false): Promise<void> {
    return this.send({ type: 'data', streamId: id, flags: fin ? FLAG_FIN : 0, data: Buffer.from(text) });
  }

  /** Waits (bounded) until a frame matching `pred` arrived. */
  async waitFor(pred: (f: Frame) => boolean, what = 'frame'): Promise<Frame> {
    const deadline = Date.now() + 3000;
    for (;;) {
      const f = this.frames.find(pred);
      if (f) return f;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames.map((x) => x.type))}`);
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
  }

  /** The bytes received on a stream so far, and whether it ended. */
  received(id: number): { text: string; fin: boolean } {
    const data = this.frames.filter((f): f is Extract<Frame, { type: 'data' }> => f.type === 'data' && f.streamId === id);
    return { text: Buffer.concat(data.map((f) => f.data)).toString(), fin: data.some((f) => (f.flags & FLAG_FIN) !== 0) };
  }

  async waitForData(id: number, pred: (r: { text: string; fin: boolean }) => boolean): Promise<{ text: string; fin: boolean }> {
    await this.waitFor(() => pred(this.received(id)), `data on stream ${id}`);
    return this.received(id);
  }
}

