import type { QueueSortPlugin } from '../framework/interfaces.js';

export const NAME = 'PrioritySort';

/** Higher `spec.priority` first; equal priorities in arrival order. */
export const prioritySort = (): QueueSortPlugin => ({
  name: NAME,
  less: (a, b) => {
    const pa = a.pod.spec?.priority ?? 0;
    const pb = b.pod.spec?.priority ?? 0;
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  },
});
