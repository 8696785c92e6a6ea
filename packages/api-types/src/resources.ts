import type { z } from 'zod';
import type { ResourceInfo } from './resource.js';
import { k8sMeta } from './schema.js';
import { listSchema, type ListMeta } from './meta/v1.js';
import {
  ConfigMapSchema, EventSchema, NamespaceSchema, NodeSchema, PersistentVolumeClaimSchema, PodSchema, PodTemplateSchema,
  SecretSchema, ServiceAccountSchema,
} from './core/v1.js';
import { ControllerRevisionSchema, DaemonSetSchema, DeploymentSchema, ReplicaSetSchema, StatefulSetSchema } from './apps/v1.js';
import { CronJobSchema, JobSchema } from './batch/v1.js';
import { PodDisruptionBudgetSchema } from './policy/v1.js';
import { LeaseSchema } from './coordination/v1.js';
import { EventsV1EventSchema } from './events/v1.js';

/** Every verb discovery lists for a plain read-write collection. */
const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

/**
 * Builds a ResourceInfo from a top-level schema: group, version and kind come from the schema's
 * `gvk`, so the table cannot disagree with the schemas.
 */
const resource = <T>(
  schema: z.ZodType<T>,
  info: Pick<ResourceInfo, 'plural' | 'namespaced'> & Partial<Pick<ResourceInfo, 'shortNames' | 'categories' | 'verbs' | 'subresources'>>,
): ResourceInfo<T> => {
  const gvk = k8sMeta.get(schema)?.gvk;
  if (!gvk) throw new Error(`schema for ${info.plural} has no group/version/kind`);
  return {
    ...gvk,
    listKind: `${gvk.kind}List`,
    singular: gvk.kind.toLowerCase(),
    verbs: ALL_VERBS,
    ...info,
    schema,
  };
};

/**
 * The resources Peapod serves, keyed by plural (`events.events.k8s.io` for the events.k8s.io
 * group, which shares the plural with core events). Short names, categories, verbs and
 * subresources are those Kubernetes' discovery shows for them.
 */
export const RESOURCES = {
  pods: resource(PodSchema, {
    plural: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'],
    subresources: ['status', 'binding', 'log', 'exec', 'attach', 'portforward', 'ephemeralcontainers', 'resize', 'eviction'],
  }),
  nodes: resource(NodeSchema, { plural: 'nodes', namespaced: false, shortNames: ['no'], subresources: ['status'] }),
  namespaces: resource(NamespaceSchema, {
    plural: 'namespaces', namespaced: false, shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], subresources: ['status', 'finalize'],
  }),
  configmaps: resource(ConfigMapSchema, { plural: 'configmaps', namespaced: true, shortNames: ['cm'] }),
  secrets: resource(SecretSchema, { plural: 'secrets', namespaced: true }),
  events: resource(EventSchema, { plural: 'events', namespaced: true, shortNames: ['ev'] }),
  'events.events.k8s.io': resource(EventsV1EventSchema, { plural: 'events', namespaced: true, shortNames: ['ev'] }),
  serviceaccounts: resource(ServiceAccountSchema, { plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'], subresources: ['token'] }),
  persistentvolumeclaims: resource(PersistentVolumeClaimSchema, {
    plural: 'persistentvolumeclaims', namespaced: true, shortNames: ['pvc'], subresources: ['status'],
  }),
  podtemplates: resource(PodTemplateSchema, { plural: 'podtemplates', namespaced: true }),
  replicasets: resource(ReplicaSetSchema, {
    plural: 'replicasets', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'],
  }),
  deployments: resource(DeploymentSchema, {
    plural: 'deployments', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'],
  }),
  statefulsets: resource(StatefulSetSchema, {
    plural: 'statefulsets', namespaced: true, shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'],
  }),
  daemonsets: resource(DaemonSetSchema, {
    plural: 'daemonsets', namespaced: true, shortNames: ['ds'], categories: ['all'], subresources: ['status'],
  }),
  controllerrevisions: resource(ControllerRevisionSchema, { plural: 'controllerrevisions', namespaced: true }),
  jobs: resource(JobSchema, { plural: 'jobs', namespaced: true, categories: ['all'], subresources: ['status'] }),
  cronjobs: resource(CronJobSchema, {
    plural: 'cronjobs', namespaced: true, shortNames: ['cj'], categories: ['all'], subresources: ['status'],
  }),
  poddisruptionbudgets: resource(PodDisruptionBudgetSchema, {
    plural: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'], subresources: ['status'],
  }),
  leases: resource(LeaseSchema, { plural: 'leases', namespaced: true }),
} as const;

export type ResourceKey = keyof typeof RESOURCES;

/** The resources by `<group>/<plural>` and by `<group>/<kind>` (every write looks its kind up). */
const byPlural = new Map<string, ResourceInfo>();
const byKind = new Map<string, ResourceInfo>();
for (const r of Object.values(RESOURCES) as ResourceInfo[]) {
  // The first of a pair wins, as a search of the table in order finds it.
  if (!byPlural.has(`${r.group}/${r.plural}`)) byPlural.set(`${r.group}/${r.plural}`, r);
  if (!byKind.has(`${r.group}/${r.kind}`)) byKind.set(`${r.group}/${r.kind}`, r);
}

/** Finds a resource by group and plural (the URL pair), e.g. `('apps', 'deployments')`. */
export const resourceFor = (group: string, plural: string): ResourceInfo | undefined => byPlural.get(`${group}/${plural}`);

/** Finds a resource by group and kind, e.g. `('', 'Pod')`. */
export const resourceForKind = (group: string, kind: string): ResourceInfo | undefined => byKind.get(`${group}/${kind}`);

const listSchemas = new Map<ResourceInfo, z.ZodType>();
/** The `<Kind>List` schema of a resource (`io.k8s.api.core.v1.PodList`), built once. */
export const listSchemaOf = <T>(info: ResourceInfo<T>): z.ZodType<{ apiVersion?: string; kind?: string; metadata: ListMeta; items: T[] }> => {
  let s = listSchemas.get(info as ResourceInfo);
  if (!s) {
    const item = k8sMeta.get(info.schema)!.definition!;
    s = listSchema(`${item}List`, { group: info.group, version: info.version, kind: info.listKind }, info.schema);
    listSchemas.set(info as ResourceInfo, s);
  }
  return s as never;
};
