import { toleratesTaint } from '@peapod/api-types';
import type { EnqueueExtensions, FilterPlugin } from '../framework/interfaces.js';
import { Status } from '../framework/status.js';

export const NAME = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
const UNSCHEDULABLE_TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' } as const;

/** Cordoned nodes (`spec.unschedulable`) take only pods tolerating the unschedulable taint. */
export const nodeUnschedulable = (): FilterPlugin & EnqueueExtensions => ({
  name: NAME,
  filter: (_state, pod, node) => {
    if (!node.unschedulable) return undefined;
    const tolerated = (pod.spec?.tolerations ?? []).some((t) => toleratesTaint(t, UNSCHEDULABLE_TAINT));
    return tolerated ? undefined : Status.unresolvable(ERR_REASON_UNSCHEDULABLE);
  },
  eventsToRegister: () => ['NodeAdded', 'NodeSpecUnschedulableChanged', 'NodeTaintChanged'],
});
