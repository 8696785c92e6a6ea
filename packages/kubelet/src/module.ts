import { EventRecorder, KubeClient } from '@peapod/client';
import { Clock, Logger, createToken, silentLogger, type Module } from '@peapod/core';
import { reportKubeletEvents } from './event-reporter.js';
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
/** Unsubscribes the Event reporter of this container's kubelet. */
const StopReporting = createToken<{ stop?: () => void }>('kubelet.stopReporting');

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
    c.provide(StopReporting, { useValue: {} });
  },
  async start(c) {
    const kubelet = c.resolve(KubeletInstance);
    // With a client at hand, lifecycle notifications also become the Events `kubectl describe` shows.
    if (c.isRegistered(KubeClient)) {
      const logger = c.isRegistered(Logger) ? c.resolve(Logger) : silentLogger;
      const recorder = new EventRecorder(c.resolve(KubeClient), c.resolve(Clock), { component: 'kubelet', host: c.resolve(KubeletModuleOptions).nodeName, logger });
      c.resolve(StopReporting).stop = reportKubeletEvents(kubelet.events, recorder);
    }
    await kubelet.start();
  },
  async stop(c) {
    c.resolve(StopReporting).stop?.();
    await c.resolve(KubeletInstance).stop();
  },
};
