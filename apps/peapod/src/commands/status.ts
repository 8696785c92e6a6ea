import { join, resolve } from 'node:path';
import { RESOURCES, isStatusError, type Node } from '@peapod/api-types';
import { HttpTransport, createClient, loadKubeconfig } from '@peapod/client';
import { CliError } from '../errors.js';
import { parseFlags } from './args.js';

const USAGE = `Usage: peapod status [--data-dir DIR]

Shows the health of a running cluster's API server and of each node, using DIR/kubeconfig.`;

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
  const nodes = await createClient(transport).resource(RESOURCES.nodes).list();
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
