import { KubeClient } from '@peapod/client';
import { Clock, Logger, silentLogger, type Module } from '@peapod/core';
import { Runtime } from '@peapod/runtime';
import { Kubelet } from './kubelet.js';
import { KubeletApi, KubeletInstance, KubeletModuleOptions, NodeStreaming } from './tokens.js';

/**
 * Registers the kubelet (`KubeletInstance`) and its streaming endpoint (`NodeStreaming`) from
 * `KubeletModuleOptions`, the runtime named by `runtimeToken` (default `Runtime`), the `Clock`,
 * the `Logger` (silent when none) and `KubeletApi` when registered, else `KubeClient`. Starting the
 * module registers the node and starts taking pods; stopping it leaves containers running so that
 * a kubelet started later adopts them.
 */
export const KubeletModule: Module = {
  name: 'kubelet',
  dependsOn: ['client'],
  register(c) {
    c.provide(KubeletInstance, {
      useFactory: (c) => {
        const { runtimeToken, ...options } = c.resolve(KubeletModuleOptions);
        const base = {
          runtime: c.resolve(runtimeToken ?? Runtime),
          clock: c.resolve(Clock),
          logger: c.isRegistered(Logger) ? c.resolve(Logger) : silentLogger,
        };
        return new Kubelet(c.isRegistered(KubeletApi) ? { ...base, api: c.resolve(KubeletApi) } : { ...base, client: c.resolve(KubeClient) }, options);
      },
    });
    c.provide(NodeStreaming, { useFactory: (c) => c.resolve(KubeletInstance).streaming });
  },
  async start(c) {
    await c.resolve(KubeletInstance).start();
  },
  async stop(c) {
    await c.resolve(KubeletInstance).stop();
  },
};
