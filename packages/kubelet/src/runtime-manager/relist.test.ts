import { FakeClock } from '@peapod/core';
import { containerAnnotations, containerLabels, podLabels, RuntimeError, type PodSandboxConfig } from '@peapod/runtime';
import { FakeHost, FakeRuntime, type ContainerScript } from '@peapod/runtime/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ObservedContainer } from './observed.js';
import { Relister } from './relist.js';

const pod = { name: 'p', namespace: 'default', uid: 'u1' };
const sandboxConfig: PodSandboxConfig = { metadata: { ...pod, attempt: 0 }, logDirectory: '/logs', labels: podLabels(pod), annotations: {} };

let clock: FakeClock;
let host: FakeHost;
let rt: FakeRuntime;
let exits: string[];
let relister: Relister;
/** The script of the next container of each name. */
let scripts: Record<string, ContainerScript>;

const newRelister = () => new Relister(rt, (uid: string, c: ObservedContainer) => exits.push(`${uid}/${c.name}:${c.exitCode}`));

/** Starts a container the way the kubelet does (its labels say whose it is); the relister is not told. */
async function start(name: string, script: ContainerScript = {}, restartCount = 0): Promise<string> {
  const sb = [...host.sandboxes.keys()][0] ?? (await rt.runPodSandbox(sandboxConfig));
  scripts[name] = script;
  const id = await rt.createContainer(sb, {
    metadata: { name, attempt: restartCount }, image: { image: 'app:1' }, command: [], args: [], envs: [], mounts: [], logPath: `${name}/${restartCount}.log`,
    labels: containerLabels(pod, name), annotations: containerAnnotations({ hash: 'h', restartCount }),
  }, sandboxConfig);
  await rt.startContainer(id);
  return id;
}

const states = () => relister.observed(pod.uid).containers.map((c) => `${c.name}#${c.restartCount}:${c.state}`);

beforeEach(() => {
  clock = new FakeClock(0);
  host = new FakeHost(clock);
  scripts = {};
  rt = new FakeRuntime({ host, script: (config) => scripts[config.metadata.name] });
  exits = [];
  relister = newRelister();
});

describe('Relister', () => {
  it('reports a pod once when its containers appear, and a quiet node without asking for any details', async () => {
    await start('a');
    expect([...(await relister.relist())]).toEqual([pod.uid]);
    expect(states()).toEqual(['a#0:running']);
    const detailCalls = () => rt.callsOf('containerStatus').length + rt.callsOf('podSandboxStatus').length;
    const before = detailCalls();
    for (let i = 0; i < 3; i++) expect([...(await relister.relist())]).toEqual([]);
    expect(detailCalls()).toBe(before);
    expect(states()).toEqual(['a#0:running']);
  });

  it('notices an exit once (with its exit code), and a restart as a newer attempt', async () => {
    const first = await start('a', { steps: [{ sleep: 500 }], exitCode: 3 });
    await relister.relist();
    await clock.advance(1000);
    expect([...(await relister.relist())]).toEqual([pod.uid]);
    expect(exits).toEqual(['u1/a:3']);
    expect(relister.observed(pod.uid).containers[0]).toMatchObject({ id: first, state: 'exited', exitCode: 3 });
    await relister.relist();
    expect(exits).toEqual(['u1/a:3']);

    await clock.advance(1000);
    await start('a', {}, 1);
    expect([...(await relister.relist())]).toEqual([pod.uid]);
    expect(states()).toEqual(['a#1:running', 'a#0:exited']);
  });

  it('drops what the runtime no longer lists, and forgets a pod whose last container and sandbox are gone', async () => {
    const a = await start('a');
    await start('b');
    await relister.relist();
    await rt.removeContainer(a);
    expect([...(await relister.relist())]).toEqual([pod.uid]);
    expect(states()).toEqual(['b#0:running']);
    await rt.removePodSandbox([...host.sandboxes.keys()][0]);
    expect([...(await relister.relist())]).toEqual([pod.uid]);
    expect(relister.observed(pod.uid)).toEqual({ sandboxes: [], containers: [] });
    expect([...relister.relisted()]).toEqual([]);
  });

  it('sees what a previous kubelet started, without reporting exits that happened before it', async () => {
    await start('done', { exitCode: 0 });
    await clock.advance(0);
    await start('a');
    relister = newRelister();
    expect([...(await relister.relist())]).toEqual([pod.uid]);
    expect(states().sort()).toEqual(['a#0:running', 'done#0:exited']);
    expect(exits).toEqual([]);
    expect([...relister.relisted()].map(([uid, p]) => [uid, p.identity?.name])).toEqual([[pod.uid, 'p']]);
  });

  it('an observation of the pod counts: the next relist does not report what it already saw', async () => {
    await start('a', { steps: [{ sleep: 500 }], exitCode: 1 });
    await relister.relist();
    await clock.advance(1000);
    const observed = await relister.observePod(pod.uid);
    expect(observed.containers.map((c) => c.state)).toEqual(['exited']);
    expect(exits).toEqual(['u1/a:1']);
    expect([...(await relister.relist())]).toEqual([]);
  });

  it('a container whose status call failed once is found again by the next relist', async () => {
    await start('a');
    await relister.relist();
    rt.inject('containerStatus', new RuntimeError('Unavailable', 'runtime busy'));
    expect((await relister.observePod(pod.uid)).containers).toEqual([]);
    await relister.relist();
    expect((await relister.observePod(pod.uid)).containers.map((c) => c.name)).toEqual(['a']);
  });

  it('reads as cached (the PLEG cache) only once a relist that started after the last observation or creation has completed', async () => {
    expect(relister.cached(pod.uid)).toEqual({ sandboxes: [], containers: [] });
    const id = await start('a', { steps: [{ sleep: 500 }], exitCode: 2 });
    relister.track(pod.uid, 'container', id);
    expect(relister.cached(pod.uid)).toBeUndefined();
    await relister.observePod(pod.uid);
    expect(relister.cached(pod.uid)).toBeUndefined();
    await relister.relist();
    expect(relister.cached(pod.uid)?.containers.map((c) => c.state)).toEqual(['running']);
    await clock.advance(1000);
    // The cache shows what the last relist saw, without asking the runtime; the next relist sees the exit.
    const asked = rt.calls.length;
    expect(relister.cached(pod.uid)?.containers.map((c) => c.state)).toEqual(['running']);
    expect(rt.calls.length).toBe(asked);
    await relister.relist();
    expect(relister.cached(pod.uid)?.containers[0]).toMatchObject({ state: 'exited', exitCode: 2 });
  });

  it('an observation made while a relist is in flight is not cached by that relist', async () => {
    await start('a');
    await relister.relist();
    const inFlight = relister.relist();
    await relister.observePod(pod.uid);
    await inFlight;
    expect(relister.cached(pod.uid)).toBeUndefined();
    await relister.relist();
    expect(relister.cached(pod.uid)?.containers.map((c) => c.name)).toEqual(['a']);
  });

  it('a forgotten pod whose containers are still there comes back as an orphan', async () => {
    await start('a');
    await relister.relist();
    relister.forget(pod.uid);
    expect([...relister.relisted()]).toEqual([]);
    expect([...(await relister.relist())]).toEqual([pod.uid]);
    expect([...relister.relisted()].map(([uid]) => uid)).toEqual([pod.uid]);
  });
});
