import type { Module } from '@peapod/core';
import { RuntimeRegistry, runtimeInvalid, type RuntimeFactory } from '@peapod/runtime';
import { CriRuntime } from './cri-runtime.js';
import { linuxTranslator } from './translate.js';

/**
 * `--runtime containerd`. Options: `endpoint` (gRPC target, default
 * `unix:///run/containerd/containerd.sock`), `podNetwork` (`node`, the default: pods share the
 * node's network since no CNI is configured; `cni`: containerd's CNI config gives each pod an IP).
 */
export const containerdRuntimeFactory: RuntimeFactory = (options, { clock }) => {
  const { endpoint, podNetwork } = options;
  if (endpoint !== undefined && (typeof endpoint !== 'string' || !endpoint)) throw runtimeInvalid('containerd runtime: option endpoint must be a gRPC target such as unix:///run/containerd/containerd.sock');
  if (podNetwork !== undefined && podNetwork !== 'node' && podNetwork !== 'cni') throw runtimeInvalid('containerd runtime: option podNetwork must be "node" or "cni"');
  return new CriRuntime({
    endpoint: (endpoint as string | undefined) ?? 'unix:///run/containerd/containerd.sock',
    translator: linuxTranslator,
    podNetwork: (podNetwork as 'node' | 'cni' | undefined) ?? 'node',
    runtimeName: 'containerd',
    clock,
  });
};

/** Registers the `containerd` runtime in the runtime registry. */
export const ContainerdRuntimeModule: Module = {
  name: 'runtime-containerd',
  dependsOn: ['runtime'],
  register(c) {
    c.resolve(RuntimeRegistry).add('containerd', containerdRuntimeFactory);
  },
};
