import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, examples, kubectl, peapod, startUp, tempDir, type RunningUp } from './testing/cli.js';

const podJson = async (kc: string, name: string) => JSON.parse(await kubectl(kc, ['get', 'pod', name, '-o', 'json']));
const phaseOf = async (kc: string, name: string) => (await podJson(kc, name)).status?.phase as string | undefined;

describe('peapod up with kubectl', () => {
  let up: RunningUp;
  const dataDir = tempDir();

  beforeAll(async () => { up = await startUp(dataDir, ['--node-name', 'e2e-node']); }, 120_000);
  afterAll(async () => { await up?.stop(); });

  it('prints the KUBECONFIG line and serves kubectl', async () => {
    expect(up.output()).toContain(`export KUBECONFIG=${join(dataDir, 'kubeconfig')}`);
    expect(await kubectl(up.kubeconfig, ['get', 'nodes'])).toMatch(/e2e-node\s+Ready/);
  });

  it('a second delete with --grace-period=1 ends a terminating pod that ignores SIGTERM within seconds', async () => {
    await kubectl(up.kubeconfig, ['run', 'stubborn', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'trap "" TERM; sleep 1000']);
    await eventually(async () => (await phaseOf(up.kubeconfig, 'stubborn')) === 'Running', 30_000, 'stubborn Running');
    // the default grace (30 s) in the background: kubectl waits for the pod to be gone
    const first = kubectl(up.kubeconfig, ['delete', 'pod', 'stubborn'], { timeoutMs: 60_000 });
    await eventually(async () => (await podJson(up.kubeconfig, 'stubborn')).metadata.deletionGracePeriodSeconds === 30, 10_000, 'stubborn terminating');
    const t0 = Date.now();
    expect(await kubectl(up.kubeconfig, ['delete', 'pod', 'stubborn', '--grace-period=1'])).toContain('pod "stubborn" deleted');
    // the kubelet kills it after the 2 s minimum kill window, well before the first 30 s
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await first).toContain('pod "stubborn" deleted');
  }, 60_000);

  it('kubectl debug --target runs an ephemeral container that sees the target container\'s processes', async () => {
    await kubectl(up.kubeconfig, ['run', 'debuggee', '--image=busybox', '--restart=Never', '--', 'sleep', '1000']);
    await eventually(async () => (await phaseOf(up.kubeconfig, 'debuggee')) === 'Running', 30_000, 'debuggee Running');
    await kubectl(up.kubeconfig, ['debug', 'debuggee', '--image=busybox', '--target=debuggee', '--container=dbg', '--', 'sh', '-c', 'echo "pid1: $(tr "\\0" " " </proc/1/cmdline)"']);
    await eventually(async () => (await kubectl(up.kubeconfig, ['logs', 'debuggee', '-c', 'dbg'])).includes('pid1: sleep 1000'), 30_000, 'debug container log');
    const status = await eventually(async () => { const s = (await podJson(up.kubeconfig, 'debuggee')).status; return s.ephemeralContainerStatuses?.[0]?.state?.terminated && s; }, 10_000, 'dbg terminated');
    expect(status.ephemeralContainerStatuses).toMatchObject([{ name: 'dbg', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }]);
    expect(status.phase).toBe('Running');
    await kubectl(up.kubeconfig, ['delete', 'pod', 'debuggee', '--grace-period=1']);
  }, 60_000);

  it('runs the seeds\' pod examples: logs and exec work on them', async () => {
    await kubectl(up.kubeconfig, ['apply', '-f', join(examples, 'simple-pod.yaml'), '-f', join(examples, 'pod-init-containers.yaml'), '-f', join(examples, 'pod-downward-api.yaml')]);
    for (const name of ['nginx', 'init-demo', 'downward-demo']) await eventually(async () => (await phaseOf(up.kubeconfig, name)) === 'Running', 30_000, `${name} Running`);
    await eventually(async () => (await kubectl(up.kubeconfig, ['logs', 'init-demo', '-c', 'app'])).includes('greeting=hello from init'), 10_000, 'init-demo log');
    expect(await kubectl(up.kubeconfig, ['exec', 'init-demo', '-c', 'app', '--', 'echo', 'hi'])).toBe('hi\n');
    const logs = await eventually(async () => { const l = await kubectl(up.kubeconfig, ['logs', 'downward-demo']); return l.includes('zone=') && l; }, 10_000, 'downward log');
    expect(logs).toMatch(/^pod=downward-demo ns=default node=e2e-node ip=127\.\d+\.\d+\.\d+ cpu=250$/m);
    // A label change reaches the downward volume file; env stays what the container started with.
    await kubectl(up.kubeconfig, ['label', 'pod', 'downward-demo', 'tier=gold']);
    await eventually(async () => (await kubectl(up.kubeconfig, ['logs', 'downward-demo', '--tail', '5'])).includes('tier="gold"'), 30_000, 'label in downward file');
    // The pod has its own hostname, and describe shows the scheduler's and the kubelet's Events.
    expect(await kubectl(up.kubeconfig, ['exec', 'nginx', '--', 'hostname'])).toBe('nginx\n');
    const described = await eventually(async () => { const d = await kubectl(up.kubeconfig, ['describe', 'pod', 'nginx']); return d.includes('Started container nginx') && d; }, 15_000, 'kubelet events');
    expect(described).toMatch(/Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned default\/nginx to e2e-node/);
    expect(described).toMatch(/Normal\s+Created\s+.*kubelet\s+Created container: nginx/);
    const nginx = await podJson(up.kubeconfig, 'nginx');
    const res = await fetch(`http://${nginx.status.podIP}:80/`);
    expect(res.status).toBe(200);
  }, 120_000);

  it('runs a pod as its securityContext says: user, groups, an fsGroup-owned volume and no capability in effect', async () => {
    await kubectl(up.kubeconfig, ['apply', '-f', join(examples, 'pod-security-context.yaml')]);
    await eventually(async () => (await phaseOf(up.kubeconfig, 'security-context-demo')) === 'Running', 30_000, 'security-context-demo Running');
    const script = 'id -u; id -g; id -G; echo hello > /data/demo/testfile; stat -c "%g %a" /data/demo /data/demo/testfile; grep CapEff /proc/self/status';
    expect((await kubectl(up.kubeconfig, ['exec', 'security-context-demo', '--', 'sh', '-c', script])).split('\n')).toEqual(['1000', '3000', '3000 2000', '2000 2777', '2000 644', 'CapEff:\t0000000000000000', '']);
    await kubectl(up.kubeconfig, ['delete', 'pod', 'security-context-demo', '--grace-period=1']);
  }, 60_000);

  it('completes the seeds\' Job examples: hello runs, and the sidecar Job completes once myjob exits', async () => {
    await kubectl(up.kubeconfig, ['apply', '-f', join(examples, 'job-hello.yaml'), '-f', join(examples, 'job-sidecar.yaml')]);
    await kubectl(up.kubeconfig, ['wait', '--for=condition=Complete', 'job/myjob', '--timeout=60s'], { timeoutMs: 70_000 });
    const pod = JSON.parse(await kubectl(up.kubeconfig, ['get', 'pods', '-l', 'job-name=myjob', '-o', 'json'])).items[0];
    expect(pod.status.phase).toBe('Succeeded');
    // The sidecar saw what the main container wrote into the shared emptyDir.
    expect(await kubectl(up.kubeconfig, ['logs', pod.metadata.name, '-c', 'logshipper'])).toContain('logging');
    await eventually(async () => (await kubectl(up.kubeconfig, ['logs', 'job/hello'])).includes('Hello, Kubernetes!'), 90_000, 'hello log');
  }, 200_000);

  it('rolls a Deployment out, updates its image and undoes it', async () => {
    await kubectl(up.kubeconfig, ['apply', '-f', join(examples, 'deployment.yaml')]);
    await kubectl(up.kubeconfig, ['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
    await kubectl(up.kubeconfig, ['set', 'image', 'deployment/web', 'web=nginx:1.16.1']);
    await kubectl(up.kubeconfig, ['rollout', 'status', 'deployment/web', '--timeout=90s'], { timeoutMs: 100_000 });
    const images = async () => JSON.parse(await kubectl(up.kubeconfig, ['get', 'pods', '-l', 'app=web', '-o', 'json'])).items
      .filter((p: { metadata: { deletionTimestamp?: string } }) => !p.metadata.deletionTimestamp)
      .map((p: { spec: { containers: { image: string }[] } }) => p.spec.containers[0].image);
    await eventually(async () => { const i = await images(); return i.length === 3 && i.every((x: string) => x === 'nginx:1.16.1'); }, 120_000, 'old pods gone');
    await kubectl(up.kubeconfig, ['rollout', 'undo', 'deployment/web']);
    await kubectl(up.kubeconfig, ['rollout', 'status', 'deployment/web', '--timeout=90s'], { timeoutMs: 100_000 });
    await eventually(async () => { const i = await images(); return i.length === 3 && i.every((x: string) => x === 'nginx:1.14.2'); }, 120_000, 'rolled back');
  }, 300_000);

  it('refuses a second up on the same data dir with a one-line error', async () => {
    const r = await peapod(['up', '--data-dir', dataDir, '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^peapod: data dir .* is in use by another peapod process \(pid \d+\); stop it or pass --data-dir$/);
  }, 60_000);
});

