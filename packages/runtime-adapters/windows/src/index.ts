export { GMSA_ANNOTATION, WINDOWS_NODE_LABELS, windowsPath, windowsResourcesFrom, windowsTranslator } from './translate.js';
export type { WindowsTranslatorOptions } from './translate.js';
export { WINDOWS_CONTAINERD_ENDPOINT, WindowsRuntimeModule, windowsRuntimeFactory } from './module.js';
