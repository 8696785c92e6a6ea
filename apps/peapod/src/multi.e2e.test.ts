import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, peapod, startPeapod, tempDir, type RunningUp } from './testing/cli.js';
import { freePort, startEtcdCluster, type EtcdCluster } from './testing/etcd.js';

/**
 * Many machines on one box: a three-member etcd cluster, two `peapod server` processes on their
 * own loopback addresses sharing one pki dir. Leader election is short (3 s leases) so hand-overs
 * fit in a test.
 */

let dir: string;
let etcd: EtcdCluster;
let servers: { name: string; run: RunningUp; identity: string; kubeconfig: string }[];

async function startServer(name: string, host: string): Promise<(typeof servers)[number]> {
  const data = join(dir, name);
  const run = await startPeapod([
    'server', '--data-dir', data, '--listen', `${host}:${await freePort(host)}`, '--store', etcd.storeUrl, '--pki-dir', join(dir, 'pki'),
    '--leader-elect-lease-duration', '3', '--node-monitor-grace-period', '15', '--node-monitor-period', '1',
  ], data, 60_000);
  const identity = /leader election identity (\S+)/.exec(run.output())![1];
  return { name, run, identity, kubeconfig: run.kubeconfig };
}

const holder = async (kc: string, lease: string) => (await kubectl(kc, ['get', 'lease', '-n', 'kube-system', lease, '-o', 'jsonpath={.spec.holderIdentity}'])).trim();

beforeAll(async () => {
  dir = tempDir('peapod-multi-');
  etcd = await startEtcdCluster(join(dir, 'etcd'));
  // Both at once: they take turns on the shared pki dir, so they end up with one CA and one admin token.
  servers = await Promise.all([startServer('s1', '127.0.0.2'), startServer('s2', '127.0.0.3')]);
}, 120_000);

afterAll(async () => {
  await Promise.all((servers ?? []).map((s) => s.run.stop('SIGKILL')));
  await etcd?.stop();
});

describe('two peapod servers on a three-member etcd cluster', () => {
  it('serve one cluster: what one server writes, the other reads, with the same CA and admin token', async () => {
    const [s1, s2] = servers;
    expect(s1.run.output()).toMatch(/export KUBECONFIG=/);
    const cluster = (kc: string, field: string) => kubectl(kc, ['config', 'view', '--raw', '-o', `jsonpath={.clusters[0].cluster.${field}}`]);
    expect(await cluster(s1.kubeconfig, 'certificate-authority-data')).toBe(await cluster(s2.kubeconfig, 'certificate-authority-data'));
    await kubectl(s1.kubeconfig, ['create', 'namespace', 'shared']);
    await kubectl(s1.kubeconfig, ['create', 'configmap', 'hello', '-n', 'shared', '--from-literal=from=s1']);
    expect(await kubectl(s2.kubeconfig, ['get', 'configmap', 'hello', '-n', 'shared', '-o', 'jsonpath={.data.from}'])).toBe('s1');
    // s1's credentials work against s2's address: one admin token, one CA, a serving certificate per server.
    const s2Url = await cluster(s2.kubeconfig, 'server');
    expect(s2Url).not.toBe(await cluster(s1.kubeconfig, 'server'));
    expect(await kubectl(s1.kubeconfig, ['--server', s2Url, 'get', 'namespace', 'shared', '-o', 'name'])).toBe('namespace/shared\n');
  });

  it('each Lease is held by one of the servers; killing its holder hands it to the other, which then schedules and reconciles', async () => {
    const ids = servers.map((s) => s.identity);
    const sched = await eventually(async () => { const h = await holder(servers[0].kubeconfig, 'kube-scheduler'); return ids.includes(h) && h; }, 15_000, 'scheduler Lease held');
    const cm = await eventually(async () => { const h = await holder(servers[0].kubeconfig, 'kube-controller-manager'); return ids.includes(h) && h; }, 15_000, 'controller-manager Lease held');
    const victim = servers.find((s) => s.identity === sched)!;
    const survivor = servers.find((s) => s !== victim)!;
    await victim.run.stop('SIGKILL');
    // The survivor takes over once the 3 s Lease has run out on its own clock.
    await eventually(async () => (await holder(survivor.kubeconfig, 'kube-scheduler')) === survivor.identity, 20_000, 'scheduler Lease taken over');
    if (cm === victim.identity) await eventually(async () => (await holder(survivor.kubeconfig, 'kube-controller-manager')) === survivor.identity, 20_000, 'controller-manager Lease taken over');
    expect(await holder(survivor.kubeconfig, 'kube-controller-manager')).toBe(survivor.identity);
    expect(Number(await kubectl(survivor.kubeconfig, ['get', 'lease', '-n', 'kube-system', 'kube-scheduler', '-o', 'jsonpath={.spec.leaseTransitions}']))).toBeGreaterThanOrEqual(1);
    const status = await peapod(['status', '--data-dir', survivor.run.dataDir]);
    expect(status.stdout).toContain(`scheduler  leader  ${survivor.identity}`);
    expect(status.stdout).toContain(`controllers leader  ${survivor.identity}`);

    // No kubelet here: a node object is enough for the scheduler, and a ReplicaSet for the controllers.
    await kubectl(survivor.kubeconfig, ['apply', '-f', '-'], { input: JSON.stringify({
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'paper-node', labels: { 'kubernetes.io/hostname': 'paper-node' } },
      status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] },
    }) });
    await kubectl(survivor.kubeconfig, ['create', 'deployment', 'after-handover', '--image=busybox', '--replicas=2', '--', 'sleep', '3600']);
    await eventually(async () => {
      const nodes = (await kubectl(survivor.kubeconfig, ['get', 'pods', '-l', 'app=after-handover', '-o', 'jsonpath={.items[*].spec.nodeName}'])).trim().split(/\s+/);
      return nodes.length === 2 && nodes.every((n) => n === 'paper-node');
    }, 20_000, 'pods created by the Deployment and bound by the new leader');
  }, 60_000);
});
