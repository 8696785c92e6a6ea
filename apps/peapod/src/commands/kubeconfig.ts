import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from '../errors.js';
import { parseFlags } from './args.js';

const USAGE = `Usage: peapod kubeconfig [--data-dir DIR]

Prints the admin kubeconfig that 'peapod up' wrote to DIR/kubeconfig (default ./.peapod).`;

export async function kubeconfig(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { 'data-dir': { type: 'string' } }, USAGE);
  if (!flags) return 0;
  const file = join(resolve(flags['data-dir'] ?? '.peapod'), 'kubeconfig');
  try {
    process.stdout.write(readFileSync(file, 'utf8'));
  } catch {
    throw new CliError(`no kubeconfig at ${file}; start the cluster with 'peapod up' first`);
  }
  return 0;
}
