import { z } from 'zod';
import { def, fieldsV1, int32, int64, k8sMeta, listOf, mapOf, rawExtension, time } from '../schema.js';
import { StatusCauseSchema, StatusDetailsSchema, StatusSchema } from './status.js';

// meta/v1: the object metadata every kind carries, list metadata, options and Table.
// Field names, types and list semantics follow the Kubernetes OpenAPI definitions.

k8sMeta.add(StatusCauseSchema, { definition: 'io.k8s.apimachinery.pkg.apis.meta.v1.StatusCause' });
k8sMeta.add(StatusDetailsSchema, { definition: 'io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails' });
k8sMeta.add(StatusSchema, { definition: 'io.k8s.apimachinery.pkg.apis.meta.v1.Status', gvk: { group: '', version: 'v1', kind: 'Status' } });

export const ManagedFieldsEntrySchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry', {
  apiVersion: z.string().optional(),
  fieldsType: z.string().optional(),
  fieldsV1: fieldsV1.optional(),
  manager: z.string().optional(),
  operation: z.string().optional(),
  subresource: z.string().optional(),
  time: time.optional(),
});
export type ManagedFieldsEntry = z.infer<typeof ManagedFieldsEntrySchema>;

export const OwnerReferenceSchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference', {
  apiVersion: z.string(),
  blockOwnerDeletion: z.boolean().optional(),
  controller: z.boolean().optional(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
}, { structType: 'atomic' });
export type OwnerReference = z.infer<typeof OwnerReferenceSchema>;

export const ObjectMetaSchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', {
  annotations: mapOf(z.string()).optional(),
  creationTimestamp: time.optional(),
  deletionGracePeriodSeconds: int64.optional(),
  deletionTimestamp: time.optional(),
  finalizers: listOf(z.string(), { patchStrategy: 'merge' }).optional(),
  generateName: z.string().optional(),
  generation: int64.optional(),
  labels: mapOf(z.string()).optional(),
  managedFields: z.array(ManagedFieldsEntrySchema).optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  ownerReferences: listOf(OwnerReferenceSchema, { patchMergeKey: 'uid', patchStrategy: 'merge' }).optional(),
  resourceVersion: z.string().optional(),
  selfLink: z.string().optional(),
  uid: z.string().optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

export const LabelSelectorRequirementSchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement', {
  key: z.string(),
  operator: z.string(),
  values: z.array(z.string()).optional(),
});
export type LabelSelectorRequirement = z.infer<typeof LabelSelectorRequirementSchema>;

export const LabelSelectorSchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector', {
  matchExpressions: z.array(LabelSelectorRequirementSchema).optional(),
  matchLabels: mapOf(z.string()).optional(),
}, { structType: 'atomic' });
export type LabelSelector = z.infer<typeof LabelSelectorSchema>;

export const ListMetaSchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta', {
  continue: z.string().optional(),
  remainingItemCount: int64.optional(),
  resourceVersion: z.string().optional(),
  selfLink: z.string().optional(),
});
export type ListMeta = z.infer<typeof ListMetaSchema>;

export const PreconditionsSchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions', {
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
});
export type Preconditions = z.infer<typeof PreconditionsSchema>;

export const DeleteOptionsSchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions', {
  apiVersion: z.string().optional(),
  dryRun: z.array(z.string()).optional(),
  gracePeriodSeconds: int64.optional(),
  kind: z.string().optional(),
  orphanDependents: z.boolean().optional(),
  preconditions: PreconditionsSchema.optional(),
  propagationPolicy: z.string().optional(),
}, { gvk: { group: '', version: 'v1', kind: 'DeleteOptions' } });
export type DeleteOptions = z.infer<typeof DeleteOptionsSchema>;

export const ConditionSchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.Condition', {
  lastTransitionTime: time,
  message: z.string(),
  observedGeneration: int64.optional(),
  reason: z.string(),
  status: z.string(),
  type: z.string(),
});
export type Condition = z.infer<typeof ConditionSchema>;

/** A watch stream frame. `object` is the kind being watched, or a Status for `ERROR`. */
export const WatchEventSchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent', {
  type: z.enum(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']),
  object: rawExtension,
});
export type WatchEvent = z.infer<typeof WatchEventSchema>;

export const TableColumnDefinitionSchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.TableColumnDefinition', {
  name: z.string(),
  type: z.string(),
  format: z.string(),
  description: z.string(),
  priority: int32,
});
export type TableColumnDefinition = z.infer<typeof TableColumnDefinitionSchema>;

export const TableRowConditionSchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.TableRowCondition', {
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const TableRowSchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.TableRow', {
  cells: z.array(z.unknown()),
  conditions: z.array(TableRowConditionSchema).optional(),
  /** The row's object: a PartialObjectMetadata or the full object, per `includeObject`. */
  object: rawExtension.optional(),
});
export type TableRow = z.infer<typeof TableRowSchema>;

/** meta.k8s.io/v1 Table, what `kubectl get` asks for with `as=Table`. */
export const TableSchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.Table', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ListMetaSchema,
  columnDefinitions: z.array(TableColumnDefinitionSchema),
  rows: z.array(TableRowSchema),
}, { gvk: { group: 'meta.k8s.io', version: 'v1', kind: 'Table' } });
export type Table = z.infer<typeof TableSchema>;

export const PartialObjectMetadataSchema = def('io.k8s.apimachinery.pkg.apis.meta.v1.PartialObjectMetadata', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
}, { gvk: { group: 'meta.k8s.io', version: 'v1', kind: 'PartialObjectMetadata' } });
export type PartialObjectMetadata = z.infer<typeof PartialObjectMetadataSchema>;

/**
 * The `<Kind>List` wrapper of any kind. `definition` is the list's Kubernetes name, e.g.
 * `io.k8s.api.core.v1.PodList`.
 */
export const listSchema = <S extends z.ZodType>(definition: string, gvk: { group: string; version: string; kind: string }, item: S) =>
  def(definition, {
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    metadata: ListMetaSchema,
    items: z.array(item),
  }, { gvk });
