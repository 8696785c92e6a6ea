import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { RESOURCES, isConflict, isStatusError } from '@peapod/api-types';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../client.js';
import type { KubeObject } from '../types.js';
import { PortClient, type PortCall, type PortCancel, type PortReply } from './transport.js';

/** A reply before the server numbers it. */
type Unnumbered = PortReply extends infer R ? (R extends PortReply ? Omit<R, 'id'> : never) : never;

/**
 * A scripted serving side on a real MessageChannel: answers each call with `answer`, records the
 * calls and cancels it received.
 */
function fakeServer(answer: (call: PortCall, reply: (r: Unnumbered) => void) => void) {
  const { port1, port2 } = new MessageChannel();
  const calls: PortCall[] = [];
  const cancels: number[] = [];
  port1.on('message', (batch: (PortCall | PortCancel)[]) => {
    for (const m of batch) {
      if (m.t === 'cancel') cancels.push(m.id);
      else {
        calls.push(m);
        answer(m, (r) => port1.postMessage([{ ...r, id: m.id }]));
      }
    }
  });
  ports.push(port1, port2);
  return { client: new PortClient(port2), calls, cancels, serverPort: port1 };
}
const ports: MessagePort[] = [];
afterEach(() => { for (const p of ports.splice(0)) p.close(); });

const unavailable = (e: unknown) => isStatusError(e) && e.code === 503;
const cm = (name: string, rv = '1') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', resourceVersion: rv } });

describe('PortClient', () => {
  it('sends JSON bodies under the transport\'s identity and decodes answers; Status answers throw StatusErrors', async () => {
    const s = fakeServer((call, reply) => {
      if (call.method === 'POST') reply({ t: 'object', status: 201, body: call.body! });
      else reply({ t: 'error', status: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 409, reason: 'Conflict', message: 'the object has been modified' } });
    });
    const client = createClient(s.client.transport('system:node:n1'));
    const created = await client.resource(RESOURCES.configmaps).create(cm('a') as never, { namespace: 'default', fieldManager: 'm' });
    expect(created.metadata.name).toBe('a');
    expect(s.calls[0]).toMatchObject({ user: 'system:node:n1', kind: 'request', method: 'POST', path: '/api/v1/namespaces/default/configmaps', query: { fieldManager: 'm' } });
    expect(JSON.parse(s.calls[0]!.body!)).toEqual(cm('a'));
    const err = await client.resource(RESOURCES.configmaps).update(cm('a') as never).catch((e: unknown) => e);
    expect(isConflict(err) && isStatusError(err) && err.message).toBe('the object has been modified');
  });

  it('multiplexes many calls in flight and matches each answer to its call, in any order', async () => {
    const pending: (() => void)[] = [];
    const s = fakeServer((call, reply) => pending.push(() => reply({ t: 'object', status: 200, body: JSON.stringify({ path: call.path, user: call.user }) })));
    const transports = ['a', 'b'].map((u) => s.client.transport(u));
    const answers = Promise.all(Array.from({ length: 200 }, (_, i) => transports[i % 2]!.request({ method: 'GET', path: `/p/${i}` })));
    await vi.waitFor(() => expect(pending).toHaveLength(200));
    for (const p of pending.reverse()) p();
    expect((await answers).map((a) => a.body)).toEqual(Array.from({ length: 200 }, (_, i) => ({ path: `/p/${i}`, user: i % 2 ? 'b' : 'a' })));
  });

  it('streams watch events until the server ends the watch, and a server failure mid-watch throws its StatusError', async () => {
    const s = fakeServer((call, reply) => {
      reply({ t: 'event', json: JSON.stringify({ type: 'ADDED', object: cm('x') }) });
      if (call.path.endsWith('ok')) reply({ t: 'end' });
      else reply({ t: 'error', status: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 503, reason: 'ServiceUnavailable', message: 'going away' } });
    });
    const t = s.client.transport('u');
    const seen: string[] = [];
    for await (const ev of t.watch({ method: 'GET', path: '/ok' })) seen.push(`${ev.type} ${(ev.object as KubeObject).metadata.name}`);
    expect(seen).toEqual(['ADDED x']);
    const failed = (async () => { for await (const _ of t.watch({ method: 'GET', path: '/bad' })) { /* drain */ } })();
    await expect(failed).rejects.toSatisfy(unavailable);
    expect(s.cancels).toEqual([]);
  });

  it('tells the server when the caller abandons a watch (abort or break) or aborts a request, which rejects with the signal\'s reason', async () => {
    const s = fakeServer((call, reply) => {
      if (call.kind === 'watch') reply({ t: 'event', json: JSON.stringify({ type: 'ADDED', object: cm('x') }) });
      // requests are never answered
    });
    const t = s.client.transport('u');
    for await (const _ of t.watch({ method: 'GET', path: '/w1' })) break;
    const abort = new AbortController();
    const seen: string[] = [];
    for await (const ev of t.watch({ method: 'GET', path: '/w2', signal: abort.signal })) {
      seen.push(ev.type);
      abort.abort();
    }
    expect(seen).toEqual(['ADDED']);
    const req = new AbortController();
    const pending = t.request({ method: 'GET', path: '/slow', signal: req.signal });
    req.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
    await vi.waitFor(() => expect(s.cancels).toEqual([1, 2, 3]));
  });

  it('passes stream chunks through as bytes', async () => {
    const s = fakeServer((_call, reply) => {
      reply({ t: 'chunk', data: new TextEncoder().encode('line 1\n') });
      reply({ t: 'chunk', data: new TextEncoder().encode('line 2\n') });
      reply({ t: 'end' });
    });
    let text = '';
    for await (const chunk of s.client.transport('u').stream({ method: 'GET', path: '/log' })) text += new TextDecoder().decode(chunk);
    expect(text).toBe('line 1\nline 2\n');
  });

  it('fails open and later calls with 503 ServiceUnavailable once the port closes', async () => {
    const s = fakeServer(() => undefined);
    const t = s.client.transport('u');
    const pending = t.request({ method: 'GET', path: '/x' });
    const watching = (async () => { for await (const _ of t.watch({ method: 'GET', path: '/w' })) { /* none */ } })();
    await vi.waitFor(() => expect(s.calls).toHaveLength(2));
    s.serverPort.close();
    await expect(pending).rejects.toSatisfy(unavailable);
    await expect(watching).rejects.toSatisfy(unavailable);
    await expect(t.request({ method: 'GET', path: '/y' })).rejects.toSatisfy(unavailable);
  });
});
