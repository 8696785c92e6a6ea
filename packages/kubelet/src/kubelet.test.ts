import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Pod } from '@peapod/api-types';
import { RuntimeError } from '@peapod/runtime';
import { startKubelet, T0, type Harness } from './testing/harness.js';
import { ctr, sidecar } from './status/testing.js';

let h: Harness;
afterEach(async () => h?.stop());

const S = 1000;
const exec = (command: string) => ({ exec: { command: command.split(' ') } });

describe('Kubelet: phases and restarts', () => {
  it('runs a pod to Running with conditions, IPs and container details', async () => {
    h = await startKubelet();
    await h.create('web', { containers: [ctr('app')] }, { generation: 3 });
    const s = h.status('web')!;
    expect(s.phase).toBe('Running');
    expect(s.observedGeneration).toBe(3);
    expect(s.hostIP).toBe('10.0.0.1');
    expect(s.podIP).toMatch(/\d+\.\d+\.\d+\.\d+/);
    expect(s.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'], ['PodScheduled', 'True'],
    ]);
    expect(h.container('web', 'app')).toMatchObject({ ready: true, started: true, restartCount: 0, image: 'img', state: { running: {} } });
    expect(h.container('web', 'app')?.containerID).toMatch(/^fake:\/\//);
    expect(h.container('web', 'app')?.imageID).toMatch(/^sha256:/);
    // As the kubelet's Go types: no empty lists for containers the pod does not have.
    expect(s).not.toHaveProperty('initContainerStatuses');
    expect(s).not.toHaveProperty('ephemeralContainerStatuses');
  });

  it('OnFailure: restarts a failing container, then the pod Succeeds when it exits 0', async () => {
    let runs = 0;
    h = await startKubelet({ scripts: { job: () => ({ steps: [{ sleep: 2 * S }], exitCode: runs++ < 1 ? 1 : 0 }) } });
    await h.create('job', { restartPolicy: 'OnFailure', containers: [ctr('job')] });
    await h.run(3 * S);
    expect(h.status('job')?.phase).toBe('Running');
    expect(h.container('job', 'job')).toMatchObject({ restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } });
    await h.run(3 * S);
    expect(h.status('job')?.phase).toBe('Succeeded');
    expect(h.container('job', 'job')).toMatchObject({ restartCount: 1, ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(h.status('job')?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });

  it('Never: a failed container fails the pod and is not restarted', async () => {
    h = await startKubelet({ scripts: { a: { exitCode: 3 } } });
    await h.create('p', { restartPolicy: 'Never', containers: [ctr('a')] });
    await h.run(2 * S);
    expect(h.status('p')?.phase).toBe('Failed');
    expect(h.container('p', 'a')).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 3, reason: 'Error' } } });
    expect(h.log.filter((l) => l.includes('started a'))).toHaveLength(1);
  });

  it('Always: a crash-looping container waits in CrashLoopBackOff, the pod stays Running', async () => {
    h = await startKubelet({ scripts: { a: { exitCode: 1 } } });
    await h.create('p', { containers: [ctr('a'), ctr('b')] });
    await h.run(3 * S);
    expect(h.status('p')?.phase).toBe('Running');
    expect(h.container('p', 'a')).toMatchObject({
      restartCount: 1,
      state: { waiting: { reason: 'CrashLoopBackOff', message: expect.stringMatching(/^back-off 10s restarting failed container=a pod=p_default\(/) } },
      lastState: { terminated: { exitCode: 1 } },
    });
    expect(h.status('p')?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', message: 'containers with unready status: [a]' });
  });

  it('backs off restarts 10, 20, 40, 80, 160, 300, 300 s and forgets the back-off after 10 minutes of clean running', async () => {
    let mode: 'crash' | 'long' = 'crash';
    h = await startKubelet({ scripts: { a: () => (mode === 'crash' ? { exitCode: 1 } : { steps: [{ sleep: 601 * S }], exitCode: 1 }) } });
    await h.create('p', { containers: [ctr('a')] });
    const starts = () => h.runtime.callsOf('startContainer').map((c) => Math.round((c.at - T0) / S));
    const gaps = (ts: number[]) => ts.slice(1).map((t, i) => t - ts[i]);
    await h.run(1000 * S);
    // The first restart is immediate (the relist notices the exit within a second).
    expect(gaps(starts())).toEqual([1, 10, 20, 40, 80, 160, 300, 300]);
    expect(h.container('p', 'a')?.state?.waiting?.message).toMatch(/^back-off 5m0s restarting failed container=a/);
    mode = 'long';
    await h.run(215 * S);
    expect(starts().at(-1)).toBe(1211);
    mode = 'crash';
    await h.run(620 * S);
    // After 601 s of running, the next crash restarts at once and the delay starts again at 10 s.
    expect(gaps(starts().filter((t) => t >= 1211))).toEqual([601, 10]);
  });

  it('init containers run in order; a failing one is retried under Always', async () => {
    h = await startKubelet({ scripts: { i1: { steps: [{ sleep: 2 * S }], exitCode: 0 }, i2: { exitCode: 1 } } });
    await h.create('p', { initContainers: [ctr('i1'), ctr('i2')], containers: [ctr('main')] });
    expect(h.container('p', 'main')).toMatchObject({ state: { waiting: { reason: 'PodInitializing' } } });
    expect(h.status('p')?.conditions?.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', message: 'containers with incomplete status: [i1 i2]' });
    await h.run(5 * S);
    expect(h.status('p')?.phase).toBe('Pending');
    expect(h.container('p', 'i1')).toMatchObject({ ready: true, state: { terminated: { exitCode: 0 } } });
    expect(h.container('p', 'i2')).toMatchObject({ restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } });
    expect(h.log.some((l) => l.includes('started main'))).toBe(false);
  });

  it('init containers: a failing one fails the pod under Never and the main container never starts', async () => {
    h = await startKubelet({ scripts: { i1: { exitCode: 2 } } });
    await h.create('p', { restartPolicy: 'Never', initContainers: [ctr('i1')], containers: [ctr('main')] });
    await h.run(3 * S);
    expect(h.status('p')?.phase).toBe('Failed');
    expect(h.container('p', 'i1')).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 2 } } });
    expect(h.container('p', 'main')).toMatchObject({ state: { waiting: { reason: 'PodInitializing' } } });
    expect(h.log.some((l) => l.includes('started main'))).toBe(false);
  });

  it('activeDeadlineSeconds: the pod is killed and Failed with DeadlineExceeded', async () => {
    h = await startKubelet();
    await h.create('p', { activeDeadlineSeconds: 5, containers: [ctr('a')] });
    await h.run(4 * S);
    expect(h.status('p')?.phase).toBe('Running');
    await h.run(3 * S);
    expect(h.status('p')).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' });
    expect(h.container('p', 'a')?.state?.terminated).toBeDefined();
  });

  it('rejects a pod for another OS with PodOSNotSupported and starts nothing', async () => {
    h = await startKubelet();
    await h.create('win', { os: { name: 'windows' }, containers: [ctr('a')] });
    expect(h.status('win')).toMatchObject({ phase: 'Failed', reason: 'PodOSNotSupported', message: "Pod was rejected: Failed to admit pod as the OS field doesn't match node OS" });
    expect(h.runtime.callsOf('runPodSandbox')).toHaveLength(0);
  });

  it('reports image pull failures as ErrImagePull, then ImagePullBackOff', async () => {
    h = await startKubelet();
    h.runtime.inject('pullImage', new RuntimeError('Unavailable', 'registry down', 'ErrImagePull'), 2);
    const failures: string[] = [];
    h.kubelet.events.on('containerFailed', (_p, _c, reason, message) => failures.push(`${reason}: ${message}`));
    await h.create('p', { containers: [ctr('a', { image: 'nginx:1.27', imagePullPolicy: 'Always' })] });
    expect(failures[0]).toBe('ErrImagePull: Failed to pull image "nginx:1.27": registry down');
    expect(h.container('p', 'a')?.state?.waiting).toMatchObject({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "nginx:1.27"' });
    await h.run(11 * S);
    expect(failures.filter((f) => f.startsWith('ErrImagePull'))).toHaveLength(2);
    expect(h.status('p')?.phase).toBe('Pending');
    await h.run(30 * S);
    expect(h.status('p')?.phase).toBe('Running');
  });

  it('pulls a missing image once (Pulling, then Pulled with its size) and reports it already present for the next pods', async () => {
    h = await startKubelet();
    const seen: string[] = [];
    h.kubelet.events.on('imagePulling', (p, c, image) => seen.push(`${p.name}/${c} pulling ${image}`));
    h.kubelet.events.on('imagePulled', (p, c, image, pull) => seen.push(`${p.name}/${c} ${pull ? `pulled ${image} (${pull.size} bytes)` : `present ${image}`}`));
    await h.create('first', { containers: [ctr('a', { image: 'nginx:1.27' })] });
    await h.create('second', { containers: [ctr('a', { image: 'nginx:1.27' })] });
    expect(seen).toEqual(['first/a pulling nginx:1.27', 'first/a pulled nginx:1.27 (1024 bytes)', 'second/a present nginx:1.27']);
    expect(h.runtime.callsOf('pullImage')).toHaveLength(1);
  });

  /** Creates pods `web` and `api` in one instant with the given jitters, then records each later sync as `label` says. */
  const webAndApi = async (webJitter: number, apiJitter: number, label: (pod: Pod) => string) => {
    const jitter = vi.spyOn(Math, 'random').mockReturnValueOnce(webJitter).mockReturnValueOnce(apiJitter);
    await h.create('web', { containers: [ctr('app')] });
    await h.create('api', { containers: [ctr('app')] });
    jitter.mockRestore();
    const syncPod = h.kubelet.syncPod.bind(h.kubelet);
    const syncs: string[] = [];
    h.kubelet.syncPod = (pod) => { syncs.push(label(pod)); return syncPod(pod); };
    return syncs;
  };

  it('resyncs a running pod that nothing changed once a minute (kubelet\'s syncFrequency) plus up to half of it in jitter, not sooner', async () => {
    h = await startKubelet();
    // Two pods started in the same instant: the jitter of the first is the least, of the second nearly the most.
    const syncs = await webAndApi(0, 0.98, (pod) => pod.metadata.name!);
    await h.run(59 * S);
    expect(syncs).toEqual([]);
    await h.run(2 * S);
    expect(syncs).toEqual(['web']);
    await h.run(27 * S);
    expect(syncs).toEqual(['web']);
    await h.run(2 * S);
    expect(syncs).toEqual(['web', 'api']);
  });

  it('starts pods whose jittered resyncs fall due within the same second together, on the next sync tick', async () => {
    h = await startKubelet();
    // Due 60.3 s and 60.9 s after their first syncs (jitter 0.01 and 0.03): both wait for the tick at 61 s.
    const syncs = await webAndApi(0.01, 0.03, (pod) => `${pod.metadata.name}@${(h.clock.now() - T0) / S}`);
    await h.run(62 * S);
    expect(syncs).toEqual(['web@61', 'api@61']);
  });

  it('resyncs a running pod from the relist (kubelet\'s PLEG cache), asking the runtime about none of its sandboxes or containers', async () => {
    h = await startKubelet({ scripts: { a: { steps: [{ sleep: 100 * S }], exitCode: 4 } } });
    await h.create('p', { restartPolicy: 'Never', containers: [ctr('a')] });
    const syncPod = h.kubelet.syncPod.bind(h.kubelet);
    let syncs = 0;
    h.kubelet.syncPod = (pod) => (syncs++, syncPod(pod));
    const asked = () => h.runtime.callsOf('podSandboxStatus').length + h.runtime.callsOf('containerStatus').length;
    const before = asked();
    await h.run(91 * S);
    expect(syncs).toBe(1);
    expect(asked()).toBe(before);
    // The relist still notices the exit, and the sync it triggers reports it.
    await h.run(11 * S);
    expect(h.container('p', 'a')?.state?.terminated).toMatchObject({ exitCode: 4 });
    expect(h.status('p')?.phase).toBe('Failed');
  });

  it('reports a missing ConfigMap key as CreateContainerConfigError', async () => {
    h = await startKubelet();
    await h.create('p', { containers: [ctr('a', { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'x' } } }] })] });
    expect(h.container('p', 'a')?.state?.waiting).toMatchObject({ reason: 'CreateContainerConfigError', message: expect.stringContaining('configmap "cfg" not found') });
    h.api.configMaps.set('default/cfg', { metadata: { name: 'cfg', namespace: 'default' }, data: { x: '1' } });
    await h.run(11 * S);
    expect(h.container('p', 'a')?.state?.running).toBeDefined();
  });
});

describe('Kubelet: probes', () => {
  it('liveness failure restarts the container and counts it', async () => {
    let healthy = true;
    h = await startKubelet({ scripts: { a: { exec: () => ({ exitCode: healthy ? 0 : 1 }) } } });
    await h.create('p', { containers: [ctr('a', { livenessProbe: { ...exec('check'), periodSeconds: 5, failureThreshold: 2 } })] });
    await h.run(12 * S);
    expect(h.container('p', 'a')).toMatchObject({ restartCount: 0, state: { running: {} } });
    healthy = false;
    await h.run(10 * S);
    expect(h.log.some((l) => l.includes('killing a'))).toBe(true);
    healthy = true;
    await h.run(2 * S);
    expect(h.container('p', 'a')).toMatchObject({ restartCount: 1, state: { running: {} }, lastState: { terminated: {} } });
  });

  it('readiness drives ready, ContainersReady and Ready', async () => {
    let ready = false;
    h = await startKubelet({ scripts: { a: { exec: () => ({ exitCode: ready ? 0 : 1 }) } } });
    await h.create('p', { containers: [ctr('a', { readinessProbe: { ...exec('ready'), periodSeconds: 2 } })] });
    await h.run(3 * S);
    expect(h.container('p', 'a')?.ready).toBe(false);
    expect(h.status('p')?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    ready = true;
    await h.run(2 * S);
    expect(h.container('p', 'a')?.ready).toBe(true);
    expect(h.status('p')?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('a startup probe in progress gates liveness and readiness, and blocks the next init container behind a sidecar', async () => {
    let up = false;
    h = await startKubelet({ scripts: { side: { exec: () => ({ exitCode: up ? 0 : 1 }) }, init2: { exitCode: 0 } } });
    await h.create('p', {
      initContainers: [sidecar('side', { startupProbe: { ...exec('up'), periodSeconds: 1, failureThreshold: 30 } }), ctr('init2', { command: ['true'] })],
      containers: [ctr('main')],
    });
    await h.run(5 * S);
    expect(h.container('p', 'side')).toMatchObject({ started: false, state: { running: {} } });
    expect(h.log.some((l) => l.includes('started init2'))).toBe(false);
    expect(h.status('p')?.phase).toBe('Pending');
    up = true;
    await h.run(3 * S);
    expect(h.container('p', 'side')?.started).toBe(true);
    expect(h.log.some((l) => l.includes('started init2'))).toBe(true);
    await h.run(2 * S);
    expect(h.status('p')?.phase).toBe('Running');
  });
});

describe('Kubelet: sidecars', () => {
  it('a started sidecar lets main containers start; the pod Succeeds when mains finish (Never), even if the sidecar exits non-zero', async () => {
    h = await startKubelet({ scripts: { main: { steps: [{ sleep: 3 * S }], exitCode: 0 }, logshipper: { onSigterm: { exit: 1 } } } });
    await h.create('job', { restartPolicy: 'Never', initContainers: [sidecar('logshipper')], containers: [ctr('main')] });
    expect(h.status('job')?.phase).toBe('Running');
    expect(h.container('job', 'logshipper')).toMatchObject({ started: true, ready: true });
    await h.run(6 * S);
    expect(h.container('job', 'logshipper')?.state?.terminated?.exitCode).toBe(1);
    expect(h.status('job')?.phase).toBe('Succeeded');
  });

  it('a sidecar restarts even under Never while the main container runs', async () => {
    let runs = 0;
    h = await startKubelet({ scripts: { side: () => (runs++ === 0 ? { exitCode: 1 } : {}) } });
    await h.create('p', { restartPolicy: 'Never', initContainers: [sidecar('side')], containers: [ctr('main')] });
    await h.run(3 * S);
    expect(h.container('p', 'side')).toMatchObject({ restartCount: 1, state: { running: {} } });
    expect(h.status('p')?.phase).toBe('Running');
  });
});

describe('Kubelet: hooks and container config', () => {
  it('a failing postStart hook kills the container, which then restarts per policy', async () => {
    let fail = true;
    h = await startKubelet({ scripts: { a: { exec: () => ({ exitCode: fail ? 1 : 0, stderr: 'hook broke' }) } } });
    const hooks: string[] = [];
    const failures: string[] = [];
    h.kubelet.events.on('hookFailed', (_p, c, hook, msg) => hooks.push(`${c} ${hook} ${msg}`));
    h.kubelet.events.on('containerFailed', (_p, c, reason) => failures.push(`${c} ${reason}`));
    await h.create('p', { containers: [ctr('a', { lifecycle: { postStart: { exec: { command: ['/hook'] } } } })] });
    await h.run(1 * S);
    expect(hooks[0]).toBe('a postStart hook broke');
    expect(failures[0]).toBe('a PostStartHookError');
    fail = false;
    await h.run(30 * S);
    expect(h.container('p', 'a')?.state?.running).toBeDefined();
    expect(h.container('p', 'a')?.restartCount).toBeGreaterThanOrEqual(1);
  });

  it('hands the runtime the expanded command, env with downward API fields, labels for adoption and the log path', async () => {
    h = await startKubelet();
    const pod = await h.create('p', {
      containers: [ctr('a', {
        command: ['echo', '$(GREETING) from $(POD)'],
        env: [{ name: 'GREETING', value: 'hi' }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }],
      })],
    });
    const [, config] = h.runtime.callsOf('createContainer')[0].args as [string, { command: string[]; envs: { key: string; value: string }[]; labels: Record<string, string>; annotations: Record<string, string>; logPath: string }];
    expect(config.command).toEqual(['echo', 'hi from p']);
    expect(config.envs).toEqual(expect.arrayContaining([{ key: 'POD', value: 'p' }, { key: 'NODE_IP', value: '10.0.0.1' }]));
    expect(config.labels).toMatchObject({ 'io.kubernetes.pod.uid': pod.metadata.uid, 'io.kubernetes.container.name': 'a' });
    expect(config.annotations).toMatchObject({ 'io.kubernetes.container.restartCount': '0' });
    expect(config.logPath).toBe('a/0.log');
  });

  it('keeps probing readiness while a preStop hook runs, but not liveness', async () => {
    let ready = true;
    h = await startKubelet({ scripts: { a: { exec: (cmd) => (cmd[0] === '/drain' ? { delayMs: 10 * S } : { exitCode: ready ? 0 : 1 }), onSigterm: { exit: 0 } } } });
    await h.create('p', {
      containers: [ctr('a', {
        readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 1 },
        livenessProbe: { exec: { command: ['alive'] }, periodSeconds: 1 },
        lifecycle: { preStop: { exec: { command: ['/drain'] } } },
      })],
    });
    await h.run(2 * S);
    h.runtime.calls.length = 0;
    h.api.requestDeletion('default', 'p', 30, h.clock.now());
    ready = false;
    await h.run(4 * S);
    const probes = h.runtime.callsOf('execSync').map((c) => (c.args[1] as string[])[0]);
    expect(probes).toContain('ready');
    expect(probes).not.toContain('alive');
    expect(h.container('p', 'a')?.ready).toBe(false);
  });
});
