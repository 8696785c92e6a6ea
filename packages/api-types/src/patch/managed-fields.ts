import { StatusError } from '../errors.js';
import { apiVersionOf, type ResourceInfo } from '../resource.js';
import type { SchemaNode } from '../openapi/model.js';
import { FieldSet, fieldElement, formatPath, type FieldPath } from './fieldpath.js';
import { deepEqual, isObject, type Json, type JsonObject } from './json.js';
import { LAST_APPLIED_MANAGER, fieldsFromLastApplied, syncLastApplied } from './last-applied.js';
import { addedFieldsV1, compare, merge, pathCut, removePaths, toFieldSet, withItemCache, type Comparison, type PathCut } from './typed.js';

/**
 * managedFields: who set which field, as Kubernetes' field manager records it.
 *
 * Each entry is one manager and operation: `Apply` entries (server-side apply, one per manager
 * and subresource) and `Update` entries (any create/update/patch, one per manager, API version
 * and subresource), with the fields as FieldsV1. Identity, type and server-owned metadata fields
 * (`apiVersion`, `kind`, `metadata.name`, `uid`, `resourceVersion`, ...) are never tracked, and
 * neither are the fields a request cannot change: `status` through the main resource of a kind
 * with a status subresource, and everything but `metadata` and `status` through `status`.
 */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  fields: FieldSet;
}

export interface FieldManagerContext {
  info: ResourceInfo;
  root: SchemaNode;
  manager: string;
  subresource?: string;
  /** RFC 3339 seconds for entries this request changes; defaults to the current time. */
  now?: string;
}

const STRIPPED: FieldPath[] = [
  ['f:apiVersion'],
  ['f:kind'],
  ...['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'selfLink', 'managedFields', 'deletionTimestamp', 'deletionGracePeriodSeconds'].map(
    (f) => ['f:metadata', fieldElement(f)],
  ),
];

/**
 * Untracked fields an applied configuration still carries into the result: its identity, and
 * `resourceVersion`/`uid`, which the API server then checks as preconditions as for any write.
 */
const KEPT_FROM_CONFIG = new Set(['f:apiVersion', 'f:kind', 'f:metadata.f:name', 'f:metadata.f:namespace', 'f:metadata.f:resourceVersion', 'f:metadata.f:uid']);

/** Paths a request may not set, so no manager gains or loses them through it; as a list, a set and a trie. */
interface Ignored {
  paths: readonly FieldPath[];
  set: FieldSet;
  cut: PathCut;
}

/**
 * Ignored paths by the key the function below reads them from: the subresource and whether the
 * kind has a status, and for `status` the object's top-level fields (a few sets per kind in
 * practice; bounded, as an applied configuration may carry any field names).
 */
const knownIgnored = new Map<string, Ignored>();

function ignoredPaths(info: ResourceInfo, subresource: string | undefined, obj: Json | undefined): Ignored {
  const hasStatus = !subresource && (info.subresources?.includes('status') ?? false);
  const fields: string[] = [];
  if (subresource === 'status' && isObject(obj)) for (const k in obj) if (k !== 'metadata' && k !== 'status' && Object.hasOwn(obj, k)) fields.push(k);
  const key = `${subresource ?? ''}/${hasStatus}/${fields.length ? JSON.stringify(fields) : ''}`;
  let out = knownIgnored.get(key);
  if (!out) {
    if (knownIgnored.size >= 256) knownIgnored.clear();
    const paths: FieldPath[] = hasStatus ? [...STRIPPED, ['f:status']] : subresource === 'status' ? [...STRIPPED, ...fields.map((k) => [fieldElement(k)]), ['f:spec']] : STRIPPED;
    knownIgnored.set(key, (out = ignored(paths)));
  }
  return out;
}

/** The field set of an entry that is only encoded, with FieldsV1 built without a set. */
const EMPTY_SET = new FieldSet();

const MANAGED_FIELDS_CUT = pathCut([['f:metadata', 'f:managedFields']]);

const ignored = (paths: readonly FieldPath[]): Ignored => ({ paths, set: FieldSet.of(paths), cut: pathCut(paths) });

const nowRFC3339 = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

type Identity = Pick<ManagedFieldsEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>;

/**
 * Entries are made here alone, all with the same properties (absent ones undefined): writes
 * make and copy them on every request, and objects of one shape keep that cheap.
 */
const entryOf = (id: Identity, fields: FieldSet, time: string | undefined): ManagedFieldsEntry => ({
  manager: id.manager,
  operation: id.operation,
  apiVersion: id.apiVersion,
  time,
  subresource: id.subresource,
  fields,
});

/** The identity of `manager`'s own entry for a request (`subresource` empty or undefined: the main resource). */
const identityOf = (manager: string, operation: 'Apply' | 'Update', info: ResourceInfo, subresource: string | undefined): Identity => ({
  manager,
  operation,
  apiVersion: apiVersionOf(info),
  subresource: subresource || undefined,
});

/** Whether two entries are the same manager's record: Apply entries are one per manager and subresource, Update entries also per API version. */
const sameIdentity = (a: Identity, b: Identity) =>
  a.manager === b.manager && a.operation === b.operation && (a.operation !== 'Update' || a.apiVersion === b.apiVersion) && (a.subresource ?? '') === (b.subresource ?? '');

/**
 * The entries of `obj.metadata.managedFields`; malformed entries are dropped, as Kubernetes resets
 * them. The field sets of a `stored` object's entries (which the server wrote) are read only when
 * a write needs them, and encode back to the very FieldsV1 they came from.
 */
function decodeManagedFields(obj: Json | undefined, stored = false): ManagedFieldsEntry[] {
  const meta = isObject(obj) ? obj['metadata'] : undefined;
  const list = isObject(meta) ? meta['managedFields'] : undefined;
  if (!Array.isArray(list)) return [];
  const out: ManagedFieldsEntry[] = [];
  for (const e of list) {
    if (!isObject(e) || typeof e['manager'] !== 'string' || (e['operation'] !== 'Apply' && e['operation'] !== 'Update')) continue;
    if (e['fieldsType'] !== undefined && e['fieldsType'] !== 'FieldsV1') continue;
    let fields: FieldSet;
    try {
      fields = stored ? FieldSet.fromStoredFieldsV1(e['fieldsV1'] ?? {}) : FieldSet.fromFieldsV1(e['fieldsV1'] ?? {});
    } catch {
      continue;
    }
    const id: Identity = { manager: e['manager'], operation: e['operation'], apiVersion: typeof e['apiVersion'] === 'string' ? e['apiVersion'] : '', subresource: typeof e['subresource'] === 'string' && e['subresource'] ? e['subresource'] : undefined };
    out.push(entryOf(id, fields, typeof e['time'] === 'string' ? e['time'] : undefined));
  }
  return out;
}

/** Entries as stored: Apply before Update, then oldest first, then by manager (Kubernetes' order). */
function encodeManagedFields(entries: readonly ManagedFieldsEntry[]): JsonObject[] {
  return [...entries]
    .sort((a, b) => cmp(a.operation, b.operation) || cmp(a.time ?? '', b.time ?? '') || cmp(a.manager, b.manager) || cmp(a.apiVersion, b.apiVersion) || cmp(a.subresource ?? '', b.subresource ?? ''))
    .map((e) => encodeEntry(e, e.fields.toFieldsV1()));
}

/** One entry as stored; four shapes, by which of `time` and `subresource` it has. */
function encodeEntry(e: Omit<ManagedFieldsEntry, 'fields'>, fieldsV1: JsonObject): JsonObject {
  const { manager, operation, apiVersion, time, subresource } = e;
  if (time) {
    return subresource ? { manager, operation, apiVersion, time, fieldsType: 'FieldsV1', fieldsV1, subresource } : { manager, operation, apiVersion, time, fieldsType: 'FieldsV1', fieldsV1 };
  }
  return subresource ? { manager, operation, apiVersion, fieldsType: 'FieldsV1', fieldsV1, subresource } : { manager, operation, apiVersion, fieldsType: 'FieldsV1', fieldsV1 };
}

const isUnchanged = (d: Comparison) => d.added.isEmpty() && d.modified.isEmpty() && d.removed.isEmpty();

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function withManagedFields(obj: Json, entries: readonly ManagedFieldsEntry[]): Json {
  return withEncodedManagedFields(obj, entries.length ? encodeManagedFields(entries) : []);
}

function withEncodedManagedFields(obj: Json, encoded: JsonObject[]): Json {
  if (!isObject(obj)) return obj;
  const meta: JsonObject = { ...(isObject(obj['metadata']) ? obj['metadata'] : {}) };
  if (encoded.length) meta['managedFields'] = encoded;
  else delete meta['managedFields'];
  return { ...obj, metadata: meta };
}

const stripManagedFields = (obj: Json | undefined): Json | undefined => {
  if (!isObject(obj) || !isObject(obj['metadata']) || !('managedFields' in obj['metadata'])) return obj;
  const { managedFields: _m, ...meta } = obj['metadata'];
  return { ...obj, metadata: meta };
};

/**
 * Records a create, update or non-apply patch by `manager` (operation `Update`): it takes every
 * field the request added or changed from other managers and drops removed fields from all of
 * them. A request that sets `metadata.managedFields` itself replaces the record; setting it to
 * an empty list clears it.
 */
export function updateManagedFields(previous: Json | undefined, next: Json, ctx: FieldManagerContext): Json {
  return withItemCache(() => recordUpdate(previous, next, ctx));
}

function recordUpdate(previous: Json | undefined, next: Json, ctx: FieldManagerContext): Json {
  const requested = isObject(next) && isObject(next['metadata']) ? next['metadata']['managedFields'] : undefined;
  if (Array.isArray(requested) && requested.length === 0) return withManagedFields(next, []);
  if (previous === undefined && requested === undefined) return recordCreate(next, ctx);
  const prevMeta = isObject(previous) && isObject(previous['metadata']) ? previous['metadata']['managedFields'] : undefined;
  const base = requested !== undefined && !deepEqual(requested, prevMeta) ? decodeManagedFields(next) : decodeManagedFields(previous, true);

  const ignored = ignoredPaths(ctx.info, ctx.subresource, next);
  // Both cuts leave out managedFields, so the objects are compared as they are.
  const diff = compare(previous, next, ctx.root, ignored.cut);
  const taken = diff.added.union(diff.modified);
  const removed = diff.removed;
  const me = identityOf(ctx.manager, 'Update', ctx.info, ctx.subresource);
  const now = ctx.now ?? nowRFC3339();

  const entries: ManagedFieldsEntry[] = [];
  let mine: ManagedFieldsEntry | undefined;
  for (const e of base) {
    if (sameIdentity(e, me)) mine = e;
    else entries.push(shrink(e, e.fields.difference(taken).difference(removed), now));
  }
  const fields = (mine?.fields ?? new FieldSet()).difference(removed).union(taken);
  // The entry's time moves when the object changed at all, untracked fields included (compared in
  // full only when no tracked field changed).
  const changed = () => !isUnchanged(diff) || !isUnchanged(compare(previous, next, ctx.root, MANAGED_FIELDS_CUT));
  if (!fields.isEmpty()) entries.push(entryOf(me, fields, !mine?.time || changed() ? now : mine.time));
  return withManagedFields(next, capUpdateManagers(entries.filter((e) => !e.fields.isEmpty())));
}

/**
 * A create without managedFields of its own: the one entry is the manager's, holding every field
 * the object sets (what the general path derives from a diff against nothing, built in one walk).
 */
function recordCreate(next: Json, ctx: FieldManagerContext): Json {
  const fieldsV1 = addedFieldsV1(next, ctx.root, ignoredPaths(ctx.info, ctx.subresource, next).cut);
  if (!fieldsV1) return withEncodedManagedFields(next, []);
  const me = entryOf(identityOf(ctx.manager, 'Update', ctx.info, ctx.subresource), EMPTY_SET, ctx.now ?? nowRFC3339());
  return withEncodedManagedFields(next, [encodeEntry(me, fieldsV1)]);
}

/** At most this many Update entries per object; older ones merge into `ancient-changes`. */
const MAX_UPDATE_MANAGERS = 10;
const ANCIENT = 'ancient-changes';

/**
 * Keeps an object's Update entries at `MAX_UPDATE_MANAGERS` by folding the oldest of each API
 * version into one `ancient-changes` entry (apimachinery's cap-managers manager), so that many
 * short-lived writers cannot grow managedFields without bound.
 */
function capUpdateManagers(entries: ManagedFieldsEntry[]): ManagedFieldsEntry[] {
  const updaters = entries.filter((e) => e.operation === 'Update');
  let count = updaters.length;
  if (count <= MAX_UPDATE_MANAGERS) return entries;
  updaters.sort((a, b) => cmp(a.time ?? '', b.time ?? '') || cmp(a.manager, b.manager));
  const firstOfVersion = new Map<string, ManagedFieldsEntry>();
  const buckets = new Map<string, ManagedFieldsEntry>();
  for (const e of entries) if (e.operation === 'Update' && e.manager === ANCIENT && !e.subresource) buckets.set(e.apiVersion, e);
  const out = new Set(entries);
  for (const e of updaters) {
    if (count <= MAX_UPDATE_MANAGERS) break;
    const first = firstOfVersion.get(e.apiVersion);
    if (!first) {
      firstOfVersion.set(e.apiVersion, e);
      continue;
    }
    let bucket = buckets.get(e.apiVersion);
    if (!bucket || bucket === e) {
      out.delete(first);
      bucket = entryOf({ manager: ANCIENT, operation: 'Update', apiVersion: e.apiVersion, subresource: undefined }, first.fields, undefined);
    }
    out.delete(bucket);
    out.delete(e);
    bucket = entryOf(bucket, bucket.fields.union(e.fields), e.time || bucket.time);
    buckets.set(e.apiVersion, bucket);
    out.add(bucket);
    count--;
  }
  return [...out];
}

/** An entry with `fields`, a subset of its own; its time moves only when it actually lost some (set operations return the same set then). */
const shrink = (e: ManagedFieldsEntry, fields: FieldSet, now: string): ManagedFieldsEntry =>
  fields === e.fields ? e : entryOf(e, fields, now);

export interface ApplyOptions extends FieldManagerContext {
  force: boolean;
}

/**
 * Server-side apply of `config` by `manager` onto `live` (undefined: the object does not exist
 * yet). The manager's fields become exactly those `config` sets; fields it applied before and no
 * longer applies are removed unless another manager also owns them; changing a field another
 * manager owns is a 409 Conflict listing every such field, unless `force` moves them to `manager`
 * (or, for `kubectl`, the fields still hold what its last client-side apply set). Neither `live`
 * nor `config` is modified; the result shares the values it keeps with them.
 */
export function serverSideApply(live: Json | undefined, config: JsonObject, opts: ApplyOptions): Json {
  return withItemCache(() => apply(live, config, opts));
}

function apply(live: Json | undefined, config: JsonObject, opts: ApplyOptions): Json {
  const ignored = ignoredPaths(opts.info, opts.subresource, config);
  const applied = removePaths(config, ignored.paths.filter((p) => !KEPT_FROM_CONFIG.has(p.join('.'))), opts.root) as JsonObject;
  const entries = decodeManagedFields(live, true);
  const me = identityOf(opts.manager, 'Apply', opts.info, opts.subresource);
  const previous = entries.find((e) => sameIdentity(e, me));
  const others = entries.filter((e) => e !== previous);
  const fields = toFieldSet(stripManagedFields(applied)!, opts.root).without(ignored.set);

  const base = stripManagedFields(live);
  let merged = merge(base, applied, opts.root);
  if (previous) merged = prune(merged, previous.fields, [fields, ...others.map((e) => e.fields)], opts.root);

  const diff = compare(base, merged, opts.root);
  const changed = diff.added.union(diff.modified).without(ignored.set);
  const removed = diff.removed.without(ignored.set);
  let conflicts = others.flatMap((e) => [...e.fields.intersection(changed)].map((path) => ({ entry: e, path })));
  if (conflicts.length && !opts.force && opts.manager === LAST_APPLIED_MANAGER && base !== undefined) {
    const allowed = fieldsFromLastApplied(base, apiVersionOf(opts.info), opts.root);
    conflicts = conflicts.filter((c) => !allowed.has(c.path));
  }
  if (conflicts.length && !opts.force) throw conflictError(conflicts);

  const now = opts.now ?? nowRFC3339();
  const objectChanged = !isUnchanged(diff);
  const next: ManagedFieldsEntry[] = others.map((e) => shrink(e, e.fields.difference(changed).difference(removed), now));
  if (!fields.isEmpty()) next.push(entryOf(me, fields, objectChanged || !previous?.time || !previous.fields.equals(fields) ? now : previous.time));
  const result = withManagedFields(merged, next.filter((e) => !e.fields.isEmpty()));
  return opts.manager === LAST_APPLIED_MANAGER ? syncLastApplied(result, config) : result;
}

/**
 * Removes what the manager applied last time but not now, unless someone (including this
 * application) still owns it. Struct fields count as owned by whoever owns something below them
 * (structured-merge-diff's named-field membership); a list item or map entry is kept only if a
 * manager owns the item itself. A removed field or item takes its whole subtree with it.
 */
function prune(merged: Json, last: FieldSet, kept: readonly FieldSet[], root: SchemaNode): Json {
  const lastMembers = last.withNamedFieldMembers();
  const keptMembers = kept.reduce((all, s) => all.union(s), new FieldSet()).withNamedFieldMembers();
  const removable: FieldPath[] = [];
  const visit = (path: FieldPath) => {
    for (const c of lastMembers.childrenOf(path)) {
      const p = [...path, c];
      if (lastMembers.has(p) && !keptMembers.has(p)) removable.push(p);
      else visit(p);
    }
  };
  visit([]);
  return removePaths(merged, removable, root);
}

function conflictError(conflicts: { entry: ManagedFieldsEntry; path: FieldPath }[]): StatusError {
  const who = (e: ManagedFieldsEntry) =>
    `${JSON.stringify(e.manager)}${e.subresource ? ` with subresource ${JSON.stringify(e.subresource)}` : ''}${e.operation === 'Update' ? ` using ${e.apiVersion}` : ''}`;
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${who(c.entry)}`, field: formatPath(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${who(conflicts[0].entry)}: ${formatPath(conflicts[0].path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(who(c.entry), [...(byManager.get(who(c.entry)) ?? []), formatPath(c.path)]);
    const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!.sort().map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError({ code: 409, reason: 'Conflict', message, details: { causes } });
}
