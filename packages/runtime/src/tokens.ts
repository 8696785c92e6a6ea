import { createToken } from '@peapod/core';
import type { Runtime as RuntimeContract } from './services.js';
import type { RuntimeRegistry as RuntimeRegistryType } from './registry.js';

/** The runtime a single-node composition hands its kubelet (apps with several kubelets make one per kubelet from the registry). */
export type Runtime = RuntimeContract;
export const Runtime = createToken<Runtime>('runtime.runtime');

/** Runtime factories by name; owned by `RuntimeModule`, filled by adapter modules and plugins. */
export type RuntimeRegistry = RuntimeRegistryType;
export const RuntimeRegistry = createToken<RuntimeRegistry>('runtime.registry');
