export { OpenAPIV3, groupVersionPath } from './documents.js';
export type { OpenAPIHttpResponse, ServedDocument } from './documents.js';
export { SchemaNode, REF_PREFIX } from './model.js';
export type { Definitions, GroupVersionKind, OpenAPISchema, Shape } from './model.js';
