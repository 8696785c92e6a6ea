import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestServer, type TestServer } from './testing/harness.js';

/** exec/attach over WebSocket with the channel protocol, against the fake node streamer. */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  await t.call('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sh' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] } } });
  await t.call('PATCH', '/api/v1/namespaces/default/pods/sh/status', { contentType: 'application/merge-patch+json', body: { status: { phase: 'Running' } } });
});
afterAll(async () => { await t?.close(); });

interface Session { ws: WebSocket; frames: Buffer[]; closed: Promise<number>; opened: Promise<void> }
function open(query: string, protocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'], token = t.server.adminToken): Session {
  const ws = new WebSocket(`${t.server.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/sh/exec?${query}`, protocols, { ca: t.server.caCert, headers: { authorization: `Bearer ${token}` } });
  const frames: Buffer[] = [];
  ws.on('message', (d: Buffer) => frames.push(Buffer.from(d)));
  return {
    ws, frames,
    closed: new Promise((r) => ws.on('close', (code) => r(code))),
    opened: new Promise((resolve, reject) => { ws.on('open', () => resolve()); ws.on('error', reject); }),
  };
}
const channel = (frames: Buffer[], n: number) => Buffer.concat(frames.filter((f) => f[0] === n).map((f) => f.subarray(1))).toString();

describe('exec over WebSocket', () => {
  it('v5: stdin is half-closed with [255, 0]; stdout and the final Status come back on their channels', async () => {
    const s = open('command=cat&stdin=true&stdout=true&stderr=true&container=c');
    await s.opened;
    expect(s.ws.protocol).toBe('v5.channel.k8s.io');
    s.ws.send(Buffer.from([0, ...Buffer.from('hello ')]));
    s.ws.send(Buffer.from([0, ...Buffer.from('world')]));
    s.ws.send(Buffer.from([255, 0]));
    expect(await s.closed).toBe(1000);
    expect(channel(s.frames, 1)).toBe('hello world');
    expect(JSON.parse(channel(s.frames, 3))).toMatchObject({ status: 'Success' });
  });

  it('v4: a non-zero exit code is reported as NonZeroExitCode with the code as a cause', async () => {
    const s = open('command=exit&command=7&stdout=true', ['v4.channel.k8s.io']);
    await s.opened;
    await s.closed;
    expect(JSON.parse(channel(s.frames, 3))).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '7' }] } });
  });

  it('refuses unknown protocols, unauthenticated clients and completed pods before upgrading', async () => {
    await expect(open('command=echo&stdout=true', ['channel.k8s.io']).opened).rejects.toThrow(/400/);
    await expect(open('command=echo&stdout=true', undefined, 'bad').opened).rejects.toThrow(/401/);
    await t.call('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'done' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] } } });
    await t.call('PATCH', '/api/v1/namespaces/default/pods/done/status', { contentType: 'application/merge-patch+json', body: { status: { phase: 'Succeeded' } } });
    const ws = new WebSocket(`${t.server.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/done/exec?command=echo&stdout=true`, ['v5.channel.k8s.io'], { ca: t.server.caCert, headers: { authorization: `Bearer ${t.server.adminToken}` } });
    await expect(new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); })).rejects.toThrow(/400/);
  });
});
