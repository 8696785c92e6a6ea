export { ControllersModule } from './module.js';
export { ControllerManager, ControllerRegistry, ControllersOptions } from './tokens.js';
export type { ControllerManagerEvents, ControllerManagerOptions } from './manager.js';
export { ControllerManager as ControllerManagerImpl } from './manager.js';
export { BUILTIN_CONTROLLERS, defaultControllerRegistry } from './controllers.js';
export { enabledControllers } from './registry.js';
export type { ControllerDescriptor } from './registry.js';
export { CONTROLLER_MANAGER_LEASE, resolveOptions } from './context.js';
export type { ControllerContext, ResolvedOptions } from './context.js';
export { QueueController } from './controller.js';
export type { Controller } from './controller.js';
export { Expectations } from './expectations.js';
export { ReplicaSetController, compareForDeletion } from './replicaset.js';
export {
  DeploymentController, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
} from './deployment.js';
export {
  JobController, JOB_COMPLETION_INDEX, JOB_NAME_LABEL, JOB_TRACKING_FINALIZER, CONTROLLER_UID_LABEL, matchPodFailurePolicy,
} from './job.js';
export { GarbageCollector, FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './garbage-collector.js';
export { NodeLifecycleController, NODE_LEASE_NAMESPACE, TAINT_NOT_READY, TAINT_UNREACHABLE } from './node-lifecycle.js';
export { TaintEvictionController, evictionTime } from './taint-eviction.js';
export { StatefulSetController, ordinalOf, POD_INDEX_LABEL, STATEFULSET_POD_NAME_LABEL } from './statefulset.js';
export { DaemonSetController, daemonPodNode, daemonTolerations, shouldRunOn } from './daemonset.js';
export { CONTROLLER_REVISION_HASH_LABEL, REVISION_HASH_LABEL } from './revisions.js';
export { CronJobController, SCHEDULED_TIMESTAMP_ANNOTATION, scheduleTimes } from './cronjob.js';
export { TTLAfterFinishedController } from './ttl-after-finished.js';
export { PodGCController } from './podgc.js';
export { DisruptionController } from './disruption.js';
