import type { LeaderElectionSetting } from '@peapod/client';
import { createToken } from '@peapod/core';
import type { PluginRegistry as PluginRegistryT, Profile } from './framework/framework.js';
import type { Scheduler as SchedulerT } from './scheduler.js';

export type PluginRegistry = PluginRegistryT;
/** The plugin registry, holding the in-tree plugins; add third-party plugins before the module starts. */
export const PluginRegistry = createToken<PluginRegistry>('scheduler.pluginRegistry');

export type Scheduler = SchedulerT;
export const Scheduler = createToken<Scheduler>('scheduler.scheduler');

export interface SchedulerConfig {
  /** Defaults to one profile, `default-scheduler`, with the in-tree default plugins. */
  profiles?: readonly Profile[];
  /**
   * Leader election through the `kube-system/kube-scheduler` Lease (default on), so that of several
   * control-plane processes only one schedules; off when one process owns the cluster.
   */
  leaderElection?: LeaderElectionSetting;
  /** This scheduler's identity on the Lease (default `<host>_<uuid>`). */
  identity?: string;
}
export const SchedulerConfig = createToken<SchedulerConfig>('scheduler.config');
