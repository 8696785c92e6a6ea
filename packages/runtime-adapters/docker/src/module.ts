import type { Module } from '@peapod/core';
import { RuntimeRegistry, runtimeInvalid, type RuntimeFactory } from '@peapod/runtime';
import { DockerRuntime } from './docker-runtime.js';

/**
 * `--runtime docker`. Options: `socketPath` (default `/var/run/docker.sock`), `pauseImage`
 * (default `peapod/pause:3.9`), `network` (Docker network of pod sandboxes, default `none`).
 */
export const dockerRuntimeFactory: RuntimeFactory = (options, { clock, logger }) => {
  const { socketPath, pauseImage, network } = options;
  for (const [k, v] of Object.entries({ socketPath, pauseImage, network })) {
    if (v !== undefined && (typeof v !== 'string' || !v)) throw runtimeInvalid(`docker runtime: option ${k} must be a non-empty string`);
  }
  return new DockerRuntime({
    clock,
    logger: logger.child({ runtime: 'docker' }),
    ...(socketPath ? { socketPath: socketPath as string } : {}),
    ...(pauseImage ? { pauseImage: pauseImage as string } : {}),
    ...(network ? { network: network as string } : {}),
  });
};

/** Registers the `docker` runtime in the runtime registry. */
export const DockerRuntimeModule: Module = {
  name: 'runtime-docker',
  dependsOn: ['runtime'],
  register(c) {
    c.resolve(RuntimeRegistry).add('docker', dockerRuntimeFactory);
  },
};
