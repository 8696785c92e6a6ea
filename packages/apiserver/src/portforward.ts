import { setMaxListeners } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { badRequest } from '@peapod/api-types';
import type { Logger } from '@peapod/core';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { NodeStreamer, PortForwardTarget } from './node-streamer.js';
import type { Obj } from './obj.js';
import { SpdySession, type SpdyStream } from './spdy.js';

/**
 * `kubectl port-forward` (pods/portforward): the `portforward.k8s.io` protocol over SPDY/3.1,
 * reached either by an HTTP upgrade to `SPDY/3.1` or, as kubectl >= 1.31 tries first, by a
 * WebSocket whose subprotocol is `SPDY/3.1+portforward.k8s.io` and whose binary messages carry
 * the SPDY bytes. Each forwarded connection is a pair of streams the client opens with the same
 * `requestID` header: an `error` stream (the server writes a message there if forwarding fails,
 * then closes it) and a `data` stream (the bytes, both ways), both naming the pod's `port`.
 */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const SPDY_UPGRADE = 'SPDY/3.1';
export const PORT_FORWARD_TUNNEL_PROTOCOL = `${SPDY_UPGRADE}+${PORT_FORWARD_PROTOCOL}`;

/** How long the second stream of a pair may take to arrive (the kubelet's stream creation timeout). */
export const PAIR_TIMEOUT_MS = 30_000;

const offered = (header: string | string[] | undefined) => (Array.isArray(header) ? header : [header ?? '']).flatMap((v) => v.split(',')).map((v) => v.trim());

/**
 * The tunnel's subprotocol has a `/`, which RFC 6455 tokens (and so the `ws` library) refuse; Go's
 * client sends it anyway. The request's header is checked here and dropped before `ws` sees it,
 * and the answer names the protocol explicitly.
 */
const tunnels = new WebSocketServer({ noServer: true, clientTracking: false })
  .on('headers', (headers: string[]) => headers.push(`Sec-WebSocket-Protocol: ${PORT_FORWARD_TUNNEL_PROTOCOL}`));

export interface PortForwardUpgrade {
  req: IncomingMessage;
  socket: Socket;
  head: Buffer;
  /** The pod, as read after authorization. */
  pod: Obj;
  streamer: NodeStreamer;
  logger?: Logger;
  /** Called once the connection switched protocols. */
  upgraded(): void;
}

/**
 * Answers an upgrade request for pods/portforward: a WebSocket tunnel or a raw SPDY/3.1 upgrade
 * (101 with `X-Stream-Protocol-Version: portforward.k8s.io`), then serves the session. Throws a
 * StatusError, before switching protocols, for a pod without a node or a client offering no
 * protocol this server speaks.
 */
export function upgradePortForward(u: PortForwardUpgrade): void {
  const { pod } = u;
  if (!pod.spec?.nodeName) throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  const portForward = u.streamer.portForward.bind(u.streamer);
  const target: PortForwardTarget = { node: pod.spec.nodeName, namespace: pod.metadata.namespace, pod: pod.metadata.name, uid: pod.metadata.uid };
  const serve = (transport: Duplex) => {
    u.upgraded();
    void servePortForward(transport, target, portForward, u.logger);
  };
  if (String(u.req.headers.upgrade ?? '').toLowerCase() === SPDY_UPGRADE.toLowerCase()) {
    if (!offered(u.req.headers['x-stream-protocol-version']).includes(PORT_FORWARD_PROTOCOL)) throw badRequest(`unsupported stream protocol; port-forward speaks ${PORT_FORWARD_PROTOCOL}`);
    u.socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SPDY_UPGRADE}\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`);
    if (u.head.length) u.socket.unshift(u.head);
    u.socket.setNoDelay(true);
    serve(u.socket);
    return;
  }
  if (!offered(u.req.headers['sec-websocket-protocol']).includes(PORT_FORWARD_TUNNEL_PROTOCOL)) {
    throw badRequest(`unsupported streaming protocol; port-forward speaks ${PORT_FORWARD_TUNNEL_PROTOCOL} over WebSocket, or an upgrade to ${SPDY_UPGRADE}`);
  }
  delete u.req.headers['sec-websocket-protocol'];
  tunnels.handleUpgrade(u.req, u.socket, u.head, (ws) => serve(createWebSocketStream(ws)));
}

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

/**
 * Serves one port-forward session over `transport` until it closes: pairs streams by
 * `requestID`, asks the node to connect each data stream to its port, and reports failures on
 * the pair's error stream in the kubelet's words. Streams of unknown type are reset. Resolves when
 * the session has ended (every forwarded connection is then aborted).
 */
export function servePortForward(
  transport: Duplex,
  target: PortForwardTarget,
  portForward: NodeStreamer['portForward'],
  logger?: Logger,
  pairTimeoutMs = PAIR_TIMEOUT_MS,
): Promise<void> {
  const abort = new AbortController();
  // One listener per forwarded connection in flight, and a session may carry many at once.
  setMaxListeners(0, abort.signal);
  const pairs = new Map<string, Pair>();
  const forward = async (port: string, pair: Required<Pair>) => {
    const num = Number(port);
    try {
      if (!/^\d+$/.test(port) || num < 1 || num > 65535) throw new Error(`invalid port ${JSON.stringify(port)}: must be a number between 1 and 65535`);
      await portForward(target, num, pair.data, abort.signal);
    } catch (err) {
      const message = `error forwarding port ${port} to pod ${target.namespace}/${target.pod}, uid ${target.uid}: ${err instanceof Error ? err.message : String(err)}`;
      logger?.info('port-forward failed', { pod: `${target.namespace}/${target.pod}`, port, err: message });
      pair.error.write(message);
    } finally {
      pair.error.end();
      pair.data.end();
    }
  };
  return new Promise<void>((resolve) => {
    new SpdySession(transport, {
      onStream(stream) {
        const type = stream.headers.streamtype;
        // Older clients send no requestID: the error stream opens first, its data stream two ids later.
        const id = stream.headers.requestid ?? String(type === 'data' ? stream.id - 2 : stream.id);
        if (type !== 'error' && type !== 'data') {
          stream.destroy();
          return;
        }
        let pair = pairs.get(id);
        if (!pair) {
          const timer = setTimeout(() => {
            pairs.delete(id);
            const p = pair!;
            p.error?.end(`timed out waiting for the ${p.error ? 'data' : 'error'} stream of request ${id}`);
            p.data?.destroy();
          }, pairTimeoutMs);
          pair = { timer };
          pairs.set(id, pair);
        }
        if (pair[type]) {
          stream.destroy();
          return;
        }
        pair[type] = stream;
        if (type === 'error') stream.resume(); // the client sends nothing on it; drain to see its FIN
        if (pair.error && pair.data) {
          clearTimeout(pair.timer);
          pairs.delete(id);
          void forward(pair.data.headers.port ?? '', pair as Required<Pair>);
        }
      },
      onClose() {
        abort.abort();
        for (const p of pairs.values()) clearTimeout(p.timer);
        pairs.clear();
        resolve();
      },
    });
  });
}
