#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { isCliError } from './errors.js';
import { agent } from './commands/agent.js';
import { up } from './commands/up.js';
import { server } from './commands/server.js';
import { version } from './commands/version.js';
import { kubeconfig } from './commands/kubeconfig.js';
import { status } from './commands/status.js';

const USAGE = `Usage: peapod <command> [flags]

Commands:
  up          run the all-in-one cluster (API server, store, scheduler, controllers, one kubelet)
  agent       run a kubelet that joins a cluster with a join token
  server      run a control plane (API server, scheduler, controllers) on etcd; several are safe
  status      show the health of each component and node of a running cluster
  kubeconfig  print the admin kubeconfig of a data dir
  version     print the version

Run 'peapod <command> --help' for a command's flags.`;

const commands: Record<string, (argv: string[]) => Promise<number>> = { up, agent, server, status, kubeconfig, version };

async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv.slice(0, 1), allowPositionals: true, strict: false });
  const name = positionals[0];
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name ? 0 : 1;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`peapod: unknown command "${name}"; run 'peapod --help' for the list`);
    return 1;
  }
  return cmd(argv.slice(1));
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    if (isCliError(err)) console.error(`peapod: ${err.message}`);
    else console.error(err);
    process.exitCode = isCliError(err) ? err.exitCode : 2;
  },
);
