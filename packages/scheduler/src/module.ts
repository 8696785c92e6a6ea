import { RESOURCES, type Node, type Pod, type PodDisruptionBudget } from '@peapod/api-types';
import { EventRecorder, KubeClient, SharedInformerFactory } from '@peapod/client';
import { Clock, Logger, silentLogger, type Module } from '@peapod/core';
import { ClientSchedulerHandle } from './client-handle.js';
import { defaultProfile, inTreeRegistry } from './plugins/registry.js';
import { Scheduler as SchedulerImpl } from './scheduler.js';
import { PluginRegistry, Scheduler, SchedulerConfig } from './tokens.js';

/** The loop of each running scheduler (several clusters may be composed in one process). */
const running = new WeakMap<SchedulerImpl, { abort: AbortController; loop: Promise<void> }>();

/**
 * The scheduler as a component: informers on pods, nodes and PodDisruptionBudgets feed its cache
 * and queue; once they have synced it schedules until stopped. Provide `SchedulerConfig` to
 * choose profiles; add plugins to `PluginRegistry` before start.
 */
export const SchedulerModule: Module = {
  name: 'scheduler',
  dependsOn: ['client'],
  register(c) {
    c.provide(PluginRegistry, { useFactory: () => inTreeRegistry() });
    c.provide(Scheduler, {
      useFactory: (c) => {
        const clock = c.resolve(Clock);
        const logger = c.isRegistered(Logger) ? c.resolve(Logger).child({ component: 'scheduler' }) : silentLogger;
        const client = c.resolve(KubeClient);
        const informers = c.resolve(SharedInformerFactory);
        const pdbs = informers.informerFor<PodDisruptionBudget>(RESOURCES.poddisruptionbudgets);
        const recorder = new EventRecorder(client, clock, 'default-scheduler', logger);
        const handle = new ClientSchedulerHandle(client, clock, recorder, pdbs.lister);
        const profiles = (c.isRegistered(SchedulerConfig) ? c.resolve(SchedulerConfig).profiles : undefined) ?? [defaultProfile()];
        return new SchedulerImpl(clock, c.resolve(PluginRegistry), handle, handle, { profiles }, logger);
      },
    });
  },
  async start(c) {
    const scheduler = c.resolve(Scheduler);
    const informers = c.resolve(SharedInformerFactory);
    const nodes = informers.informerFor<Node>(RESOURCES.nodes);
    const pods = informers.informerFor<Pod>(RESOURCES.pods);
    nodes.addEventHandler({
      onAdd: (n) => scheduler.onNodeAdd(n),
      onUpdate: (o, n) => scheduler.onNodeUpdate(o, n),
      onDelete: (n) => scheduler.onNodeDelete(n),
    });
    pods.addEventHandler({
      onAdd: (p) => scheduler.onPodAdd(p),
      onUpdate: (o, p) => scheduler.onPodUpdate(o, p),
      onDelete: (p) => scheduler.onPodDelete(p),
    });
    informers.start();
    const abort = new AbortController();
    const loop = informers.waitForCacheSync(abort.signal).then(() => scheduler.run(abort.signal), () => undefined);
    running.set(scheduler, { abort, loop });
  },
  async stop(c) {
    const scheduler = c.resolve(Scheduler);
    const run = running.get(scheduler);
    if (!run) return;
    running.delete(scheduler);
    run.abort.abort();
    await run.loop;
  },
};
