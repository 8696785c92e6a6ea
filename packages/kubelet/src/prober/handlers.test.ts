import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { RealClock } from '@peapod/core';
import { FakeRuntime } from '@peapod/runtime/testing';
import { DefaultHandlerRunner } from './handlers.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

const runner = () => new DefaultHandlerRunner(new FakeRuntime(), new RealClock());
const target = { containerId: 'none', podIP: '127.0.0.1' };

async function httpServer(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

describe('probe handlers', () => {
  it('httpGet succeeds on 2xx/3xx, fails otherwise, sends headers and resolves named ports', async () => {
    const seen: string[] = [];
    const port = await httpServer((req, res) => {
      seen.push(`${req.url} ${req.headers['x-probe']} ${req.headers['user-agent']}`);
      res.statusCode = req.url === '/healthz' ? 200 : req.url === '/moved' ? 302 : 500;
      res.end();
    });
    const r = runner();
    expect(await r.run({ httpGet: { path: '/healthz', port, httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } }, target, 1000)).toMatchObject({ ok: true });
    expect(await r.run({ httpGet: { path: '/moved', port: 'web' } }, { ...target, ports: [{ name: 'web', containerPort: port }] }, 1000)).toMatchObject({ ok: true });
    expect(await r.run({ httpGet: { path: '/broken', port } }, target, 1000)).toEqual({ ok: false, output: 'HTTP probe failed with statuscode: 500' });
    expect(seen[0]).toBe('/healthz yes kube-probe/1.33');
  });

  it('httpGet fails on timeout', async () => {
    const port = await httpServer(() => undefined);
    const out = await runner().run({ httpGet: { path: '/', port } }, target, 100);
    expect(out.ok).toBe(false);
    expect(out.output).toMatch(/timeout/);
  });

  it('tcpSocket succeeds when something listens and fails when nothing does', async () => {
    const server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    expect(await runner().run({ tcpSocket: { port } }, target, 1000)).toMatchObject({ ok: true });
    server.close();
    await new Promise((r) => setTimeout(r, 10));
    expect(await runner().run({ tcpSocket: { port } }, target, 1000)).toMatchObject({ ok: false });
  });

  it('grpc calls grpc.health.v1.Health/Check and succeeds only when SERVING', async () => {
    const server = new grpc.Server();
    const serialize = (v: number) => Buffer.from([0x08, v]);
    // The request decoded to an object: grpc-js treats a falsy request as a missing one.
    const deserialize = (b: Buffer) => ({ service: b.subarray(2).toString() });
    server.addService({
      Check: { path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false, requestSerialize: () => Buffer.alloc(0), requestDeserialize: deserialize, responseSerialize: serialize, responseDeserialize: () => 0 },
    }, { Check: (call: grpc.ServerUnaryCall<{ service: string }, number>, cb: grpc.sendUnaryData<number>) => cb(null, call.request.service === 'db' ? 2 : 1) });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    closers.push(() => new Promise<void>((r) => server.tryShutdown(() => r())));
    expect(await runner().run({ grpc: { port } }, target, 2000)).toEqual({ ok: true, output: '' });
    expect(await runner().run({ grpc: { port, service: 'db' } }, target, 2000)).toEqual({ ok: false, output: 'service unhealthy (responded with "NOT_SERVING")' });
  });

  it('exec fails with the command output on a non-zero exit', async () => {
    const rt = new FakeRuntime();
    const sb = await rt.runPodSandbox({ metadata: { name: 'p', namespace: 'd', uid: 'u', attempt: 0 }, logDirectory: '/tmp', labels: {}, annotations: {} });
    const cfg = { metadata: { name: 'c', attempt: 0 }, image: { image: 'i' }, command: [], args: [], envs: [], mounts: [], labels: {}, annotations: {}, logPath: 'c/0.log' };
    const id = await new FakeRuntime({ host: rt.host, script: () => ({ exec: { 'check': { exitCode: 1, stdout: 'not ready' } } }) }).createContainer(sb, cfg, { metadata: { name: 'p', namespace: 'd', uid: 'u', attempt: 0 }, logDirectory: '/tmp', labels: {}, annotations: {} });
    await rt.startContainer(id);
    expect(await new DefaultHandlerRunner(rt, new RealClock()).run({ exec: { command: ['check'] } }, { containerId: id }, 1000)).toEqual({ ok: false, output: 'not ready' });
  });
});
