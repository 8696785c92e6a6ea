import type { FieldError } from '../errors.js';
import type { ObjectMeta } from '../meta/v1.js';
import { forbidden, IMMUTABLE, invalidValue, nonNegative, required } from './field.js';
import { check, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, validateAnnotations, validateLabels } from './names.js';

export type NameValidator = (name: string) => string[];

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** Go's `%#v` of a []string, as Kubernetes messages print finalizer lists. */
const goStrings = (xs: readonly string[]) => `[]string{${xs.map((x) => JSON.stringify(x)).join(', ')}}`;

/**
 * ValidateObjectMeta: name (or generateName), namespace presence per scope, labels, annotations,
 * owner references (at most one controller), finalizer names, generation.
 */
export const validateObjectMeta = (errs: FieldError[], meta: ObjectMeta, namespaced: boolean, nameFn: NameValidator = isDNS1123Subdomain, path = 'metadata') => {
  if (meta.generateName) {
    // A generated name appends a suffix, so a trailing '-' in the prefix is fine.
    for (const m of nameFn(meta.generateName.replace(/-$/, 'a'))) errs.push(invalidValue(`${path}.generateName`, meta.generateName, m));
  }
  if (!meta.name) {
    if (!meta.generateName) errs.push(required(`${path}.name`, 'name or generateName is required'));
  } else {
    for (const m of nameFn(meta.name)) errs.push(invalidValue(`${path}.name`, meta.name, m));
  }
  if (namespaced) {
    if (!meta.namespace) errs.push(required(`${path}.namespace`));
    else check(errs, `${path}.namespace`, meta.namespace, isDNS1123Label);
  } else if (meta.namespace) {
    errs.push(forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  nonNegative(errs, `${path}.generation`, meta.generation);
  validateLabels(errs, meta.labels, `${path}.labels`);
  validateAnnotations(errs, meta.annotations, `${path}.annotations`);
  const controllers: string[] = [];
  meta.ownerReferences?.forEach((r, i) => {
    const p = `${path}.ownerReferences[${i}]`;
    if (!r.apiVersion) errs.push(invalidValue(`${p}.apiVersion`, r.apiVersion, 'version must not be empty'));
    if (!r.kind) errs.push(invalidValue(`${p}.kind`, r.kind, 'kind must not be empty'));
    if (!r.name) errs.push(invalidValue(`${p}.name`, r.name, 'name must not be empty'));
    if (!r.uid) errs.push(invalidValue(`${p}.uid`, r.uid, 'uid must not be empty'));
    if (r.controller) controllers.push(`${r.kind}/${r.name}`);
  });
  if (controllers.length > 1) {
    errs.push(invalidValue(`${path}.ownerReferences`, meta.ownerReferences, `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(' and ')}`));
  }
  meta.finalizers?.forEach((f, i) => {
    const p = `${path}.finalizers[${i}]`;
    const errsBefore = errs.length;
    check(errs, p, f, isQualifiedName);
    if (errs.length === errsBefore && !f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
      errs.push(invalidValue(p, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
};

/**
 * ValidateObjectMetaUpdate: name, namespace, uid and creationTimestamp never change; deletion
 * fields change only through deletion; no finalizer may be added once deletion started.
 */
export const validateObjectMetaUpdate = (errs: FieldError[], meta: ObjectMeta, old: ObjectMeta, path = 'metadata') => {
  for (const k of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    if ((meta[k] ?? '') !== (old[k] ?? '')) errs.push(invalidValue(`${path}.${k}`, meta[k], IMMUTABLE));
  }
  for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
    if (old[k] === undefined && meta[k] !== undefined) errs.push(invalidValue(`${path}.${k}`, meta[k], 'field is immutable; may only be changed via deletion'));
  }
  if (meta.deletionTimestamp) {
    const before = new Set(old.finalizers ?? []);
    const added = (meta.finalizers ?? []).filter((f) => !before.has(f));
    if (added.length) errs.push(forbidden(`${path}.finalizers`, `no new finalizers can be added if the object is being deleted, found new finalizers ${goStrings(added)}`));
  }
};
