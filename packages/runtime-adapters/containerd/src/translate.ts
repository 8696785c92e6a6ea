import type { ContainerConfig, KeyValue, LinuxContainerResources, Mount, NamespaceMode, NamespaceOptions, PodSandboxConfig, SeccompProfile } from '@peapod/runtime';
import type { CriNamespaceMode } from './cri/messages.js';

/**
 * Turns the contract's configs into CRI messages (plain objects in proto-loader's camelCase
 * shape) for one platform. The CRI runtime is platform-neutral; the Linux translator lives here,
 * the Windows one in `@peapod/runtime-windows`.
 */
export interface CriTranslator {
  /** The `os` this translator targets (`linux`, `windows`). */
  readonly os: string;
  /** The sandbox config; `hostNetwork` is the runtime's decision (no CNI configured) or the pod's. */
  sandboxConfig(config: PodSandboxConfig, hostNetwork: boolean): object;
  containerConfig(config: ContainerConfig, sandbox: PodSandboxConfig, hostNetwork: boolean): object;
  /** The `UpdateContainerResourcesRequest` fields (besides the id) for new limits. */
  resources(resources: LinuxContainerResources): object;
}

const NS_MODE: Record<NamespaceMode, CriNamespaceMode> = { Pod: 'POD', Container: 'CONTAINER', Node: 'NODE', Target: 'TARGET' };
export const criNamespaceMode = (m: NamespaceMode): CriNamespaceMode => NS_MODE[m];
export const contractNamespaceMode = (m: CriNamespaceMode): NamespaceMode =>
  (Object.entries(NS_MODE).find(([, v]) => v === m)?.[0] ?? 'Pod') as NamespaceMode;

const PROPAGATION: Record<NonNullable<Mount['propagation']>, string> = {
  Private: 'PROPAGATION_PRIVATE',
  HostToContainer: 'PROPAGATION_HOST_TO_CONTAINER',
  Bidirectional: 'PROPAGATION_BIDIRECTIONAL',
};

/** Fields every platform's sandbox config shares. With host networking a sandbox keeps the node's name. */
export function commonSandboxConfig(c: PodSandboxConfig, hostNetwork: boolean): object {
  return {
    metadata: c.metadata,
    ...(hostNetwork ? {} : { hostname: c.hostname ?? c.metadata.name }),
    logDirectory: c.logDirectory,
    ...(c.dnsConfig ? { dnsConfig: c.dnsConfig } : {}),
    portMappings: (c.portMappings ?? []).map((p) => ({ protocol: p.protocol, containerPort: p.containerPort, hostPort: p.hostPort ?? 0, hostIp: p.hostIp ?? '' })),
    labels: c.labels,
    annotations: c.annotations,
  };
}

/** Fields every platform's container config shares. */
export function commonContainerConfig(c: ContainerConfig): object {
  return {
    metadata: c.metadata,
    image: { image: c.image.image, annotations: c.image.annotations ?? {}, runtimeHandler: c.image.runtimeHandler ?? '' },
    command: c.command,
    args: c.args,
    workingDir: c.workingDir ?? '',
    // `value` is `bytes` on the wire since cri-api allowed binary env values (same encoding as a string).
    envs: c.envs.map((e: KeyValue) => ({ key: e.key, value: Buffer.from(e.value) })),
    mounts: c.mounts.map((m) => ({
      containerPath: m.containerPath,
      hostPath: m.hostPath,
      readonly: m.readonly ?? false,
      selinuxRelabel: m.selinuxRelabel ?? false,
      propagation: PROPAGATION[m.propagation ?? 'Private'],
    })),
    devices: (c.devices ?? []).map((d) => ({ containerPath: d.containerPath, hostPath: d.hostPath, permissions: d.permissions })),
    labels: c.labels,
    annotations: c.annotations,
    logPath: c.logPath,
    stdin: c.stdin ?? false,
    stdinOnce: c.stdinOnce ?? false,
    tty: c.tty ?? false,
  };
}

const int64 = (v: number | undefined) => (v === undefined ? undefined : { value: v });
const seccomp = (p: SeccompProfile | undefined) => (p ? { profileType: p.profileType, localhostRef: p.localhostRef ?? '' } : undefined);

function namespaces(ns: NamespaceOptions | undefined, hostNetwork: boolean, pidDefault: NamespaceMode): object {
  return {
    network: hostNetwork ? 'NODE' : NS_MODE[ns?.network ?? 'Pod'],
    pid: NS_MODE[ns?.pid ?? pidDefault],
    ipc: NS_MODE[ns?.ipc ?? 'Pod'],
    targetId: ns?.targetId ?? '',
  };
}

export function linuxResources(r: LinuxContainerResources | undefined): object {
  return {
    cpuPeriod: r?.cpuPeriod ?? 0,
    cpuQuota: r?.cpuQuota ?? 0,
    cpuShares: r?.cpuShares ?? 0,
    memoryLimitInBytes: r?.memoryLimitInBytes ?? 0,
    oomScoreAdj: r?.oomScoreAdj ?? 0,
    cpusetCpus: r?.cpusetCpus ?? '',
    cpusetMems: r?.cpusetMems ?? '',
    unified: r?.unified ?? {},
  };
}

/**
 * Linux: namespaces (the sandbox's network forced to NODE when the runtime has no pod network),
 * user/group ids as CRI's wrapped int64s, seccomp/AppArmor as SecurityProfiles, cgroup resources.
 */
export const linuxTranslator: CriTranslator = {
  os: 'linux',
  sandboxConfig(c, hostNetwork) {
    const sc = c.linux?.securityContext;
    return {
      ...commonSandboxConfig(c, hostNetwork),
      linux: {
        cgroupParent: c.linux?.cgroupParent ?? '',
        securityContext: {
          namespaceOptions: namespaces(sc?.namespaceOptions, hostNetwork, 'Pod'),
          privileged: sc?.privileged ?? false,
          readonlyRootfs: sc?.readonlyRootfs ?? false,
          supplementalGroups: sc?.supplementalGroups ?? [],
          ...(sc?.runAsUser !== undefined ? { runAsUser: int64(sc.runAsUser) } : {}),
          ...(sc?.runAsGroup !== undefined ? { runAsGroup: int64(sc.runAsGroup) } : {}),
          ...(sc?.seccomp ? { seccomp: seccomp(sc.seccomp) } : {}),
        },
        sysctls: c.linux?.sysctls ?? {},
        ...(c.linux?.resources ? { resources: linuxResources(c.linux.resources) } : {}),
      },
    };
  },
  containerConfig(c, sandbox, hostNetwork) {
    const sc = c.linux?.securityContext;
    return {
      ...commonContainerConfig(c),
      linux: {
        resources: linuxResources(c.linux?.resources),
        securityContext: {
          capabilities: { addCapabilities: sc?.capabilities?.addCapabilities ?? [], dropCapabilities: sc?.capabilities?.dropCapabilities ?? [] },
          privileged: sc?.privileged ?? false,
          // A container shares its pod's namespaces unless it says otherwise; PID is its own by default (no shareProcessNamespace).
          namespaceOptions: namespaces(sc?.namespaceOptions ?? sandbox.linux?.securityContext?.namespaceOptions, hostNetwork, sc?.namespaceOptions ? 'Pod' : 'Container'),
          ...(sc?.runAsUser !== undefined ? { runAsUser: int64(sc.runAsUser) } : {}),
          ...(sc?.runAsGroup !== undefined ? { runAsGroup: int64(sc.runAsGroup) } : {}),
          runAsUsername: sc?.runAsUsername ?? '',
          readonlyRootfs: sc?.readonlyRootfs ?? false,
          supplementalGroups: sc?.supplementalGroups ?? [],
          noNewPrivs: sc?.noNewPrivs ?? false,
          maskedPaths: sc?.maskedPaths ?? [],
          readonlyPaths: sc?.readonlyPaths ?? [],
          ...(sc?.seccomp ? { seccomp: seccomp(sc.seccomp) } : {}),
          ...(sc?.apparmorProfile ? { apparmor: { profileType: 'Localhost', localhostRef: sc.apparmorProfile } } : {}),
        },
      },
    };
  },
  resources: (r) => ({ linux: linuxResources(r) }),
};
