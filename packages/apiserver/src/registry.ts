import { apiVersionOf, type ResourceInfo } from '@peapod/api-types';
import { EVENTS_V1_CONVERSION, type Conversion } from './conversion.js';

/** How a subresource appears in discovery: the kind it takes/returns and its verbs. */
export interface SubresourceInfo {
  name: string;
  group: string;
  version: string;
  kind: string;
  verbs: readonly string[];
}

const POLICY_V1 = { group: 'policy', version: 'v1' };
const AUTOSCALING_V1 = { group: 'autoscaling', version: 'v1' };

/** What each subresource name means in discovery (kube-apiserver registers the same kinds). */
function subresourceInfo(r: ResourceInfo, name: string): SubresourceInfo {
  const own = { group: r.group, version: r.version };
  switch (name) {
    case 'status': case 'ephemeralcontainers': case 'resize': return { name, ...own, kind: r.kind, verbs: ['get', 'patch', 'update'] };
    case 'binding': return { name, ...own, kind: 'Binding', verbs: ['create'] };
    case 'eviction': return { name, ...POLICY_V1, kind: 'Eviction', verbs: ['create'] };
    case 'log': return { name, ...own, kind: 'Pod', verbs: ['get'] };
    case 'exec': return { name, ...own, kind: 'PodExecOptions', verbs: ['create', 'get'] };
    case 'attach': return { name, ...own, kind: 'PodAttachOptions', verbs: ['create', 'get'] };
    case 'portforward': return { name, ...own, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] };
    case 'scale': return { name, ...AUTOSCALING_V1, kind: 'Scale', verbs: ['get', 'patch', 'update'] };
    case 'finalize': return { name, ...own, kind: r.kind, verbs: ['update'] };
    default: return { name, ...own, kind: r.kind, verbs: ['get'] };
  }
}

/** One served resource: its table entry plus derived storage keys and subresources. */
export interface ServedResource {
  info: ResourceInfo<unknown>;
  apiVersion: string;
  /** Storage prefix segment: the plural, qualified by group outside the core group. */
  storageName: string;
  subresources: SubresourceInfo[];
  /** Set when objects are stored in another version's form (events.k8s.io Events are core Events). */
  conversion?: Conversion;
}

/**
 * The served resources, looked up by (group, version, plural), built once from api-types'
 * `RESOURCES` table: routing, discovery, storage keys and the namespace cleanup all read it.
 */
export class ResourceRegistry {
  readonly all: readonly ServedResource[];
  private readonly byPath = new Map<string, ServedResource>();

  constructor(resources: Iterable<ResourceInfo<unknown>>) {
    const all: ServedResource[] = [];
    for (const info of resources) {
      const sharesCoreEvents = info.group === 'events.k8s.io' && info.plural === 'events';
      const served: ServedResource = {
        info,
        apiVersion: apiVersionOf(info),
        storageName: info.group && !sharesCoreEvents ? `${info.plural}.${info.group}` : info.plural,
        subresources: (info.subresources ?? []).map((s) => subresourceInfo(info, s)),
        ...(sharesCoreEvents ? { conversion: EVENTS_V1_CONVERSION } : {}),
      };
      if (info.plural === 'namespaces' && !info.group && !served.subresources.some((s) => s.name === 'finalize')) {
        served.subresources.push(subresourceInfo(info, 'finalize'));
      }
      all.push(served);
      this.byPath.set(`${info.group}/${info.version}/${info.plural}`, served);
    }
    this.all = all;
  }

  lookup(group: string, version: string, plural: string): ServedResource | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  /** The core-group (or other) resource by plural; throws when the table lacks it (a wiring bug). */
  mustGet(group: string, plural: string): ServedResource {
    const r = this.all.find((x) => x.info.group === group && x.info.plural === plural);
    if (!r) throw new Error(`resource ${plural}.${group} is not served`);
    return r;
  }

  /** Group versions served, core first, in table order. */
  groupVersions(): Array<{ group: string; version: string }> {
    const seen = new Map<string, { group: string; version: string }>();
    for (const r of this.all) seen.set(`${r.info.group}/${r.info.version}`, { group: r.info.group, version: r.info.version });
    return [...seen.values()];
  }

  resourcesIn(group: string, version: string): ServedResource[] {
    return this.all.filter((r) => r.info.group === group && r.info.version === version);
  }
}

/** Storage key of one object. */
export const objectKey = (r: ServedResource, namespace: string, name: string) =>
  r.info.namespaced ? `/${r.storageName}/${namespace}/${name}` : `/${r.storageName}/${name}`;
/** Storage prefix of a list: one namespace, or all of them when `namespace` is empty. */
export const listPrefix = (r: ServedResource, namespace: string) =>
  r.info.namespaced && namespace ? `/${r.storageName}/${namespace}/` : `/${r.storageName}/`;
