import type { BindPlugin, SchedulerHandle } from '../framework/interfaces.js';
import { Status } from '../framework/status.js';

export const NAME = 'DefaultBinder';

/** Binds through the pod's `binding` subresource. */
export const defaultBinder = (_args: unknown, handle: SchedulerHandle): BindPlugin => ({
  name: NAME,
  bind: async (_state, pod, nodeName) => {
    try {
      await handle.bind(pod, nodeName);
      return undefined;
    } catch (err) {
      return Status.error(err);
    }
  },
});
