export { Scheduler as SchedulerImpl, numFeasibleNodesToFind } from './scheduler.js';
export type { SchedulerEvents, SchedulerOptions, SchedulingReporter } from './scheduler.js';
export { SCHEDULER_LEASE, SchedulerModule } from './module.js';
export { PluginRegistry, Scheduler, SchedulerConfig } from './tokens.js';
export { Framework } from './framework/framework.js';
export type { PluginConfig, Profile } from './framework/framework.js';
export { Code, Status } from './framework/status.js';
export { CycleState, MAX_NODE_SCORE, StateKey } from './framework/interfaces.js';
export type {
  BindPlugin, ClusterEvent, EnqueueExtensions, FilterPlugin, PermitPlugin, Plugin, PluginFactory, PostBindPlugin,
  PostFilterPlugin, PreBindPlugin, PreEnqueuePlugin, PreFilterPlugin, PreScorePlugin, QueueSortPlugin, QueuedPodInfo,
  ReservePlugin, SchedulerHandle, ScorePlugin,
} from './framework/interfaces.js';
export { NodeInfo } from './framework/node-info.js';
export type { PodInfo } from './framework/node-info.js';
export { podRequestsOf } from './framework/resources.js';
export type { Resources } from './framework/resources.js';
export { fitErrorMessage } from './framework/fit-error.js';
export { DEFAULT_PLUGINS, defaultProfile, inTreeRegistry } from './plugins/registry.js';
export { ClientSchedulerHandle } from './client-handle.js';
