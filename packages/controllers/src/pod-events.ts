import { controllerOf, deepEqual, type Pod } from '@peapod/api-types';
import type { ResourceEventHandler } from '@peapod/client';
import type { Expectations } from './expectations.js';

/**
 * The pod event handler of a pod-owning controller (Kubernetes' addPod/updatePod/deletePod): it
 * tells `expectations` what the cache has caught up with and enqueues the owner of kind `kind`,
 * or, for an orphan, every owner that might adopt it. It only enqueues.
 */
export function podOwnerHandler(
  kind: string,
  enqueue: (key: string) => void,
  enqueueAdopters: (pod: Pod) => void,
  expectations?: Expectations,
): ResourceEventHandler<Pod> {
  const ownerKey = (pod: Pod): string | undefined => {
    const ref = controllerOf(pod);
    return ref?.kind === kind ? `${pod.metadata.namespace}/${ref.name}` : undefined;
  };
  return {
    onAdd(pod) {
      const key = ownerKey(pod);
      if (key) {
        if (pod.metadata.deletionTimestamp) expectations?.deletionObserved(key, pod.metadata.uid!);
        else expectations?.creationObserved(key);
        enqueue(key);
      } else if (!controllerOf(pod) && !pod.metadata.deletionTimestamp) {
        enqueueAdopters(pod);
      }
    },
    onUpdate(old, pod) {
      if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
      const key = ownerKey(pod);
      const oldKey = ownerKey(old);
      if (key && pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) expectations?.deletionObserved(key, pod.metadata.uid!);
      if (oldKey && oldKey !== key) enqueue(oldKey);
      if (key) enqueue(key);
      else if (!controllerOf(pod) && (!deepEqual(old.metadata.labels, pod.metadata.labels) || controllerOf(old))) enqueueAdopters(pod);
    },
    onDelete(pod) {
      const key = ownerKey(pod);
      if (!key) return;
      expectations?.deletionObserved(key, pod.metadata.uid!);
      enqueue(key);
    },
  };
}
