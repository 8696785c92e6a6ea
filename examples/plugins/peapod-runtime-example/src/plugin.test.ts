import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock, composeModules, silentLogger } from '@peapod/core';
import { RuntimeModule, RuntimeRegistry, isRuntimeInvalid, loadRuntimePlugin } from '@peapod/runtime';
import { runRuntimeConformance } from '@peapod/runtime/conformance';
import { fakeWorkload } from '@peapod/runtime/testing';

/**
 * The plugin is loaded the way `peapod up --runtime peapod-runtime-example` loads a third
 * party's: by package name, from an application directory whose node_modules holds it (here a
 * temporary app with the package installed as a link, as `npm install ../peapod-runtime-example`
 * would), through `loadRuntimePlugin` into the runtime registry.
 */
let app = '';
beforeAll(async () => {
  app = await mkdtemp(join(tmpdir(), 'peapod-app-'));
  await mkdir(join(app, 'node_modules'));
  await symlink(resolve(import.meta.dirname, '..'), join(app, 'node_modules', 'peapod-runtime-example'), 'dir');
});
afterAll(async () => {
  await rm(app, { recursive: true, force: true });
});

async function loadedRegistry(): Promise<RuntimeRegistry> {
  const registry = composeModules([RuntimeModule]).container.resolve(RuntimeRegistry);
  expect(await loadRuntimePlugin(registry, 'peapod-runtime-example', { resolveFrom: app })).toBe('example');
  return registry;
}

const context = { clock: new RealClock(), logger: silentLogger };
let hosts = 0;

runRuntimeConformance('example plugin', {
  workload: fakeWorkload,
  async setup() {
    const factory = (await loadedRegistry()).get('example');
    const hostId = `conformance-${++hosts}`;
    const dirs: string[] = [];
    return {
      runtime: await factory({ hostId }, context),
      reopen: async () => factory({ hostId }, context),
      tempDir: async () => {
        const d = await mkdtemp(join(tmpdir(), 'peapod-example-'));
        dirs.push(d);
        return d;
      },
      cleanup: async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); },
    };
  },
});

describe('peapod-runtime-example as a plugin', () => {
  it('registers as "example" next to the built-in runtimes and reports its own name', async () => {
    const registry = await loadedRegistry();
    expect(registry.has('fake')).toBe(true);
    const rt = await registry.get('example')({}, context);
    expect(await rt.version()).toMatchObject({ runtimeName: 'example', version: '0.1.0' });
    await rt.close();
  });

  it('is refused a second time in one registry, and checks its options', async () => {
    const registry = await loadedRegistry();
    const again = await loadRuntimePlugin(registry, 'peapod-runtime-example', { resolveFrom: app }).then(() => undefined, (e: unknown) => e);
    expect(isRuntimeInvalid(again)).toBe(true);
    expect((again as Error).message).toContain('already a runtime');
    expect(() => registry.get('example')({ hostId: 42 }, context)).toThrow(/hostId must be a non-empty string/);
  });
});
