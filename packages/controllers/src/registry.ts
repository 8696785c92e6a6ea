import { Registry } from '@peapod/core';
import { badRequest } from '@peapod/api-types';
import type { ControllerContext } from './context.js';
import type { Controller } from './controller.js';

/** How the manager builds one controller. */
export interface ControllerDescriptor {
  create(ctx: ControllerContext): Controller;
  /** Whether `*` in the controllers spec includes it (default true). */
  enabledByDefault?: boolean;
}

/** The named controllers the manager can run; an app or plugin may add its own before start. */
export type ControllerRegistry = Registry<ControllerDescriptor>;

/**
 * Names of the controllers a `--controllers`-style spec enables, in registry order: `*` is every
 * controller enabled by default, `name` adds one, `-name` removes one; later entries win. An
 * unknown name is a 400 naming the known ones.
 */
export function enabledControllers(registry: ControllerRegistry, spec = '*'): string[] {
  const on = new Set<string>();
  const known = registry.names();
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (raw === '*') {
      for (const [name, d] of registry.entries()) if (d.enabledByDefault !== false) on.add(name);
      continue;
    }
    const off = raw.startsWith('-');
    const name = off ? raw.slice(1) : raw;
    if (!registry.has(name)) throw badRequest(`unknown controller "${name}" in "${spec}" (known: ${[...known].sort().join(', ')})`);
    if (off) on.delete(name);
    else on.add(name);
  }
  return known.filter((n) => on.has(n));
}
