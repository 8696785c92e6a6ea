import type { EnqueueExtensions, PreEnqueuePlugin } from '../framework/interfaces.js';
import { Status } from '../framework/status.js';

export const NAME = 'SchedulingGates';

/** Holds pods with `spec.schedulingGates` out of the active queue until every gate is removed. */
export const schedulingGates = (): PreEnqueuePlugin & EnqueueExtensions => ({
  name: NAME,
  preEnqueue: (pod) => {
    const gates = pod.spec?.schedulingGates ?? [];
    return gates.length ? Status.unresolvable(`waiting for scheduling gates: [${gates.map((g) => g.name).join(' ')}]`) : undefined;
  },
  eventsToRegister: () => ['PodGatesRemoved'],
});
