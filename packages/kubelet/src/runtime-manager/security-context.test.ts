import { afterEach, describe, expect, it } from 'vitest';
import type { Container, Pod, PodSpec } from '@peapod/api-types';
import type { ContainerConfig, PodSandboxConfig } from '@peapod/runtime';
import { ctr } from '../status/testing.js';
import { startKubelet, type Harness } from '../testing/harness.js';
import { containerPlatformConfig, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, effectiveSecurityContext, sandboxPlatformConfig } from './security-context.js';

const pod = (spec: Partial<PodSpec> = {}): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { containers: [ctr('a')], ...spec },
});
const linux = { os: 'linux', seccompProfileRoot: '/var/lib/peapod/seccomp' };
/** The config with an image whose user is `user`, and the number of times the image was asked. */
async function configFor(p: Pod, c: Container, user?: string, os = 'linux') {
  let lookups = 0;
  const config = await containerPlatformConfig(p, c, { ...linux, os, imageUser: async () => (lookups++, user) });
  return { config, lookups };
}
const linuxSc = async (p: Pod, c: Container, user?: string) => (await configFor(p, c, user)).config.linux!.securityContext!;
const refusal = (p: Pod, c: Container, user?: string, os = 'linux') => configFor(p, c, user, os).then(() => undefined, (e: Error) => e.message);

describe('effective security context', () => {
  it('takes runAsUser, runAsGroup and runAsNonRoot from the pod where the container leaves them unset', () => {
    const p = pod({ securityContext: { runAsUser: 1000, runAsGroup: 2000, runAsNonRoot: true, fsGroup: 5 } });
    expect(effectiveSecurityContext(p, ctr('a'))).toEqual({ runAsUser: 1000, runAsGroup: 2000, runAsNonRoot: true });
    expect(effectiveSecurityContext(p, ctr('a', { securityContext: { runAsUser: 7, runAsNonRoot: false, readOnlyRootFilesystem: true } })))
      .toEqual({ runAsUser: 7, runAsGroup: 2000, runAsNonRoot: false, readOnlyRootFilesystem: true });
  });

  it('merges windowsOptions field by field, the GMSA spec and its name as one', () => {
    const p = pod({ securityContext: { windowsOptions: { runAsUserName: 'ContainerUser', gmsaCredentialSpec: '{}', gmsaCredentialSpecName: 'pod-spec' } } });
    expect(effectiveSecurityContext(p, ctr('a', { securityContext: { windowsOptions: { gmsaCredentialSpecName: 'mine' } } })).windowsOptions)
      .toEqual({ runAsUserName: 'ContainerUser', gmsaCredentialSpecName: 'mine' });
    expect(effectiveSecurityContext(p, ctr('a', { securityContext: { windowsOptions: { runAsUserName: 'Other' } } })).windowsOptions)
      .toEqual({ runAsUserName: 'Other', gmsaCredentialSpec: '{}', gmsaCredentialSpecName: 'pod-spec' });
  });
});

describe('Linux container security context', () => {
  it('maps every field, the container over the pod', async () => {
    const p = pod({ securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000, 4001], seccompProfile: { type: 'RuntimeDefault' } } });
    const c = ctr('a', {
      securityContext: {
        runAsUser: 1234, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
        capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' },
      },
    });
    expect(await linuxSc(p, c)).toEqual({
      capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] },
      privileged: false,
      namespaceOptions: { network: 'Pod', pid: 'Container', ipc: 'Pod' },
      runAsUser: 1234,
      runAsGroup: 3000,
      readonlyRootfs: true,
      supplementalGroups: [2000, 4000, 4001],
      noNewPrivs: true,
      seccomp: { profileType: 'Localhost', localhostRef: '/var/lib/peapod/seccomp/profiles/audit.json' },
      maskedPaths: DEFAULT_MASKED_PATHS,
      readonlyPaths: DEFAULT_READONLY_PATHS,
    });
  });

  it('without a security context: Unconfined seccomp, privilege escalation allowed, default masked paths, no user (the image\'s)', async () => {
    const { config, lookups } = await configFor(pod(), ctr('a', { resources: { limits: { cpu: '500m' } } }), '0');
    expect(config.linux).toEqual({
      resources: { cpuShares: 512, cpuPeriod: 100_000, cpuQuota: 50_000 },
      securityContext: {
        privileged: false, readonlyRootfs: false, noNewPrivs: false, namespaceOptions: { network: 'Pod', pid: 'Container', ipc: 'Pod' },
        seccomp: { profileType: 'Unconfined' }, maskedPaths: DEFAULT_MASKED_PATHS, readonlyPaths: DEFAULT_READONLY_PATHS,
      },
    });
    expect(config.windows).toBeUndefined();
    expect(lookups).toBe(0);
  });

  it('takes seccomp from the container, then the pod; Localhost needs a profile', async () => {
    const p = pod({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } });
    expect((await linuxSc(p, ctr('a'))).seccomp).toEqual({ profileType: 'RuntimeDefault' });
    expect((await linuxSc(p, ctr('a', { securityContext: { seccompProfile: { type: 'Unconfined' } } }))).seccomp).toEqual({ profileType: 'Unconfined' });
    expect(await refusal(pod(), ctr('a', { securityContext: { seccompProfile: { type: 'Localhost' } } }))).toBe('localhostProfile must be set if seccompProfile type is Localhost.');
  });

  it('privileged keeps privilege escalation; procMount Unmasked drops the masked and read-only paths', async () => {
    const sc = await linuxSc(pod(), ctr('a', { securityContext: { privileged: true, allowPrivilegeEscalation: false, procMount: 'Unmasked' } }));
    expect(sc).toMatchObject({ privileged: true, noNewPrivs: false, maskedPaths: [], readonlyPaths: [] });
    expect((await linuxSc(pod(), ctr('a', { securityContext: { allowPrivilegeEscalation: true } }))).noNewPrivs).toBe(false);
  });

  it('shares the pod\'s namespaces as the sandbox does', async () => {
    const p = pod({ hostNetwork: true, hostIPC: true, shareProcessNamespace: true });
    expect((await linuxSc(p, ctr('a'))).namespaceOptions).toEqual({ network: 'Node', pid: 'Pod', ipc: 'Node' });
    expect((await linuxSc(pod({ hostPID: true }), ctr('a'))).namespaceOptions?.pid).toBe('Node');
  });

  it('pairs a runAsGroup without runAsUser with the image\'s user (root when the image names none)', async () => {
    const c = ctr('a', { securityContext: { runAsGroup: 5 } });
    expect(await linuxSc(pod(), c, '1000:1000')).toMatchObject({ runAsUser: 1000, runAsGroup: 5 });
    expect(await linuxSc(pod(), c, 'nobody')).toMatchObject({ runAsUsername: 'nobody', runAsGroup: 5 });
    expect(await linuxSc(pod(), c, undefined)).toMatchObject({ runAsUser: 0, runAsGroup: 5 });
  });
});

describe('runAsNonRoot', () => {
  const nonRoot = (extra: Container['securityContext'] = {}) => ctr('a', { securityContext: { runAsNonRoot: true, ...extra } });
  const where = '(pod: "p_ns(u1)", container: a)';

  it('refuses UID 0, an image that runs as root or names no user, and a user it cannot check', async () => {
    expect(await refusal(pod(), nonRoot({ runAsUser: 0 }))).toBe(`container's runAsUser breaks non-root policy ${where}`);
    expect(await refusal(pod({ securityContext: { runAsUser: 0, runAsNonRoot: true } }), ctr('a'))).toBe(`container's runAsUser breaks non-root policy ${where}`);
    expect(await refusal(pod(), nonRoot(), undefined)).toBe(`container has runAsNonRoot and image will run as root ${where}`);
    expect(await refusal(pod(), nonRoot(), '0:0')).toBe(`container has runAsNonRoot and image will run as root ${where}`);
    expect(await refusal(pod(), nonRoot(), 'root')).toBe(`container has runAsNonRoot and image has non-numeric user (root), cannot verify user is non-root ${where}`);
  });

  it('accepts a non-zero UID, asking the image only when the pod does not say', async () => {
    expect(await configFor(pod(), nonRoot({ runAsUser: 1000 }))).toMatchObject({ lookups: 0 });
    const fromImage = await configFor(pod(), nonRoot(), '1000:1000');
    expect(fromImage.lookups).toBe(1);
    // The image's user is left to the runtime, with its own group.
    expect(fromImage.config.linux?.securityContext?.runAsUser).toBeUndefined();
    expect(await configFor(pod({ securityContext: { runAsNonRoot: true } }), ctr('a', { securityContext: { runAsNonRoot: false } }))).toMatchObject({ lookups: 0 });
  });

  it('on Windows, refuses ContainerAdministrator (any case) as the user asked for or the image\'s', async () => {
    expect(await refusal(pod({ securityContext: { windowsOptions: { runAsUserName: 'containeradministrator' } } }), nonRoot(), undefined, 'windows'))
      .toBe(`container's runAsUserName (containeradministrator) which will be regarded as root identity and will break non-root policy ${where}`);
    expect(await refusal(pod(), nonRoot(), 'ContainerAdministrator', 'windows'))
      .toBe(`container's runAsUser (ContainerAdministrator) which will be regarded as root identity and will break non-root policy ${where}`);
    expect(await refusal(pod(), nonRoot(), 'ContainerUser', 'windows')).toBeUndefined();
    expect(await refusal(pod(), nonRoot({ runAsUser: 0 }), undefined, 'windows')).toBeUndefined();
  });
});

describe('sandbox security context', () => {
  it('Linux: sysctls, the pod\'s user and groups, privileged when any container is, RuntimeDefault seccomp for the sandbox itself', () => {
    const p = pod({
      securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000], sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }], seccompProfile: { type: 'Unconfined' } },
      initContainers: [ctr('init', { securityContext: { privileged: true } })],
      hostNetwork: true,
    });
    expect(sandboxPlatformConfig(p, 'linux')).toEqual({
      linux: {
        securityContext: {
          namespaceOptions: { network: 'Node', pid: 'Container', ipc: 'Pod' },
          privileged: true, seccomp: { profileType: 'RuntimeDefault' }, runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [2000, 4000],
        },
        sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' },
      },
    });
    expect(sandboxPlatformConfig(pod(), 'linux').linux?.securityContext).toEqual({
      namespaceOptions: { network: 'Pod', pid: 'Container', ipc: 'Pod' }, privileged: false, seccomp: { profileType: 'RuntimeDefault' },
    });
  });

  it('Windows: the pod\'s user, GMSA spec and hostProcess; hostProcess pods are all hostProcess and on the host network', () => {
    const hp = { windowsOptions: { hostProcess: true, runAsUserName: 'NT AUTHORITY\\SYSTEM' } };
    expect(sandboxPlatformConfig(pod({ securityContext: hp, hostNetwork: true }), 'windows')).toEqual({
      linux: { securityContext: { namespaceOptions: { network: 'Node', pid: 'Container', ipc: 'Pod' } } },
      windows: { securityContext: { runAsUsername: 'NT AUTHORITY\\SYSTEM', hostProcess: true } },
    });
    expect(sandboxPlatformConfig(pod({ securityContext: { windowsOptions: { gmsaCredentialSpec: '{"x":1}' } } }), 'windows').windows)
      .toEqual({ securityContext: { credentialSpec: '{"x":1}' } });
    const mixed = pod({ hostNetwork: true, containers: [ctr('a', { securityContext: hp }), ctr('b')] });
    expect(() => sandboxPlatformConfig(mixed, 'windows')).toThrow('pod must not contain both HostProcess and non-HostProcess containers');
    expect(() => sandboxPlatformConfig(pod({ securityContext: hp }), 'windows')).toThrow('hostNetwork is required if Pod contains HostProcess containers');
  });

  it('Windows containers get their effective Windows options and no Linux security context', async () => {
    const p = pod({ securityContext: { windowsOptions: { runAsUserName: 'ContainerUser', hostProcess: true } }, hostNetwork: true });
    const { config } = await configFor(p, ctr('a', { securityContext: { windowsOptions: { gmsaCredentialSpec: '{}' } }, resources: { limits: { memory: '1Mi' } } }), undefined, 'windows');
    expect(config).toEqual({
      linux: { resources: { cpuShares: 2, memoryLimitInBytes: 1024 * 1024 } },
      windows: { securityContext: { runAsUsername: 'ContainerUser', credentialSpec: '{}', hostProcess: true } },
    });
  });
});

describe('the kubelet hands the security context to the runtime', () => {
  let h: Harness;
  afterEach(async () => h?.stop());
  const created = (name: string) => h.runtime.callsOf('createContainer').map((c) => c.args as [string, ContainerConfig, PodSandboxConfig]).find(([, c]) => c.metadata.name === name);

  it('maps the pod\'s and container\'s contexts into the sandbox and container configs', async () => {
    h = await startKubelet();
    await h.create('p', {
      securityContext: { runAsUser: 1000, fsGroup: 2000, sysctls: [{ name: 'kernel.shm_rmid_forced', value: '1' }] },
      containers: [ctr('a', { securityContext: { runAsUser: 1234, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } } })],
    });
    expect(h.container('p', 'a')?.state?.running).toBeDefined();
    const [, config, sandbox] = created('a')!;
    expect(config.linux?.securityContext).toMatchObject({
      runAsUser: 1234, readonlyRootfs: true, supplementalGroups: [2000], capabilities: { dropCapabilities: ['ALL'] }, seccomp: { profileType: 'RuntimeDefault' },
    });
    expect(h.runtime.callsOf('runPodSandbox')[0].args[0]).toMatchObject({
      linux: { securityContext: { runAsUser: 1000, supplementalGroups: [2000] }, sysctls: { 'kernel.shm_rmid_forced': '1' } },
    });
    expect(sandbox.linux?.sysctls).toEqual({ 'kernel.shm_rmid_forced': '1' });
  });

  it('runAsNonRoot with UID 0, or an image that runs as root, waits in CreateContainerConfigError without reaching the runtime', async () => {
    h = await startKubelet();
    const pulled = { imagePullPolicy: 'IfNotPresent' as const, securityContext: { runAsNonRoot: true } };
    h.host.images.set('rootless:1', { id: 'sha256:rootless', repoTags: ['rootless:1'], repoDigests: [], size: 1, user: '1000' });
    const p = await h.create('p', {
      containers: [
        ctr('uid0', { securityContext: { runAsNonRoot: true, runAsUser: 0 } }),
        ctr('rootimage', pulled),
        ctr('rootless', { ...pulled, image: 'rootless:1' }),
      ],
    });
    const where = (c: string) => `(pod: "p_default(${p.metadata.uid})", container: ${c})`;
    expect(h.container('p', 'uid0')?.state?.waiting).toEqual({ reason: 'CreateContainerConfigError', message: `container's runAsUser breaks non-root policy ${where('uid0')}` });
    expect(h.container('p', 'rootimage')?.state?.waiting).toEqual({ reason: 'CreateContainerConfigError', message: `container has runAsNonRoot and image will run as root ${where('rootimage')}` });
    expect(h.container('p', 'rootless')?.state?.running).toBeDefined();
    expect(h.runtime.callsOf('createContainer').map((c) => (c.args[1] as ContainerConfig).metadata.name)).toEqual(['rootless']);
  });
});
