import { join, resolve } from 'node:path';
import { RESOURCES, isStatusError, type Node } from '@peapod/api-types';
import { HttpTransport, createClient, loadKubeconfig } from '@peapod/client';
import { CONTROLLER_MANAGER_LEASE } from '@peapod/controllers';
import { SCHEDULER_LEASE } from '@peapod/scheduler';
import { CliError } from '../errors.js';
import { parseFlags } from './args.js';

const USAGE = `Usage: peapod status [--data-dir DIR]

Shows the health of a running cluster's API server and of each node, and which server holds the
scheduler's and the controller manager's Leases, using DIR/kubeconfig.`;

/** The leader-election Leases of the control plane, by the component `peapod status` names. */
const LEADER_LEASES = [['scheduler', SCHEDULER_LEASE], ['controllers', CONTROLLER_MANAGER_LEASE]] as const;

export async function status(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { 'data-dir': { type: 'string' } }, USAGE);
  if (!flags) return 0;
  const file = join(resolve(flags['data-dir'] ?? '.peapod'), 'kubeconfig');
  const cfg = await loadKubeconfig(file).catch(() => {
    throw new CliError(`no kubeconfig at ${file}; is 'peapod up' running with this --data-dir?`);
  });
  const transport = new HttpTransport(cfg);
  let healthy = true;
  try {
    await transport.request({ method: 'GET', path: '/readyz' });
    console.log(`apiserver  ok      ${cfg.server}`);
  } catch (err) {
    console.log(`apiserver  DOWN    ${cfg.server}: ${isStatusError(err) ? err.message : (err as Error).message}`);
    return 1;
  }
  const client = createClient(transport);
  for (const [component, name] of LEADER_LEASES) {
    const lease = await client.resource(RESOURCES.leases).get(name, { namespace: 'kube-system' }).catch(() => undefined);
    const holder = lease?.spec?.holderIdentity;
    console.log(`${component.padEnd(10)} ${holder ? `leader  ${holder}` : 'no leader (leader election off, or not yet elected)'}`);
  }
  const nodes = await client.resource(RESOURCES.nodes).list();
  if (!nodes.items.length) console.log('nodes      none registered yet');
  for (const n of nodes.items as Node[]) {
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
    const state = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
    if (state !== 'Ready') healthy = false;
    console.log(`node       ${state.padEnd(8)}${n.metadata.name}${ready?.message && state !== 'Ready' ? `: ${ready.message}` : ''}`);
  }
  transport.close();
  return healthy ? 0 : 1;
}
