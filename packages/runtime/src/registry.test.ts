import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Registry, composeModules, silentLogger, FakeClock } from '@peapod/core';
import { RUNTIME_CONTRACT_VERSION, loadRuntimePlugin, type RuntimeFactory } from './registry.js';
import { RuntimeModule } from './module.js';
import { RuntimeRegistry } from './tokens.js';

const root = await mkdtemp(join(tmpdir(), 'peapod-plugins-'));
afterAll(() => rm(root, { recursive: true, force: true }));

async function plugin(pkg: string, manifest: object, code?: string): Promise<void> {
  const dir = join(root, 'node_modules', pkg);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: pkg, type: 'module', ...manifest }));
  if (code !== undefined) await writeFile(join(dir, 'plugin.js'), code);
}

describe('runtime registry and plugins', () => {
  it('RuntimeModule provides a registry that already knows the fake runtime', async () => {
    const app = composeModules([RuntimeModule]);
    const registry = app.container.resolve(RuntimeRegistry);
    const rt = await registry.get('fake')({}, { clock: new FakeClock(0), logger: silentLogger });
    expect((await rt.version()).runtimeName).toBe('fake');
    expect(() => registry.get('dockr')).toThrow('unknown runtime "dockr" (known: fake)');
  });

  it('loads a package that announces a runtime module and registers it under its name', async () => {
    await plugin('peapod-runtime-demo', { peapod: { runtime: './plugin.js' } },
      `export const runtimePlugin = { name: 'demo', contractVersion: '${RUNTIME_CONTRACT_VERSION}', create: (opts) => ({ version: async () => ({ runtimeName: 'demo:' + opts.flavour }) }) };`);
    const registry = new Registry<RuntimeFactory>('runtime');
    expect(await loadRuntimePlugin(registry, 'peapod-runtime-demo', { resolveFrom: join(root, 'sub', 'dir') })).toBe('demo');
    const rt = await registry.get('demo')({ flavour: 'x' }, { clock: new FakeClock(0), logger: silentLogger });
    expect((await rt.version()).runtimeName).toBe('demo:x');
    await expect(loadRuntimePlugin(registry, 'peapod-runtime-demo', { resolveFrom: root })).rejects.toThrow('registers "demo", which is already a runtime');
  });

  it('refuses packages that are missing, announce nothing, export no plugin or target another contract', async () => {
    const registry = new Registry<RuntimeFactory>('runtime');
    await plugin('not-a-runtime', {});
    await plugin('bad-export', { peapod: { runtime: './plugin.js' } }, 'export const something = 1;');
    await plugin('old-contract', { peapod: { runtime: './plugin.js' } }, `export const runtimePlugin = { name: 'old', contractVersion: '0.0.1', create: () => ({}) };`);
    await plugin('broken', { peapod: { runtime: './plugin.js' } }, 'throw new Error("boom");');
    const load = (pkg: string) => loadRuntimePlugin(registry, pkg, { resolveFrom: root });
    await expect(load('nowhere-to-be-found')).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('is not installed') });
    await expect(load('not-a-runtime')).rejects.toThrow('does not announce a runtime module');
    await expect(load('bad-export')).rejects.toThrow('does not export a runtimePlugin');
    await expect(load('old-contract')).rejects.toThrow(`targets contract 0.0.1, this Peapod implements ${RUNTIME_CONTRACT_VERSION}`);
    await expect(load('broken')).rejects.toThrow('failed to load: boom');
    expect(registry.names()).toEqual([]);
  });
});
