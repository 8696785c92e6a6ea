import { Registry } from '@peapod/core';
import { DeploymentController } from './deployment.js';
import { GarbageCollector } from './garbage-collector.js';
import { JobController } from './job.js';
import { NodeLifecycleController } from './node-lifecycle.js';
import type { ControllerDescriptor, ControllerRegistry } from './registry.js';
import { ReplicaSetController } from './replicaset.js';
import { TaintEvictionController } from './taint-eviction.js';

/** The built-in controllers under kube-controller-manager's names (`--controllers=*,-job`). */
export const BUILTIN_CONTROLLERS: Record<string, ControllerDescriptor> = {
  replicaset: { create: (ctx) => new ReplicaSetController(ctx) },
  deployment: { create: (ctx) => new DeploymentController(ctx) },
  job: { create: (ctx) => new JobController(ctx) },
  garbagecollector: { create: (ctx) => new GarbageCollector(ctx) },
  nodelifecycle: { create: (ctx) => new NodeLifecycleController(ctx) },
  'taint-eviction-controller': { create: (ctx) => new TaintEvictionController(ctx) },
};

export function defaultControllerRegistry(): ControllerRegistry {
  const registry = new Registry<ControllerDescriptor>('controller');
  for (const [name, d] of Object.entries(BUILTIN_CONTROLLERS)) registry.add(name, d);
  return registry;
}
