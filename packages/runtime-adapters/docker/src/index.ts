export { DockerRuntime, MAX_API_VERSION, MIN_API_VERSION, negotiateApiVersion } from './docker-runtime.js';
export type { DockerRuntimeOptions } from './docker-runtime.js';
export { DockerLabel, containerCreateOptions, sandboxCreateOptions } from './translate.js';
export type { ContainerTranslationContext, SandboxTranslationOptions } from './translate.js';
export { DockerRuntimeModule, dockerRuntimeFactory } from './module.js';
