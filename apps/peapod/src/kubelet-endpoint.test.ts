import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { badRequest, notFound } from '@peapod/api-types';
import { KUBELET_CLIENT_USER, RemoteNodeStreamer, ensurePki, joinCluster, startApiServer, type NodeCredentials, type ServerPki, type StreamIO } from '@peapod/apiserver';
import { AsyncQueue } from '@peapod/client';
import { RealClock } from '@peapod/core';
import { startKubeletServer, type NodeStreaming, type RunningKubeletServer } from '@peapod/kubelet';
import { createMemoryStore } from '@peapod/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A node's streaming side: logs `line N`, exec `echo`/`cat`/`exit N`/`fail`, port-forward echoes on any port but 1. */
const fakeNode: NodeStreaming = {
  async *logs(t, o) {
    if (t.container !== 'main') throw badRequest(`container ${t.container} is not valid for pod ${t.pod}`);
    const n = o.tailLines ?? 3;
    for (let i = 1; i <= n; i++) yield Buffer.from(`${t.uid} line ${i}${o.follow ? ' (follow)' : ''}\n`);
  },
  async exec(t, command, io) {
    if (command[0] === 'fail') throw notFound({ kind: 'pods', name: t.pod });
    if (command[0] === 'echo') {
      io.stdout?.(Buffer.from(`${command.slice(1).join(' ')}\n`));
      io.stderr?.(Buffer.from('to stderr\n'));
    }
    if (command[0] === 'cat' && io.stdin) for await (const chunk of io.stdin) io.stdout?.(chunk);
    return { exitCode: command[0] === 'exit' ? Number(command[1]) : 0 };
  },
  async attach(_t, io) {
    if (io.stdin) for await (const chunk of io.stdin) io.stdout?.(Buffer.from(chunk.toString().toUpperCase()));
    return { exitCode: 0 };
  },
  async portForward(_t, port, stream) {
    if (port === 1) throw badRequest('nothing listens on port 1');
    stream.pipe(stream);
    await finished(stream).catch(() => undefined);
  },
};

const text = async (chunks: AsyncIterable<Uint8Array>) => {
  let s = '';
  for await (const c of chunks) s += Buffer.from(c).toString();
  return s;
};

function io(opts: { stdin?: string[]; tty?: boolean } = {}): { io: StreamIO; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const stdin = opts.stdin && new AsyncQueue<Uint8Array>();
  for (const s of opts.stdin ?? []) stdin!.push(Buffer.from(s));
  stdin?.end();
  const resize = new AsyncQueue<{ width: number; height: number }>();
  resize.end();
  return {
    io: { stdin, stdout: (c) => { out += Buffer.from(c).toString(); }, stderr: (c) => { err += Buffer.from(c).toString(); }, resize, tty: !!opts.tty, signal: new AbortController().signal },
    out: () => out,
    err: () => err,
  };
}

describe('the kubelet HTTPS endpoint and the API server\'s remote streamer', () => {
  let dir: string;
  let pki: ServerPki;
  let node: NodeCredentials;
  let kubelet: RunningKubeletServer;
  let remote: RemoteNodeStreamer;
  const target = { node: 'node-a', namespace: 'default', pod: 'web', uid: 'uid-1', container: 'main' };
  const nodeObject = () => ({ metadata: { name: 'node-a' }, status: { addresses: [{ type: 'Hostname', address: 'node-a' }, { type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } });

  /** GET on the kubelet with the given client certificate (or none). */
  const get = (path: string, cert?: { cert: string; key: string }) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: kubelet.port, path, ca: pki.caCert, ...cert, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peapod-kubelet-endpoint-'));
    const store = createMemoryStore();
    const api = await startApiServer({ port: 0, pkiDir: join(dir, 'pki') }, { store, clock: new RealClock() });
    try {
      pki = await ensurePki(join(dir, 'pki'));
      node = await joinCluster(api.url, api.joinToken, 'node-a', ['127.0.0.1']);
    } finally {
      await api.close();
      await store.close();
    }
    kubelet = await startKubeletServer({ host: '127.0.0.1', port: 0, cert: node.servingCert, key: node.servingKey, ca: node.caCert, allowedUsers: [KUBELET_CLIENT_USER] }, () => fakeNode);
    remote = new RemoteNodeStreamer({ ca: pki.caCert, cert: pki.kubeletClientCert, key: pki.kubeletClientKey }, async () => nodeObject());
  });
  afterAll(async () => {
    remote?.close();
    await kubelet?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('admits only the API server\'s kubelet-client certificate: 401 without one, 403 for other users', async () => {
    const path = '/containerLogs/default/web/main?podUID=uid-1';
    const anonymous = await get(path);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized' });
    const asNode = await get(path, { cert: node.clientCert, key: node.clientKey });
    expect(asNode.status).toBe(403);
    expect(JSON.parse(asNode.body).message).toContain('User "system:node:node-a" cannot get path "/containerLogs/default/web/main"');
    expect(await get(path, { cert: pki.kubeletClientCert, key: pki.kubeletClientKey })).toEqual({ status: 200, body: 'uid-1 line 1\nuid-1 line 2\nuid-1 line 3\n' });
  });

  it('refuses paths that are not the kubelet API or whose segments are not names', async () => {
    const admin = { cert: pki.kubeletClientCert, key: pki.kubeletClientKey };
    for (const path of ['/containerLogs/default/..%2f..%2fetc/main?podUID=u', '/containerLogs/default/web/main', '/configz', '/containerLogs/default/web/a/b?podUID=u']) {
      expect((await get(path, admin)).status, path).toBe(404);
    }
  });

  it('streams logs with their options and passes the kubelet\'s refusals on as Status errors', async () => {
    const signal = new AbortController().signal;
    expect(await text(remote.logs(target, { follow: true, tailLines: 2, signal }))).toBe('uid-1 line 1 (follow)\nuid-1 line 2 (follow)\n');
    await expect(text(remote.logs({ ...target, container: 'nope' }, { signal }))).rejects.toMatchObject({ code: 400, message: 'container nope is not valid for pod web' });
  });

  it('runs exec and attach over the remote-command channels: stdout, stderr, stdin and the exit code', async () => {
    const echo = io();
    expect(await remote.exec(target, ['echo', 'hello', 'there'], echo.io)).toEqual({ exitCode: 0 });
    expect([echo.out(), echo.err()]).toEqual(['hello there\n', 'to stderr\n']);
    const cat = io({ stdin: ['one ', 'two\n'] });
    expect(await remote.exec(target, ['cat'], cat.io)).toEqual({ exitCode: 0 });
    expect(cat.out()).toBe('one two\n');
    expect(await remote.exec(target, ['exit', '7'], io().io)).toEqual({ exitCode: 7 });
    await expect(remote.exec(target, ['fail'], io().io)).rejects.toMatchObject({ code: 404, reason: 'NotFound' });
    const attach = io({ stdin: ['shout'] });
    expect(await remote.attach(target, attach.io)).toEqual({ exitCode: 0 });
    expect(attach.out()).toBe('SHOUT');
  });

  it('forwards a port both ways with half-close, and reports a port nothing listens on', async () => {
    const fromClient = new PassThrough();
    const toClient = new PassThrough();
    let echoed = '';
    toClient.on('data', (c: Buffer) => { echoed += c; });
    const done = remote.portForward(target, 8080, Duplex.from({ readable: fromClient, writable: toClient }), new AbortController().signal);
    fromClient.end('ping');
    await done;
    await finished(toClient);
    expect(echoed).toBe('ping');
    await expect(remote.portForward(target, 1, new PassThrough(), new AbortController().signal)).rejects.toMatchObject({ code: 400, message: 'nothing listens on port 1' });
  });

  it('verifies the kubelet\'s serving certificate against the cluster CA', async () => {
    const other = await ensurePki(join(dir, 'other-ca'));
    const impostor = new RemoteNodeStreamer({ ca: other.caCert, cert: pki.kubeletClientCert, key: pki.kubeletClientKey }, async () => nodeObject());
    try {
      await expect(impostor.exec(target, ['echo'], io().io)).rejects.toMatchObject({ code: 503 });
      await expect(text(impostor.logs(target, { signal: new AbortController().signal }))).rejects.toMatchObject({ code: 503, message: expect.stringContaining('the kubelet of node "node-a"') });
    } finally {
      impostor.close();
    }
  });
});
