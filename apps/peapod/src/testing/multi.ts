import { join } from 'node:path';
import { kubectl, startPeapod, type RunningUp } from './cli.js';
import { freePort } from '@peapod/store/testing';

/**
 * Many machines on one box for e2e tests: `peapod server` and `peapod agent` processes, each on its
 * own loopback address (127.0.0.x) and data dir under `dir`. Short timings keep faults inside a test:
 * 3 s leader Leases; a node is Unknown after 15 s without a heartbeat (the kubelet renews its Lease
 * every 10 s), checked every second.
 */

export interface RunningServer {
  run: RunningUp;
  /** The server's leader-election identity, from its start-up output. */
  identity: string;
  url: string;
  kubeconfig: string;
}

export const NODE_GRACE_SECONDS = 15;

export async function startServer(dir: string, name: string, host: string, opts: { store?: string; pkiDir: string }): Promise<RunningServer> {
  const data = join(dir, name);
  const run = await startPeapod([
    'server', '--data-dir', data, '--listen', `${host}:${await freePort(host)}`, '--pki-dir', opts.pkiDir,
    ...(opts.store ? ['--store', opts.store] : []),
    '--leader-elect-lease-duration', '3', '--node-monitor-grace-period', String(NODE_GRACE_SECONDS), '--node-monitor-period', '1',
  ], data, 90_000);
  const identity = /leader election identity (\S+)/.exec(run.output())![1];
  const url = /API server at (https:\/\/\S+);/.exec(run.output())![1];
  return { run, identity, url, kubeconfig: run.kubeconfig };
}

/** A kubelet in its own process joining through `server` with the join token of `pkiDir`. */
export async function startAgent(dir: string, node: string, host: string, server: RunningServer, pkiDir: string): Promise<RunningUp> {
  const data = join(dir, node);
  return startPeapod([
    'agent', '--server', server.url, '--token-file', join(pkiDir, 'join.token'), '--node-name', node, '--runtime', 'process',
    '--data-dir', data, '--kubelet-listen', `${host}:${await freePort(host)}`,
  ], data, 90_000);
}

/** The holder of a kube-system Lease as kubectl shows it. */
export const leaseHolder = async (kubeconfig: string, lease: string) =>
  (await kubectl(kubeconfig, ['get', 'lease', '-n', 'kube-system', lease, '-o', 'jsonpath={.spec.holderIdentity}'])).trim();

export interface PodView { name: string; uid: string; node?: string; phase?: string; terminating: boolean }

/** Pods matching `selector`, as kubectl lists them. */
export async function podsOf(kubeconfig: string, selector: string): Promise<PodView[]> {
  const list = JSON.parse(await kubectl(kubeconfig, ['get', 'pods', '-l', selector, '-o', 'json'])) as {
    items: { metadata: { name: string; uid: string; deletionTimestamp?: string }; spec: { nodeName?: string }; status?: { phase?: string } }[];
  };
  return list.items.map((p) => ({ name: p.metadata.name, uid: p.metadata.uid, node: p.spec.nodeName, phase: p.status?.phase, terminating: !!p.metadata.deletionTimestamp }));
}

/** The node's Ready condition status ('True', 'False' or 'Unknown') and its taints' keys with effects. */
export async function nodeHealth(kubeconfig: string, node: string): Promise<{ ready?: string; taints: string[] }> {
  const n = JSON.parse(await kubectl(kubeconfig, ['get', 'node', node, '-o', 'json'])) as {
    spec?: { taints?: { key: string; effect: string }[] }; status?: { conditions?: { type: string; status: string }[] };
  };
  return { ready: n.status?.conditions?.find((c) => c.type === 'Ready')?.status, taints: (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`) };
}

