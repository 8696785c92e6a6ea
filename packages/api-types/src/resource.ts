import type { z } from 'zod';

/**
 * What the API knows about one resource: its group/version/kind, URL name, scope and schema.
 * The API server's discovery, routing and OpenAPI, and the client's URLs, all derive from this
 * one table (`RESOURCES` in `resources.ts`).
 */
export interface ResourceInfo<T = unknown> {
  /** "" for the core group. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** URL name, e.g. `pods`. */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: readonly string[];
  categories?: readonly string[];
  /** Verbs as discovery lists them. */
  verbs: readonly string[];
  /** Subresources served, e.g. `status`, `binding`, `log`, `exec`, `scale`. */
  subresources?: readonly string[];
  schema: z.ZodType<T>;
}

/** `apiVersion` for a resource: `v1` for core, `apps/v1` otherwise. */
export const apiVersionOf = (r: Pick<ResourceInfo, 'group' | 'version'>): string => (r.group ? `${r.group}/${r.version}` : r.version);
