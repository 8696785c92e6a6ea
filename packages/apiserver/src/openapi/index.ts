export { OpenAPIV3, groupVersionPath } from './documents.js';
export type { OpenAPIHttpResponse, ServedDocument } from './documents.js';
