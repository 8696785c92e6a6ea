import { RESOURCES, type Node, type Pod, type PodDisruptionBudget } from '@peapod/api-types';
import { EventRecorder, KubeClient, LeaderElector, SharedInformerFactory, leaderIdentity, resolveLeaderElection } from '@peapod/client';
import { Clock, Logger, silentLogger, type Module } from '@peapod/core';
import { ClientSchedulerHandle } from './client-handle.js';
import { defaultProfile, inTreeRegistry } from './plugins/registry.js';
import { Scheduler as SchedulerImpl } from './scheduler.js';
import { PluginRegistry, Scheduler, SchedulerConfig } from './tokens.js';

/** How to stop each running scheduler (several clusters may be composed in one process). */
const running = new WeakMap<SchedulerImpl, () => Promise<void>>();

/** The Lease the schedulers of a cluster compete for. */
export const SCHEDULER_LEASE = 'kube-scheduler';

/**
 * The scheduler as a component: informers on pods, nodes and PodDisruptionBudgets feed its cache
 * and queue from start, so a standby is warm; once they have synced it schedules while it holds
 * the `kube-system/kube-scheduler` Lease (at once when leader election is off), and stops starting
 * scheduling cycles the moment it loses it. Provide `SchedulerConfig` to choose profiles or turn
 * leader election off; add plugins to `PluginRegistry` before start.
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
        const recorder = new EventRecorder(client, clock, { component: 'default-scheduler', logger });
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
    const synced = new AbortController();
    const cacheSynced = informers.waitForCacheSync(synced.signal).then(() => true, () => false);
    const schedule = async (signal: AbortSignal) => { if (await cacheSynced) await scheduler.run(signal); };
    const config = c.isRegistered(SchedulerConfig) ? c.resolve(SchedulerConfig) : {};
    const election = resolveLeaderElection(config.leaderElection, SCHEDULER_LEASE);
    if (election) {
      const logger = c.isRegistered(Logger) ? c.resolve(Logger).child({ component: 'scheduler-leader-election' }) : silentLogger;
      const elector = new LeaderElector(c.resolve(KubeClient), c.resolve(Clock), config.identity ?? leaderIdentity(), election, logger, schedule);
      elector.start();
      running.set(scheduler, async () => { synced.abort(); await elector.stop(); });
    } else {
      const abort = new AbortController();
      const loop = schedule(abort.signal);
      running.set(scheduler, async () => { synced.abort(); abort.abort(); await loop; });
    }
  },
  async stop(c) {
    const scheduler = c.resolve(Scheduler);
    const stop = running.get(scheduler);
    if (!stop) return;
    running.delete(scheduler);
    await stop();
    scheduler.close();
  },
};
