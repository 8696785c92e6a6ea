import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Clock, Logger, Registry } from '@peapod/core';
import type { Runtime } from './services.js';
import { runtimeInvalid } from './errors.js';

/** Version of this contract; a plugin built for another major version is refused. */
export const RUNTIME_CONTRACT_VERSION = '0.1.0';

/** What a factory gets besides its options: the process's injected services. */
export interface RuntimeContext {
  clock: Clock;
  logger: Logger;
}

/**
 * Options as they come from flags or config files (`--runtime process --runtime-opt stateDir=...`):
 * untyped here, parsed and checked by each factory, which throws InvalidArgument for bad ones.
 */
export type RuntimeOptions = Readonly<Record<string, unknown>>;

export type RuntimeFactory = (options: RuntimeOptions, context: RuntimeContext) => Runtime | Promise<Runtime>;

/** Runtimes by name (`process`, `fake`, `docker`, plugins'): the app picks one with `--runtime`. */
export type RuntimeRegistry = Registry<RuntimeFactory>;

/**
 * What the module a plugin package announces exports, under the name `runtimePlugin`:
 * ```json
 * { "name": "peapod-runtime-foo", "peapod": { "runtime": "./dist/plugin.js" } }
 * ```
 * ```ts
 * export const runtimePlugin: RuntimePlugin = { name: 'foo', contractVersion: '0.1.0', create: (opts, ctx) => new FooRuntime(opts, ctx) };
 * ```
 */
export interface RuntimePlugin {
  /** Name the runtime is registered under (what `--runtime` then also accepts). */
  name: string;
  /** `RUNTIME_CONTRACT_VERSION` the plugin was built against. */
  contractVersion: string;
  create: RuntimeFactory;
}

export interface LoadRuntimePluginOptions {
  /** Directory whose `node_modules` chain is searched (the app's working directory by default). */
  resolveFrom?: string;
}

/**
 * Loads an npm package by name whose package.json announces a runtime module in
 * `peapod.runtime`, checks what it exports, and adds it to the registry. Returns the runtime's
 * name. Throws InvalidArgument, naming the package, when it cannot be found, announces nothing,
 * exports no valid `runtimePlugin`, targets another contract major version, or its name is taken.
 */
export async function loadRuntimePlugin(registry: RuntimeRegistry, packageName: string, options: LoadRuntimePluginOptions = {}): Promise<string> {
  const pkgDir = await findPackageDir(packageName, resolve(options.resolveFrom ?? process.cwd()));
  if (!pkgDir) throw runtimeInvalid(`runtime plugin package "${packageName}" is not installed (searched node_modules from ${options.resolveFrom ?? process.cwd()})`);
  const manifest = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { peapod?: { runtime?: unknown } };
  const entry = manifest.peapod?.runtime;
  if (typeof entry !== 'string') throw runtimeInvalid(`package "${packageName}" does not announce a runtime module ("peapod": { "runtime": "./path.js" } in its package.json)`);
  let mod: { runtimePlugin?: Partial<RuntimePlugin> };
  try {
    mod = (await import(pathToFileURL(join(pkgDir, entry)).href)) as typeof mod;
  } catch (err) {
    throw runtimeInvalid(`runtime module ${entry} of package "${packageName}" failed to load: ${err instanceof Error ? err.message : String(err)}`);
  }
  const plugin = mod.runtimePlugin;
  if (!plugin || typeof plugin.name !== 'string' || !plugin.name || typeof plugin.create !== 'function' || typeof plugin.contractVersion !== 'string') {
    throw runtimeInvalid(`runtime module ${entry} of package "${packageName}" does not export a runtimePlugin { name, contractVersion, create }`);
  }
  if (major(plugin.contractVersion) !== major(RUNTIME_CONTRACT_VERSION)) {
    throw runtimeInvalid(`runtime plugin "${plugin.name}" from "${packageName}" targets contract ${plugin.contractVersion}, this Peapod implements ${RUNTIME_CONTRACT_VERSION}`);
  }
  if (registry.has(plugin.name)) throw runtimeInvalid(`runtime plugin "${packageName}" registers "${plugin.name}", which is already a runtime`);
  registry.add(plugin.name, plugin.create);
  return plugin.name;
}

/** For 0.x versions the minor is the breaking part, as semver's caret range treats it. */
function major(v: string): string {
  const [a, b] = v.split('.');
  return a === '0' ? `0.${b}` : a;
}

async function findPackageDir(name: string, from: string): Promise<string | undefined> {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    try {
      await readFile(join(candidate, 'package.json'));
      return candidate;
    } catch {
      if (dirname(dir) === dir) return undefined;
    }
  }
}
