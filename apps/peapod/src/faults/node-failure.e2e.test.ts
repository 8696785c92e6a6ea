import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, tempDir, type RunningUp } from '../testing/cli.js';
import { NODE_GRACE_SECONDS, nodeHealth, podsOf, startAgent, startServer, type RunningServer } from '../testing/multi.js';
import { reportReliability } from './harness.js';

/**
 * Issue 11's node failure: a kubelet frozen with SIGSTOP (its containers keep running, as on a
 * partitioned machine). The node turns Unknown and is tainted; a Deployment's pods are evicted and
 * replaced on the healthy node; the StatefulSet's ordinal is evicted too, but not started again
 * while its old pod object exists, so after SIGCONT the ordinal never ran twice at the same time.
 * Every incarnation of the ordinal logs to a hostPath file shared by both nodes (one machine).
 */

const FROZEN = 'frozen-node';
const HEALTHY = 'healthy-node';

let dir: string;
let server: RunningServer;
const agents = new Map<string, RunningUp>();

/** Pod template parts: prefer the node to be frozen; leave an unreachable node 2 s after its taint. */
const placement = {
  terminationGracePeriodSeconds: 1,
  affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [FROZEN] }] } }] } },
  tolerations: ['unreachable', 'not-ready'].map((t) => ({ key: `node.kubernetes.io/${t}`, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 })),
};

/** Appends `start`, then `alive` every 200 ms, then `stop` on SIGTERM, each with a nanosecond time and the pod's uid. */
const LEDGER = 'log() { echo "$1 $(date +%s%N) $POD_UID" >> /ledger/log; }; log start; trap "log stop; exit 0" TERM; while true; do log alive; sleep 0.2; done';

const manifests = (ledgerDir: string) => [
  {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'ledger', namespace: 'default' },
    spec: {
      serviceName: 'ledger', replicas: 1, selector: { matchLabels: { app: 'ledger' } },
      template: {
        metadata: { labels: { app: 'ledger' } },
        spec: {
          ...placement,
          volumes: [{ name: 'ledger', hostPath: { path: ledgerDir, type: 'Directory' } }],
          containers: [{
            name: 'app', image: 'busybox', command: ['sh', '-c', LEDGER],
            env: [{ name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } }],
            volumeMounts: [{ name: 'ledger', mountPath: '/ledger' }],
          }],
        },
      },
    },
  },
  {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 2, selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { ...placement, containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 3600'] }] } },
    },
  },
];

/** Each incarnation's first and last line in the ledger (nanoseconds), by pod uid. */
function incarnations(file: string): Map<string, { from: bigint; to: bigint; lines: number }> {
  const runs = new Map<string, { from: bigint; to: bigint; lines: number }>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    const [, at, uid] = line.split(' ');
    const t = BigInt(at);
    const r = runs.get(uid);
    if (r) { r.to = t; r.lines++; } else runs.set(uid, { from: t, to: t, lines: 1 });
  }
  return runs;
}

beforeAll(async () => {
  dir = tempDir('peapod-node-failure-');
  const pkiDir = join(dir, 'pki');
  server = await startServer(dir, 'server', '127.0.0.6', { pkiDir });
  const [f, h] = await Promise.all([startAgent(dir, FROZEN, '127.0.0.7', server, pkiDir), startAgent(dir, HEALTHY, '127.0.0.8', server, pkiDir)]);
  agents.set(FROZEN, f).set(HEALTHY, h);
}, 180_000);

afterAll(async () => {
  const frozen = agents.get(FROZEN);
  if (frozen?.proc.exitCode === null) frozen.proc.kill('SIGCONT');
  await Promise.all([...agents.values()].map((a) => a.stop('SIGKILL')));
  await server?.run.stop('SIGKILL');
});

describe('node failure: a kubelet frozen with SIGSTOP', () => {
  it('the node turns Unknown and is tainted, pods are evicted and replaced, and a StatefulSet ordinal never runs twice at once', async () => {
    const kc = server.kubeconfig;
    const ledgerDir = join(dir, 'ledger');
    mkdirSync(ledgerDir);
    for (const m of manifests(ledgerDir)) await kubectl(kc, ['apply', '-f', '-'], { input: JSON.stringify(m) });
    const [first] = await eventually(async () => { const p = (await podsOf(kc, 'app=ledger')).filter((x) => x.phase === 'Running'); return p.length === 1 && p; }, 60_000, 'ledger-0 Running');
    const web = await eventually(async () => { const p = (await podsOf(kc, 'app=web')).filter((x) => x.phase === 'Running'); return p.length === 2 && p; }, 60_000, 'web Running');
    expect([first.node, ...web.map((p) => p.node)]).toEqual([FROZEN, FROZEN, FROZEN]);

    agents.get(FROZEN)!.proc.kill('SIGSTOP');
    const t0 = Date.now();
    await eventually(async () => {
      const h = await nodeHealth(kc, FROZEN);
      return h.ready === 'Unknown' && h.taints.includes('node.kubernetes.io/unreachable:NoExecute');
    }, 40_000, 'the frozen node Unknown and tainted unreachable');
    const unknownAfter = Date.now() - t0;
    await eventually(async () => {
      const p = await podsOf(kc, 'app=web');
      return p.filter((x) => x.phase === 'Running' && !x.terminating && x.node === HEALTHY).length === 2 && p.filter((x) => x.node === FROZEN).every((x) => x.terminating);
    }, 40_000, 'web pods evicted and replaced on the healthy node');
    const replacedAfter = Date.now() - t0;

    // ledger-0 is evicted as well, but its object stays until its kubelet confirms the end, so the
    // StatefulSet controller does not start ledger-0 anywhere else meanwhile.
    await eventually(async () => (await podsOf(kc, 'app=ledger')).some((p) => p.terminating), 20_000, 'ledger-0 evicted');
    for (let i = 0; i < 10; i++) {
      expect(await podsOf(kc, 'app=ledger')).toEqual([{ ...first, terminating: true }]);
      await new Promise((r) => setTimeout(r, 500));
    }
    // The evicted pod says why (as kube-controller-manager's node lifecycle and taint eviction do).
    const evicted = JSON.parse(await kubectl(kc, ['get', 'pod', 'ledger-0', '-o', 'json'])) as { status: { conditions: { type: string; status: string; reason?: string }[] } };
    expect(evicted.status.conditions).toEqual(expect.arrayContaining([
      expect.objectContaining({ type: 'Ready', status: 'False' }),
      expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager' }),
    ]));
    // Its container runs on, on the frozen node: a second ledger-0 now would run alongside it.
    const during = incarnations(join(ledgerDir, 'log')).get(first.uid)!;
    expect(during.to).toBeGreaterThan(BigInt(t0) * 1_000_000n + 5_000_000_000n);

    agents.get(FROZEN)!.proc.kill('SIGCONT');
    const second = await eventually(async () => {
      const p = (await podsOf(kc, 'app=ledger')).filter((x) => x.phase === 'Running' && !x.terminating && x.uid !== first.uid);
      return p.length === 1 && p[0];
    }, 60_000, 'a new ledger-0 Running after SIGCONT');
    await eventually(async () => (incarnations(join(ledgerDir, 'log')).get(second.uid)?.lines ?? 0) > 3, 10_000, 'the new ledger-0 logging');

    const runs = incarnations(join(ledgerDir, 'log'));
    expect([...runs.keys()]).toEqual([first.uid, second.uid]);
    const [old, next] = [runs.get(first.uid)!, runs.get(second.uid)!];
    expect(old.to).toBeLessThan(next.from);
    const gapMs = Number(next.from - old.to) / 1e6;
    console.log(`[node-failure summary] SIGSTOP: node Unknown + tainted after ${(unknownAfter / 1000).toFixed(1)} s, Deployment pods replaced after ${(replacedAfter / 1000).toFixed(1)} s; ledger-0 ran once at a time (old ended ${gapMs.toFixed(0)} ms before the new one started)`);
    reportReliability({ suite: 'node failure (kubelet SIGSTOP, 2 agents)', load: '1 StatefulSet ordinal + 2 Deployment pods on the frozen node', faults: `SIGSTOP/SIGCONT of a kubelet (grace ${NODE_GRACE_SECONDS} s)`, inputs: 3, lost: 0 });
  }, 240_000);
});
