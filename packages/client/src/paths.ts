import type { ResourceInfo } from '@peapod/api-types';

/**
 * The URL of a resource, collection or subresource, as the API server routes them:
 * `/api/v1/namespaces/<ns>/pods/<name>/<sub>` for the core group, `/apis/<group>/<version>/...`
 * otherwise; cluster-scoped resources (and all-namespace lists) have no `namespaces/<ns>` segment.
 */
export function resourcePath(
  info: Pick<ResourceInfo, 'group' | 'version' | 'plural' | 'namespaced'>,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  let p = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  if (info.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${info.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

/** A query string (with the leading `?`, or empty) from defined values only. */
export function queryString(query: Record<string, string | undefined> | undefined): string {
  if (!query) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.append(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
