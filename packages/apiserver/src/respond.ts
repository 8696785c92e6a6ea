import type { ServerResponse } from 'node:http';
import { toStatusError } from '@peapod/api-types';
import { watchEventJson, writtenJson, type WatchEvent } from '@peapod/store';
import type { HandlerResponse } from './handler.js';

const warningHeader = (w: string) => `299 - ${JSON.stringify(w)}`;

/**
 * How much of a watch or stream a response may hold unsent before the loop feeding it waits for
 * the socket to drain. Node reports back-pressure past 16 KB, which a watcher crosses with every
 * few pod events, and waiting for each drain on a busy event loop let watchers fall a whole queue
 * behind (and be cut off) while their sockets had room; Kubernetes' writes block only on the
 * kernel's socket buffer. A watcher that stops reading still holds up no more than this, and its
 * queue of events then cuts it off as before.
 */
export const STREAM_BUFFER_BYTES = 1 << 20;

/** Writes one handler response to the wire: JSON objects, chunked watch streams, or raw byte streams. */
export async function respond(res: ServerResponse, out: HandlerResponse): Promise<void> {
  if (out.type === 'object') {
    const headers: Record<string, string | string[]> = { 'content-type': out.contentType ?? 'application/json', ...out.headers };
    if (out.warnings?.length) headers.warning = out.warnings.map(warningHeader);
    // One string with its length: Node sends the head and a string body in one write, without
    // chunked framing (a 304 has no body, and its Content-Length would have to be the 200's). An
    // object a write just stored is answered with the text the store wrote (not serialised again).
    const body = typeof out.body === 'string' ? out.body : (writtenJson(out.body) ?? JSON.stringify(out.body));
    if (out.status !== 304) headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(out.status, headers).end(body);
    return;
  }
  const closed = new Promise<void>((resolve) => res.once('close', resolve));
  res.writeHead(200, { 'content-type': out.type === 'watch' ? 'application/json' : out.contentType, 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
  res.flushHeaders();
  const source: AsyncIterable<unknown> = out.type === 'watch' ? out.events : out.chunks;
  const iterator = source[Symbol.asyncIterator]();
  const stop = () => void iterator.return?.();
  res.once('close', stop);
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done || res.destroyed) break;
      // A watch event's object the store just wrote is sent as the text it stored, shared by every watcher.
      const data = out.type === 'watch' ? `${watchEventJson(next.value as WatchEvent<unknown>)}\n` : (next.value as Uint8Array);
      if (!res.write(data) && res.writableLength > STREAM_BUFFER_BYTES) await Promise.race([new Promise((r) => res.once('drain', r)), closed]);
    }
  } catch (err) {
    // The stream already answered 200: report a failure in-band as an ERROR event, then end.
    if (out.type === 'watch' && !res.destroyed) res.write(`${JSON.stringify({ type: 'ERROR', object: toStatusError(err).status })}\n`);
  } finally {
    res.off('close', stop);
    res.end();
  }
}
