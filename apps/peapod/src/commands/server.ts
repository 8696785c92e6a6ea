import { join, resolve } from 'node:path';
import { HttpTransport, leaderIdentity, loadKubeconfig } from '@peapod/client';
import { ApiServer } from '@peapod/apiserver';
import { composeModules } from '@peapod/core';
import { lockDataDir } from '../data-dir.js';
import { CliError, isCliError } from '../errors.js';
import { fileLogger } from '../logger.js';
import { parseFlags, parseListen } from './args.js';
import { composeControlPlane, explainStartFailure, serveApp, storeUrlOf, type ControlPlaneOptions } from './up.js';

const USAGE = `Usage: peapod server [flags]

Runs a control plane (API server, scheduler, controllers; no kubelet). Several servers on one
etcd cluster are safe: the scheduler and the controller manager act only in the server that holds
their Lease (kube-system/kube-scheduler, kube-system/kube-controller-manager). Agents join with
'peapod agent --server https://HOST:PORT --token-file PKI_DIR/join.token'.

Flags:
  --data-dir DIR                          this server's logs and kubeconfig (default ./.peapod-server)
  --listen HOST:PORT                      API server address (default 127.0.0.1:6443)
  --store URL                             etcd://HOST:PORT[,HOST:PORT...][/prefix] for several servers;
                                          default sqlite DIR/state.db (one server only)
  --pki-dir DIR                           cluster CA, admin token and join token, the same for every
                                          server of a cluster: copy it to each machine (default DIR/pki)
  --tls-san NAME                          extra name or address for the serving certificate (repeatable)
  --controllers LIST                      controllers to run, e.g. '*' or '*,-cronjob' (default *)
  --leader-elect-lease-duration SECONDS   how long a dead leader keeps its Lease (default 15); the
                                          renew deadline is 2/3 of it, the retry period 2/15
  --node-monitor-grace-period SECONDS     a node silent this long turns Ready=Unknown (default 50)
  --node-monitor-period SECONDS           how often node health is checked (default 5)`;

export interface ServerOptions extends ControlPlaneOptions {
  leaseDurationSeconds: number;
}

const seconds = (flag: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new CliError(`--${flag} must be a positive number of seconds (got "${value}")`);
  return n;
};

export function serverOptions(argv: string[]): ServerOptions | undefined {
  const flags = parseFlags(argv, {
    'data-dir': { type: 'string' },
    listen: { type: 'string' },
    store: { type: 'string' },
    'pki-dir': { type: 'string' },
    'tls-san': { type: 'string', multiple: true },
    controllers: { type: 'string' },
    'leader-elect-lease-duration': { type: 'string' },
    'node-monitor-grace-period': { type: 'string' },
    'node-monitor-period': { type: 'string' },
  }, USAGE);
  if (!flags) return undefined;
  const dataDir = resolve(flags['data-dir'] ?? '.peapod-server');
  const { host, port } = parseListen(flags.listen ?? '127.0.0.1:6443');
  const lease = seconds('leader-elect-lease-duration', flags['leader-elect-lease-duration'], 15);
  return {
    dataDir,
    host,
    port,
    storeUrl: flags.store ?? '',
    pkiDir: resolve(flags['pki-dir'] ?? join(dataDir, 'pki')),
    hosts: (flags['tls-san'] ?? []) as unknown as string[],
    controllers: flags.controllers ?? '*',
    leaseDurationSeconds: lease,
    // kube-controller-manager's and kube-scheduler's defaults keep these ratios (15 s, 10 s, 2 s).
    leaderElection: { leaseDurationSeconds: lease, renewDeadlineMs: Math.round((lease * 1000 * 2) / 3), retryPeriodMs: Math.round((lease * 1000 * 2) / 15) },
    nodeMonitorGracePeriodSeconds: seconds('node-monitor-grace-period', flags['node-monitor-grace-period'], 50),
    nodeMonitorPeriodSeconds: seconds('node-monitor-period', flags['node-monitor-period'], 5),
  };
}

/**
 * Servers sharing a pki dir take turns creating or refreshing it: the first one creates the CA and
 * the tokens, the others load them. The lock is `PKI_DIR/peapod.lock`, taken over when stale.
 */
async function lockPkiDir(dir: string, timeoutMs = 60_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return lockDataDir(dir).release;
    } catch (err) {
      if (!isCliError(err) || !/in use/.test(err.message)) throw err;
      if (Date.now() > deadline) throw new CliError(`pki dir ${dir} stayed locked by another starting peapod server for ${timeoutMs / 1000} s (${err.message})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function server(argv: string[]): Promise<number> {
  const parsed = serverOptions(argv);
  if (!parsed) return 0;
  const o = { ...parsed, identity: leaderIdentity() };
  const lock = lockDataDir(o.dataDir);
  const { logger, flush } = fileLogger(join(o.dataDir, 'peapod.log'));
  const say = (line: string) => console.log(`peapod: ${line}`);
  say(`data dir ${o.dataDir} (logs in peapod.log), store ${storeUrlOf(o)}, pki dir ${o.pkiDir}`);
  const t0 = performance.now();
  const { container, modules } = composeControlPlane(o, logger, () => undefined);
  let starting = '';
  let unlockPki: (() => void) | undefined = await lockPkiDir(o.pkiDir).catch((err) => {
    lock.release();
    throw err;
  });
  const pkiReady = () => { unlockPki?.(); unlockPki = undefined; };
  const app = composeModules(modules, container, {
    starting: (m) => { starting = m.name; },
    started: (m, ms) => {
      if (m.name === 'apiserver') pkiReady();
      say(`${m.name} started (${Math.round(ms)} ms)`);
    },
  });
  const release = () => { pkiReady(); flush(); lock.release(); };
  const explain = (err: unknown, failed: string) => explainStartFailure(err, o, 'server', failed);
  return serveApp(app, { say, logger, release, starting: () => starting, explain }, async () => {
    const api = container.resolve(ApiServer);
    const kubeconfig = join(o.dataDir, 'kubeconfig');
    const http = new HttpTransport({ ...(await loadKubeconfig(kubeconfig)), maxRetries: 0 });
    try {
      await http.request({ method: 'GET', path: '/readyz' });
    } finally {
      http.close();
    }
    say(`API server at ${api.url}; leader election identity ${o.identity} (lease ${o.leaseDurationSeconds} s)`);
    console.log(`export KUBECONFIG=${kubeconfig}`);
    say(`agents join with: peapod agent --server ${api.url} --token-file ${join(o.pkiDir, 'join.token')} --node-name NAME`);
    say(`ready in ${Math.round(performance.now() - t0)} ms: API server answers`);
  });
}
