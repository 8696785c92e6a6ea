import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import { RuntimeError } from '@peapod/runtime';

/**
 * A client for the CRI streaming server a runtime hands out from Exec/Attach (the kubelet's
 * `remotecommand` server vendored in containerd): a WebSocket with the `v4.channel.k8s.io`
 * subprotocol, each binary message prefixed by its channel (0 stdin, 1 stdout, 2 stderr,
 * 3 error/status as JSON, 4 terminal resize as JSON). v4 has no way to half-close stdin: ending
 * stdin is only delivered when the session closes. A minimal RFC 6455 client (no extensions),
 * since the workspace's `ws` is not a dependency of this package.
 */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;
const PROTOCOL = 'v4.channel.k8s.io';
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface ChannelConnection {
  send(channel: number, data: Buffer): void;
  /** Channel messages as they arrive; `closed` once the server closed the connection. */
  onMessage(listener: (channel: number, data: Buffer) => void): void;
  readonly closed: Promise<void>;
  close(): void;
}

export function connectChannels(url: string, timeoutMs = 10_000): Promise<ChannelConnection> {
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Protocol': PROTOCOL, Origin: 'http://127.0.0.1' },
      timeout: timeoutMs,
    });
    req.once('timeout', () => req.destroy(new Error(`streaming server ${url} did not answer in ${timeoutMs} ms`)));
    req.once('error', (err) => reject(new RuntimeError('Unavailable', `streaming server: ${err.message}`, undefined, { cause: err })));
    req.once('response', (res) => reject(new RuntimeError('Internal', `streaming server refused the WebSocket upgrade: HTTP ${res.statusCode}`)));
    req.once('upgrade', (res, socket: Socket, head: Buffer) => {
      const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
      if (res.headers['sec-websocket-accept'] !== accept) {
        socket.destroy();
        return reject(new RuntimeError('Internal', 'streaming server answered a bad WebSocket handshake'));
      }
      resolve(channelConnection(socket, head));
    });
    req.end();
  });
}

function channelConnection(socket: Socket, head: Buffer): ChannelConnection {
  const listeners: ((channel: number, data: Buffer) => void)[] = [];
  let buf = head;
  let message: Buffer[] = [];
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const frame = (opcode: number, payload: Buffer) => {
    const mask = randomBytes(4);
    const len = payload.length;
    const ext = len < 126 ? 0 : len < 65_536 ? 2 : 8;
    const header = Buffer.alloc(2 + ext);
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | (ext === 0 ? len : ext === 2 ? 126 : 127);
    if (ext === 2) header.writeUInt16BE(len, 2);
    else if (ext === 8) header.writeBigUInt64BE(BigInt(len), 2);
    const masked = Buffer.from(payload);
    for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i % 4];
    if (!socket.destroyed) socket.write(Buffer.concat([header, mask, masked]));
  };
  const parse = () => {
    for (;;) {
      if (buf.length < 2) return;
      const fin = (buf[0] & 0x80) !== 0;
      const opcode = buf[0] & 0x0f;
      let len = buf[1] & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        offset = 10;
      }
      if (buf.length < offset + len) return;
      const payload = buf.subarray(offset, offset + len);
      buf = buf.subarray(offset + len);
      if (opcode === 0x8) {
        frame(0x8, Buffer.alloc(0));
        socket.end();
        return;
      }
      if (opcode === 0x9) frame(0xa, payload);
      if (opcode > 0x2) continue;
      message.push(payload);
      if (!fin) continue;
      const data = Buffer.concat(message);
      message = [];
      if (data.length > 0) for (const l of listeners) l(data[0], data.subarray(1));
    }
  };
  socket.on('data', (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    parse();
  });
  socket.on('error', () => socket.destroy());
  setImmediate(parse);
  return {
    send: (channel, data) => frame(0x2, Buffer.concat([Buffer.from([channel]), data])),
    onMessage: (l) => void listeners.push(l),
    closed,
    close: () => {
      if (socket.destroyed) return;
      frame(0x8, Buffer.alloc(0));
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    },
  };
}

/** The exit code a v4 status message on the error channel carries (0 for Success). */
export function exitCodeOf(status: string): number {
  try {
    const s = JSON.parse(status) as { status?: string; details?: { causes?: { reason?: string; message?: string }[] } };
    if (s.status === 'Success') return 0;
    const code = s.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
    return code !== undefined ? Number(code) : -1;
  } catch {
    return -1;
  }
}

/** Output streams of a session: stdout, and stderr unless a terminal merges them. */
export function sessionStreams(conn: ChannelConnection, tty: boolean): { stdout: PassThrough; stderr?: PassThrough; status: Promise<string | undefined> } {
  const stdout = new PassThrough();
  const stderr = tty ? undefined : new PassThrough();
  let status: string | undefined;
  conn.onMessage((channel, data) => {
    if (channel === CHANNEL.stdout) stdout.write(data);
    else if (channel === CHANNEL.stderr) stderr?.write(data);
    else if (channel === CHANNEL.error) status = (status ?? '') + data.toString('utf8');
  });
  const done = conn.closed.then(() => {
    stdout.end();
    stderr?.end();
    return status;
  });
  return { stdout, ...(stderr ? { stderr } : {}), status: done };
}
