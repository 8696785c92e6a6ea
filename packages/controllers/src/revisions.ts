import {
  RESOURCES, controllerOf, controllerRef, deepEqual, isAlreadyExists, isNotFound, type ControllerRevision, type OwnerReference,
} from '@peapod/api-types';
import type { KubeClient } from '@peapod/client';
import { templateHash } from './pod-util.js';

/** The label carrying a ControllerRevision's hash, and the pod label naming the revision it was made from. */
export const REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';

interface Owner {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string> };
}

/**
 * The history of a StatefulSet's or DaemonSet's pod template as ControllerRevisions (Kubernetes'
 * `history` package): each distinct template is stored once, as `{spec: {template}}`, under
 * `<owner>-<hash>`, with an increasing `revision`. Returning to an earlier template reuses its
 * revision object and gives it the next number (a rollback). Old revisions beyond `limit` that
 * no pod uses are deleted.
 */
export async function syncRevisions(
  client: KubeClient, owner: Owner, gvk: { apiVersion: string; kind: string }, template: unknown,
  all: readonly ControllerRevision[], collisionCount: number | undefined,
): Promise<{ update: ControllerRevision; revisions: ControllerRevision[] }> {
  const crs = client.resource(RESOURCES.controllerrevisions);
  const ref: OwnerReference = controllerRef(owner, gvk);
  const revisions = all.filter((r) => controllerOf(r)?.uid === owner.metadata.uid).sort((a, b) => a.revision - b.revision);
  const data = { spec: { template } };
  const max = revisions.at(-1)?.revision ?? 0;
  const match = revisions.find((r) => deepEqual(r.data, data));
  if (match) {
    if (match.revision === max) return { update: match, revisions };
    const bumped = await crs.update({ ...match, revision: max + 1 });
    return { update: bumped, revisions: [...revisions.filter((r) => r !== match), bumped] };
  }
  const hash = templateHash(template, collisionCount);
  const rev: ControllerRevision = {
    apiVersion: 'apps/v1', kind: 'ControllerRevision',
    metadata: { name: `${owner.metadata.name}-${hash}`, namespace: owner.metadata.namespace, labels: { ...owner.metadata.labels, [REVISION_HASH_LABEL]: hash }, ownerReferences: [ref] },
    data, revision: max + 1,
  };
  try {
    const created = await crs.create(rev);
    return { update: created, revisions: [...revisions, created] };
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await crs.get(rev.metadata.name!, { namespace: owner.metadata.namespace });
    if (controllerOf(existing)?.uid === owner.metadata.uid && deepEqual(existing.data, data)) return { update: existing, revisions: [...revisions, existing] };
    throw err;
  }
}

/** Deletes the oldest revisions beyond `limit`, never one in `inUse` (by name). */
export async function truncateHistory(client: KubeClient, revisions: readonly ControllerRevision[], inUse: ReadonlySet<string>, limit: number): Promise<void> {
  const old = revisions.filter((r) => !inUse.has(r.metadata.name!)).sort((a, b) => a.revision - b.revision);
  for (const r of old.slice(0, Math.max(0, old.length - limit))) {
    try {
      await client.resource(RESOURCES.controllerrevisions).delete(r.metadata.name!, { namespace: r.metadata.namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
