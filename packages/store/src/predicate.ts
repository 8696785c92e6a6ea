import { objectField, parseFieldSelector, parseLabelSelector } from '@peapod/api-types';
import type { Predicate, StoredObject, WatchEvent } from './types.js';

/** A compiled list/watch filter; `empty` when it lets everything through. */
export interface Matcher {
  readonly empty: boolean;
  matches(obj: StoredObject): boolean;
  /** The value `field` must equal for any object to match (an `=` field requirement), if there is one. */
  requires(field: string): string | undefined;
}

/**
 * What a watcher with `matcher` sees of one write (the etcd3 watcher's rules), or nothing: `obj` is
 * the new state (undefined for a delete), `prev` the replaced one (called only when `replaced`),
 * `removed` the previous state as a DELETED event reports it (at the write's revision).
 */
export function changeEvent<T extends StoredObject>(matcher: Matcher, obj: T | undefined, replaced: boolean, prev: () => T, removed: () => T): WatchEvent<T> | undefined {
  if (!obj) return matcher.matches(prev()) ? { type: 'DELETED', object: removed() } : undefined;
  const now = matcher.matches(obj);
  if (!replaced) return now ? { type: 'ADDED', object: obj } : undefined;
  if (matcher.empty) return { type: 'MODIFIED', object: obj };
  const before = matcher.matches(prev());
  if (now) return { type: before ? 'MODIFIED' : 'ADDED', object: obj };
  return before ? { type: 'DELETED', object: removed() } : undefined;
}

/** Compiles a Predicate; a malformed selector throws 400 BadRequest. */
export function compilePredicate(p: Predicate): Matcher {
  const labels = parseLabelSelector(p.labelSelector ?? '');
  const fields = parseFieldSelector(p.fieldSelector ?? '');
  if (labels.empty && fields.empty) return { empty: true, matches: () => true, requires: () => undefined };
  return {
    empty: false,
    matches: (obj) => labels.matches(obj.metadata.labels) && fields.matches((f) => objectField(obj, f)),
    requires: (field) => fields.requires(field),
  };
}
