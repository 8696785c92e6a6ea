import { randomBytes } from 'node:crypto';
import { badRequest, requestEntityTooLarge, timeout, type ErrorTarget } from '@peapod/api-types';
import { MAX_OBJECT_BYTES, type StoredObject, type WatchEvent } from './types.js';

/** A stored value and the offset of its metadata's closing brace (where a read's resourceVersion goes). */
export interface Encoded {
  value: string;
  metaEnd: number;
  /** The metadata has no members (the resourceVersion goes in without a comma). */
  metaEmpty: boolean;
}

/** Stands in for the resourceVersion while an object is serialised (base64url: JSON needs no escapes for it). */
const MARK = `peapod-rv-${randomBytes(12).toString('base64url')}`;
const RV_MEMBER = '"resourceVersion":"';

/**
 * Serializes an object for storage, without `metadata.resourceVersion` (the revision is the
 * storage's own, added back by `decode`). Refuses objects over MAX_OBJECT_BYTES with 413. The value
 * is exactly `JSON.stringify` of the object without its resourceVersion. One `JSON.stringify` of
 * the object with `mark` as the last member of its metadata finds the metadata's end; a text that
 * holds the mark anywhere else (it is random per process, so only a deliberate copy could) is
 * built member by member instead. `mark` is a parameter for tests.
 */
export function encodeObject(obj: StoredObject, mark = MARK): Encoded {
  const { resourceVersion: _rv, ...metadata } = obj.metadata ?? {};
  metadata.resourceVersion = mark;
  const text = JSON.stringify({ ...obj, metadata });
  const at = text.indexOf(mark);
  const member = at - RV_MEMBER.length;
  const enc = at < 0 || !text.startsWith(RV_MEMBER, member) || text.charCodeAt(at + mark.length) !== 0x22 || text.includes(mark, at + mark.length)
    ? encodeByMembers(obj)
    : cutMember(text, member, at + mark.length + 1);
  // A UTF-16 length of n encodes to at most 3n UTF-8 bytes: measure only when it could matter.
  if (enc.value.length * 3 > MAX_OBJECT_BYTES) {
    const bytes = Buffer.byteLength(enc.value);
    if (bytes > MAX_OBJECT_BYTES) {
      throw requestEntityTooLarge(`object is too large: ${bytes} bytes, the limit is ${MAX_OBJECT_BYTES} bytes`);
    }
  }
  return enc;
}

/** The text without the metadata member at [start, end) (the metadata's last), and with it the comma before it. */
function cutMember(text: string, start: number, end: number): Encoded {
  const metaEmpty = text.charCodeAt(start - 1) === 0x7b;
  const metaEnd = metaEmpty ? start : start - 1;
  return { value: text.slice(0, metaEnd) + text.slice(end), metaEnd, metaEmpty };
}

/** `encodeObject`'s value built member by member, so that the metadata's end is known without a mark. */
function encodeByMembers(obj: StoredObject): Encoded {
  const { resourceVersion: _rv, ...metadata } = obj.metadata ?? {};
  let value = '{';
  let metaEnd = -1;
  let metaEmpty = false;
  const keys = Object.keys(obj);
  if (!keys.includes('metadata')) keys.push('metadata');
  for (const k of keys) {
    const v = k === 'metadata' ? metadata : obj[k];
    const json = JSON.stringify(v) as string | undefined;
    if (json === undefined) continue;
    if (value.length > 1) value += ',';
    value += JSON.stringify(k) + ':' + json;
    if (v === metadata) {
      metaEnd = value.length - 1;
      metaEmpty = json.length === 2;
    }
  }
  return { value: value + '}', metaEnd, metaEmpty };
}

/**
 * An object exactly as a write stored it: `JSON.stringify(obj)` is `enc`'s value with `rev` as the
 * metadata's resourceVersion, which `text` holds once built.
 */
export interface Written {
  readonly obj: object;
  readonly enc: Encoded;
  readonly rev: number;
  text?: string;
}

/**
 * What a write's answer, or a watch event, carries as stored (see `Written`), by identity: an
 * entry lives as long as the answer or the event, never as long as the watch cache keeps objects.
 * The watch events of one write share one entry, so its text is built once for all watchers.
 */
const written = new WeakMap<object, Written>();

const textOf = (w: Written) =>
  (w.text ??= `${w.enc.value.slice(0, w.enc.metaEnd)}${w.enc.metaEmpty ? '' : ','}"resourceVersion":"${w.rev}"${w.enc.value.slice(w.enc.metaEnd)}`);

/** Remembers that `ev`'s object is `w.obj`, stored as `w` describes (see `watchEventJson`). */
export function rememberEvent(ev: WatchEvent<unknown>, w: Written): void {
  written.set(ev, w);
}

/**
 * `withRevision` for the object a write stored as `enc` at `rev`, remembering how it was stored,
 * so the API server can answer the write without serialising the object a second time.
 */
export function withWrittenRevision<T extends StoredObject>(obj: T, rev: number, enc: Encoded): T {
  const out = withRevision(obj, rev);
  written.set(out, { obj: out, enc, rev });
  return out;
}

/**
 * The JSON text of an object as a write returned it: what `JSON.stringify` of a read at its
 * revision gives (members in the object's order, its metadata's resourceVersion last), built from
 * the stored value when asked (in-process callers never ask). Undefined for any other object. The
 * text describes the object as the write returned it: a caller that has modified the object since
 * must serialise it itself.
 */
export function writtenJson(obj: unknown): string | undefined {
  const w = obj !== null && typeof obj === 'object' ? written.get(obj) : undefined;
  return w !== undefined && w.obj === obj ? textOf(w) : undefined;
}

/**
 * `JSON.stringify(ev)` for a watch event: the event of a write in this process that still carries
 * the object the store wrote is built from the stored text, once for all the watchers it is sent
 * to (kube-apiserver's CachingObject); any other event is serialised.
 */
export function watchEventJson(ev: WatchEvent<unknown>): string {
  const w = written.get(ev);
  if (w === undefined || w.obj !== ev.object || Object.getPrototypeOf(ev) !== Object.prototype) return JSON.stringify(ev);
  const keys = Object.keys(ev);
  if (keys.length !== 2 || keys[0] !== 'type' || keys[1] !== 'object') return JSON.stringify(ev);
  return `{"type":${JSON.stringify(ev.type)},"object":${textOf(w)}}`;
}

/** Parses a stored value and sets its resourceVersion to `rev`. Each call returns a fresh object. */
export function decode<T extends StoredObject>(value: string, rev: number): T {
  const obj = JSON.parse(value) as T;
  (obj.metadata ??= {}).resourceVersion = String(rev);
  return obj;
}

/** A shallow copy of `obj` carrying `rev` as its resourceVersion (the caller's object is left alone). */
export function withRevision<T extends StoredObject>(obj: T, rev: number): T {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rev) } };
}

/** Parses a resourceVersion parameter: "" and undefined are 0 (unset). */
export function parseRevision(rv: string | undefined, what = 'resource version'): number {
  if (rv === undefined || rv === '') return 0;
  if (!/^\d{1,15}$/.test(rv)) throw badRequest(`invalid ${what}: ${JSON.stringify(rv)}`);
  return Number(rv);
}

/** 504 for a revision the store has not reached (apiserver's "Too large resource version"). */
export const tooLargeRevision = (requested: number, current: number) =>
  timeout(`Too large resource version: ${requested}, current: ${current}`, 1);

/** What a key names, for error messages: `/pods/default/p1` is pods "p1". */
export function targetOf(key: string): ErrorTarget {
  const parts = key.split('/').filter(Boolean);
  return { kind: parts[0] ?? '', name: parts.at(-1) ?? '' };
}

interface ContinueToken {
  v: 'meta.k8s.io/v1';
  /** The revision the listing is pinned to; -1 after compaction: continue at the latest. */
  rv: number;
  /** The next key to read, relative to the listed prefix. */
  start: string;
}

/** An opaque continue token in the shape Kubernetes uses (base64 JSON with the key relative to the prefix). */
export function encodeContinue(rv: number, nextKey: string, prefix: string): string {
  const token: ContinueToken = { v: 'meta.k8s.io/v1', rv, start: nextKey.slice(prefix.length) };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeContinue(token: string, prefix: string): { rv: number; startKey: string } {
  let parsed: Partial<ContinueToken>;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<ContinueToken>;
  } catch {
    throw badRequest('continue key is not valid: not a token issued by this server');
  }
  if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.start !== 'string' || !Number.isSafeInteger(parsed.rv) || parsed.rv! < -1 || parsed.rv === 0) {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (parsed.start.startsWith('/') || parsed.start.split('/').includes('..')) {
    throw badRequest('continue key is not valid: the start key may not escape the listed prefix');
  }
  return { rv: parsed.rv!, startKey: prefix + parsed.start };
}
