import { createToken } from '@peapod/core';
import type { NodeStreamer as NodeStreamerContract } from './node-streamer.js';
import type { ApiServerOptions as Options, HttpHandler, RunningApiServer } from './server.js';

/** Options of the API server module (listen address, data/pki dir, tokens, limits). */
export type ApiServerOptions = Options;
export const ApiServerOptions = createToken<ApiServerOptions>('apiserver.options');
/** The running server: URL, CA, admin token, and in-process transports. Available after the module started. */
export type ApiServer = RunningApiServer;
export const ApiServer = createToken<ApiServer>('apiserver.server');
/** Where `log`, `exec` and `attach` go; the kubelet side provides it. Optional: without it those subresources answer 503. */
export type NodeStreamer = NodeStreamerContract;
export const NodeStreamer = createToken<NodeStreamer>('apiserver.nodeStreamer');

/** Optional: extra HTTP handlers served on the API server's port before authentication (see `ApiServerDeps.httpHandlers`). */
export const HttpHandlers = createToken<readonly HttpHandler[]>('apiserver.httpHandlers');
