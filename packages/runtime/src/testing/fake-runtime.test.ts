import { describe, expect, it } from 'vitest';
import { FakeClock, RealClock } from '@peapod/core';
import { runRuntimeConformance, tempDirs } from '../conformance/index.js';
import { RuntimeError, RuntimeReason, isRuntimeNotFound } from '../errors.js';
import { containerLabels, podLabels } from '../labels.js';
import type { ContainerConfig, PodSandboxConfig } from '../types.js';
import { FakeHost, FakeRuntime } from './fake-runtime.js';
import { fakeWorkload, type ContainerScript } from './script.js';

runRuntimeConformance('fake', {
  workload: fakeWorkload,
  async setup() {
    const host = new FakeHost(new RealClock());
    return {
      runtime: new FakeRuntime({ host }),
      reopen: async () => new FakeRuntime({ host }),
      ...tempDirs('peapod-fake-'),
    };
  },
});

const pod = { name: 'web', namespace: 'default', uid: 'uid-1' };
const sandboxConfig: PodSandboxConfig = { metadata: { ...pod, attempt: 0 }, logDirectory: '/var/log/pods/x', labels: podLabels(pod), annotations: {} };
const ctr = (name: string, script?: ContainerScript): ContainerConfig => ({
  metadata: { name, attempt: 0 },
  ...(script ? fakeWorkload(script) : { image: { image: 'nginx' }, command: [], args: [], envs: [] }),
  mounts: [],
  labels: containerLabels(pod, name),
  annotations: {},
  logPath: `${name}/0.log`,
});

describe('FakeRuntime on a fake clock', () => {
  it('runs scripts in fake time: a container runs N ms and exits with its code', async () => {
    const clock = new FakeClock(0);
    const rt = new FakeRuntime({ clock });
    const sb = await rt.runPodSandbox(sandboxConfig);
    const id = await rt.createContainer(sb, ctr('job', { steps: [{ stdout: 'working' }, { sleep: 30_000 }], exitCode: 5 }), sandboxConfig);
    await rt.startContainer(id);
    await clock.advance(29_999);
    expect((await rt.containerStatus(id)).state).toBe('Running');
    await clock.advance(1);
    expect(await rt.containerStatus(id)).toMatchObject({ state: 'Exited', exitCode: 5, reason: 'Error', startedAt: 0, finishedAt: 30_000 });
  });

  it('takes scripts from the resolver option, and by default runs until stopped and exits 0 on SIGTERM', async () => {
    const clock = new FakeClock(0);
    const rt = new FakeRuntime({ clock, script: (c) => (c.metadata.name === 'scripted' ? { exitCode: 1 } : undefined) });
    const sb = await rt.runPodSandbox(sandboxConfig);
    const scripted = await rt.createContainer(sb, ctr('scripted'), sandboxConfig);
    const plain = await rt.createContainer(sb, ctr('plain'), sandboxConfig);
    await rt.startContainer(scripted);
    await rt.startContainer(plain);
    await clock.advance(3_600_000);
    expect((await rt.containerStatus(scripted)).exitCode).toBe(1);
    expect((await rt.containerStatus(plain)).state).toBe('Running');
    const stopping = rt.stopContainer(plain, 30_000);
    await clock.advance(0);
    await stopping;
    expect(await rt.containerStatus(plain)).toMatchObject({ exitCode: 0, finishedAt: 3_600_000 });
  });

  it('kills a container that ignores SIGTERM exactly at the end of the grace period', async () => {
    const clock = new FakeClock(0);
    const rt = new FakeRuntime({ clock });
    const sb = await rt.runPodSandbox(sandboxConfig);
    const id = await rt.createContainer(sb, ctr('stubborn', { onSigterm: 'ignore' }), sandboxConfig);
    await rt.startContainer(id);
    let stopped = false;
    const stopping = rt.stopContainer(id, 30_000).then(() => { stopped = true; });
    await clock.advance(29_999);
    expect(stopped).toBe(false);
    await clock.advance(1);
    await stopping;
    expect(await rt.containerStatus(id)).toMatchObject({ exitCode: 137, finishedAt: 30_000 });
  });

  it('answers exec probes from the script, with delays that exceed the timeout failing', async () => {
    const clock = new FakeClock(0);
    let healthy = true;
    const rt = new FakeRuntime({ clock, script: () => ({ exec: (cmd) => (cmd[0] === 'slow' ? { delayMs: 5000 } : { exitCode: healthy ? 0 : 1, stdout: healthy ? 'ok' : 'bad' }) }) });
    const sb = await rt.runPodSandbox(sandboxConfig);
    const id = await rt.createContainer(sb, ctr('app'), sandboxConfig);
    await rt.startContainer(id);
    expect((await rt.execSync(id, ['check'])).exitCode).toBe(0);
    healthy = false;
    const r = await rt.execSync(id, ['check']);
    expect([r.exitCode, r.stdout.toString()]).toEqual([1, 'bad']);
    const slow = rt.execSync(id, ['slow'], 1000).catch((e: unknown) => e);
    await clock.advance(1000);
    expect(await slow).toMatchObject({ code: 'DeadlineExceeded' });
  });

  it('fails create and start as scripted, with the reasons the kubelet shows', async () => {
    const rt = new FakeRuntime({ clock: new FakeClock(0) });
    const sb = await rt.runPodSandbox(sandboxConfig);
    await expect(rt.createContainer(sb, ctr('bad', { failCreate: 'no such volume' }), sandboxConfig)).rejects.toMatchObject({ reason: RuntimeReason.CreateContainerError, message: 'no such volume' });
    const id = await rt.createContainer(sb, ctr('nostart', { failStart: 'exec: "nope": executable file not found in $PATH' }), sandboxConfig);
    await expect(rt.startContainer(id)).rejects.toMatchObject({ reason: RuntimeReason.RunContainerError });
    expect(await rt.containerStatus(id)).toMatchObject({ state: 'Exited', exitCode: 128, reason: 'StartError', message: 'exec: "nope": executable file not found in $PATH' });
  });

  it('records calls and injects errors for a number of calls', async () => {
    const clock = new FakeClock(0);
    const rt = new FakeRuntime({ clock });
    rt.inject('pullImage', new RuntimeError('Unavailable', 'registry down', RuntimeReason.ErrImagePull), 2);
    await expect(rt.pullImage({ image: 'nginx' })).rejects.toMatchObject({ reason: 'ErrImagePull' });
    await expect(rt.pullImage({ image: 'nginx' })).rejects.toMatchObject({ reason: 'ErrImagePull' });
    const ref = await rt.pullImage({ image: 'nginx' });
    expect((await rt.imageStatus({ image: 'nginx' }))?.id).toBe(ref);
    rt.inject('containerStatus', (args) => (args[0] === 'c-x' ? new RuntimeError('NotFound', 'gone') : undefined));
    await expect(rt.containerStatus('c-x')).rejects.toSatisfy(isRuntimeNotFound);
    expect(rt.callsOf('pullImage').map((c) => c.at)).toEqual([0, 0, 0]);
    expect(rt.calls.map((c) => c.method)).toEqual(['pullImage', 'pullImage', 'pullImage', 'imageStatus', 'containerStatus']);
  });

  it('reports scripted memory per container and their sum for the sandbox', async () => {
    const rt = new FakeRuntime({ clock: new FakeClock(0), script: () => ({ memoryBytes: 1000 }) });
    const sb = await rt.runPodSandbox(sandboxConfig);
    for (const n of ['a', 'b']) await rt.startContainer(await rt.createContainer(sb, ctr(n), sandboxConfig));
    const stats = await rt.podSandboxStats(sb);
    expect(stats.containers.map((c) => c.memory?.workingSetBytes)).toEqual([1000, 1000]);
    expect(stats.memory?.workingSetBytes).toBe(2000);
  });

  it('keeps the files a container writes outside its mounts, and what attach sends to its stdin', async () => {
    const clock = new FakeClock(0);
    const rt = new FakeRuntime({ clock });
    const sb = await rt.runPodSandbox(sandboxConfig);
    const script: ContainerScript = { steps: [{ catFile: '/tmp/x' }, { writeFile: '/tmp/x', content: 'hi\n' }, { catFile: '/tmp/x' }, { sleep: 1000 }], exitCode: 0 };
    const id = await rt.createContainer(sb, { ...ctr('files', script), stdin: true }, sandboxConfig);
    const quiet = await rt.createContainer(sb, ctr('quiet'), sandboxConfig);
    await rt.startContainer(id);
    await rt.startContainer(quiet);
    await clock.advance(0);
    const session = await rt.attach(id, { stdin: true });
    session.stdin!.write('typed');
    await new Promise((r) => setImmediate(r));
    expect(rt.stdinOf(id)).toBe('typed');
    expect(rt.stdinOf(quiet)).toBe('');
    await clock.advance(1000);
    expect(await session.exited).toBe(0);
    const logs = [];
    for await (const e of rt.readContainerLog(id)) logs.push(`${e.stream} ${e.content}`);
    expect(logs).toEqual(['stderr cat: /tmp/x: No such file or directory', 'stdout hi']);
    const none = [];
    for await (const e of rt.readContainerLog(quiet)) none.push(e);
    expect(none).toEqual([]);
  });

  it('hands out copies: changing a returned status does not change the runtime', async () => {
    const rt = new FakeRuntime({ clock: new FakeClock(0) });
    const sb = await rt.runPodSandbox(sandboxConfig);
    const id = await rt.createContainer(sb, ctr('c'), sandboxConfig);
    const st = await rt.containerStatus(id);
    st.labels.extra = 'x';
    st.metadata.attempt = 9;
    const sst = await rt.podSandboxStatus(sb);
    sst.network!.ip = '0.0.0.0';
    expect((await rt.containerStatus(id)).labels.extra).toBeUndefined();
    expect((await rt.containerStatus(id)).metadata.attempt).toBe(0);
    expect((await rt.podSandboxStatus(sb)).network!.ip).not.toBe('0.0.0.0');
  });

  it('lists snapshots the caller may keep: later changes show in the next list only, and a snapshot cannot be changed', async () => {
    const rt = new FakeRuntime({ clock: new FakeClock(0) });
    const sb = await rt.runPodSandbox(sandboxConfig);
    const id = await rt.createContainer(sb, ctr('c'), sandboxConfig);
    const [container] = await rt.listContainers();
    const [sandbox] = await rt.listPodSandbox();
    await rt.startContainer(id);
    await rt.stopPodSandbox(sb);
    expect([container.state, sandbox.state]).toEqual(['Created', 'Ready']);
    expect((await rt.listContainers()).map((c) => c.state)).toEqual(['Exited']);
    expect((await rt.listPodSandbox()).map((s) => s.state)).toEqual(['NotReady']);
    expect(() => { container.labels.extra = 'x'; }).toThrow(TypeError);
    expect(() => { sandbox.metadata.attempt = 9; }).toThrow(TypeError);
    expect((await rt.listContainers())[0].labels.extra).toBeUndefined();
    expect((await rt.listPodSandbox())[0].metadata.attempt).toBe(0);
  });

  it('is cheap enough for thousands of pods', async () => {
    const clock = new FakeClock(0);
    const rt = new FakeRuntime({ clock, recordCalls: false });
    const before = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    for (let i = 0; i < 3000; i++) {
      const p = { name: `p${i}`, namespace: 'default', uid: `u${i}` };
      const cfg = { ...sandboxConfig, metadata: { ...p, attempt: 0 }, labels: podLabels(p) };
      const sb = await rt.runPodSandbox(cfg);
      await rt.startContainer(await rt.createContainer(sb, ctr('c'), cfg));
    }
    const elapsed = performance.now() - t0;
    expect((await rt.listContainers({ state: 'Running' })).length).toBe(3000);
    expect(clock.pending()).toBe(3000); // each container's first step is scheduled; idle containers hold no timer afterwards
    await clock.advance(0);
    expect(clock.pending()).toBe(0);
    // generous bounds: a regression to per-pod timers or copies of big objects would blow them
    expect(elapsed).toBeLessThan(5000);
    expect((process.memoryUsage().heapUsed - before) / 3000).toBeLessThan(20_000);
  });
});
