import { Container, RealClock, composeModules, silentLogger } from '@peapod/core';
import { RuntimeError, RuntimeRegistry } from '@peapod/runtime';
import { describe, expect, it } from 'vitest';
import { RUNTIME_MODULES } from './runtimes.js';

// The engines' adapters load on a node's first use (runtimes.e2e.test.ts runs docker and
// containerd nodes through them); here: each name is registered from the start, and its first
// call reaches the adapter's own factory, whose option checks are what `--runtime-opt` users see.
describe('built-in runtimes', () => {
  const registry = () => composeModules([...RUNTIME_MODULES], Container.create()).container.resolve(RuntimeRegistry);
  const context = { clock: new RealClock(), logger: silentLogger };

  it('registers every built-in runtime name', () => {
    expect(registry().names().sort()).toEqual(['containerd', 'docker', 'fake', 'process', 'windows']);
  });

  it.each([
    ['docker', { socketPath: '' }, 'docker runtime: option socketPath must be a non-empty string'],
    ['containerd', { podNetwork: 'bridge' }, 'containerd runtime: option podNetwork must be "node" or "cni"'],
    ['windows', { nodeCpus: 0 }, 'windows runtime: option nodeCpus must be a positive integer'],
  ])('%s: the first call loads the adapter, which checks its options', async (name, options, message) => {
    const create = registry().get(name);
    const err = await Promise.resolve().then(() => create(options, context)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err).toMatchObject({ code: 'InvalidArgument', message });
  });
});
