import type { Module } from '@peapod/core';
import { RuntimeRegistry, runtimeInvalid, type RuntimeFactory } from '@peapod/runtime';
import { ProcessRuntime } from './process-runtime.js';

/**
 * `--runtime process`. Options: `stateDir` (required), `bwrap` (path, or false to run
 * unsandboxed), `nsenter` (path), `podIpOctet` (1..254: pods get 127.<octet>.0.0/16).
 */
export const processRuntimeFactory: RuntimeFactory = (options, { clock, logger }) => {
  const { stateDir, bwrap, nsenter, podIpOctet } = options;
  if (typeof stateDir !== 'string' || !stateDir) throw runtimeInvalid('process runtime: option stateDir (a directory) is required');
  if (bwrap !== undefined && bwrap !== false && typeof bwrap !== 'string') throw runtimeInvalid('process runtime: option bwrap must be a path or false');
  if (nsenter !== undefined && typeof nsenter !== 'string') throw runtimeInvalid('process runtime: option nsenter must be a path');
  if (podIpOctet !== undefined && (!Number.isInteger(podIpOctet) || (podIpOctet as number) < 1 || (podIpOctet as number) > 254)) {
    throw runtimeInvalid('process runtime: option podIpOctet must be an integer in 1..254');
  }
  return new ProcessRuntime({
    stateDir,
    clock,
    logger: logger.child({ runtime: 'process' }),
    ...(bwrap !== undefined ? { bwrap: bwrap as string | false } : {}),
    ...(nsenter !== undefined ? { nsenter: nsenter as string } : {}),
    ...(podIpOctet !== undefined ? { podIpOctet: podIpOctet as number } : {}),
  });
};

/** Registers the `process` runtime in the runtime registry. */
export const ProcessRuntimeModule: Module = {
  name: 'runtime-process',
  dependsOn: ['runtime'],
  register(c) {
    c.resolve(RuntimeRegistry).add('process', processRuntimeFactory);
  },
};
