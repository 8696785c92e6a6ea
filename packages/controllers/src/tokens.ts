import { createToken } from '@peapod/core';
import type { ControllersOptions as ControllersOptionsT } from './context.js';
import type { ControllerManager as ControllerManagerT } from './manager.js';
import type { ControllerRegistry as ControllerRegistryT } from './registry.js';

export type ControllersOptions = ControllersOptionsT;
/** Optional: provided by the app to tune the controllers (defaults are kube-controller-manager's). */
export const ControllersOptions = createToken<ControllersOptions>('controllers.options');

export type ControllerRegistry = ControllerRegistryT;
/** The named controllers; add to it before the module starts to run a controller of your own. */
export const ControllerRegistry = createToken<ControllerRegistry>('controllers.registry');

export type ControllerManager = ControllerManagerT;
export const ControllerManager = createToken<ControllerManager>('controllers.manager');
