import { StatusError } from '@peapod/api-types';

/**
 * Decoding of Kubernetes' protobuf request bodies for the kinds kubectl's imperative commands send
 * that way (`kubectl create namespace|configmap|secret|serviceaccount` use the typed clientset,
 * which speaks `application/vnd.kubernetes.protobuf`). The envelope is the magic `k8s\0` and a
 * `runtime.Unknown` {typeMeta, raw}; `raw` is the object in the field numbering of Kubernetes'
 * generated.proto. Any kind or field not described here is refused with 415 rather than dropped,
 * so a client can always fall back to JSON and nothing is silently lost.
 */

type Scalar = 'string' | 'bool' | 'int' | 'bytes' | 'time';
/**
 * `pointer` marks Go pointer fields, which are only marshalled when set; other scalars are always
 * marshalled, so their zero value ("", 0, false) means unset, as an omitted JSON field does.
 */
type FieldDesc =
  | { name: string; type: Scalar; repeated?: boolean; pointer?: boolean }
  | { name: string; type: 'message'; message: MessageDesc; repeated?: boolean }
  | { name: string; type: 'map'; value: 'string' | 'bytes' };
type MessageDesc = Readonly<Record<number, FieldDesc>>;

const OWNER_REFERENCE: MessageDesc = {
  1: { name: 'kind', type: 'string' }, 3: { name: 'name', type: 'string' }, 4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' }, 6: { name: 'controller', type: 'bool', pointer: true }, 7: { name: 'blockOwnerDeletion', type: 'bool', pointer: true },
};
const OBJECT_META: MessageDesc = {
  1: { name: 'name', type: 'string' }, 2: { name: 'generateName', type: 'string' }, 3: { name: 'namespace', type: 'string' },
  4: { name: 'selfLink', type: 'string' }, 5: { name: 'uid', type: 'string' }, 6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int' }, 8: { name: 'creationTimestamp', type: 'time' }, 9: { name: 'deletionTimestamp', type: 'time' },
  10: { name: 'deletionGracePeriodSeconds', type: 'int', pointer: true }, 11: { name: 'labels', type: 'map', value: 'string' },
  12: { name: 'annotations', type: 'map', value: 'string' }, 13: { name: 'ownerReferences', type: 'message', message: OWNER_REFERENCE, repeated: true },
  14: { name: 'finalizers', type: 'string', repeated: true },
};
const OBJECT_REFERENCE: MessageDesc = {
  1: { name: 'kind', type: 'string' }, 2: { name: 'namespace', type: 'string' }, 3: { name: 'name', type: 'string' }, 4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' }, 6: { name: 'resourceVersion', type: 'string' }, 7: { name: 'fieldPath', type: 'string' },
};
const meta = { 1: { name: 'metadata', type: 'message', message: OBJECT_META } } as const;

/** Kinds of the core group decodable from protobuf, by kind. */
const KINDS: Readonly<Record<string, MessageDesc>> = {
  Namespace: {
    ...meta,
    2: { name: 'spec', type: 'message', message: { 1: { name: 'finalizers', type: 'string', repeated: true } } },
    3: { name: 'status', type: 'message', message: { 1: { name: 'phase', type: 'string' } } },
  },
  ConfigMap: { ...meta, 2: { name: 'data', type: 'map', value: 'string' }, 3: { name: 'binaryData', type: 'map', value: 'bytes' }, 4: { name: 'immutable', type: 'bool', pointer: true } },
  Secret: {
    ...meta, 2: { name: 'data', type: 'map', value: 'bytes' }, 3: { name: 'type', type: 'string' }, 4: { name: 'stringData', type: 'map', value: 'string' },
    5: { name: 'immutable', type: 'bool', pointer: true },
  },
  ServiceAccount: {
    ...meta, 2: { name: 'secrets', type: 'message', message: OBJECT_REFERENCE, repeated: true },
    3: { name: 'imagePullSecrets', type: 'message', message: { 1: { name: 'name', type: 'string' } }, repeated: true },
    4: { name: 'automountServiceAccountToken', type: 'bool', pointer: true },
  },
};
const UNKNOWN: MessageDesc = {
  1: { name: 'typeMeta', type: 'message', message: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } },
  2: { name: 'raw', type: 'bytes' }, 3: { name: 'contentEncoding', type: 'string' }, 4: { name: 'contentType', type: 'string' },
};
const TIME: MessageDesc = { 1: { name: 'seconds', type: 'int' }, 2: { name: 'nanos', type: 'int' } };
/** Go's zero time.Time, which an unset Time field marshals to. */
const ZERO_TIME_SECONDS = -62135596800;

const unsupported = (why: string) => new StatusError({
  code: 415, reason: 'UnsupportedMediaType',
  message: `the protobuf body cannot be decoded by this server (${why}); send application/json instead`,
});

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array, private readonly end = buf.length) {}
  get done() { return this.pos >= this.end; }
  varint(): bigint {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw unsupported('truncated varint');
      const b = this.buf[this.pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return BigInt.asIntN(64, v);
    }
    throw unsupported('varint too long');
  }
  bytes(): Uint8Array {
    const len = Number(this.varint());
    if (len < 0 || this.pos + len > this.end) throw unsupported('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
}

function decodeMessage(buf: Uint8Array, desc: MessageDesc, depth = 0): Record<string, unknown> {
  if (depth > 20) throw unsupported('nesting too deep');
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (!r.done) {
    const tag = Number(r.varint());
    const field = desc[tag >>> 3];
    const wire = tag & 7;
    if (!field) throw unsupported(`field number ${tag >>> 3}`);
    let value: unknown;
    if (field.type === 'string' || field.type === 'bytes' || field.type === 'message' || field.type === 'map' || field.type === 'time') {
      if (wire !== 2) throw unsupported(`wire type ${wire} for ${field.name}`);
      const data = r.bytes();
      if (field.type === 'string') value = Buffer.from(data).toString('utf8');
      else if (field.type === 'bytes') value = Buffer.from(data).toString('base64');
      else if (field.type === 'message') value = decodeMessage(data, field.message, depth + 1);
      else if (field.type === 'time') {
        const t = decodeMessage(data, TIME, depth + 1) as { seconds?: number };
        if (t.seconds === undefined || t.seconds === ZERO_TIME_SECONDS) continue;
        value = new Date(t.seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      } else {
        const entry = decodeMessage(data, { 1: { name: 'k', type: 'string' }, 2: { name: 'v', type: field.value } }, depth + 1);
        const map = (out[field.name] ??= {}) as Record<string, unknown>;
        map[String(entry.k ?? '')] = entry.v ?? '';
        continue;
      }
    } else {
      if (wire !== 0) throw unsupported(`wire type ${wire} for ${field.name}`);
      const v = r.varint();
      value = field.type === 'bool' ? v !== 0n : Number(v);
    }
    if ('repeated' in field && field.repeated) ((out[field.name] ??= []) as unknown[]).push(value);
    else if (field.type === 'message' || ('pointer' in field && field.pointer) || (value !== '' && value !== 0 && value !== false)) out[field.name] = value;
  }
  return out;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decodes a `application/vnd.kubernetes.protobuf` body into the JSON form of the object. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw unsupported('missing k8s envelope');
  const unknown = decodeMessage(body.subarray(4), UNKNOWN) as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: string; contentEncoding?: string };
  const { apiVersion = '', kind = '' } = unknown.typeMeta ?? {};
  const desc = apiVersion === 'v1' ? KINDS[kind] : undefined;
  if (!desc) throw unsupported(`kind ${apiVersion}/${kind}`);
  if (unknown.contentEncoding) throw unsupported(`content encoding ${unknown.contentEncoding}`);
  return { apiVersion, kind, ...decodeMessage(Buffer.from(unknown.raw ?? '', 'base64'), desc) };
}
