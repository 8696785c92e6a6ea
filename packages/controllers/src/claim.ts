import { controllerOf, isConflict, isNotFound, type LabelMatcher, type OwnerReference } from '@peapod/api-types';
import type { KubeObject, ResourceClient } from '@peapod/client';

type Owned = KubeObject & { metadata: { ownerReferences?: OwnerReference[]; labels?: Record<string, string>; deletionTimestamp?: string } };

/**
 * Kubernetes' `ControllerRefManager.Claim`: of `candidates` (objects in the owner's namespace),
 * returns those the owner controls after
 * - adopting orphans that match the selector (unless the owner or the orphan is being deleted),
 * - releasing objects it controls that no longer match.
 * Adoption and release are patches guarded by the object's resourceVersion, so a concurrent
 * change makes them fail rather than clobber; a conflict or a vanished object is skipped
 * (the next reconcile sees the new state).
 */
export async function claim<T extends Owned>(
  owner: KubeObject & { metadata: { deletionTimestamp?: string } },
  ref: OwnerReference,
  selector: LabelMatcher,
  candidates: readonly T[],
  resource: ResourceClient<T>,
): Promise<T[]> {
  const claimed: T[] = [];
  for (const obj of candidates) {
    const ctl = controllerOf(obj);
    const matches = selector.matches(obj.metadata.labels);
    if (ctl) {
      if (ctl.uid !== ref.uid) continue;
      if (matches || owner.metadata.deletionTimestamp) { claimed.push(obj); continue; }
      await patchOwners(resource, obj, (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== ref.uid));
      continue;
    }
    if (!matches || owner.metadata.deletionTimestamp || obj.metadata.deletionTimestamp) continue;
    const adopted = await patchOwners(resource, obj, [...(obj.metadata.ownerReferences ?? []), ref]);
    if (adopted) claimed.push(adopted);
  }
  return claimed;
}

async function patchOwners<T extends Owned>(resource: ResourceClient<T>, obj: T, ownerReferences: OwnerReference[]): Promise<T | undefined> {
  try {
    return await resource.patch(obj.metadata.name!, 'merge', {
      metadata: { ownerReferences: ownerReferences.length ? ownerReferences : null, resourceVersion: obj.metadata.resourceVersion },
    }, { namespace: obj.metadata.namespace });
  } catch (err) {
    if (isNotFound(err) || isConflict(err)) return undefined;
    throw err;
  }
}
