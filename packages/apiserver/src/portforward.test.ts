import type { Duplex } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { RstStatus } from './spdy-frames.js';
import type { PortForwardTarget } from './node-streamer.js';
import { servePortForward } from './portforward.js';
import { socketPair, TestClient } from './testing/spdy-client.js';

const target: PortForwardTarget = { node: 'n1', namespace: 'default', pod: 'web', uid: 'u-1' };

/** Echoes on port 80 (upper-cased, so an echo is told apart from a loop), refuses every other port. */
async function forward(_t: PortForwardTarget, port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
  if (port !== 80) throw new Error(`dial tcp 127.0.0.9:${port}: connect: connection refused`);
  signal.addEventListener('abort', () => stream.destroy(), { once: true });
  stream.on('data', (c: Buffer) => stream.write(c.toString().toUpperCase()));
  stream.on('end', () => stream.end());
  await finished(stream).catch(() => undefined);
}

describe('port-forward protocol (portforward.k8s.io)', () => {
  let client: TestClient;
  let served: Promise<void>;
  const start = (pairTimeoutMs?: number) => {
    const [server, c] = socketPair();
    served = servePortForward(server, target, forward, undefined, pairTimeoutMs);
    client = new TestClient(c);
  };
  afterEach(async () => {
    client.transport.destroy();
    await served;
  });

  it('forwards a data stream once its error stream with the same requestID is there, and closes both after', async () => {
    start();
    await client.open(1, { streamtype: 'error', port: '80', requestid: '0' });
    await client.open(3, { streamtype: 'data', port: '80', requestid: '0' });
    await client.data(3, 'get /', true);
    expect((await client.waitForData(3, (r) => r.fin)).text).toBe('GET /');
    expect(await client.waitForData(1, (r) => r.fin)).toEqual({ text: '', fin: true });
  });

  it('serves several connections on one session, in any order of arrival', async () => {
    start();
    await client.open(1, { streamtype: 'data', port: '80', requestid: '7' });
    await client.open(3, { streamtype: 'error', port: '80', requestid: '8' });
    await client.open(5, { streamtype: 'error', port: '80', requestid: '7' });
    await client.open(7, { streamtype: 'data', port: '80', requestid: '8' });
    await client.data(1, 'one', true);
    await client.data(7, 'two', true);
    expect((await client.waitForData(1, (r) => r.fin)).text).toBe('ONE');
    expect((await client.waitForData(7, (r) => r.fin)).text).toBe('TWO');
  });

  it('pairs streams of clients that send no requestID by stream id (error first, data next)', async () => {
    start();
    await client.open(1, { streamtype: 'error', port: '80' });
    await client.open(3, { streamtype: 'data', port: '80' });
    await client.data(3, 'old', true);
    expect((await client.waitForData(3, (r) => r.fin)).text).toBe('OLD');
  });

  it('writes the node\'s failure on the error stream in the kubelet\'s words, then closes the pair', async () => {
    start();
    await client.open(1, { streamtype: 'error', port: '5432', requestid: '0' });
    await client.open(3, { streamtype: 'data', port: '5432', requestid: '0' });
    const err = await client.waitForData(1, (r) => r.fin);
    expect(err.text).toBe('error forwarding port 5432 to pod default/web, uid u-1: dial tcp 127.0.0.9:5432: connect: connection refused');
    await client.waitForData(3, (r) => r.fin);
  });

  it('refuses a port that is not a number in range', async () => {
    start();
    await client.open(1, { streamtype: 'error', port: '70000', requestid: '0' });
    await client.open(3, { streamtype: 'data', port: '70000', requestid: '0' });
    expect((await client.waitForData(1, (r) => r.fin)).text).toMatch(/invalid port "70000"/);
  });

  it('resets streams of unknown type and a second stream of one kind for a request', async () => {
    start();
    await client.open(1, { streamtype: 'stdin', port: '80', requestid: '0' });
    await client.waitFor((f) => f.type === 'rstStream' && f.streamId === 1 && f.status === RstStatus.Cancel);
    await client.open(3, { streamtype: 'error', port: '80', requestid: '1' });
    await client.open(5, { streamtype: 'error', port: '80', requestid: '1' });
    await client.waitFor((f) => f.type === 'rstStream' && f.streamId === 5);
  });

  it('gives up on a pair whose second stream never comes', async () => {
    start(100);
    await client.open(1, { streamtype: 'error', port: '80', requestid: '0' });
    expect((await client.waitForData(1, (r) => r.fin)).text).toBe('timed out waiting for the data stream of request 0');
  });

  it('aborts forwarded connections when the session ends', async () => {
    start();
    await client.open(1, { streamtype: 'error', port: '80', requestid: '0' });
    await client.open(3, { streamtype: 'data', port: '80', requestid: '0' });
    await client.data(3, 'x');
    await client.waitForData(3, (r) => r.text === 'X');
    client.transport.destroy();
    await served;
  });
});
