import { objectField, parseFieldSelector, parseLabelSelector } from '@peapod/api-types';
import type { Predicate, StoredObject } from './types.js';

/** A compiled list/watch filter; `empty` when it lets everything through. */
export interface Matcher {
  readonly empty: boolean;
  matches(obj: StoredObject): boolean;
  /** The value `field` must equal for any object to match (an `=` field requirement), if there is one. */
  requires(field: string): string | undefined;
}

/** Compiles a Predicate; a malformed selector throws 400 BadRequest. */
export function compilePredicate(p: Predicate): Matcher {
  const labels = parseLabelSelector(p.labelSelector ?? '');
  const fields = parseFieldSelector(p.fieldSelector ?? '');
  if (labels.empty && fields.empty) return { empty: true, matches: () => true, requires: () => undefined };
  return {
    empty: false,
    matches: (obj) => labels.matches(obj.metadata.labels) && fields.matches((f) => objectField(obj, f)),
    requires: (field) => fields.requirements.find((r) => r.field === field && r.operator === '=')?.value,
  };
}
