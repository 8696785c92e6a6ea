import { badRequest, requestEntityTooLarge, unsupportedMediaType } from '@peapod/api-types';
import { Composer, Parser, type CST } from 'yaml';
import { decodeProtobuf } from './protobuf.js';

/** Largest request body accepted (kube-apiserver's 3 MiB limit); larger bodies get 413. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Deepest nesting accepted in a decoded body (JSON and YAML alike). */
export const MAX_DEPTH = 100;
/** YAML aliases allowed per document: enough for real manifests, too few for an alias bomb. */
const MAX_YAML_ALIASES = 50;

export type BodyFormat = 'json' | 'yaml' | 'protobuf';

/** Media types a request body may have, mapped to how it is decoded and, for PATCH, the patch kind. */
const MEDIA: Record<string, { format: BodyFormat; patch?: 'json' | 'merge' | 'strategic' | 'apply' }> = {
  'application/json': { format: 'json' },
  'application/yaml': { format: 'yaml' },
  'application/json-patch+json': { format: 'json', patch: 'json' },
  'application/merge-patch+json': { format: 'json', patch: 'merge' },
  'application/strategic-merge-patch+json': { format: 'json', patch: 'strategic' },
  'application/apply-patch+yaml': { format: 'yaml', patch: 'apply' },
  'application/vnd.kubernetes.protobuf': { format: 'protobuf' },
};

const mediaTypeOf = (contentType: string | undefined): string => (contentType ?? 'application/json').split(';')[0].trim().toLowerCase() || 'application/json';

/** The decoding for a content type; 415 for types this server does not read (CBOR, unknown types). */
export function mediaInfo(contentType: string | undefined) {
  const type = mediaTypeOf(contentType);
  const info = MEDIA[type];
  if (!info) throw unsupportedMediaType(type);
  return info;
}

/** Throws 413 when the declared or received size passes the limit. */
export function checkSize(bytes: number): void {
  if (bytes > MAX_BODY_BYTES) throw requestEntityTooLarge(`Request entity too large: limit is ${MAX_BODY_BYTES}`);
}

/** Decodes a body. Any syntax problem, excessive depth or alias count is a 400, never a crash; protobuf is limited to what `protobuf.ts` knows (else 415). */
export function decodeBody(raw: Buffer | string, format: BodyFormat): unknown {
  checkSize(typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length);
  if (format === 'protobuf') return decodeProtobuf(typeof raw === 'string' ? Buffer.from(raw) : raw);
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  let value: unknown;
  if (format === 'json') {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw badRequest(`error decoding JSON: ${(err as Error).message}`);
    }
  } else {
    const doc = parseYaml(text);
    if (doc.errors.length) throw badRequest(`error converting YAML to JSON: ${doc.errors[0].message}`);
    try {
      value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    } catch (err) {
      throw badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
    }
  }
  checkDepth(value);
  return value;
}

const YAML_COLLECTIONS = new Set(['flow-collection', 'block-map', 'block-seq']);

/**
 * The first YAML document, composed only after an iterative depth check of the syntax tree: the
 * composer recurses per nesting level, and a deeply nested body would otherwise exhaust the stack
 * (which can abort the whole process, not just throw).
 */
function parseYaml(text: string) {
  const tokens = [...new Parser().parse(text)];
  const stack: Array<[unknown, number]> = tokens.map((t) => [t, 0]);
  while (stack.length) {
    const [v, d] = stack.pop()!;
    const depth = YAML_COLLECTIONS.has((v as CST.Token).type) ? d + 1 : d;
    if (depth > MAX_DEPTH) throw badRequest(`error converting YAML to JSON: nesting exceeds the maximum depth of ${MAX_DEPTH}`);
    for (const child of Object.values(v as object)) if (child !== null && typeof child === 'object') stack.push([child, depth]);
  }
  const docs = [...new Composer({ uniqueKeys: true, prettyErrors: false, strict: true }).compose(tokens, true)];
  if (docs.length > 1) throw badRequest(`error converting YAML to JSON: a request body holds one document, found ${docs.length}`);
  return docs[0];
}

/**
 * Refuses nesting past MAX_DEPTH, so a hostile body cannot blow the stack of later recursive walks.
 * The recursion itself stops at that depth. Decoded bodies are plain objects and arrays.
 */
function checkDepth(value: unknown, depth = 0): void {
  if (value === null || typeof value !== 'object') return;
  if (depth >= MAX_DEPTH) throw badRequest(`object nesting exceeds the maximum depth of ${MAX_DEPTH}`);
  if (Array.isArray(value)) for (const child of value) checkDepth(child, depth + 1);
  else for (const k in value) checkDepth((value as Record<string, unknown>)[k], depth + 1);
}
