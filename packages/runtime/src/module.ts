import { Registry, type Module } from '@peapod/core';
import { FakeHost, FakeRuntime } from './testing/fake-runtime.js';
import type { RuntimeFactory } from './registry.js';
import { RuntimeRegistry } from './tokens.js';

/**
 * Owns the runtime registry and registers the `fake` runtime in it (simulated nodes in
 * `peapod up`). Adapter modules list `runtime` in `dependsOn` and add their factory in `register`.
 */
export const RuntimeModule: Module = {
  name: 'runtime',
  register(c) {
    const registry: RuntimeRegistry = new Registry<RuntimeFactory>('runtime');
    registry.add('fake', (_options, { clock }) => new FakeRuntime({ host: new FakeHost(clock), recordCalls: false }));
    c.provide(RuntimeRegistry, { useValue: registry });
  },
};
