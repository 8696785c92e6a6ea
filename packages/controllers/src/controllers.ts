import { Registry } from '@peapod/core';
import { CronJobController } from './cronjob.js';
import { DaemonSetController } from './daemonset.js';
import { DeploymentController } from './deployment.js';
import { DisruptionController } from './disruption.js';
import { GarbageCollector } from './garbage-collector.js';
import { JobController } from './job.js';
import { NodeLifecycleController } from './node-lifecycle.js';
import { PodGCController } from './podgc.js';
import type { ControllerDescriptor, ControllerRegistry } from './registry.js';
import { ReplicaSetController } from './replicaset.js';
import { ServiceAccountsController } from './serviceaccounts.js';
import { StatefulSetController } from './statefulset.js';
import { TaintEvictionController } from './taint-eviction.js';
import { TTLAfterFinishedController } from './ttl-after-finished.js';

/** The built-in controllers under kube-controller-manager's names (`--controllers=*,-job`). */
export const BUILTIN_CONTROLLERS: Record<string, ControllerDescriptor> = {
  replicaset: { create: (ctx) => new ReplicaSetController(ctx) },
  deployment: { create: (ctx) => new DeploymentController(ctx) },
  statefulset: { create: (ctx) => new StatefulSetController(ctx) },
  daemonset: { create: (ctx) => new DaemonSetController(ctx) },
  job: { create: (ctx) => new JobController(ctx) },
  cronjob: { create: (ctx) => new CronJobController(ctx) },
  'ttl-after-finished': { create: (ctx) => new TTLAfterFinishedController(ctx) },
  garbagecollector: { create: (ctx) => new GarbageCollector(ctx) },
  nodelifecycle: { create: (ctx) => new NodeLifecycleController(ctx) },
  'taint-eviction-controller': { create: (ctx) => new TaintEvictionController(ctx) },
  podgc: { create: (ctx) => new PodGCController(ctx) },
  disruption: { create: (ctx) => new DisruptionController(ctx) },
  serviceaccount: { create: (ctx) => new ServiceAccountsController(ctx) },
};

export function defaultControllerRegistry(): ControllerRegistry {
  const registry = new Registry<ControllerDescriptor>('controller');
  for (const [name, d] of Object.entries(BUILTIN_CONTROLLERS)) registry.add(name, d);
  return registry;
}
