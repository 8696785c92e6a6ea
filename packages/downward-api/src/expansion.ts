import type { Container } from '@peapod/api-types';
import { badRequest } from '@peapod/api-types';
import type { EnvVarValue } from './types.js';

/**
 * Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion): `$(NAME)` becomes the
 * mapped value, `$$` becomes `$`, and everything else is kept as written, including `$(NAME)`
 * when NAME is unknown, a `$(` without a closing `)`, and a `$` before any other character.
 * A substituted value is never expanded again.
 */
export const expand = (input: string, lookup: (name: string) => string | undefined): string => {
  let out = '';
  let from = 0;
  for (let i = 0; i < input.length - 1; i++) {
    if (input[i] !== '$') continue;
    out += input.slice(from, i);
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close === -1) {
        out += '$(';
      } else {
        const name = input.slice(i + 2, close);
        out += lookup(name) ?? `$(${name})`;
        i = close - 1;
      }
    } else {
      out += `$${next}`;
    }
    i += 1;
    from = i + 1;
  }
  return out + input.slice(from);
};

/** A lookup over several maps, first match wins (kubelet's `MappingFuncFor`). */
export const lookupIn = (...maps: ReadonlyArray<ReadonlyMap<string, string>>) => (name: string) => {
  for (const m of maps) {
    const v = m.get(name);
    if (v !== undefined) return v;
  }
  return undefined;
};

const toMap = (env: readonly EnvVarValue[]) => new Map(env.map((e) => [e.name, e.value]));

/**
 * The container's command and args with `$(VAR)` expanded from its final environment (every
 * variable, including those declared after and the service links), as the kubelet does right
 * before creating the container. Absent fields stay absent so the image's defaults apply.
 */
export const expandCommandAndArgs = (
  container: Pick<Container, 'command' | 'args'>,
  env: readonly EnvVarValue[],
): { command?: string[]; args?: string[] } => {
  const lookup = lookupIn(toMap(env));
  return {
    ...(container.command?.length ? { command: container.command.map((c) => expand(c, lookup)) } : {}),
    ...(container.args?.length ? { args: container.args.map((a) => expand(a, lookup)) } : {}),
  };
};

/**
 * A volume mount's `subPathExpr` expanded from the container's environment. As in Kubernetes, a
 * reference to a missing or empty variable is an error, and the result must stay a relative path
 * inside the volume.
 */
export const expandSubPathExpr = (subPathExpr: string, env: readonly EnvVarValue[]): string => {
  const values = toMap(env);
  const missing = new Set<string>();
  const expanded = expand(subPathExpr, (name) => {
    const v = values.get(name);
    if (!v) missing.add(name);
    return v ?? '';
  });
  if (missing.size > 0) throw badRequest(`missing value for ${[...missing].sort().join(', ')}`);
  if (expanded.startsWith('/') || expanded.split('/').includes('..')) {
    throw badRequest(`subPathExpr ${JSON.stringify(expanded)} must be a relative path without '..'`);
  }
  return expanded;
};
