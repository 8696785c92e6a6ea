export { CriRuntime } from './cri-runtime.js';
export type { CriRuntimeOptions } from './cri-runtime.js';
export { CriClient, CRI_PROTO_PATH, criPackage, fromGrpc } from './cri/client.js';
export type { CriService } from './cri/client.js';
export type * from './cri/messages.js';
export { commonContainerConfig, commonSandboxConfig, criNamespaceMode, linuxResources, linuxTranslator } from './translate.js';
export type { CriTranslator } from './translate.js';
export { ContainerdRuntimeModule, containerdRuntimeFactory } from './module.js';
