import { fileURLToPath } from 'node:url';
import { RESOURCES, type Node } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setPodPhase, startCluster, type TestCluster } from '../test/cluster.js';
import { defaultControllerRegistry } from './controllers.js';
import { ControllerManager } from './manager.js';

/** The repository's example manifests (the seeds' workloads). */
const example = (name: string) => fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url));

let c: TestCluster;
let manager: ControllerManager;
let stopKubelet: () => Promise<void>;

/** Plays scheduler-less kubelets: Job pods run to success (the sidecar pod ends when its main container does), others run Ready. */
function kubelet(): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const p of (await c.client.resource(RESOURCES.pods).list()).items) {
        if (p.metadata.deletionTimestamp) continue;
        const job = p.metadata.labels?.['batch.kubernetes.io/job-name'];
        const want = job ? 'Succeeded' : 'Running';
        if (p.status?.phase !== want) await setPodPhase(c.client, p, want, { containerName: p.spec?.containers[0].name }).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return async () => { stopped = true; await loop; };
}

beforeEach(async () => {
  c = await startCluster();
  await c.client.resource(RESOURCES.nodes).create({ metadata: { name: 'n1' } } as Node);
  manager = new ControllerManager(defaultControllerRegistry(), c.ctx, { identity: 'test', leaderElection: false, workers: 2 });
  manager.start();
  stopKubelet = kubelet();
});
afterEach(async () => {
  await stopKubelet();
  await manager.stop();
  await c.close();
});

describe('the example workloads with every controller running', () => {
  it('kubectl apply of the examples: Deployment, StatefulSet and DaemonSet roll out, both Jobs complete', async () => {
    for (const f of ['deployment.yaml', 'statefulset.yaml', 'daemonset.yaml', 'job-hello.yaml', 'job-sidecar.yaml']) {
      const r = await c.kubectl(['apply', '-f', example(f)]);
      expect(r.code, r.stderr).toBe(0);
    }
    for (const target of ['deployment/web', 'statefulset/db', 'daemonset/node-agent']) {
      const r = await c.kubectl(['rollout', 'status', target, '--timeout=15s']);
      expect(r.code, `${target}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const wait = await c.kubectl(['wait', '--for=condition=complete', 'job/hello', 'job/myjob', '--timeout=15s']);
    expect(wait.code, wait.stderr).toBe(0);
    expect(wait.stdout).toContain('job.batch/myjob condition met');
    const db = (await c.client.resource(RESOURCES.pods).list({ namespace: 'default', labelSelector: 'app=db' })).items.map((p) => p.metadata.name).sort();
    expect(db).toEqual(['db-0', 'db-1']);
  });
});
