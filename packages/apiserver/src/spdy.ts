import { Duplex } from 'node:stream';
import {
  FLAG_FIN, FLAG_UNIDIRECTIONAL, FrameDecoder, FrameEncoder, GoAwayStatus, RstStatus, SpdyProtocolError, type Frame, type SpdyHeaders,
} from './spdy-frames.js';

/** Data frames this side sends carry at most this much (the peer accepts up to 16 MiB). */
const MAX_DATA_CHUNK = 32 * 1024;

/**
 * One SPDY stream as a Node Duplex: readable = the peer's DATA until its FIN, writable = our DATA,
 * `end()` sends FIN (a half-close). A RST_STREAM from the peer destroys it; destroying it before
 * both sides finished sends RST_STREAM CANCEL.
 */
export class SpdyStream extends Duplex {
  /** Set once the peer reset the stream. */
  reset = false;
  private remoteDone = false;
  private localDone = false;

  constructor(private readonly session: SpdySession, readonly id: number, readonly headers: SpdyHeaders) {
    super({ allowHalfOpen: true });
  }

  override _read(): void {
    this.session.resumeReading(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const parts: Buffer[] = [];
    for (let at = 0; at < chunk.length; at += MAX_DATA_CHUNK) parts.push(chunk.subarray(at, at + MAX_DATA_CHUNK));
    Promise.all(parts.map((data) => this.session.send({ type: 'data', streamId: this.id, flags: 0, data }))).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.localDone = true;
    this.session.send({ type: 'data', streamId: this.id, flags: FLAG_FIN, data: Buffer.alloc(0) }).then(() => {
      this.session.maybeForget(this);
      cb();
    }, cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.reset && !(this.localDone && this.remoteDone)) void this.session.send({ type: 'rstStream', streamId: this.id, status: RstStatus.Cancel }).catch(() => undefined);
    this.session.forget(this);
    cb(err);
  }

  /** @internal the peer's DATA; false when the reader is not keeping up. */
  deliver(data: Buffer, fin: boolean): boolean {
    const more = data.length ? this.push(data) : true;
    if (fin) this.remoteFinished();
    return more;
  }

  /** @internal */
  remoteFinished(): void {
    if (this.remoteDone) return;
    this.remoteDone = true;
    this.push(null);
    this.session.maybeForget(this);
  }

  /** @internal both sides sent FIN */
  get done(): boolean {
    return this.localDone && this.remoteDone;
  }
}

export interface SpdySessionOptions {
  /** Called for each stream the peer opens, after it has been accepted with SYN_REPLY. */
  onStream(stream: SpdyStream): void;
  /** Called once when the session ended (transport closed, GOAWAY honoured, or protocol error). */
  onClose?(err?: Error): void;
}

/**
 * The server end of a SPDY/3.1 session over any byte Duplex (an upgraded socket, or a WebSocket
 * tunnel's stream). Peers open streams (odd ids); each is answered with an empty SYN_REPLY before
 * anything else is sent on it, as spdystream expects. PINGs from the peer are echoed. GOAWAY from
 * the peer stops new streams and closes the transport once the open ones are done.
 *
 * Flow control: like spdystream (the library kubectl and the kubelet use), no WINDOW_UPDATE
 * accounting: back-pressure comes from the transport (writes wait for 'drain', and the transport
 * is paused while a stream's reader lags behind).
 */
export class SpdySession {
  private readonly encoder = new FrameEncoder();
  private readonly decoder = new FrameDecoder();
  private readonly streams = new Map<number, SpdyStream>();
  /** Streams whose reader lags behind: the transport stays paused while any is. */
  private readonly full = new Set<SpdyStream>();
  private lastPeerStream = 0;
  private goingAway = false;
  private closed = false;
  private closing?: Promise<void>;
  private inbound: Promise<void> = Promise.resolve();
  private outbound: Promise<void> = Promise.resolve();

  constructor(private readonly transport: Duplex, private readonly options: SpdySessionOptions) {
    transport.on('data', (chunk: Buffer) => {
      for (const raw of this.decoder.push(chunk)) this.inbound = this.inbound.then(() => this.receive(raw));
      this.inbound = this.inbound.catch((err: unknown) => this.fail(err));
    });
    transport.on('error', (err) => this.shutdown(err));
    transport.on('close', () => this.shutdown());
    transport.on('end', () => this.shutdown());
  }

  /** Queues a frame; resolves once the transport took it (waiting for 'drain' when it is full). */
  send(frame: Frame): Promise<void> {
    const p = this.outbound.then(async () => {
      if (this.closed) throw new Error('SPDY session is closed');
      const bytes = await this.encoder.encode(frame);
      if (!this.transport.write(bytes)) {
        await new Promise<void>((resolve) => {
          const done = () => { this.transport.off('drain', done).off('close', done); resolve(); };
          this.transport.on('drain', done).on('close', done);
        });
      }
    });
    this.outbound = p.catch(() => undefined);
    return p;
  }

  /** Sends GOAWAY and closes the transport once everything queued is written. */
  close(status: number = GoAwayStatus.Ok, err?: Error): Promise<void> {
    this.goingAway = true;
    this.closing ??= this.closed ? Promise.resolve() : this.send({ type: 'goAway', lastGoodStreamId: this.lastPeerStream, status })
      .catch(() => undefined)
      .then(() => this.shutdown(err));
    return this.closing;
  }

  /** @internal a stream's reader wants more: read on once no stream is over its buffer limit. */
  resumeReading(stream: SpdyStream): void {
    this.full.delete(stream);
    if (this.full.size === 0 && this.transport.isPaused()) this.transport.resume();
  }

  /** @internal */
  maybeForget(stream: SpdyStream): void {
    if (stream.done) this.forget(stream);
  }

  /** @internal */
  forget(stream: SpdyStream): void {
    this.streams.delete(stream.id);
    this.resumeReading(stream);
    if (this.goingAway && this.streams.size === 0 && !this.closed) void this.close();
  }

  private async receive(raw: Buffer): Promise<void> {
    if (this.closed) return;
    let frame: Frame | undefined;
    try {
      frame = await this.decoder.decode(raw);
    } catch (err) {
      if (err instanceof SpdyProtocolError && err.streamId) {
        await this.send({ type: 'rstStream', streamId: err.streamId, status: RstStatus.ProtocolError });
        return;
      }
      throw err;
    }
    if (!frame) return;
    switch (frame.type) {
      case 'synStream': return this.accept(frame);
      case 'data': {
        const s = this.streams.get(frame.streamId);
        if (!s) return this.send({ type: 'rstStream', streamId: frame.streamId, status: RstStatus.InvalidStream });
        if (!s.deliver(frame.data, (frame.flags & FLAG_FIN) !== 0)) {
          this.full.add(s);
          this.transport.pause();
        }
        return;
      }
      case 'headers':
        if (frame.flags & FLAG_FIN) this.streams.get(frame.streamId)?.remoteFinished();
        return;
      case 'rstStream': {
        const s = this.streams.get(frame.streamId);
        if (!s) return;
        s.reset = true;
        s.destroy();
        return;
      }
      case 'ping':
        // Our own pings would be even; we send none, so every ping is the peer's and is echoed.
        if (frame.id % 2 === 1) await this.send(frame);
        return;
      case 'goAway':
        this.goingAway = true;
        if (this.streams.size === 0) await this.close();
        return;
      case 'synReply': // we open no streams
      case 'settings':
      case 'windowUpdate':
        return;
    }
  }

  private async accept(frame: Extract<Frame, { type: 'synStream' }>): Promise<void> {
    const id = frame.streamId;
    if (id % 2 === 0 || id <= this.lastPeerStream) return this.send({ type: 'rstStream', streamId: id, status: RstStatus.ProtocolError });
    this.lastPeerStream = id;
    if (this.goingAway) return this.send({ type: 'rstStream', streamId: id, status: RstStatus.RefusedStream });
    const stream = new SpdyStream(this, id, frame.headers);
    stream.on('error', () => undefined); // a reset or a failed write ends the stream; its user sees 'close'
    this.streams.set(id, stream);
    await this.send({ type: 'synReply', streamId: id, flags: 0, headers: {} });
    if (frame.flags & FLAG_FIN) stream.remoteFinished();
    if (frame.flags & FLAG_UNIDIRECTIONAL) stream.end();
    this.options.onStream(stream);
  }

  private fail(err: unknown): void {
    void this.close(GoAwayStatus.ProtocolError, err instanceof Error ? err : new Error(String(err)));
  }

  private shutdown(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) s.destroy();
    this.streams.clear();
    this.encoder.close();
    this.decoder.close();
    if (!this.transport.destroyed && !this.transport.writableEnded) this.transport.end();
    this.options.onClose?.(err);
  }
}
