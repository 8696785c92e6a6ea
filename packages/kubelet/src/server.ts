import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { StatusError, badRequest, forbidden, notFound, toStatusError, unauthorized } from '@peapod/api-types';
import { certificateUser, chooseProtocol, parseKubeletPath, servePortForward, serveSession } from '@peapod/client';
import { silentLogger, type Logger } from '@peapod/core';
import { WebSocketServer } from 'ws';
import type { NodeStreaming } from './streaming.js';

export interface KubeletServerOptions {
  /** Address and port to listen on (the kubelet's default port is 10250; 0 picks a free one). */
  host: string;
  port: number;
  /** PEM serving certificate and key (SANs = the node's addresses), and the CA client certificates must chain to. */
  cert: string;
  key: string;
  ca: string;
  /** Users (certificate CNs) allowed to call, e.g. the API server's `kube-apiserver-kubelet-client`. */
  allowedUsers: readonly string[];
}

export interface RunningKubeletServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Writes a Status error as JSON (or drops the connection if the answer already began). */
function sendError(res: ServerResponse, err: StatusError): void {
  if (res.headersSent) res.destroy();
  else res.writeHead(err.code, { 'content-type': 'application/json' }).end(JSON.stringify(err.status));
}

/**
 * The kubelet's HTTPS API for the API server, in the Kubernetes kubelet's shape:
 * `GET /containerLogs/{ns}/{pod}/{container}` (chunked text), and WebSocket upgrades on
 * `/exec|attach/{ns}/{pod}/{uid}/{container}` (remote-command channels) and
 * `/portForward/{ns}/{pod}/{uid}?port=N`. Every request must present a client certificate signed
 * by the cluster CA (else 401) for one of `allowedUsers` (else 403), as a kubelet with
 * `--client-ca-file` and webhook authorization admits only the API server. `streaming` is asked on
 * each request, so the server may listen (and learn its port) before the kubelet exists.
 */
export async function startKubeletServer(options: KubeletServerOptions, streaming: () => NodeStreaming, logger: Logger = silentLogger): Promise<RunningKubeletServer> {
  const server = createServer({ cert: options.cert, key: options.key, ca: options.ca, requestCert: true, rejectUnauthorized: false });
  const sockets = new Set<Socket>();
  server.on('secureConnection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

  /** Authenticates and routes; throws the StatusError to answer with. */
  const route = (req: IncomingMessage) => {
    const user = certificateUser(req.socket as TLSSocket);
    if (!user) throw unauthorized();
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    if (!options.allowedUsers.includes(user.name)) throw forbidden({}, `User "${user.name}" cannot ${(req.method ?? 'get').toLowerCase()} path "${path}" on the kubelet`);
    const target = parseKubeletPath(path, new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)));
    if (!target) throw notFound({ name: path });
    return target;
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const r = route(req);
      if (r.kind !== 'logs' || req.method !== 'GET') throw badRequest(`${req.method} ${r.kind} needs a WebSocket upgrade`);
      const abort = new AbortController();
      res.on('close', () => abort.abort());
      // The first chunk is awaited before answering, so that a refusal (unknown container, not started) is a proper error code.
      const chunks = streaming().logs(r.target, { ...r.options, signal: abort.signal })[Symbol.asyncIterator]();
      let next = await chunks.next();
      res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
      res.flushHeaders();
      while (!next.done && !res.destroyed) {
        if (!res.write(next.value)) await new Promise((resolve) => { res.once('drain', resolve); res.once('close', resolve); });
        next = await chunks.next();
      }
      await chunks.return?.();
      res.end();
    })().catch((err: unknown) => {
      const status = toStatusError(err);
      if (status.code >= 500) logger.warn('kubelet API request failed', { path: req.url, error: String(err) });
      sendError(res, status);
    });
  });

  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => chooseProtocol(protocols) ?? false });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    try {
      const r = route(req);
      if (r.kind === 'logs') throw badRequest('containerLogs does not accept a WebSocket upgrade');
      if (!chooseProtocol(String(req.headers['sec-websocket-protocol'] ?? '').split(','))) throw badRequest('unsupported streaming protocol; this kubelet speaks v5.channel.k8s.io and v4.channel.k8s.io');
      const node = streaming();
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (r.kind === 'portForward') void servePortForward(ws, (stream, signal) => node.portForward(r.target, r.port, stream, signal));
        else void serveSession(ws, r.streams, (io) => (r.kind === 'exec' ? node.exec(r.target, r.streams.command, io) : node.attach(r.target, io)));
      });
    } catch (err) {
      const s = toStatusError(err);
      if (socket.writable) socket.end(`HTTP/1.1 ${s.code} ${s.reason}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify(s.status)}`);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
