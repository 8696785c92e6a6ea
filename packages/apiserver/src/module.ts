import { Clock, createToken, Logger, type Module } from '@peapod/core';
import { Store } from '@peapod/store';
import { startApiServer, type RunningApiServer } from './server.js';
import { ApiServer, ApiServerOptions, HttpHandlers, NodeStreamer } from './tokens.js';

/**
 * Resolves the NodeStreamer on first use: its provider (the kubelet side) usually starts after the
 * API server, because it talks to the cluster through it.
 */
const lazyStreamer = (get: () => NodeStreamer): NodeStreamer => ({
  logs: (target, opts) => get().logs(target, opts),
  exec: (target, command, io) => get().exec(target, command, io),
  attach: (target, io) => get().attach(target, io),
  portForward: (target, port, stream, signal) => get().portForward(target, port, stream, signal),
});

/** Holds the running server of one container between start and stop. */
const Running = createToken<{ server?: RunningApiServer }>('apiserver.running');

/**
 * The API server as a DI module. Needs `ApiServerOptions`, the `Store` (StoreModule) and a
 * `Clock`; uses `Logger` and `NodeStreamer` when registered (the latter resolved at its first use). `ApiServer` (URL, CA, admin token,
 * in-process transports) resolves once the module has started.
 */
export const ApiServerModule: Module = {
  name: 'apiserver',
  dependsOn: ['store'],
  register(c) {
    const running: { server?: RunningApiServer } = {};
    c.provide(Running, { useValue: running });
    c.provide(ApiServer, {
      useFactory: () => {
        if (!running.server) throw new Error('ApiServer is resolved before ApiServerModule started');
        return running.server;
      },
    });
  },
  async start(c) {
    c.resolve(Running).server = await startApiServer(c.resolve(ApiServerOptions), {
      store: c.resolve(Store),
      clock: c.resolve(Clock),
      ...(c.isRegistered(Logger) ? { logger: c.resolve(Logger) } : {}),
      ...(c.isRegistered(NodeStreamer) ? { nodeStreamer: lazyStreamer(() => c.resolve(NodeStreamer)) } : {}),
      ...(c.isRegistered(HttpHandlers) ? { httpHandlers: c.resolve(HttpHandlers) } : {}),
    });
  },
  async stop(c) {
    const running = c.resolve(Running);
    await running.server?.close();
    running.server = undefined;
  },
};
