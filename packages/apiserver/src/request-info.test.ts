import { describe, expect, it } from 'vitest';
import { parseRequestInfo } from './request-info.js';

const parse = (method: string, url: string) => {
  const u = new URL(url, 'https://x');
  return parseRequestInfo(method, u.pathname, u.searchParams);
};

describe('parseRequestInfo', () => {
  it.each([
    ['GET', '/api/v1/namespaces/default/pods', { verb: 'list', resource: 'pods', namespace: 'default', name: '' }],
    ['GET', '/api/v1/namespaces/default/pods?watch=true', { verb: 'watch', resource: 'pods', namespace: 'default' }],
    ['GET', '/api/v1/watch/namespaces/default/pods', { verb: 'watch', resource: 'pods', namespace: 'default' }],
    ['GET', '/api/v1/namespaces/default/pods/web?watch=true', { verb: 'watch', resource: 'pods', name: 'web' }],
    ['GET', '/api/v1/pods', { verb: 'list', resource: 'pods', namespace: '' }],
    ['POST', '/api/v1/namespaces/default/pods', { verb: 'create', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/default/pods/web', { verb: 'get', name: 'web', subresource: '' }],
    ['PUT', '/api/v1/namespaces/default/pods/web/status', { verb: 'update', name: 'web', subresource: 'status' }],
    ['POST', '/api/v1/namespaces/default/pods/web/eviction', { verb: 'create', subresource: 'eviction' }],
    ['DELETE', '/api/v1/namespaces/default/pods', { verb: 'deletecollection' }],
    ['DELETE', '/api/v1/namespaces/default/pods/web', { verb: 'delete', name: 'web' }],
    ['PATCH', '/apis/apps/v1/namespaces/ns/deployments/d/scale', { verb: 'patch', group: 'apps', version: 'v1', resource: 'deployments', name: 'd', subresource: 'scale' }],
    ['GET', '/api/v1/namespaces', { verb: 'list', resource: 'namespaces', namespace: '' }],
    ['GET', '/api/v1/namespaces/kube-system', { verb: 'get', resource: 'namespaces', name: 'kube-system' }],
    ['PUT', '/api/v1/namespaces/gone/finalize', { verb: 'update', resource: 'namespaces', name: 'gone', subresource: 'finalize' }],
    ['GET', '/api/v1/nodes/n1/status', { verb: 'get', resource: 'nodes', name: 'n1', subresource: 'status' }],
  ])('%s %s', (method, url, want) => {
    expect(parse(method, url)).toMatchObject({ isResource: true, ...want });
  });

  it('treats discovery, health and openapi paths as non-resource requests', () => {
    for (const p of ['/api', '/apis', '/apis/apps', '/version', '/healthz', '/openapi/v3', '/api/v1']) expect(parse('GET', p).isResource).toBe(false);
  });

  it('answers 404 for paths with too many segments', () => {
    expect(() => parse('GET', '/api/v1/namespaces/a/pods/b/c/d')).toThrow(expect.objectContaining({ code: 404 }));
  });
});
