import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeModules, silentLogger, RealClock } from '@peapod/core';
import { RuntimeModule, RuntimeRegistry, containerLabels, podLabels, renderLogEntry, type ContainerConfig, type PodSandboxConfig } from '@peapod/runtime';
import { runRuntimeConformance, shellWorkload, tempDirs } from '@peapod/runtime/conformance';
import { engineSkipReason, startPrivateEngine, type PrivateEngine } from '@peapod/runtime/testing';
import { DockerRuntime } from './docker-runtime.js';
import { DockerRuntimeModule } from './module.js';
import { sandboxCreateOptions } from './translate.js';

/**
 * A private Docker Engine and image registry for this file, started by the project's own script.
 * A machine without the engine skips these legs with the reason printed; CI never does.
 */
let engine: PrivateEngine | undefined;
let socketPath = '';
/** The test image in the engine's private registry: conformance pulls and removes it. */
let image = '';

describe.skipIf(engineSkipReason('docker'))('docker adapter against a real Engine', () => {
  beforeAll(async () => {
    engine = await startPrivateEngine('docker');
    socketPath = engine.socketPath;
    image = `${engine.registry}/peapod/busybox:1.36`;
  });
  afterAll(async () => {
    await engine?.stop();
  });

  runRuntimeConformance('docker', {
    linuxSecurityContext: true,
    workload: (script) => ({ ...shellWorkload(script), image: { image } }),
    async setup() {
      const make = () => new DockerRuntime({ socketPath, pollMs: 10 });
      const runtime = make();
      await runtime.pullImage({ image }); // the image test removes it
      return { runtime, reopen: async () => make(), ...tempDirs('peapod-docker-') };
    },
  });

  describe('docker runtime against the Engine', () => {
    const sandboxConfig = (name: string): PodSandboxConfig => {
      const meta = { name, namespace: 'default', uid: randomUUID() };
      return { metadata: { ...meta, attempt: 0 }, logDirectory: tmpdir(), labels: podLabels(meta), annotations: {} };
    };
    const ctr = (sb: PodSandboxConfig, name: string, script: string, extra: Partial<ContainerConfig> = {}): ContainerConfig => ({
      metadata: { name, attempt: 0 },
      image: { image: 'busybox:1.36' },
      command: ['sh', '-c', script],
      args: [],
      envs: [],
      mounts: [],
      labels: containerLabels(sb.metadata, name),
      annotations: {},
      logPath: `${name}/0.log`,
      ...extra,
    });

    it('negotiates the API version with the daemon and registers through its module', async () => {
      const c = composeModules([RuntimeModule, DockerRuntimeModule]).container;
      const factory = c.resolve(RuntimeRegistry).get('docker');
      const rt = await factory({ socketPath }, { clock: new RealClock(), logger: silentLogger });
      expect(await rt.version()).toMatchObject({ runtimeName: 'docker', runtimeApiVersion: '1.41' });
      await rt.close();
    });

    it('puts the containers of a pod in one network, IPC and UTS namespace (localhost, hostname) and port-forwards into it', async () => {
      const rt = new DockerRuntime({ socketPath });
      const sb = { ...sandboxConfig('web-pod'), dnsConfig: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] } };
      const id = await rt.runPodSandbox(sb);
      try {
        const server = await rt.createContainer(id, ctr(sb, 'web', 'mkdir -p /www && echo hello-from-web > /www/index.html && httpd -f -p 8080 -h /www'), sb);
        await rt.startContainer(server);
        const client = await rt.createContainer(id, ctr(sb, 'sidecar', 'sleep 30'), sb);
        await rt.startContainer(client);
        const fetched = await rt.execSync(client, ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://localhost:8080/ && exit 0; sleep 0.1; done; exit 1'], 10_000);
        expect(fetched.stdout.toString()).toBe('hello-from-web\n');
        expect((await rt.execSync(client, ['hostname'])).stdout.toString()).toBe('web-pod\n');
        // The pod's own network namespace: a loopback and nothing else; its DNS config and hosts file.
        const devices = (await rt.execSync(client, ['cat', '/proc/net/dev'])).stdout.toString().split('\n').slice(2).filter(Boolean).map((l) => l.split(':')[0].trim());
        expect(devices).toEqual(['lo']);
        expect((await rt.execSync(client, ['cat', '/etc/resolv.conf'])).stdout.toString()).toBe('search default.svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
        expect((await rt.execSync(server, ['grep', '-c', 'localhost', '/etc/hosts'])).stdout.toString()).toBe('2\n');
        // A read-only root gets them read-only, as Docker mounts its own.
        const ro = await rt.createContainer(id, ctr(sb, 'ro', 'sleep 30', { linux: { securityContext: { readonlyRootfs: true } } }), sb);
        await rt.startContainer(ro);
        expect((await rt.execSync(ro, ['cat', '/etc/resolv.conf'])).stdout.toString()).toContain('nameserver 10.96.0.10');
        expect((await rt.execSync(ro, ['sh', '-c', 'echo 10.0.0.1 x >> /etc/hosts'])).exitCode).not.toBe(0);
        expect((await rt.execSync(client, ['sh', '-c', 'echo 10.0.0.1 x >> /etc/hosts'])).exitCode).toBe(0);
        expect((await rt.podSandboxStatus(id)).namespaceOptions).toMatchObject({ network: 'Pod', ipc: 'Pod' });

        // port-forward reaches the pod's loopback from the host, and refuses a port nobody listens on
        const conn = await rt.portForward(id, 8080);
        conn.write('GET / HTTP/1.0\r\n\r\n');
        let response = '';
        for await (const c of conn) response += String(c);
        expect(response).toMatch(/^HTTP\/1\.[01] 200/);
        expect(response).toContain('hello-from-web');
        expect(await rt.portForward(id, 9).then(() => undefined, (e: unknown) => e)).toMatchObject({ code: 'Unavailable' });
      } finally {
        await rt.removePodSandbox(id);
      }
    });

    it('runs app containers in a sandbox on Docker\'s network stack (made by an earlier version, or for a daemon whose data root is not visible)', async () => {
      const rt = new DockerRuntime({ socketPath });
      const docker = new Docker({ socketPath });
      const sb = { ...sandboxConfig('engine-net'), dnsConfig: { servers: ['10.96.0.10'], searches: [], options: [] } };
      const { id } = await docker.createContainer(sandboxCreateOptions(sb, { pauseImage: 'peapod/pause:3.9', network: 'none', writesEtcFiles: false }));
      await docker.getContainer(id).start();
      try {
        const app = await rt.createContainer(id, ctr(sb, 'app', 'sleep 30'), sb);
        await rt.startContainer(app);
        // Docker's own files, not the adapter's; stats from the Engine.
        expect((await docker.getContainer(app).inspect()).HostConfig.Mounts ?? []).toEqual([]);
        expect((await rt.execSync(app, ['cat', '/etc/resolv.conf'])).stdout.toString()).toMatch(/^nameserver 10\.96\.0\.10$/m);
        expect((await rt.execSync(app, ['hostname'])).stdout.toString()).toBe('engine-net\n');
        expect((await rt.containerStats(app)).memory?.workingSetBytes).toBeGreaterThan(0);
      } finally {
        await rt.removePodSandbox(id);
      }
    });

    it('shares the PID namespace when the pod asks for it', async () => {
      const rt = new DockerRuntime({ socketPath });
      const shared = { network: 'Pod', pid: 'Pod', ipc: 'Pod' } as const;
      const sb = { ...sandboxConfig('shared-pid'), linux: { securityContext: { namespaceOptions: shared } } };
      const id = await rt.runPodSandbox(sb);
      try {
        const a = await rt.createContainer(id, ctr(sb, 'a', 'sleep 30', { linux: { securityContext: { namespaceOptions: shared } } }), sb);
        await rt.startContainer(a);
        const ps = (await rt.execSync(a, ['ps', '-o', 'args'])).stdout.toString();
        expect(ps).toContain('/bin/sleep 2147483647'); // the pause process is visible
      } finally {
        await rt.removePodSandbox(id);
      }
    });

    it('reports a missing executable as a start failure (StartError, exit 128) and OOM kills as OOMKilled', async () => {
      const rt = new DockerRuntime({ socketPath });
      const sb = sandboxConfig('failures');
      const id = await rt.runPodSandbox(sb);
      try {
        const bad = await rt.createContainer(id, ctr(sb, 'bad', '', { command: ['/no/such/binary'] }), sb);
        const err = await rt.startContainer(bad).then(() => undefined, (e: unknown) => e);
        expect(err).toMatchObject({ reason: 'RunContainerError' });
        expect(await rt.containerStatus(bad)).toMatchObject({ state: 'Exited', reason: 'StartError', exitCode: 128 });
        expect((await rt.listContainers({ state: 'Exited', podSandboxId: id })).map((c) => c.id)).toContain(bad);

        const hog = await rt.createContainer(id, ctr(sb, 'hog', 'x=a; while :; do x="$x$x"; done', { linux: { resources: { memoryLimitInBytes: 8 * 1024 * 1024 } } }), sb);
        await rt.startContainer(hog);
        let s = await rt.containerStatus(hog);
        for (let i = 0; i < 200 && s.state !== 'Exited'; i++) {
          await new Promise((r) => setTimeout(r, 50));
          s = await rt.containerStatus(hog);
        }
        expect(s).toMatchObject({ state: 'Exited', reason: 'OOMKilled', exitCode: 137 });
      } finally {
        await rt.removePodSandbox(id);
      }
    });

    it('pulls from a registry with progress, fails pulls as ErrImagePull, and reports stats of a running container', async () => {
      const rt = new DockerRuntime({ socketPath });
      await rt.removeImage({ image });
      const progress: string[] = [];
      const ref = await rt.pullImage({ image }, { onProgress: (p) => progress.push(p.message ?? '') });
      expect(ref).toBe((await rt.imageStatus({ image: 'peapod/busybox:1.36' }))?.id);
      expect(progress.at(-1)).toMatch(/^Status: Downloaded newer image/);
      const err = await rt.pullImage({ image: '127.0.0.1:1/peapod/absent:1' }).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ reason: 'ErrImagePull' });
      expect(await rt.pullImage({ image: 'NOT A REFERENCE' }).then(() => undefined, (e: unknown) => e)).toMatchObject({ reason: 'InvalidImageName' });
      expect(await rt.imageStatus({ image: '127.0.0.1:1/peapod/absent:1' })).toBeUndefined();
      const bb = await rt.imageStatus({ image: 'busybox:1.36' });
      expect(bb?.repoTags).toContain('peapod/busybox:1.36');

      const sb = sandboxConfig('stats');
      const id = await rt.runPodSandbox(sb);
      try {
        const c = await rt.createContainer(id, ctr(sb, 'busy', 'echo started; sleep 30'), sb);
        await rt.startContainer(c);
        const st = await rt.containerStats(c);
        expect(st.memory?.workingSetBytes).toBeGreaterThan(0);
        expect(st.cpu?.usageCoreNanoSeconds).toBeGreaterThan(0);
        const pod = await rt.podSandboxStats(id);
        expect(pod.containers.map((x) => x.id)).toEqual([c]);
        const logs: string[] = [];
        for await (const e of rt.readContainerLog(c)) logs.push(renderLogEntry(e));
        expect(logs.join('')).toBe('started\n');
      } finally {
        await rt.removePodSandbox(id);
      }
    });
  });
});
