import { Container } from './container.js';
import { CompositionError, DuplicateRegistrationError } from './errors.js';

/**
 * One per package: registers the package's tokens, and optionally starts and stops what it owns.
 * `dependsOn` names modules that must start before this one (and stop after it).
 */
export interface Module {
  readonly name: string;
  readonly dependsOn?: readonly string[];
  register(container: Container): void;
  start?(container: Container): Promise<void> | void;
  stop?(container: Container): Promise<void> | void;
}

/** A composed application: modules registered into one container, started in dependency order. */
export interface ComposedApp {
  readonly container: Container;
  /** Modules in start order. */
  readonly modules: readonly Module[];
  start(): Promise<void>;
  /** Stops started modules in reverse order; every stop runs even if one throws, then the first error is rethrown. */
  stop(): Promise<void>;
}

/** Observers of start-up, e.g. a CLI printing progress. */
export interface ComposeHooks {
  starting?(module: Module): void;
  started?(module: Module, ms: number): void;
}

/**
 * Registers every module into `container` (a fresh root by default). Refuses a module listed twice,
 * a token registered twice, an unknown or cyclic `dependsOn`.
 */
export function composeModules(modules: readonly Module[], container: Container = Container.create(), hooks: ComposeHooks = {}): ComposedApp {
  const byName = new Map<string, Module>();
  for (const m of modules) {
    if (byName.has(m.name)) throw new DuplicateRegistrationError(`module ${m.name} is listed twice`);
    byName.set(m.name, m);
  }
  const ordered: Module[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (m: Module, path: string[]): void => {
    const s = state.get(m.name);
    if (s === 'done') return;
    if (s === 'visiting') throw new CompositionError(`module dependency cycle: ${[...path, m.name].join(' -> ')}`);
    state.set(m.name, 'visiting');
    for (const dep of m.dependsOn ?? []) {
      const d = byName.get(dep);
      if (!d) throw new CompositionError(`module ${m.name} depends on ${dep}, which is not composed`);
      visit(d, [...path, m.name]);
    }
    state.set(m.name, 'done');
    ordered.push(m);
  };
  for (const m of modules) visit(m, []);
  for (const m of ordered) m.register(container);

  const started: Module[] = [];
  return {
    container,
    modules: ordered,
    async start() {
      for (const m of ordered) {
        if (started.includes(m)) continue;
        hooks.starting?.(m);
        const t0 = performance.now();
        await m.start?.(container);
        started.push(m);
        hooks.started?.(m, performance.now() - t0);
      }
    },
    async stop() {
      let first: unknown;
      while (started.length) {
        const m = started.pop()!;
        try { await m.stop?.(container); } catch (err) { first ??= err; }
      }
      if (first !== undefined) throw first;
    },
  };
}
