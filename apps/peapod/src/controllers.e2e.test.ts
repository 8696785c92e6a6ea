// The controllers through the real API server and the real kubectl: `kubectl rollout
// status/history/undo`, `kubectl delete --cascade=background|foreground`, and the repository's
// example workloads applied with every controller running. A loop plays the scheduler-less
// kubelet through the status subresource (Job pods succeed, others run Ready), so what is tested
// is the controllers and the API, not a runtime.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES, type Deployment, type Node, type Pod } from '@peapod/api-types';
import { ApiServer, ApiServerModule, ApiServerOptions } from '@peapod/apiserver';
import { ClientModule, KubeClient, Transport } from '@peapod/client';
import { ControllersModule, ControllersOptions } from '@peapod/controllers';
import { Clock, Container, RealClock, composeModules, type ComposedApp } from '@peapod/core';
import { StoreConfig, StoreModule } from '@peapod/store';

const examples = resolve(import.meta.dirname, '../../../examples');
const dir = mkdtempSync(join(tmpdir(), 'peapod-controllers-e2e-'));
const kubeconfig = join(dir, 'kubeconfig');
let app: ComposedApp;
let client: KubeClient;
let stopKubelet: () => Promise<void>;

/** Runs the real kubectl (HTTPS, admin kubeconfig); never rejects. */
const kubectl = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
  execFile('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir }, timeout: 30_000 }, (err, stdout, stderr) => {
    res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
  });
});

const at = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
/** Plays kubelets: Job pods run to success (the sidecar pod ends when its main container does), others run Ready. */
function kubelet(): () => Promise<void> {
  let stopped = false;
  const pods = client.resource(RESOURCES.pods);
  const loop = (async () => {
    while (!stopped) {
      for (const p of (await pods.list()).items) {
        const want = p.metadata.labels?.['batch.kubernetes.io/job-name'] ? 'Succeeded' : 'Running';
        if (p.metadata.deletionTimestamp || p.status?.phase === want) continue;
        const ready = want === 'Running';
        const state = ready ? { running: { startedAt: at() } } : { terminated: { exitCode: 0, reason: 'Completed', finishedAt: at() } };
        await pods.updateStatus({
          ...p,
          status: {
            ...p.status, phase: want,
            conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: at() }],
            containerStatuses: (p.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? '', imageID: '', ready, restartCount: 0, state })),
          },
        } as Pod).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return async () => { stopped = true; await loop; };
}

beforeAll(async () => {
  const c = Container.create()
    .provide(Clock, { useValue: new RealClock() })
    .provide(StoreConfig, { useValue: { url: 'memory://' } })
    .provide(ApiServerOptions, { useValue: { port: 0, pkiDir: join(dir, 'pki') } })
    .provide(ControllersOptions, { useValue: { leaderElection: false, workers: 2 } })
    .provide(Transport, { useFactory: (c) => c.resolve(ApiServer).transport() });
  app = composeModules([StoreModule, ApiServerModule, ClientModule, ControllersModule], c);
  await app.start();
  client = c.resolve(KubeClient);
  await c.resolve(ApiServer).writeKubeconfig(kubeconfig);
  await client.resource(RESOURCES.nodes).create({ metadata: { name: 'n1' } } as Node);
  stopKubelet = kubelet();
});
afterAll(async () => {
  await stopKubelet?.();
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const podTemplate = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } });

describe('controllers under kubectl', () => {
  it('kubectl rollout status, history and undo work against the Deployment controller', async () => {
    await client.resource(RESOURCES.deployments).create({
      metadata: { name: 'kc', namespace: 'default', annotations: { 'kubernetes.io/change-cause': 'first' } },
      spec: { replicas: 2, selector: { matchLabels: { app: 'kc' } }, template: podTemplate('kc') },
    });
    const first = await kubectl(['rollout', 'status', 'deployment/kc', '--timeout=20s']);
    expect(first.stdout).toContain('deployment "kc" successfully rolled out');
    expect(first.code).toBe(0);
    await kubectl(['set', 'image', 'deployment/kc', 'app=busybox:2']);
    const second = await kubectl(['rollout', 'status', 'deployment/kc', '--timeout=20s']);
    expect(second.code, second.stderr).toBe(0);
    const history = await kubectl(['rollout', 'history', 'deployment/kc']);
    expect(history.stdout).toMatch(/1\s+first/);
    expect(history.stdout).toMatch(/\n2\s/);
    const undo = await kubectl(['rollout', 'undo', 'deployment/kc']);
    expect(undo.stdout).toContain('deployment.apps/kc rolled back');
    expect((await kubectl(['rollout', 'status', 'deployment/kc', '--timeout=20s'])).code).toBe(0);
    const live = (await client.resource(RESOURCES.pods).list({ namespace: 'default', labelSelector: 'app=kc' })).items.filter((p) => !p.metadata.deletionTimestamp);
    expect(live.map((p) => p.spec?.containers[0].image)).toEqual(['busybox', 'busybox']);
    const d: Deployment = await client.resource(RESOURCES.deployments).get('kc', { namespace: 'default' });
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  });

  it('kubectl delete of a Deployment (background and foreground) removes its ReplicaSets and pods', async () => {
    const count = async (app: string) => [
      (await client.resource(RESOURCES.replicasets).list({ namespace: 'default', labelSelector: `app=${app}` })).items.length,
      (await client.resource(RESOURCES.pods).list({ namespace: 'default', labelSelector: `app=${app}` })).items.length,
    ].join('/');
    const until = async (what: string, check: () => Promise<boolean>) => {
      for (const deadline = Date.now() + 15_000; !(await check());) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    for (const [app, cascade] of [['bgd', 'background'], ['fgd', 'foreground']]) {
      await client.resource(RESOURCES.deployments).create({
        metadata: { name: app, namespace: 'default' },
        spec: { replicas: 2, selector: { matchLabels: { app } }, template: podTemplate(app) },
      });
      await until(`${app} running`, async () => (await count(app)) === '1/2');
      const del = await kubectl(['delete', 'deployment', app, `--cascade=${cascade}`, '--timeout=20s']);
      expect(del.stdout).toContain(`deployment.apps "${app}" deleted`);
      expect(del.code).toBe(0);
      // Foreground: kubectl returned only once the Deployment was gone, which needed its dependents gone first.
      if (cascade === 'foreground') expect(await count(app)).toBe('0/0');
      await until(`${app} collected`, async () => (await count(app)) === '0/0');
    }
  });

  it('kubectl apply of the examples: Deployment, StatefulSet and DaemonSet roll out, both Jobs complete', async () => {
    for (const f of ['deployment.yaml', 'statefulset.yaml', 'daemonset.yaml', 'job-hello.yaml', 'job-sidecar.yaml']) {
      const r = await kubectl(['apply', '-f', join(examples, f)]);
      expect(r.code, r.stderr).toBe(0);
    }
    for (const target of ['deployment/web', 'statefulset/db', 'daemonset/node-agent']) {
      const r = await kubectl(['rollout', 'status', target, '--timeout=20s']);
      expect(r.code, `${target}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const wait = await kubectl(['wait', '--for=condition=complete', 'job/hello', 'job/myjob', '--timeout=20s']);
    expect(wait.code, wait.stderr).toBe(0);
    expect(wait.stdout).toContain('job.batch/myjob condition met');
    const db = (await client.resource(RESOURCES.pods).list({ namespace: 'default', labelSelector: 'app=db' })).items.map((p) => p.metadata.name).sort();
    expect(db).toEqual(['db-0', 'db-1']);
  });
});
