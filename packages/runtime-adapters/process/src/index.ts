export { ProcessRuntime, imageId } from './process-runtime.js';
export type { ProcessRuntimeOptions } from './process-runtime.js';
export { ProcessRuntimeModule, processRuntimeFactory } from './module.js';
