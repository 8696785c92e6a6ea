import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { RESOURCES, StatusError, applyPatch, badRequest, isStatusError, toStatusError, tooManyRequests, updateManagedFields, type ResourceInfo } from '@peapod/api-types';
import { certificateUser, chooseProtocol, serveSession, type Transport } from '@peapod/client';
import { silentLogger, type Clock, type Logger } from '@peapod/core';
import type { Store } from '@peapod/store';
import { WebSocketServer } from 'ws';
import { ADMIN_USER, Authorizer, TokenAuthenticator, nodeUser, type UserInfo } from './auth.js';
import { checkSize, decodeBody, mediaInfo, MAX_BODY_BYTES } from './body.js';
import { ApiCore } from './core.js';
import { ApiHandler } from './handler.js';
import { InProcessTransport } from './inprocess.js';
import { writeKubeconfig } from './kubeconfig.js';
import { NamespaceLifecycle } from './namespaces.js';
import type { NodeStreamer } from './node-streamer.js';
import { BOOTSTRAP_USER, JOIN_PATH, loadOrCreateJoinToken, serveJoin } from './join.js';
import { ensurePki, loadOrCreateCa } from './pki.js';
import { RateLimiter } from './rate-limit.js';
import { objectKey, ResourceRegistry } from './registry.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import type { Obj } from './obj.js';
import { Rest } from './rest.js';
import { RemoteNodeStreamer } from './remote-streamer.js';
import { respond } from './respond.js';
import { sessionRequest } from './streaming.js';
import { OpenAPIV3 } from './openapi/index.js';
import { PodSecurityAdmission } from './pod-security/admission.js';
import { upgradePortForward } from './portforward.js';
import { authenticateBearer, ServiceAccountTokens } from './serviceaccount-token.js';
import { resolveContainer } from './subresources.js';

export interface ApiServerOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 6443; 0 picks a free one). */
  port?: number;
  /** Directory holding the cluster CA, the serving certificate and the admin token; created on first start. */
  pkiDir: string;
  /** Extra DNS names or IPs for the serving certificate. */
  hosts?: readonly string[];
  /** Admin bearer token; by default one is generated on first start and kept in `<pkiDir>/admin.token`. */
  adminToken?: string;
  /** Node name -> bearer token; each authenticates as `system:node:<name>` in `system:nodes`. */
  nodeTokens?: Readonly<Record<string, string>>;
  /** Further bearer tokens and the identities they map to. */
  tokens?: Readonly<Record<string, UserInfo>>;
  /** Writes an admin kubeconfig here once listening. */
  kubeconfigPath?: string;
  /** Per-client request rate (default 2,000/s with bursts of 4,000); excess gets 429 with Retry-After. */
  rateLimit?: { qps: number; burst: number };
}

/** Collaborators the server is built with (the module takes them from the container). */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface ApiServerDeps {
  store: Store;
  clock: Clock;
  logger?: Logger;
  nodeStreamer?: NodeStreamer;
  /**
   * Extra HTTP handlers on the same port, tried in order before authentication (e.g. the
   * dashboard's static assets, which hold no data). A handler answers and returns true, or
   * returns false to let the API route the request.
   */
  httpHandlers?: readonly HttpHandler[];
  /** Resources to serve (default: every entry of api-types' RESOURCES). */
  resources?: Iterable<ResourceInfo<unknown>>;
}

export interface RunningApiServer {
  /** `https://host:port`. */
  readonly url: string;
  /** PEM of the cluster CA that signed the serving certificate. */
  readonly caCert: string;
  readonly adminToken: string;
  /** The join token agents present (`peapod agent --token-file`), kept in `<pkiDir>/join.token`. */
  readonly joinToken: string;
  /** Streams from kubelets in other processes, found through their Node objects (the default NodeStreamer). */
  readonly kubelets: NodeStreamer;
  /** The authorizing handler, for in-process use and tests. */
  readonly core: ApiCore;
  /** An in-process client transport acting as `user` (default: admin). */
  transport(user?: UserInfo): Transport;
  writeKubeconfig(path: string): Promise<void>;
  close(): Promise<void>;
}

const HEALTH = new Set(['/healthz', '/livez', '/readyz']);

/**
 * The request path exactly as sent, with its query. WHATWG URL parsing would resolve `..` and
 * `%2e%2e` segments, turning `/pods/x/..` into a different, valid path; the real server
 * refuses such names instead (see `parseRequestInfo`).
 */
function requestTarget(rawUrl: string | undefined): { path: string; query: URLSearchParams } {
  const url = rawUrl ?? '/';
  const q = url.indexOf('?');
  return { path: q < 0 ? url : url.slice(0, q), query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)) };
}
/** The peer address; the socket is gone (null) once a refused request's connection has closed. */
const clientName = (req: IncomingMessage) => req.socket?.remoteAddress ?? 'unknown';

/** Writes a Status error (never throws). */
function sendError(res: ServerResponse, err: StatusError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const retry = err.status.details?.retryAfterSeconds;
  if (retry) headers['retry-after'] = String(retry);
  res.writeHead(err.code, headers).end(JSON.stringify(err.status));
}

/**
 * Reads a body up to the size limit; 413 as soon as the limit is passed (the rest is drained
 * unread). Plain stream events rather than an async iterator, which costs a few per cent of a
 * create's CPU.
 */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  checkSize(Number(req.headers['content-length'] ?? 0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.resume();
      try {
        checkSize(size);
      } catch (err) {
        reject(err);
      }
    };
    req.on('data', onData);
    req.once('end', () => resolve(size ? Buffer.concat(chunks, size) : undefined));
    req.once('error', reject);
    // A client that goes away mid-body ends the request without 'end'.
    req.once('close', () => { if (!req.complete) reject(badRequest('the request body was not received in full')); });
  });
}

/**
 * Aborts when the client goes away before the answer is complete. Only GET answers stream (watch,
 * log) and so outlive their request; other verbs get no signal, which saves an AbortController
 * per write and, once its answer is out, the abort (and its DOMException) that 'close' would fire.
 */
function clientGone(method: string | undefined, res: ServerResponse): AbortSignal | undefined {
  if (method !== 'GET') return undefined;
  const abort = new AbortController();
  res.once('close', () => { if (!res.writableFinished) abort.abort(); });
  return abort.signal;
}

/**
 * Starts the API server: PKI, authentication, the REST layer over `deps.store`, the namespace
 * lifecycle, and an HTTPS server speaking the Kubernetes API (plus WebSocket exec/attach).
 */
export async function startApiServer(options: ApiServerOptions, deps: ApiServerDeps): Promise<RunningApiServer> {
  const logger = deps.logger ?? silentLogger;
  const host = options.host ?? '127.0.0.1';
  const pki = await ensurePki(options.pkiDir, [...(options.hosts ?? []), ...(host === '0.0.0.0' || host === '::' ? [] : [host])]);
  const adminToken = options.adminToken ?? await loadOrCreateToken(join(options.pkiDir, 'admin.token'));
  const joinToken = await loadOrCreateJoinToken(options.pkiDir, pki.caCert);
  const ca = await loadOrCreateCa(options.pkiDir);
  const authn = new TokenAuthenticator([
    [adminToken, ADMIN_USER],
    [joinToken, BOOTSTRAP_USER],
    ...Object.entries(options.nodeTokens ?? {}).map(([node, token]) => [token, nodeUser(node)] as [string, UserInfo]),
    ...Object.entries(options.tokens ?? {}),
  ]);
  const registry = new ResourceRegistry(deps.resources ?? Object.values(RESOURCES) as Iterable<ResourceInfo<unknown>>);
  const namespaces = new NamespaceLifecycle(deps.store, deps.clock, logger);
  // managedFields times follow the injected clock, in seconds like every other timestamp the server writes.
  const rest: Rest = new Rest(deps.store, registry, deps.clock, namespaces, (prev, next, manager, op, sub) => updateManagedFields(prev, next, manager, op, sub, rest.now()) as Obj, new PodSecurityAdmission(deps.store, registry, logger, namespaces));
  const limiter = new RateLimiter(deps.clock, options.rateLimit?.qps ?? 2000, options.rateLimit?.burst ?? 4000);

  // The chain carries the CA so that a joining agent can pin it by hash; client certificates are
  // asked for but optional (x509 authentication, then bearer tokens).
  const server: Server = createServer({ cert: pki.serverCert + pki.caCert, key: pki.serverKey, ca: pki.caCert, requestCert: true, rejectUnauthorized: false });
  // kube-apiserver's idle timeout. Clients close idle sockets before it (Peapod's after 4 s,
  // client-go's after 90 s), so a request never goes out on a socket the server is closing; Node's
  // 5 s default raced clients whose event loop lagged behind their own idle timer.
  server.keepAliveTimeout = 90_000;
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.on('secureConnection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 6443, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const openapi = new OpenAPIV3([...registry.all.map((r) => r.info)]);
  const kubelets = new RemoteNodeStreamer({ ca: pki.caCert, cert: pki.kubeletClientCert, key: pki.kubeletClientKey }, (name) => rest.get(registry.mustGet('', 'nodes'), '', name));
  const streamer = deps.nodeStreamer ?? kubelets;
  const serviceAccountTokens = await ServiceAccountTokens.load(options.pkiDir, deps.clock, (resource, ns, name) => rest.get(registry.mustGet('', resource), ns, name));
  const handler = new ApiHandler({ rest, clock: deps.clock, patch: (req) => applyPatch({ ...req, now: rest.now() }) as Obj, nodeStreamer: streamer, serviceAccountTokens, openapi: (path) => openapi.lookup(path), serverAddress: `${host}:${port}` });
  const authorizer = new Authorizer(deps.store, (info: RequestInfo) => objectKey(registry.mustGet(info.group, info.resource), info.namespace, info.name));
  const core = new ApiCore(handler, authorizer);
  await namespaces.start(rest);

  // A connection's client certificate is fixed once the handshake is done: read it once per connection.
  const certificateUsers = new WeakMap<Socket, UserInfo | null>();
  const connectionUser = (socket: Socket): UserInfo | undefined => {
    let user = certificateUsers.get(socket);
    if (user === undefined) certificateUsers.set(socket, (user = certificateUser(socket as TLSSocket) ?? null));
    return user ?? undefined;
  };
  // The static token table never changes, so a connection that repeats the Authorization header
  // the table accepted on it is the same identity; ServiceAccount tokens (which expire and are
  // revoked with their ServiceAccount) are checked on every request.
  const tableUsers = new WeakMap<Socket, { authorization: string; user: UserInfo }>();
  const bearerUser = (req: IncomingMessage): UserInfo | undefined => {
    const authorization = req.headers.authorization;
    const seen = tableUsers.get(req.socket);
    if (seen && authorization === seen.authorization) return seen.user;
    const user = authn.lookup(authorization);
    if (user && authorization) tableUsers.set(req.socket, { authorization, user });
    return user;
  };
  const identify = async (req: IncomingMessage): Promise<UserInfo> => {
    const user = connectionUser(req.socket) ?? bearerUser(req) ?? await authenticateBearer(req.headers.authorization, authn, serviceAccountTokens);
    const wait = limiter.take(user.name);
    if (wait) throw tooManyRequests(`client rate limit exceeded; retry in ${wait}s`, wait);
    return user;
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    let user = '';
    const done = (status: number) => logger.info('request', { method: req.method, path: req.url, status, user, ms: Math.round((performance.now() - started) * 10) / 10, client: clientName(req) });
    void (async () => {
      for (const h of deps.httpHandlers ?? []) if (h(req, res)) return done(res.statusCode);
      const u = requestTarget(req.url);
      if (HEALTH.has(u.path)) {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok');
        return done(200);
      }
      const who = await identify(req);
      user = who.name;
      const info = parseRequestInfo(req.method ?? 'GET', u.path, u.query);
      let body: unknown;
      const raw = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
      if (raw && raw.length) body = decodeBody(raw, mediaInfo(req.headers['content-type']).format);
      if (u.path === JOIN_PATH && req.method === 'POST') {
        await respond(res, { type: 'object', status: 201, body: await serveJoin(ca, who, body) });
        return done(201);
      }
      const out = await core.serve({
        method: req.method ?? 'GET', path: u.path, query: u.query, body, info,
        contentType: req.headers['content-type'], accept: req.headers.accept, ifNoneMatch: req.headers['if-none-match'], user: who, userAgent: req.headers['user-agent'], signal: clientGone(req.method, res),
      });
      await respond(res, out);
      done(res.statusCode);
    })().catch((err: unknown) => {
      const status = toStatusError(err);
      if (!isStatusError(err)) logger.error('internal error', { method: req.method, path: req.url, err: err instanceof Error ? err.stack : String(err) });
      sendError(res, status);
      done(status.code);
    });
  });

  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => chooseProtocol(protocols) ?? false });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // Until the WebSocket library takes the socket over, a client reset must not go unhandled.
    socket.on('error', () => socket.destroy());
    const started = performance.now();
    let user = '';
    const fail = (err: unknown) => {
      const s = toStatusError(err);
      if (socket.writable) socket.end(`HTTP/1.1 ${s.code} ${s.reason}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify(s.status)}`);
      logger.info('request', { method: 'UPGRADE', path: req.url, status: s.code, user, ms: Math.round(performance.now() - started) });
    };
    void (async () => {
      const u = requestTarget(req.url);
      const who = await identify(req);
      user = who.name;
      const info = parseRequestInfo('POST', u.path, u.query);
      if (info.isResource && info.resource === 'pods' && info.subresource === 'portforward') {
        await authorizer.authorize(who, info, u.query, undefined);
        const pod = await rest.get(registry.mustGet('', 'pods'), info.namespace, info.name);
        const upgraded = () => logger.info('request', { method: 'UPGRADE', path: req.url, status: 101, user, ms: Math.round(performance.now() - started) });
        return upgradePortForward({ req, socket, head, pod, streamer, logger, upgraded });
      }
      if (!info.isResource || info.resource !== 'pods' || (info.subresource !== 'exec' && info.subresource !== 'attach')) throw badRequest('only pods/exec, pods/attach and pods/portforward accept upgrades');
      await authorizer.authorize(who, info, u.query, undefined);
      const protocol = chooseProtocol(String(req.headers['sec-websocket-protocol'] ?? '').split(','));
      if (!protocol) throw badRequest(`unsupported streaming protocol; this server speaks v5.channel.k8s.io and v4.channel.k8s.io`);
      const pod = await rest.get(registry.mustGet('', 'pods'), info.namespace, info.name);
      const session = sessionRequest(info.subresource, pod, resolveContainer(pod, u.query.get('container') || undefined), u.query);
      wss.handleUpgrade(req, socket, head, (ws) => {
        logger.info('request', { method: 'UPGRADE', path: req.url, status: 101, user, ms: Math.round(performance.now() - started) });
        void serveSession(ws, session, (io) => (session.kind === 'exec' ? streamer.exec(session.target, session.command, io) : streamer.attach(session.target, io)));
      });
    })().catch(fail);
  });

  const running: RunningApiServer = {
    url,
    caCert: pki.caCert,
    adminToken,
    joinToken,
    kubelets,
    core,
    transport: (user = ADMIN_USER) => new InProcessTransport(core, user),
    writeKubeconfig: (path) => writeKubeconfig(path, { server: url, caCert: pki.caCert, token: adminToken }),
    async close() {
      namespaces.stop();
      kubelets.close();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
  if (options.kubeconfigPath) await running.writeKubeconfig(options.kubeconfigPath);
  return running;
}

async function loadOrCreateToken(path: string): Promise<string> {
  const existing = await readFile(path, 'utf8').then((s) => s.trim(), () => '');
  if (existing) return existing;
  const token = randomBytes(32).toString('base64url');
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return token;
}
