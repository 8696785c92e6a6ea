import { KubeClient, SharedInformerFactory, leaderIdentity, resolveLeaderElection } from '@peapod/client';
import { Clock, Logger, silentLogger, type Module } from '@peapod/core';
import { CONTROLLER_MANAGER_LEASE, resolveOptions } from './context.js';
import { ControllerManager as Manager } from './manager.js';
import { defaultControllerRegistry } from './controllers.js';
import { ControllerManager, ControllerRegistry, ControllersOptions } from './tokens.js';

/**
 * Registers the controller registry (every built-in controller) and the controller manager,
 * built from the container's client, informer factory, `Clock`, `Logger` and the optional
 * `ControllersOptions`. Starting the module starts the manager, which campaigns for the
 * leader Lease and runs the enabled controllers while it leads; stopping releases the Lease.
 */
export const ControllersModule: Module = {
  name: 'controllers',
  dependsOn: ['client'],
  register(c) {
    c.provide(ControllerRegistry, { useFactory: () => defaultControllerRegistry() });
    c.provide(ControllerManager, {
      useFactory: (c) => {
        const o = c.isRegistered(ControllersOptions) ? c.resolve(ControllersOptions) : {};
        const logger = c.isRegistered(Logger) ? c.resolve(Logger).child({ component: 'controller-manager' }) : silentLogger;
        const ctx = { client: c.resolve(KubeClient), informers: c.resolve(SharedInformerFactory), clock: c.resolve(Clock), logger, options: resolveOptions(o) };
        return new Manager(c.resolve(ControllerRegistry), ctx, {
          controllers: o.controllers,
          identity: o.identity ?? leaderIdentity(),
          leaderElection: resolveLeaderElection(o.leaderElection, CONTROLLER_MANAGER_LEASE),
          workers: ctx.options.workers,
        });
      },
    });
  },
  start(c) {
    c.resolve(ControllerManager).start();
  },
  async stop(c) {
    await c.resolve(ControllerManager).stop();
  },
};
