import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock, composeModules, silentLogger } from '@peapod/core';
import { RuntimeModule, RuntimeRegistry, containerLabels, podLabels, renderLogEntry, type ContainerConfig, type PodSandboxConfig } from '@peapod/runtime';
import { runRuntimeConformance, shellWorkload, tempDirs } from '@peapod/runtime/conformance';
import { engineSkipReason, startPrivateEngine, type PrivateEngine } from '@peapod/runtime/testing';
import { CriRuntime } from './cri-runtime.js';
import { ContainerdRuntimeModule } from './module.js';
import { linuxTranslator } from './translate.js';

/**
 * A private containerd (CRI plugin) and image registry for this file, started by the project's own
 * script with the settings this machine needs. A machine without containerd skips these legs with
 * the reason printed; CI never does.
 */
let engine: PrivateEngine | undefined;
let endpoint = '';
/** The test image in the engine's private registry: conformance pulls and removes it. */
let image = '';

describe.skipIf(engineSkipReason('containerd'))('containerd adapter against a real containerd', () => {
  beforeAll(async () => {
    engine = await startPrivateEngine('containerd');
    endpoint = `unix://${engine.socketPath}`;
    image = `${engine.registry}/peapod/busybox:1.36`;
  });
  afterAll(async () => {
    await engine?.stop();
  });

  const make = () => new CriRuntime({ endpoint, translator: linuxTranslator, podNetwork: 'node', runtimeName: 'containerd', pollMs: 20 });

  runRuntimeConformance('containerd', {
    logsOnDisk: true,
    linuxSecurityContext: true,
    workload: (script) => ({ ...shellWorkload(script), image: { image } }),
    async setup() {
      const runtime = make();
      await runtime.pullImage({ image }); // the image test removes it
      return { runtime, reopen: async () => make(), ...tempDirs('peapod-ctrd-') };
    },
  });

  describe('containerd runtime over CRI', () => {
    it('registers through its module and reports the CRI version and node networking', async () => {
      const c = composeModules([RuntimeModule, ContainerdRuntimeModule]).container;
      const rt = await c.resolve(RuntimeRegistry).get('containerd')({ endpoint }, { clock: new RealClock(), logger: silentLogger });
      expect(await rt.version()).toMatchObject({ runtimeName: 'containerd', runtimeApiVersion: 'v1' });
      const st = await rt.status();
      expect(st.conditions.find((x) => x.type === 'NetworkReady')).toMatchObject({ status: true, reason: 'NodeNetwork' });
      expect(st.features.podIPs).toBe(false);
      await rt.close();
    });

    it('runs a web server and a sidecar sharing an emptyDir that talk over localhost, and port-forwards to the server', async () => {
      const rt = make();
      await rt.pullImage({ image });
      const logDirectory = await mkdtemp(join(tmpdir(), 'peapod-ctrd-'));
      const vol = await mkdtemp(join(tmpdir(), 'peapod-ctrd-vol-'));
      const meta = { name: 'web-pod', namespace: 'default', uid: randomUUID() };
      const sb: PodSandboxConfig = { metadata: { ...meta, attempt: 0 }, logDirectory, labels: podLabels(meta), annotations: {} };
      const id = await rt.runPodSandbox(sb);
      const ctr = (name: string, script: string): ContainerConfig => ({
        metadata: { name, attempt: 0 }, image: { image }, command: ['sh', '-c', script], args: [], envs: [{ key: 'GREETING', value: 'hello-from-sidecar' }],
        mounts: [{ hostPath: vol, containerPath: '/shared' }], labels: containerLabels(meta, name), annotations: {}, logPath: `${name}/0.log`,
      });
      const port = 20000 + Math.floor(Math.random() * 20000);
      try {
        const web = await rt.createContainer(id, ctr('web', `httpd -f -p 127.0.0.1:${port} -h /shared`), sb);
        await rt.startContainer(web);
        const side = await rt.createContainer(id, ctr('sidecar', `echo "$GREETING" > /shared/index.html; for i in $(seq 50); do wget -qO- http://127.0.0.1:${port}/ && exit 0; sleep 0.1; done; exit 1`), sb);
        await rt.startContainer(side);
        let s = await rt.containerStatus(side);
        for (let i = 0; i < 100 && s.state !== 'Exited'; i++) {
          await new Promise((r) => setTimeout(r, 50));
          s = await rt.containerStatus(side);
        }
        expect(s).toMatchObject({ state: 'Exited', exitCode: 0, podSandboxId: id });
        const out: string[] = [];
        for await (const e of rt.readContainerLog(side)) out.push(renderLogEntry(e));
        expect(out.join('')).toBe('hello-from-sidecar\n');
        expect((await rt.execSync(web, ['cat', '/shared/index.html'])).stdout.toString()).toBe('hello-from-sidecar\n');

        // port-forward through the CRI streaming server
        const conn = await rt.portForward(id, port);
        conn.write('GET / HTTP/1.0\r\n\r\n');
        let response = '';
        for await (const c of conn) response += String(c);
        expect(response).toMatch(/^HTTP\/1\.[01] 200/);
        expect(response).toContain('hello-from-sidecar');
        const refused = await rt.portForward(id, 1);
        refused.write('x');
        const err = await (async () => { try { for await (const _ of refused) { /* no data expected */ } } catch (e) { return e; } })();
        expect(err).toMatchObject({ code: 'Unavailable' });
      } finally {
        await rt.removePodSandbox(id);
        await rt.close();
        await rm(logDirectory, { recursive: true, force: true });
        await rm(vol, { recursive: true, force: true });
      }
    });

    it('runs interactive exec sessions through the CRI streaming server: stdin, a terminal, exit codes', async () => {
      const rt = make();
      await rt.pullImage({ image });
      const logDirectory = await mkdtemp(join(tmpdir(), 'peapod-ctrd-'));
      const meta = { name: 'shell', namespace: 'default', uid: randomUUID() };
      const sb: PodSandboxConfig = { metadata: { ...meta, attempt: 0 }, logDirectory, labels: podLabels(meta), annotations: {} };
      const id = await rt.runPodSandbox(sb);
      const readAll = async (s: NodeJS.ReadableStream) => { let out = ''; for await (const c of s) out += String(c); return out; };
      try {
        const cid = await rt.createContainer(id, {
          metadata: { name: 'sh', attempt: 0 }, image: { image }, command: ['sleep', '30'], args: [], envs: [], mounts: [],
          labels: containerLabels(meta, 'sh'), annotations: {}, logPath: 'sh/0.log',
        }, sb);
        await rt.startContainer(cid);
        const withStdin = await rt.exec(cid, { cmd: ['sh', '-c', 'read line; echo "got:$line"; echo warn >&2; exit 5'], stdin: true });
        withStdin.stdin!.write('hello\n');
        const [out, err, code] = await Promise.all([readAll(withStdin.stdout), readAll(withStdin.stderr!), withStdin.exited]);
        expect({ out, err, code }).toEqual({ out: 'got:hello\n', err: 'warn\n', code: 5 });

        const term = await rt.exec(cid, { cmd: ['sh', '-c', 'test -t 1 && echo on-a-terminal'], tty: true });
        expect(term.stderr).toBeUndefined();
        const [termOut, termCode] = await Promise.all([readAll(term.stdout), term.exited]);
        expect([termOut, termCode]).toEqual(['on-a-terminal\r\n', 0]);
      } finally {
        await rt.removePodSandbox(id);
        await rt.close();
        await rm(logDirectory, { recursive: true, force: true });
      }
    });

    it('reports images and fails pulls from an unreachable registry as ErrImagePull', async () => {
      const rt = make();
      try {
        const progress: string[] = [];
        const ref = await rt.pullImage({ image }, { onProgress: (p) => progress.push(p.message ?? '') });
        expect(progress).toEqual(['pulling', `pulled ${ref}`]);
        const st = await rt.imageStatus({ image });
        expect(st?.id).toBe(ref);
        expect(st?.repoTags).toContain(image);
        expect(await rt.imageStatus({ image: '127.0.0.1:1/absent:1' })).toBeUndefined();
        const err = await rt.pullImage({ image: '127.0.0.1:1/absent:1' }).then(() => undefined, (e: unknown) => e);
        expect(err).toMatchObject({ reason: 'ErrImagePull' });
      } finally {
        await rt.close();
      }
    });
  });
});
