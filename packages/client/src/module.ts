import { Clock, Logger, silentLogger, type Module } from '@peapod/core';
import { InformerFactory } from './cache/factory.js';
import { createClient } from './client.js';
import { KubeClient, SharedInformerFactory, Transport } from './tokens.js';

/**
 * Registers `KubeClient` and `SharedInformerFactory` over the `Transport` the app provides (an
 * `HttpTransport`, or the API server's in-process transport), using the container's `Clock` and
 * `Logger` (silent when none). Starting the module starts the informer factory, so informers that
 * components create during their own start begin at once; stopping it stops every informer.
 * Components that use informers list `client` in their module's `dependsOn`.
 */
export const ClientModule: Module = {
  name: 'client',
  register(c) {
    c.provide(KubeClient, { useFactory: (c) => createClient(c.resolve(Transport)) });
    c.provide(SharedInformerFactory, {
      useFactory: (c) => new InformerFactory({
        client: c.resolve(KubeClient),
        clock: c.resolve(Clock),
        logger: c.isRegistered(Logger) ? c.resolve(Logger).child({ component: 'informers' }) : silentLogger,
      }),
    });
  },
  start(c) {
    c.resolve(SharedInformerFactory).start();
  },
  async stop(c) {
    await c.resolve(SharedInformerFactory).stop();
  },
};
