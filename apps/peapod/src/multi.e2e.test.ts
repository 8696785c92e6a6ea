import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, peapod, tempDir, type RunningUp } from './testing/cli.js';
import { startEtcdCluster, type EtcdCluster } from '@peapod/store/testing';
import { NODE_GRACE_SECONDS, leaseHolder, nodeHealth, podsOf, startAgent, startServer, type PodView, type RunningServer } from './testing/multi.js';

/**
 * Many machines on one box (issue 10): a three-member etcd cluster, two `peapod server` processes on
 * their own loopback addresses sharing one pki dir, and two `peapod agent` processes joining through
 * the server that does not lead, so that killing the leader leaves the agents connected.
 */

let dir: string;
let etcd: EtcdCluster;
let servers: RunningServer[];
let leader: RunningServer;
let follower: RunningServer;
const agents = new Map<string, RunningUp>();

beforeAll(async () => {
  dir = tempDir('peapod-multi-');
  const pkiDir = join(dir, 'pki');
  etcd = await startEtcdCluster(3, join(dir, 'etcd'));
  // Both at once: they take turns on the shared pki dir, so they end up with one CA and one admin token.
  servers = await Promise.all([startServer(dir, 's1', '127.0.0.2', { store: etcd.storeUrl, pkiDir }), startServer(dir, 's2', '127.0.0.3', { store: etcd.storeUrl, pkiDir })]);
  const holder = await eventually(async () => {
    const h = await leaseHolder(servers[0].kubeconfig, 'kube-scheduler');
    return servers.some((s) => s.identity === h) && h;
  }, 20_000, 'a scheduler leader');
  leader = servers.find((s) => s.identity === holder)!;
  follower = servers.find((s) => s !== leader)!;
  const [a, b] = await Promise.all([startAgent(dir, 'agent-a', '127.0.0.4', follower, pkiDir), startAgent(dir, 'agent-b', '127.0.0.5', follower, pkiDir)]);
  agents.set('agent-a', a).set('agent-b', b);
}, 180_000);

afterAll(async () => {
  await Promise.all([...agents.values()].map((a) => a.stop('SIGKILL')));
  await Promise.all((servers ?? []).map((s) => s.run.stop('SIGKILL')));
  await etcd?.stop();
});

/**
 * A Deployment whose pods spread evenly over the nodes (tainted nodes left out of the count, so
 * replacements may all land on the healthy one) and leave an unreachable node 2 s after its taint.
 */
const spreadDeployment = (name: string, replicas: number) => JSON.stringify({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        terminationGracePeriodSeconds: 1,
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', nodeTaintsPolicy: 'Honor', labelSelector: { matchLabels: { app: name } } }],
        tolerations: ['unreachable', 'not-ready'].map((t) => ({ key: `node.kubernetes.io/${t}`, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 })),
        containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 3600'] }],
      },
    },
  },
});

const running = (pods: PodView[]) => pods.filter((p) => p.phase === 'Running' && !p.terminating);
const count = (pods: PodView[], node: string) => pods.filter((p) => p.node === node).length;

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
    // Both API servers run the namespace finalizer: deleting through either empties and removes it once.
    expect(await kubectl(s2.kubeconfig, ['delete', 'namespace', 'shared', '--timeout=30s'])).toContain('namespace "shared" deleted');
    await expect(kubectl(s1.kubeconfig, ['get', 'configmap', 'hello', '-n', 'shared'])).rejects.toThrow(/NotFound/);
  });

  it('a Deployment spreads over both agents; a SIGKILLed agent\'s node turns Unknown, is tainted unreachable, and its pods are replaced on the other', async () => {
    const kc = follower.kubeconfig;
    expect(await kubectl(kc, ['get', 'nodes'])).toMatch(/agent-a\s+Ready[\s\S]*agent-b\s+Ready/);
    await kubectl(kc, ['apply', '-f', '-'], { input: spreadDeployment('spread', 4) });
    const before = await eventually(async () => { const p = running(await podsOf(kc, 'app=spread')); return p.length === 4 && p; }, 60_000, '4 pods Running');
    expect([count(before, 'agent-a'), count(before, 'agent-b')]).toEqual([2, 2]);

    await agents.get('agent-b')!.stop('SIGKILL');
    const t0 = Date.now();
    await eventually(async () => {
      const h = await nodeHealth(kc, 'agent-b');
      return h.ready === 'Unknown' && h.taints.includes('node.kubernetes.io/unreachable:NoExecute');
    }, 40_000, 'agent-b Unknown and tainted unreachable');
    const unknownAfter = Date.now() - t0;
    const after = await eventually(async () => { const p = running(await podsOf(kc, 'app=spread')); return p.length === 4 && count(p, 'agent-a') === 4 && p; }, 40_000, '4 pods Running on agent-a');
    const replacedAfter = Date.now() - t0;
    // The evicted pods stay Terminating: their kubelet is gone and nothing confirms their end.
    const old = (await podsOf(kc, 'app=spread')).filter((p) => p.node === 'agent-b');
    expect(old.map((p) => p.terminating)).toEqual([true, true]);
    expect(after.map((p) => p.uid)).toEqual(expect.arrayContaining(before.filter((p) => p.node === 'agent-a').map((p) => p.uid)));
    console.log(`[multi summary] agent SIGKILL: node Unknown + tainted after ${(unknownAfter / 1000).toFixed(1)} s, pods replaced after ${(replacedAfter / 1000).toFixed(1)} s (grace ${NODE_GRACE_SECONDS} s, toleration 2 s)`);
  }, 150_000);

  it('killing the server that holds the Leases hands them to the other, which then schedules a new pod to Running', async () => {
    const kc = follower.kubeconfig;
    const cm = await leaseHolder(kc, 'kube-controller-manager');
    await leader.run.stop('SIGKILL');
    // The follower takes over once the 3 s Lease has run out on its own clock.
    await eventually(async () => (await leaseHolder(kc, 'kube-scheduler')) === follower.identity, 20_000, 'scheduler Lease taken over');
    if (cm === leader.identity) await eventually(async () => (await leaseHolder(kc, 'kube-controller-manager')) === follower.identity, 20_000, 'controller-manager Lease taken over');
    expect(await leaseHolder(kc, 'kube-controller-manager')).toBe(follower.identity);
    expect(Number(await kubectl(kc, ['get', 'lease', '-n', 'kube-system', 'kube-scheduler', '-o', 'jsonpath={.spec.leaseTransitions}']))).toBeGreaterThanOrEqual(1);
    const status = await peapod(['status', '--data-dir', follower.run.dataDir]);
    expect(status.stdout).toContain(`scheduler  leader  ${follower.identity}`);
    expect(status.stdout).toContain(`controllers leader  ${follower.identity}`);

    await kubectl(kc, ['create', 'deployment', 'after-handover', '--image=busybox', '--', 'sleep', '3600']);
    const [pod] = await eventually(async () => { const p = running(await podsOf(kc, 'app=after-handover')); return p.length === 1 && p; }, 40_000, 'a new pod Running after the hand-over');
    expect(pod.node).toBe('agent-a');
  }, 90_000);

  it('a server stopped with SIGTERM releases its Leases on the way out, so a newly started one takes over without waiting them out', async () => {
    const fresh = await startServer(dir, 's3', '127.0.0.9', { store: etcd.storeUrl, pkiDir: join(dir, 'pki') });
    servers.push(fresh);
    expect(await leaseHolder(fresh.kubeconfig, 'kube-scheduler')).toBe(follower.identity);
    expect(await follower.run.stop('SIGTERM')).toBe(0);
    for (const lease of ['kube-scheduler', 'kube-controller-manager']) expect(['', fresh.identity]).toContain(await leaseHolder(fresh.kubeconfig, lease));
    await eventually(async () => (await leaseHolder(fresh.kubeconfig, 'kube-scheduler')) === fresh.identity && (await leaseHolder(fresh.kubeconfig, 'kube-controller-manager')) === fresh.identity, 20_000, 'the new server leads');
  }, 120_000);
});
