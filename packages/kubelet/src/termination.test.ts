import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerConfig } from '@peapod/runtime';
import { startKubelet, T0, type Harness } from './testing/harness.js';
import { ctr, sidecar } from './status/testing.js';

let h: Harness;
afterEach(async () => h?.stop());

const S = 1000;
/** Container names by id, taken while the containers exist. */
const namesOf = (h: Harness) => new Map([...h.host.containers].map(([id, c]) => [id, c.status.metadata.name]));
/** `name@second` for each call of `method`, in call order. */
const callsAt = (h: Harness, names: Map<string, string>, method: 'stopContainer' | 'execSync') =>
  h.runtime.callsOf(method).map((c) => `${names.get(c.args[0] as string)}@${Math.round((c.at - T0) / S)}`);

describe('Kubelet: graceful termination', () => {
  it('stops main containers first, then sidecars in reverse order, then finishes the deletion', async () => {
    h = await startKubelet({
      scripts: { m1: { onSigterm: { exit: 0, afterMs: 2 * S } }, m2: { onSigterm: { exit: 0, afterMs: 1 * S } }, s1: {}, s2: { onSigterm: { exit: 0, afterMs: 1 * S } } },
    });
    await h.create('p', { initContainers: [sidecar('s1'), sidecar('s2')], containers: [ctr('m1'), ctr('m2')] });
    expect(h.status('p')?.phase).toBe('Running');
    await h.run(10 * S);
    h.runtime.calls.length = 0;
    const names = namesOf(h);
    h.api.requestDeletion('default', 'p', 30, h.clock.now());
    await h.run(10 * S);
    // m1 and m2 get SIGTERM together; s2 only after both exited (t+2), s1 only after s2 exited (t+3).
    expect(callsAt(h, names, 'stopContainer')).toEqual(['m1@10', 'm2@10', 's2@12', 's1@13']);
    expect(h.api.get('default', 'p')).toBeUndefined();
    const final = h.api.statusWrites.filter((w) => w.pod === 'default/p').at(-1)!.status;
    expect(final.phase).toBe('Succeeded');
    expect(final.conditions?.find((c) => c.type === 'PodReadyToStartContainers')?.status).toBe('False');
    await h.run(3 * S);
    expect(h.host.sandboxes.size).toBe(0);
  });

  it('starts every preStop hook together and kills everything at grace + 2 s when they hang', async () => {
    const hang = { exec: { '*': { delayMs: 3600 * S } }, onSigterm: 'ignore' as const };
    h = await startKubelet({ scripts: { m: hang, s1: hang, s2: hang } });
    const preStop = { preStop: { exec: { command: ['/bin/drain'] } } };
    await h.create('p', {
      terminationGracePeriodSeconds: 10,
      initContainers: [sidecar('s1', { lifecycle: preStop }), sidecar('s2', { lifecycle: preStop })],
      containers: [ctr('m', { lifecycle: preStop })],
    });
    await h.run(5 * S);
    h.runtime.calls.length = 0;
    const names = namesOf(h);
    const exits: string[] = [];
    h.kubelet.events.on('containerExited', (_p, c, _id, code) => exits.push(`${c}:${code}@${Math.round((h.clock.now() - T0) / S)}`));
    h.api.requestDeletion('default', 'p', undefined, h.clock.now());
    await h.run(20 * S);
    expect(callsAt(h, names, 'execSync').sort()).toEqual(['m@5', 's1@5', 's2@5']);
    expect(callsAt(h, names, 'stopContainer').sort()).toEqual(['m@15', 's1@15', 's2@15']);
    expect(h.runtime.callsOf('stopContainer').map((c) => c.args[1])).toEqual([2000, 2000, 2000]);
    expect(exits.sort()).toEqual(['m:137@17', 's1:137@17', 's2:137@17']);
    expect(h.api.get('default', 'p')).toBeUndefined();
  });

  it('honours a shorter deletion grace period (never below the 2 s kill window)', async () => {
    h = await startKubelet({ scripts: { a: { onSigterm: 'ignore' } } });
    await h.create('p', { containers: [ctr('a')] });
    h.api.requestDeletion('default', 'p', 0, h.clock.now());
    await h.run(5 * S);
    expect(h.runtime.callsOf('stopContainer').map((c) => c.args[1])).toEqual([2000]);
    expect(h.api.get('default', 'p')).toBeUndefined();
  });

  it('a second delete with a shorter grace kills sooner: SIGTERM ignored, grace 30, killed 2 s after a grace-1 delete', async () => {
    h = await startKubelet({ scripts: { a: { onSigterm: 'ignore' }, b: { onSigterm: 'ignore', exec: { '*': { delayMs: 3600 * S } } } } });
    await h.create('p', { containers: [ctr('a'), ctr('b', { lifecycle: { preStop: { exec: { command: ['/bin/drain'] } } } })] });
    const names = namesOf(h);
    const exits: string[] = [];
    h.kubelet.events.on('containerExited', (_p, c, _id, code) => exits.push(`${c}:${code}`));
    h.api.requestDeletion('default', 'p', undefined, h.clock.now());
    await h.run(5 * S);
    expect(exits).toEqual([]);
    expect(h.api.get('default', 'p')?.metadata.deletionGracePeriodSeconds).toBe(30);
    h.api.requestDeletion('default', 'p', 1, h.clock.now());
    await h.run(2 * S);
    // a: SIGTERM at once with 30 s, then again with the 2 s minimum; b's hung preStop gets the new 1 s, then 2 s to stop
    expect(exits).toEqual(['a:137']);
    await h.run(1 * S);
    expect(exits.sort()).toEqual(['a:137', 'b:137']);
    const stops = h.runtime.callsOf('stopContainer').map((c) => `${names.get(c.args[0] as string)}@${Math.round((c.at - T0) / S)}:${c.args[1] as number / S}s`);
    expect(stops).toEqual(['a@0:30s', 'a@5:2s', 'b@6:2s']);
    expect(h.api.get('default', 'p')).toBeUndefined();
  });

  it('runs preStop (sleep) before SIGTERM and counts it against the grace period', async () => {
    h = await startKubelet({ scripts: { a: { onSigterm: 'ignore' } } });
    await h.create('p', { terminationGracePeriodSeconds: 10, containers: [ctr('a', { lifecycle: { preStop: { sleep: { seconds: 4 } } } })] });
    h.api.requestDeletion('default', 'p', undefined, h.clock.now());
    await h.run(20 * S);
    const [stop] = h.runtime.callsOf('stopContainer');
    expect(Math.round((stop.at - T0) / S)).toBe(4);
    expect(stop.args[1]).toBe(6000);
  });
});

describe('Kubelet: restart and adoption', () => {
  it('a restarted kubelet adopts running containers: no restart, restartCount and status continue', async () => {
    let runs = 0;
    h = await startKubelet({ scripts: { a: () => (runs++ === 0 ? { exitCode: 1 } : {}) } });
    await h.create('p', { containers: [ctr('a')] });
    await h.run(3 * S);
    expect(h.container('p', 'a')).toMatchObject({ restartCount: 1, state: { running: {} } });
    const id = h.container('p', 'a')!.containerID;
    await h.kubelet.stop();

    const h2 = await startKubelet({ host: h.host, api: h.api, clock: h.clock, scripts: { a: {} } });
    try {
      await h2.run(3 * S);
      expect(h2.runtime.callsOf('startContainer')).toHaveLength(0);
      expect(h2.runtime.callsOf('runPodSandbox')).toHaveLength(0);
      expect(h2.container('p', 'a')).toMatchObject({ restartCount: 1, containerID: id, state: { running: {} }, ready: true });
      expect(h2.status('p')?.phase).toBe('Running');
    } finally {
      await h2.stop();
    }
  });

  it('removes containers of pods that were deleted while the kubelet was down', async () => {
    h = await startKubelet();
    await h.create('gone', { containers: [ctr('a')] });
    await h.kubelet.stop();
    h.api.pods.clear();
    const h2 = await startKubelet({ host: h.host, api: h.api, clock: h.clock });
    try {
      await h2.run(3 * S);
      expect(h2.host.sandboxes.size).toBe(0);
      expect(h2.host.containers.size).toBe(0);
    } finally {
      await h2.stop();
    }
  });
});

describe('Kubelet: ephemeral containers', () => {
  it('starts an ephemeral container added to a running pod, and never restarts it', async () => {
    h = await startKubelet({ scripts: { debug: { steps: [{ stdout: 'hi' }], exitCode: 1 } } });
    const pod = await h.create('p', { containers: [ctr('a')] });
    h.api.addPod({ ...h.pod('p'), metadata: pod.metadata, spec: { ...pod.spec!, ephemeralContainers: [{ name: 'debug', image: 'busybox' }] } });
    await h.run(30 * S);
    expect(h.runtime.callsOf('startContainer')).toHaveLength(2);
    expect(h.status('p')?.ephemeralContainerStatuses?.[0]).toMatchObject({ name: 'debug', restartCount: 0, state: { terminated: { exitCode: 1 } } });
    expect(h.status('p')?.phase).toBe('Running');
  });

  it('runs an ephemeral container with targetContainerName in the target\'s PID namespace; an unknown target is a config error', async () => {
    h = await startKubelet();
    const pod = await h.create('p', { containers: [ctr('a')] });
    h.api.addPod({ ...h.pod('p'), metadata: pod.metadata, spec: { ...pod.spec!, ephemeralContainers: [{ name: 'debug', image: 'busybox', targetContainerName: 'a' }, { name: 'lost', image: 'busybox', targetContainerName: 'gone' }] } });
    await h.run(5 * S);
    const configs = h.runtime.callsOf('createContainer').map((c) => c.args[1] as ContainerConfig);
    const idOf = (name: string) => h.container('p', name)?.containerID?.replace(/^[a-z]+:\/\//, '');
    expect(configs.find((c) => c.metadata.name === 'debug')?.linux?.securityContext?.namespaceOptions).toEqual({ network: 'Pod', pid: 'Target', ipc: 'Pod', targetId: idOf('a') });
    expect(configs.find((c) => c.metadata.name === 'a')?.linux?.securityContext?.namespaceOptions).toEqual({ network: 'Pod', pid: 'Container', ipc: 'Pod' });
    expect(h.status('p')?.ephemeralContainerStatuses?.find((s) => s.name === 'lost')?.state).toEqual({ waiting: { reason: 'CreateContainerConfigError', message: 'unable to find target container gone' } });
  });
});

describe('Kubelet: in-place resize', () => {
  const resources = (cpu: string, memory: string) => ({ requests: { cpu }, limits: { cpu, memory } });
  const resize = async (h: Harness, r: ReturnType<typeof resources>) => {
    const pod = h.pod('p');
    h.api.addPod({ ...pod, spec: { ...pod.spec!, containers: [{ ...pod.spec!.containers[0], resources: r }] } });
    await h.run(2 * S);
  };

  it('resizes a running container through the runtime without restarting it', async () => {
    h = await startKubelet();
    await h.create('p', { containers: [ctr('a', { resources: resources('100m', '128Mi') })] });
    await resize(h, resources('500m', '256Mi'));
    expect(h.runtime.callsOf('updateContainerResources')[0]?.args[1]).toEqual({ cpuShares: 512, cpuPeriod: 100000, cpuQuota: 50000, memoryLimitInBytes: 256 * 1024 * 1024 });
    expect(h.runtime.callsOf('startContainer')).toHaveLength(1);
    expect(h.container('p', 'a')).toMatchObject({ restartCount: 0, resources: resources('500m', '256Mi'), allocatedResources: { cpu: '500m' } });
  });

  it('restarts the container when its resizePolicy says RestartContainer for a changed resource', async () => {
    h = await startKubelet();
    await h.create('p', { containers: [ctr('a', { resources: resources('100m', '128Mi'), resizePolicy: [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }] })] });
    await resize(h, resources('100m', '256Mi'));
    expect(h.runtime.callsOf('updateContainerResources')).toHaveLength(0);
    expect(h.container('p', 'a')).toMatchObject({ restartCount: 1, state: { running: {} }, resources: resources('100m', '256Mi') });
  });

  it('reports PodResizePending/Infeasible when the runtime cannot resize in place', async () => {
    h = await startKubelet({
      patchRuntime: (rt) => {
        const status = rt.status.bind(rt);
        rt.status = async () => {
          const s = await status();
          return { ...s, features: { ...s.features, inPlaceResize: false } };
        };
      },
    });
    await h.create('p', { containers: [ctr('a', { resources: resources('100m', '128Mi') })] });
    await resize(h, resources('200m', '128Mi'));
    expect(h.status('p')?.conditions?.find((c) => c.type === 'PodResizePending')).toMatchObject({ status: 'True', reason: 'Infeasible' });
    expect(h.container('p', 'a')).toMatchObject({ restartCount: 0, resources: resources('100m', '128Mi') });
  });
});
