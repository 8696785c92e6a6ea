import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RealClock, composeModules, silentLogger } from '@peapod/core';
import { RuntimeModule, RuntimeRegistry, containerLabels, podLabels, type ContainerConfig, type PodSandboxConfig, type Runtime } from '@peapod/runtime';
import { RecordingCriServer } from '@peapod/runtime-containerd/testing';
import { GMSA_ANNOTATION, WINDOWS_NODE_LABELS, windowsPath, windowsResourcesFrom } from './translate.js';
import { WindowsRuntimeModule } from './module.js';

// No Windows machine exists here: these tests drive the Windows runtime against a CRI server on a
// local unix socket that records what it received, and check the Windows translation on the wire.
let dir: string;
let server: RecordingCriServer;
let rt: Runtime;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peapod-win-'));
  server = await RecordingCriServer.start(join(dir, 'cri.sock'));
  const c = composeModules([RuntimeModule, WindowsRuntimeModule]).container;
  rt = await c.resolve(RuntimeRegistry).get('windows')({ endpoint: server.endpoint, nodeCpus: 4 }, { clock: new RealClock(), logger: silentLogger });
});
afterEach(async () => {
  await rt.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

const pod = (windows?: PodSandboxConfig['windows'], extra: Partial<PodSandboxConfig> = {}): PodSandboxConfig => {
  const meta = { name: 'win-pod', namespace: 'default', uid: randomUUID() };
  return { metadata: { ...meta, attempt: 0 }, logDirectory: 'C:\\var\\log\\pods\\default_win-pod', labels: podLabels(meta), annotations: {}, ...(windows ? { windows } : {}), ...extra };
};
const ctr = (sb: PodSandboxConfig, extra: Partial<ContainerConfig> = {}): ContainerConfig => ({
  metadata: { name: 'app', attempt: 0 },
  image: { image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022' },
  command: ['cmd', '/c', 'ping -t localhost'],
  args: [],
  envs: [{ key: 'A', value: '1' }],
  mounts: [{ hostPath: 'C:\\var\\lib\\kubelet\\pods\\x\\volumes\\cfg', containerPath: '/etc/config', readonly: true }],
  labels: containerLabels(sb.metadata, 'app'),
  annotations: {},
  logPath: 'app\\0.log',
  ...extra,
});
const last = (method: string) => server.requestsOf(method).at(-1) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('windows runtime over CRI (recorded)', () => {
  it('sends a pod-network Windows sandbox with its hostname and no Linux half', async () => {
    const sb = pod({ securityContext: { runAsUsername: 'ContainerUser' } });
    await rt.runPodSandbox(sb);
    const cfg = last('RunPodSandbox').config;
    expect(cfg.hostname).toBe('win-pod');
    expect(cfg.linux).toBeNull();
    expect(cfg.windows.securityContext).toEqual({ runAsUsername: 'ContainerUser', credentialSpec: '', hostProcess: false, namespaceOptions: { network: 'POD' } });
    expect((await rt.status()).features.podIPs).toBe(true);
  });

  it('runs a hostProcess pod in the node network, without a hostname, every container hostProcess', async () => {
    const sb = pod({ securityContext: { hostProcess: true, runAsUsername: 'NT AUTHORITY\\SYSTEM' } });
    const id = await rt.runPodSandbox(sb);
    const cfg = last('RunPodSandbox').config;
    expect(cfg.hostname).toBe('');
    expect(cfg.windows.securityContext).toMatchObject({ hostProcess: true, namespaceOptions: { network: 'NODE' } });

    await rt.createContainer(id, ctr(sb), sb);
    const c = last('CreateContainer').config;
    expect(c.windows.securityContext).toMatchObject({ hostProcess: true, runAsUsername: 'NT AUTHORITY\\SYSTEM' });
    expect(c.linux).toBeNull();

    const optOut = await rt.createContainer(id, ctr(sb, { windows: { securityContext: { hostProcess: false } } }), sb).then(() => undefined, (e: unknown) => e);
    expect(optOut).toMatchObject({ code: 'InvalidArgument', reason: 'CreateContainerConfigError' });
  });

  it('refuses hostProcess containers in ordinary pods, host networking without hostProcess, and privileged', async () => {
    const sb = pod();
    const id = await rt.runPodSandbox(sb);
    const hp = await rt.createContainer(id, ctr(sb, { windows: { securityContext: { hostProcess: true } } }), sb).then(() => undefined, (e: unknown) => e);
    expect(hp).toMatchObject({ reason: 'CreateContainerConfigError' });
    const priv = await rt.createContainer(id, ctr(sb, { linux: { securityContext: { privileged: true } } }), sb).then(() => undefined, (e: unknown) => e);
    expect(priv).toMatchObject({ reason: 'CreateContainerConfigError' });
    expect(server.requestsOf('CreateContainer')).toEqual([]);

    const hostNet = pod(undefined, { linux: { securityContext: { namespaceOptions: { network: 'Node', pid: 'Container', ipc: 'Pod' } } } });
    expect(await rt.runPodSandbox(hostNet).then(() => undefined, (e: unknown) => e)).toMatchObject({ reason: 'CreatePodSandboxError' });
  });

  it('translates paths to C:\\, resources to job-object limits, and the GMSA credential spec', async () => {
    const sb = pod({ securityContext: { runAsUsername: 'ContainerUser' } });
    const id = await rt.runPodSandbox(sb);
    const spec = '{"CmsPlugins":["ActiveDirectory"],"DomainJoinConfig":{"DnsName":"contoso.com"}}';
    await rt.createContainer(id, ctr(sb, {
      workingDir: '/app',
      annotations: { [GMSA_ANNOTATION]: spec },
      windows: { resources: { cpuCount: 2, cpuMaximum: 5000, cpuShares: 500, memoryLimitInBytes: 256 * 1024 * 1024 } },
    }), sb);
    const c = last('CreateContainer').config;
    expect(c.mounts).toEqual([expect.objectContaining({ containerPath: 'C:\\etc\\config', hostPath: 'C:\\var\\lib\\kubelet\\pods\\x\\volumes\\cfg', readonly: true })]);
    expect(c.workingDir).toBe('C:\\app');
    expect(c.windows.resources).toMatchObject({ cpuCount: 2, cpuMaximum: 5000, cpuShares: 500, memoryLimitInBytes: 256 * 1024 * 1024 });
    expect(c.windows.securityContext).toMatchObject({ runAsUsername: 'ContainerUser', credentialSpec: spec, hostProcess: false });
    expect(last('CreateContainer').sandboxConfig.windows.securityContext.runAsUsername).toBe('ContainerUser');
  });

  it('derives Windows limits from Linux-style values and sends resizes as Windows resources', async () => {
    const sb = pod();
    const id = await rt.runPodSandbox(sb);
    // 1.5 CPUs of a 4-CPU node = 3750/10000
    const cid = await rt.createContainer(id, ctr(sb, { linux: { resources: { cpuQuota: 150_000, cpuPeriod: 100_000, cpuShares: 1536, memoryLimitInBytes: 1 << 30 } } }), sb);
    expect(last('CreateContainer').config.windows.resources).toMatchObject({ cpuMaximum: 3750, cpuShares: 58, memoryLimitInBytes: 1 << 30 });
    await rt.updateContainerResources(cid, { cpuQuota: 400_000, cpuPeriod: 100_000, memoryLimitInBytes: 2 << 30 });
    const upd = last('UpdateContainerResources');
    expect(upd.linux).toBeNull();
    expect(upd.windows).toMatchObject({ cpuMaximum: 10_000, memoryLimitInBytes: 2 << 30 });
  });

  it('maps the rest of the contract one-to-one onto CRI calls', async () => {
    const sb = pod();
    const id = await rt.runPodSandbox(sb);
    const cid = await rt.createContainer(id, ctr(sb), sb);
    await rt.startContainer(cid);
    expect((await rt.containerStatus(cid)).state).toBe('Running');
    expect((await rt.execSync(cid, ['cmd', '/c', 'echo', 'hi'])).stdout.toString()).toBe('cmd /c echo hi\n');
    await rt.stopContainer(cid, 2500);
    expect(last('StopContainer')).toEqual({ containerId: cid, timeout: 3 });
    await rt.removeContainer(cid);
    await rt.stopPodSandbox(id);
    await rt.removePodSandbox(id);
    expect(server.calls.map((c) => c.method).filter((m) => !['ContainerStatus', 'ListContainers', 'PodSandboxStatus'].includes(m))).toEqual([
      'RunPodSandbox', 'CreateContainer', 'StartContainer', 'ExecSync', 'StopContainer', 'RemoveContainer', 'StopPodSandbox', 'RemovePodSandbox',
    ]);
  });

  it('exports the helpers the kubelet uses on Windows nodes', () => {
    expect(WINDOWS_NODE_LABELS).toEqual({ 'kubernetes.io/os': 'windows' });
    expect(windowsPath('D:/data')).toBe('D:\\data');
    expect(windowsPath('logs')).toBe('C:\\logs');
    expect(windowsResourcesFrom({ cpuQuota: 1_000, cpuPeriod: 100_000 }, 64)).toEqual({ cpuMaximum: 1 });
  });
});
