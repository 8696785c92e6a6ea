import type { ResourceRegistry, ServedResource } from './registry.js';

/**
 * API discovery in both formats. Legacy: `/api` (APIVersions), `/apis` (APIGroupList) and one
 * APIResourceList per group-version. Aggregated (apidiscovery.k8s.io v2 and v2beta1): one
 * APIGroupDiscoveryList for `/api` and one for `/apis`, served only when the Accept header asks
 * for it, because clients treat a reply as aggregated by its Content-Type alone.
 */

const AGGREGATED = /g=apidiscovery\.k8s\.io;\s*v=(v2|v2beta1);\s*as=APIGroupDiscoveryList/;

/** The aggregated discovery version the client accepts, in its order of preference, if any. */
export function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const part of (accept ?? '').split(',')) {
    const m = AGGREGATED.exec(part.replace(/\s+/g, ''));
    if (m) return m[1] as 'v2' | 'v2beta1';
  }
  return undefined;
}
export const aggregatedContentType = (v: string) => `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;

export function apiVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupList(reg: ResourceRegistry) {
  const groups = new Map<string, string[]>();
  for (const { group, version } of reg.groupVersions()) if (group) groups.set(group, [...(groups.get(group) ?? []), version]);
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => ({
      name,
      versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
    })),
  };
}

export function apiResourceList(reg: ResourceRegistry, group: string, version: string) {
  const served = reg.resourcesIn(group, version);
  if (!served.length) return undefined;
  const resources: object[] = [];
  for (const r of served) {
    const i = r.info;
    resources.push({
      name: i.plural, singularName: i.singular, namespaced: i.namespaced, kind: i.kind, verbs: i.verbs,
      ...(i.shortNames?.length ? { shortNames: i.shortNames } : {}),
      ...(i.categories?.length ? { categories: i.categories } : {}),
    });
    for (const s of r.subresources) {
      resources.push({
        name: `${i.plural}/${s.name}`, singularName: '', namespaced: i.namespaced,
        ...(s.group !== group || s.version !== version ? { group: s.group, version: s.version } : {}),
        kind: s.kind, verbs: s.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

const discoveryResource = (r: ServedResource) => ({
  resource: r.info.plural,
  responseKind: { group: r.info.group, version: r.info.version, kind: r.info.kind },
  scope: r.info.namespaced ? 'Namespaced' : 'Cluster',
  singularResource: r.info.singular,
  verbs: r.info.verbs,
  ...(r.info.shortNames?.length ? { shortNames: r.info.shortNames } : {}),
  ...(r.info.categories?.length ? { categories: r.info.categories } : {}),
  ...(r.subresources.length ? {
    subresources: r.subresources.map((s) => ({ subresource: s.name, responseKind: { group: s.group, version: s.version, kind: s.kind }, verbs: s.verbs })),
  } : {}),
});

/** `/api` (core only) or `/apis` (every named group) in the aggregated format. */
export function aggregatedDiscovery(reg: ResourceRegistry, legacy: boolean, version: 'v2' | 'v2beta1') {
  const groups = new Map<string, string[]>();
  for (const gv of reg.groupVersions()) if ((gv.group === '') === legacy) groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv.version]);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: [...groups].map(([name, versions]) => ({
      metadata: { name, creationTimestamp: null },
      versions: versions.map((v) => ({ version: v, resources: reg.resourcesIn(name, v).map(discoveryResource), freshness: 'Current' })),
    })),
  };
}
