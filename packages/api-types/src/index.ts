// Errors every package throws (Kubernetes Status).
export * from './errors.js';

// Schemas and their z.infer types, by API group.
export * from './meta/status.js';
export * from './meta/v1.js';
export * from './core/v1.js';
export * from './apps/v1.js';
export * from './batch/v1.js';
export * from './autoscaling/v1.js';
export * from './policy/v1.js';
export * from './coordination/v1.js';
export * from './events/v1.js';
export * from './authentication/v1.js';
export { k8sMeta, int32, int64, quantity, intOrString, time, microTime } from './schema.js';
export type { GroupVersionKind, K8sSchemaMeta } from './schema.js';

// The resource table and decoding.
export { apiVersionOf } from './resource.js';
export type { ResourceInfo } from './resource.js';
export { RESOURCES, resourceFor, resourceForKind, listSchemaOf } from './resources.js';
export type { ResourceKey } from './resources.js';
export { decodeObject, issuesToFieldErrors, typeMetaOf } from './decode.js';
export type { DecodeResult, FieldValidation } from './decode.js';
export { fieldPath, metaOf, schemaAt } from './fields.js';
export { prepareForDecode, unknownFields } from './decode-walk.js';
export type { PathSegment } from './fields.js';

// Schema metadata consumers: patches and OpenAPI.
export { patchMetaAt, toOpenAPISchemas } from './openapi/schemas.js';
export type { PatchMeta } from './openapi/schemas.js';
export { SchemaNode, REF_PREFIX, refTo } from './openapi/model.js';
export type { Definitions, OpenAPISchema, Shape } from './openapi/model.js';
export { definitionOf, definitions, schemaFor } from './openapi/definitions.js';
// Patching (apimachinery's jsonpatch, strategicpatch and structured-merge-diff): shared by the API server and client fakes.
export { PATCH_CONTENT_TYPES, applyPatch, patchTypeOf, updateManagedFields } from './patch/index.js';
export type { PatchRequest, PatchType } from './patch/index.js';

// Defaulting and validation.
export {
  applyDefaults, admitPodDefaults, defaultImagePullPolicy, defaultPod, defaultPodSpec, defaultPodTemplate, defaultNode, defaultNamespace,
  defaultSecret, defaultPersistentVolumeClaim, defaultReplicaSet, defaultDeployment, defaultStatefulSet, defaultDaemonSet, defaultJob,
  defaultCronJob,
} from './defaults.js';
export { validateObject, validateObjectUpdate, throwIfInvalid } from './validation/index.js';
export { validatePod, validatePodUpdate, validatePodStatusUpdate, validateEphemeralContainersUpdate, validatePodResize } from './validation/pod-lifecycle.js';
export { validateBinding, validateScale, validateEviction } from './validation/kinds.js';
export { validatePodSpec, validatePodTemplateSpec, validateLabelSelector, MIRROR_POD_ANNOTATION } from './validation/pod.js';
export { validateObjectMeta, validateObjectMetaUpdate } from './validation/meta.js';
export {
  isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, isConfigMapKey, isEnvVarName, isValidPortName,
} from './validation/names.js';

// Helpers about API objects.
export {
  deepEqual, isPodTerminal, controllerOf, controllerRef, getScaledValueFromIntOrPercent, nextGeneration, podRequests, podQOSClass,
} from './helpers.js';
export * from './quantity.js';
export * from './selectors.js';
export * from './scheduling.js';
