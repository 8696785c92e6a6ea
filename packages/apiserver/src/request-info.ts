import { badRequest, notFound } from '@peapod/api-types';

/**
 * What a request is about, parsed from its path alone (kube-apiserver's RequestInfoFactory).
 * Resource requests look like `/api/v1[/namespaces/<ns>]/<resource>[/<name>[/<subresource>]]`
 * or `/apis/<group>/<version>/...`; `/api/v1/namespaces/<name>` names the namespace itself.
 */
export interface RequestInfo {
  /** A resource request (false for discovery, health, version, openapi). */
  isResource: boolean;
  path: string;
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection. */
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', GET: 'get', HEAD: 'get', DELETE: 'delete' };

const decodeSegment = (segment: string): string => {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`invalid URL escape in path segment "${segment}"`);
  }
};

/**
 * Names in a path must stay one segment (apimachinery's IsValidPathSegmentName): `.`, `..`, and
 * names holding `/` or `%` (after decoding) are refused with 400, so an encoded slash or a dot
 * segment can never address another object or reach a node with a crafted name.
 */
function checkPathSegmentName(what: string, name: string): void {
  if (name === '' || (name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%'))) return;
  const errors = [...(name === '.' || name === '..' ? [`may not be '${name}'`] : []), ...['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`)];
  throw badRequest(`invalid ${what} ${JSON.stringify(name)}: [${errors.join(', ')}]`);
}

/**
 * Parses a path; `query` decides list vs watch. Throws 404 for malformed resource paths
 * (too many segments), as the real server answers for paths it does not serve.
 */
export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const parts: string[] = [];
  for (const p of path.split('/')) if (p !== '') parts.push(decodeSegment(p));
  const info: RequestInfo = { isResource: false, path, verb: (method || 'GET').toLowerCase(), group: '', version: '', resource: '', subresource: '', namespace: '', name: '' };
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    rest = parts.slice(2);
    info.version = parts[1];
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    rest = parts.slice(3);
    info.group = parts[1];
    info.version = parts[2];
  } else {
    return info;
  }
  info.isResource = true;
  info.verb = VERBS[method] ?? method.toLowerCase();
  // Legacy `/watch/` prefix, still honoured by the real server.
  let legacyWatch = false;
  if (rest[0] === 'watch') { legacyWatch = true; rest = rest.slice(1); }
  // `/namespaces/<ns>/<resource>...` scopes a request, except the namespace's own subresources.
  if (rest[0] === 'namespaces' && rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) {
    info.namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length > 3 || rest.length === 0) throw notFound({});
  [info.resource, info.name = '', info.subresource = ''] = rest;
  checkPathSegmentName('namespace', info.namespace);
  checkPathSegmentName('resource name', info.name);
  const watch = query.get('watch') === 'true' || query.get('watch') === '1' || legacyWatch;
  if (info.name === '' && info.subresource === '') {
    if (info.verb === 'get') info.verb = watch ? 'watch' : 'list';
    else if (info.verb === 'delete') info.verb = 'deletecollection';
  } else if (watch && info.verb === 'get' && info.subresource === '') {
    info.verb = 'watch';
  }
  if ((info.verb === 'update' || info.verb === 'patch') && info.name === '') throw badRequest('name is required for this request');
  return info;
}
