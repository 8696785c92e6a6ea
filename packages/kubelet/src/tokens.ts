import { createToken, type Token } from '@peapod/core';
import type { Runtime } from '@peapod/runtime';
import type { KubeletApi as KubeletApiContract } from './api-client.js';
import type { Kubelet, KubeletOptions } from './kubelet.js';
import type { NodeStreaming as NodeStreamingContract } from './streaming.js';

/** What `KubeletModule` reads: the kubelet's options and which runtime token to run on. */
export interface KubeletModuleOptions extends KubeletOptions {
  /** The runtime to use (default: `Runtime` from `@peapod/runtime`); apps with several kubelets give each its own. */
  runtimeToken?: Token<Runtime>;
}
export const KubeletModuleOptions = createToken<KubeletModuleOptions>('kubelet.options');

/**
 * Optional: the kubelet's narrow API views. When absent, the module backs them with `KubeClient`
 * (`kubeletApiFromClient`).
 */
export type KubeletApi = KubeletApiContract;
export const KubeletApi = createToken<KubeletApi>('kubelet.api');

/** The running kubelet of this container (the class is `Kubelet`). */
export const KubeletInstance = createToken<Kubelet>('kubelet.instance');

/** The node-side streaming endpoint (logs/exec/attach) the API server proxies to. */
export type NodeStreaming = NodeStreamingContract;
export const NodeStreaming = createToken<NodeStreaming>('kubelet.nodeStreaming');
