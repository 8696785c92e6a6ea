import { Duplex, PassThrough } from 'node:stream';
import { FakeClock } from '@peapod/core';
import { RuntimeError, type Streaming } from '@peapod/runtime';
import { describe, expect, it } from 'vitest';
import { KubeletStreamingServer } from './streaming.js';

describe('KubeletStreamingServer.portForward', () => {
  const pod = { namespace: 'default', pod: 'p', uid: 'u' };
  const serverWith = (connect: () => Promise<NodeJS.ReadWriteStream>) => new KubeletStreamingServer(
    { attempts: () => [], sandbox: (uid) => (uid === 'u' ? 'sb-1' : undefined) },
    { portForward: connect } as unknown as Streaming,
    new FakeClock(),
  );
  const client = () => Duplex.from({ readable: new PassThrough(), writable: new PassThrough() });

  it('reports a connection the runtime fails before any byte (CRI streaming finds the port closed late) with the runtime\'s message', async () => {
    const s = serverWith(async () => {
      const conn = new PassThrough();
      setImmediate(() => conn.destroy(new RuntimeError('Unavailable', 'failed to connect to localhost:81 inside namespace')));
      return conn;
    });
    await expect(s.portForward(pod, 81, client(), new AbortController().signal)).rejects.toMatchObject({ status: { code: 503, message: 'failed to connect to localhost:81 inside namespace' } });
  });

  it('ends quietly when a connection that already answered breaks', async () => {
    const s = serverWith(async () => {
      const conn = new PassThrough();
      conn.write('hello');
      setTimeout(() => conn.destroy(new RuntimeError('Unavailable', 'reset')), 20);
      return conn;
    });
    await expect(s.portForward(pod, 80, client(), new AbortController().signal)).resolves.toBeUndefined();
  });

  it('refuses pods without a ready sandbox on this node', async () => {
    const s = serverWith(async () => new PassThrough());
    await expect(s.portForward({ ...pod, uid: 'other' }, 80, client(), new AbortController().signal)).rejects.toMatchObject({ status: { code: 400 } });
  });
});
