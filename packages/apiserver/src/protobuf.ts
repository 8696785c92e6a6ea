import { StatusError } from '@peapod/api-types';

/**
 * Decoding of Kubernetes' protobuf request bodies for what kubectl's imperative commands send that
 * way (`kubectl create namespace|configmap|secret|serviceaccount|deployment|job|cronjob|pdb` use the
 * typed clientset, which speaks `application/vnd.kubernetes.protobuf`). The envelope is the magic
 * `k8s\0` and a `runtime.Unknown` {typeMeta, raw}; `raw` is the object in the field numbering of
 * Kubernetes' generated.proto. Only the fields those commands set are described here. A field not
 * described is accepted only when it holds a zero value (Go marshals every non-pointer field, and
 * zero means unset); anything else is refused with 415, so nothing is ever silently dropped.
 */

type Scalar = 'string' | 'bool' | 'int' | 'bytes' | 'time' | 'intstr';
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
const LABEL_SELECTOR: MessageDesc = {
  1: { name: 'matchLabels', type: 'map', value: 'string' },
  2: { name: 'matchExpressions', type: 'message', repeated: true, message: { 1: { name: 'key', type: 'string' }, 2: { name: 'operator', type: 'string' }, 3: { name: 'values', type: 'string', repeated: true } } },
};
const CONTAINER: MessageDesc = {
  1: { name: 'name', type: 'string' }, 2: { name: 'image', type: 'string' }, 3: { name: 'command', type: 'string', repeated: true },
  4: { name: 'args', type: 'string', repeated: true }, 5: { name: 'workingDir', type: 'string' },
  6: {
    name: 'ports', type: 'message', repeated: true,
    message: { 1: { name: 'name', type: 'string' }, 2: { name: 'hostPort', type: 'int' }, 3: { name: 'containerPort', type: 'int' }, 4: { name: 'protocol', type: 'string' }, 5: { name: 'hostIP', type: 'string' } },
  },
  7: { name: 'env', type: 'message', repeated: true, message: { 1: { name: 'name', type: 'string' }, 2: { name: 'value', type: 'string' } } },
  14: { name: 'imagePullPolicy', type: 'string' }, 16: { name: 'stdin', type: 'bool' }, 17: { name: 'stdinOnce', type: 'bool' }, 18: { name: 'tty', type: 'bool' },
};
const POD_TEMPLATE: MessageDesc = {
  ...meta,
  2: {
    name: 'spec', type: 'message',
    message: { 2: { name: 'containers', type: 'message', message: CONTAINER, repeated: true }, 3: { name: 'restartPolicy', type: 'string' }, 20: { name: 'initContainers', type: 'message', message: CONTAINER, repeated: true } },
  },
};
const JOB_SPEC: MessageDesc = { 6: { name: 'template', type: 'message', message: POD_TEMPLATE } };

/** Kinds decodable from protobuf, by `apiVersion/kind`. */
const KINDS: Readonly<Record<string, MessageDesc>> = {
  'apps/v1/Deployment': {
    ...meta,
    2: {
      name: 'spec', type: 'message',
      message: { 1: { name: 'replicas', type: 'int', pointer: true }, 2: { name: 'selector', type: 'message', message: LABEL_SELECTOR }, 3: { name: 'template', type: 'message', message: POD_TEMPLATE } },
    },
  },
  'authentication.k8s.io/v1/TokenRequest': {
    ...meta,
    2: {
      name: 'spec', type: 'message',
      message: {
        1: { name: 'audiences', type: 'string', repeated: true }, 4: { name: 'expirationSeconds', type: 'int', pointer: true },
        3: { name: 'boundObjectRef', type: 'message', message: { 1: { name: 'kind', type: 'string' }, 2: { name: 'apiVersion', type: 'string' }, 3: { name: 'name', type: 'string' }, 4: { name: 'uid', type: 'string' } } },
      },
    },
    3: { name: 'status', type: 'message', message: { 1: { name: 'token', type: 'string' }, 2: { name: 'expirationTimestamp', type: 'time' } } },
  },
  'batch/v1/Job': { ...meta, 2: { name: 'spec', type: 'message', message: JOB_SPEC } },
  'batch/v1/CronJob': {
    ...meta,
    2: {
      name: 'spec', type: 'message',
      message: {
        1: { name: 'schedule', type: 'string' }, 3: { name: 'concurrencyPolicy', type: 'string' }, 8: { name: 'timeZone', type: 'string', pointer: true },
        5: { name: 'jobTemplate', type: 'message', message: { ...meta, 2: { name: 'spec', type: 'message', message: JOB_SPEC } } },
      },
    },
  },
  'policy/v1/PodDisruptionBudget': {
    ...meta,
    2: {
      name: 'spec', type: 'message',
      message: {
        1: { name: 'minAvailable', type: 'intstr', pointer: true }, 2: { name: 'selector', type: 'message', message: LABEL_SELECTOR },
        3: { name: 'maxUnavailable', type: 'intstr', pointer: true }, 4: { name: 'unhealthyPodEvictionPolicy', type: 'string', pointer: true },
      },
    },
  },
  'v1/Namespace': {
    ...meta,
    2: { name: 'spec', type: 'message', message: { 1: { name: 'finalizers', type: 'string', repeated: true } } },
    3: { name: 'status', type: 'message', message: { 1: { name: 'phase', type: 'string' } } },
  },
  'v1/ConfigMap': { ...meta, 2: { name: 'data', type: 'map', value: 'string' }, 3: { name: 'binaryData', type: 'map', value: 'bytes' }, 4: { name: 'immutable', type: 'bool', pointer: true } },
  'v1/Secret': {
    ...meta, 2: { name: 'data', type: 'map', value: 'bytes' }, 3: { name: 'type', type: 'string' }, 4: { name: 'stringData', type: 'map', value: 'string' },
    5: { name: 'immutable', type: 'bool', pointer: true },
  },
  'v1/ServiceAccount': {
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
/** intstr.IntOrString: type 0 is an int (intVal), 1 a string (strVal). */
const INT_OR_STRING: MessageDesc = { 1: { name: 'type', type: 'int' }, 2: { name: 'intVal', type: 'int' }, 3: { name: 'strVal', type: 'string' } };
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

/** Skips a field of unknown meaning; false unless it holds a zero value (0, empty, or a message of zeros). */
function skipZero(r: Reader, wire: number): boolean {
  if (wire === 0) return r.varint() === 0n;
  if (wire !== 2) return false;
  return isZeroMessage(r.bytes());
}

function isZeroMessage(buf: Uint8Array): boolean {
  const r = new Reader(buf);
  try {
    while (!r.done) if (!skipZero(r, Number(r.varint()) & 7)) return false;
    return true;
  } catch {
    return false;
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
    if (!field) {
      if (!skipZero(r, wire)) throw unsupported(`field number ${tag >>> 3} with a value`);
      continue;
    }
    let value: unknown;
    if (field.type !== 'bool' && field.type !== 'int') {
      if (wire !== 2) throw unsupported(`wire type ${wire} for ${field.name}`);
      const data = r.bytes();
      if (field.type === 'string') value = Buffer.from(data).toString('utf8');
      else if (field.type === 'bytes') value = Buffer.from(data).toString('base64');
      else if (field.type === 'message') value = decodeMessage(data, field.message, depth + 1);
      else if (field.type === 'time') {
        const t = decodeMessage(data, TIME, depth + 1) as { seconds?: number };
        if (t.seconds === undefined || t.seconds === ZERO_TIME_SECONDS) continue;
        value = new Date(t.seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      } else if (field.type === 'intstr') {
        const v = decodeMessage(data, INT_OR_STRING, depth + 1) as { type?: number; intVal?: number; strVal?: string };
        value = v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
      } else if (field.type === 'map') {
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
  const desc = KINDS[`${apiVersion}/${kind}`];
  if (!desc) throw unsupported(`kind ${apiVersion}/${kind}`);
  if (unknown.contentEncoding) throw unsupported(`content encoding ${unknown.contentEncoding}`);
  return { apiVersion, kind, ...decodeMessage(Buffer.from(unknown.raw ?? '', 'base64'), desc) };
}
