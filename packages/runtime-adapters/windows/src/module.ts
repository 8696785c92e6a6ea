import { cpus } from 'node:os';
import type { Module } from '@peapod/core';
import { RuntimeRegistry, runtimeInvalid, type RuntimeFactory } from '@peapod/runtime';
import { CriRuntime } from '@peapod/runtime-containerd';
import { windowsTranslator } from './translate.js';

/** containerd's default endpoint on Windows: a named pipe, which gRPC opens as a `unix:` path. */
export const WINDOWS_CONTAINERD_ENDPOINT = 'unix:\\\\.\\pipe\\containerd-containerd';

/**
 * `--runtime windows`. Options: `endpoint` (default the containerd named pipe), `nodeCpus`
 * (default this machine's). Windows pods always get their network from CNI (HNS); only
 * hostProcess pods use the node's.
 */
export const windowsRuntimeFactory: RuntimeFactory = (options, { clock }) => {
  const { endpoint, nodeCpus } = options;
  if (endpoint !== undefined && (typeof endpoint !== 'string' || !endpoint)) throw runtimeInvalid('windows runtime: option endpoint must be a gRPC target');
  if (nodeCpus !== undefined && (!Number.isInteger(nodeCpus) || (nodeCpus as number) < 1)) throw runtimeInvalid('windows runtime: option nodeCpus must be a positive integer');
  return new CriRuntime({
    endpoint: (endpoint as string | undefined) ?? WINDOWS_CONTAINERD_ENDPOINT,
    translator: windowsTranslator({ nodeCpus: (nodeCpus as number | undefined) ?? cpus().length }),
    podNetwork: 'cni',
    runtimeName: 'containerd-windows',
    clock,
  });
};

/** Registers the `windows` runtime in the runtime registry. */
export const WindowsRuntimeModule: Module = {
  name: 'runtime-windows',
  dependsOn: ['runtime'],
  register(c) {
    c.resolve(RuntimeRegistry).add('windows', windowsRuntimeFactory);
  },
};
