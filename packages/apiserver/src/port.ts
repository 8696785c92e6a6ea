import { badRequest, forbidden, toStatusError } from '@peapod/api-types';
import { PortBatcher, type MessagePortLike, type PortCall, type PortCancel, type PortReply } from '@peapod/client';
import { watchEventJson, writtenJson, type WatchEvent } from '@peapod/store';
import type { UserInfo } from './auth.js';
import type { ApiCore } from './core.js';
import { parseRequestInfo } from './request-info.js';

/**
 * Serves `@peapod/client`'s `PortClient` on the other end of `port` (a worker thread's kubelets):
 * each call goes through `core.serve`, so authorization is the one every transport gets, under the
 * identity the call names, which must be one of `users` (what the host granted to this port; any
 * other name is refused with 403, whatever the thread on the other side claims). Bodies arrive as
 * JSON text (a fresh object per request, as the in-process transport's copy); objects and watch
 * events the store just wrote are answered with the text it stored, so this thread does not
 * serialise them again. A cancel or the port closing ends the call's work, server-side watches
 * included.
 */
export function servePort(core: Pick<ApiCore, 'serve'>, port: MessagePortLike, users: ReadonlyMap<string, UserInfo>): void {
  const out = new PortBatcher<PortReply>(port);
  const open = new Map<number, AbortController>();

  const serve = async (call: PortCall, abort: AbortController | undefined): Promise<void> => {
    const { id } = call;
    const user = users.get(call.user);
    if (!user) throw forbidden({}, `user "${call.user}" is not served on this port`);
    const query = new URLSearchParams(call.query);
    if (call.kind === 'watch') query.set('watch', 'true');
    const res = await core.serve({
      method: call.method,
      path: call.path,
      query,
      info: parseRequestInfo(call.method, call.path, query),
      body: call.body === undefined ? undefined : JSON.parse(call.body),
      contentType: call.contentType,
      user,
      userAgent: 'peapod-port',
      signal: abort?.signal,
    });
    const expected = call.kind === 'request' ? 'object' : call.kind;
    if (res.type !== expected) throw badKind(call);
    if (res.type === 'object') {
      out.send({ t: 'object', id, status: res.status, body: writtenJson(res.body) ?? JSON.stringify(res.body) });
      return;
    }
    const signal = abort!.signal;
    const source: AsyncIterable<unknown> = res.type === 'watch' ? res.events : res.chunks;
    const iterator = source[Symbol.asyncIterator]();
    const stop = () => void iterator.return?.();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done || signal.aborted) break;
        out.send(res.type === 'watch'
          ? { t: 'event', id, json: watchEventJson(next.value as WatchEvent<unknown>) }
          : { t: 'chunk', id, data: next.value as Uint8Array });
      }
    } finally {
      signal.removeEventListener('abort', stop);
    }
    if (!signal.aborted) out.send({ t: 'end', id });
  };

  port.on('message', (batch) => {
    for (const msg of batch as (PortCall | PortCancel)[]) {
      if (msg.t === 'cancel') {
        open.get(msg.id)?.abort();
        open.delete(msg.id);
        continue;
      }
      // A signal costs a few microseconds of this thread, so requests the caller cannot abort go without one.
      const abort = msg.kind !== 'request' || msg.abortable ? new AbortController() : undefined;
      if (abort) open.set(msg.id, abort);
      serve(msg, abort).catch((err) => {
        if (!abort?.signal.aborted) out.send({ t: 'error', id: msg.id, status: toStatusError(err).status });
      }).finally(() => abort && open.delete(msg.id));
    }
  });
  port.on('close', () => {
    for (const abort of open.values()) abort.abort();
    open.clear();
  });
}

const badKind = (call: PortCall) => badRequest(call.kind === 'request' ? `${call.path} streams; use watch() or stream()` : `${call.path} is not a ${call.kind}`);
