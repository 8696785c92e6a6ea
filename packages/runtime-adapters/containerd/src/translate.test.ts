import type * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { containerLabels, podLabels, type ContainerConfig, type PodSandboxConfig } from '@peapod/runtime';
import { criPackage } from './cri/client.js';
import { linuxTranslator } from './translate.js';

const meta = { name: 'web', namespace: 'shop', uid: 'uid-1' };
const sandbox = (extra: Partial<PodSandboxConfig> = {}): PodSandboxConfig => ({
  metadata: { ...meta, attempt: 1 },
  logDirectory: '/var/log/pods/shop_web_uid-1',
  labels: podLabels(meta),
  annotations: {},
  ...extra,
});
const container = (extra: Partial<ContainerConfig> = {}): ContainerConfig => ({
  metadata: { name: 'app', attempt: 0 },
  image: { image: 'busybox:1.36' },
  command: ['sh', '-c', 'echo $A'],
  args: [],
  envs: [{ key: 'A', value: 'héllo' }],
  mounts: [{ hostPath: '/pods/uid-1/volumes/cache', containerPath: '/cache', propagation: 'Bidirectional' }],
  labels: containerLabels(meta, 'app'),
  annotations: {},
  logPath: 'app/0.log',
  ...extra,
});

/** Serialises and parses a request with the project's CRI proto, as the wire would. */
function overTheWire(method: string, request: object): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const def = (criPackage().RuntimeService as grpc.ServiceClientConstructor).service[method];
  return def.requestDeserialize(def.requestSerialize(request)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('Linux CRI translation', () => {
  it('puts a sandbox in the node network without a hostname when there is no pod network', () => {
    const cfg = overTheWire('RunPodSandbox', { config: linuxTranslator.sandboxConfig(sandbox({ hostname: 'web-0' }), true) }).config;
    expect(cfg.hostname).toBe('');
    expect(cfg.linux.securityContext.namespaceOptions).toMatchObject({ network: 'NODE', pid: 'POD', ipc: 'POD' });
    expect(cfg.metadata).toEqual({ ...meta, attempt: 1 });
  });

  it('gives a pod-network sandbox its hostname, security context and sysctls', () => {
    const cfg = overTheWire('RunPodSandbox', {
      config: linuxTranslator.sandboxConfig(sandbox({
        hostname: 'web-0',
        dnsConfig: { servers: ['10.0.0.10'], searches: ['svc'], options: ['ndots:5'] },
        portMappings: [{ protocol: 'UDP', containerPort: 53, hostPort: 5353 }],
        linux: { sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' }, securityContext: { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [2000], privileged: true, seccomp: { profileType: 'RuntimeDefault' } } },
      }), false),
    }).config;
    expect(cfg.hostname).toBe('web-0');
    expect(cfg.dnsConfig).toEqual({ servers: ['10.0.0.10'], searches: ['svc'], options: ['ndots:5'] });
    expect(cfg.portMappings).toEqual([{ protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIp: '' }]);
    expect(cfg.linux.sysctls).toEqual({ 'net.ipv4.ip_unprivileged_port_start': '0' });
    expect(cfg.linux.securityContext).toMatchObject({
      runAsUser: { value: 1000 }, runAsGroup: { value: 3000 }, supplementalGroups: [2000], privileged: true, seccomp: { profileType: 'RuntimeDefault' }, namespaceOptions: { network: 'POD' },
    });
  });

  it('sends env values as bytes, mounts with CRI propagation, and a PID namespace of the container own unless the pod shares one', () => {
    const c = overTheWire('CreateContainer', { podSandboxId: 's', config: linuxTranslator.containerConfig(container(), sandbox(), false) }).config;
    expect(c.envs.map((e: { key: string; value: Buffer }) => [e.key, Buffer.from(e.value).toString('utf8')])).toEqual([['A', 'héllo']]);
    expect(c.mounts[0]).toMatchObject({ containerPath: '/cache', hostPath: '/pods/uid-1/volumes/cache', readonly: false, propagation: 'PROPAGATION_BIDIRECTIONAL' });
    expect(c.linux.securityContext.namespaceOptions).toMatchObject({ network: 'POD', pid: 'CONTAINER', ipc: 'POD' });

    const shared = sandbox({ linux: { securityContext: { namespaceOptions: { network: 'Pod', pid: 'Pod', ipc: 'Pod' } } } });
    expect(overTheWire('CreateContainer', { config: linuxTranslator.containerConfig(container(), shared, false) }).config.linux.securityContext.namespaceOptions.pid).toBe('POD');
    expect(overTheWire('CreateContainer', { config: linuxTranslator.containerConfig(container(), sandbox(), true) }).config.linux.securityContext.namespaceOptions.network).toBe('NODE');
  });

  it('carries resources and the security context', () => {
    const c = overTheWire('CreateContainer', {
      config: linuxTranslator.containerConfig(container({
        workingDir: '/srv',
        linux: {
          resources: { cpuShares: 256, cpuQuota: 20_000, cpuPeriod: 100_000, memoryLimitInBytes: 32 << 20, unified: { 'memory.high': '30M' } },
          securityContext: {
            runAsUser: 0, runAsGroup: 10, readonlyRootfs: true, noNewPrivs: true, capabilities: { dropCapabilities: ['ALL'] },
            seccomp: { profileType: 'Localhost', localhostRef: 'profiles/audit.json' }, apparmorProfile: 'k8s-apparmor',
            supplementalGroups: [2000, 4000], maskedPaths: ['/proc/kcore'], readonlyPaths: ['/proc/sys'],
          },
        },
      }), sandbox(), false),
    }).config;
    expect(c.workingDir).toBe('/srv');
    expect(c.linux.resources).toMatchObject({ cpuShares: 256, cpuQuota: 20_000, cpuPeriod: 100_000, memoryLimitInBytes: 32 << 20, unified: { 'memory.high': '30M' } });
    expect(c.linux.securityContext).toMatchObject({
      runAsUser: { value: 0 }, runAsGroup: { value: 10 }, readonlyRootfs: true, noNewPrivs: true, capabilities: { dropCapabilities: ['ALL'] },
      seccomp: { profileType: 'Localhost', localhostRef: 'profiles/audit.json' }, apparmor: { profileType: 'Localhost', localhostRef: 'k8s-apparmor' },
      supplementalGroups: [2000, 4000], maskedPaths: ['/proc/kcore'], readonlyPaths: ['/proc/sys'],
    });
    expect(c.windows).toBeNull();
  });
});
