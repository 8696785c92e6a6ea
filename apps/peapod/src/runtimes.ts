import type { Module } from '@peapod/core';
import { RuntimeModule, RuntimeRegistry, type RuntimeFactory } from '@peapod/runtime';
import { ProcessRuntimeModule } from '@peapod/runtime-process';

/** A factory whose adapter package is imported on its first call. */
const onFirstUse = (load: () => Promise<RuntimeFactory>): RuntimeFactory => async (options, context) => (await load())(options, context);

/**
 * Registers `docker`, `containerd` and `windows`, each loaded when a node first asks for it: their
 * clients (dockerode with ssh2, gRPC with the CRI proto) would otherwise cost every process
 * ~10 MB of heap and half a second of start-up, though most run only `process` and `fake`.
 */
const EngineRuntimesModule: Module = {
  name: 'runtime-engines',
  dependsOn: ['runtime'],
  register(c) {
    const runtimes = c.resolve(RuntimeRegistry);
    runtimes.add('docker', onFirstUse(async () => (await import('@peapod/runtime-docker')).dockerRuntimeFactory));
    runtimes.add('containerd', onFirstUse(async () => (await import('@peapod/runtime-containerd')).containerdRuntimeFactory));
    runtimes.add('windows', onFirstUse(async () => (await import('@peapod/runtime-windows')).windowsRuntimeFactory));
  },
};

/** The runtime registry with every built-in runtime, for the commands that run nodes. */
export const RUNTIME_MODULES: readonly Module[] = [RuntimeModule, ProcessRuntimeModule, EngineRuntimesModule];
