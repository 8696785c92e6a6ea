import type { EnqueueExtensions, FilterPlugin, PreFilterPlugin } from '../framework/interfaces.js';
import { StateKey } from '../framework/interfaces.js';
import { podInfoOf } from '../framework/node-info.js';
import { Status } from '../framework/status.js';

export const NAME = 'NodePorts';
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";
const KEY = new StateKey<string[]>(`${NAME}/ports`);

/** `protocol/hostIP/port` conflicts when protocol and port match and either IP is the wildcard or both are equal. */
function conflicts(want: string, used: ReadonlySet<string>): boolean {
  const [proto, ip, port] = want.split('/');
  if (used.has(want)) return true;
  for (const u of used) {
    const [p2, ip2, port2] = u.split('/');
    if (p2 === proto && port2 === port && (ip === '0.0.0.0' || ip2 === '0.0.0.0')) return true;
  }
  return false;
}

export const nodePorts = (): PreFilterPlugin & FilterPlugin & EnqueueExtensions => ({
  name: NAME,
  preFilter: (state, pod) => {
    const ports = podInfoOf(pod).hostPorts;
    if (!ports.length) return Status.skip();
    state.write(KEY, ports);
    return undefined;
  },
  filter: (state, _pod, node) => {
    const ports = state.read(KEY) ?? [];
    return ports.some((p) => conflicts(p, node.usedPorts)) ? Status.unschedulable(ERR_REASON) : undefined;
  },
  eventsToRegister: () => ['NodeAdded', 'PodDeleted'],
});
