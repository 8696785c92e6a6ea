import type { EnqueueExtensions, FilterPlugin, PreFilterPlugin } from '../framework/interfaces.js';
import { Status } from '../framework/status.js';

export const NAME = 'NodeName';
export const ERR_REASON = "node(s) didn't match the requested node name";

/** A pod that names its node (`spec.nodeName` set before scheduling) fits only there. */
export const nodeName = (): PreFilterPlugin & FilterPlugin & EnqueueExtensions => ({
  name: NAME,
  preFilter: (_state, pod) => {
    const n = pod.spec?.nodeName;
    return n ? { result: { nodeNames: new Set([n]) } } : Status.skip();
  },
  filter: (_state, pod, node) => (!pod.spec?.nodeName || pod.spec.nodeName === node.name ? undefined : Status.unresolvable(ERR_REASON)),
  eventsToRegister: () => ['NodeAdded'],
});
