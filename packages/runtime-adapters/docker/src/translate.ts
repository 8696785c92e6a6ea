import type { ContainerCreateOptions, HostConfig, MountConfig } from 'dockerode';
import {
  runtimeInvalid,
  RuntimeReason,
  type ContainerConfig,
  type DNSConfig,
  type Mount,
  type NamespaceMode,
  type PodSandboxConfig,
  type SeccompProfile,
  type StringMap,
} from '@peapod/runtime';

/**
 * Pure translation of the contract's configs into Docker Engine create options (API 1.41), and
 * of Docker's labels back into the contract's metadata. No I/O, so every rule is unit-tested.
 *
 * Layout (the dockershim model): a sandbox is a pause container that owns the pod's network,
 * IPC and UTS (hostname) namespaces, and its PID namespace when the pod shares one; each app
 * container joins them with `container:<sandbox id>` modes. Docker keeps only string labels, so
 * the contract's metadata and annotations ride on Peapod-owned label keys (below) next to the
 * kubelet's labels, which are stored verbatim; `userLabels` strips the Peapod keys on the way out.
 */
export const DockerLabel = {
  /** `sandbox` or `container`: what Peapod created (lists filter on it; GC finds leftovers by it). */
  type: 'io.peapod.type',
  /** Sandbox id (the pause container's id) an app container belongs to. */
  sandboxId: 'io.peapod.sandbox.id',
  /** JSON of the sandbox's or container's metadata. */
  metadata: 'io.peapod.metadata',
  /** JSON of the annotations. */
  annotations: 'io.peapod.annotations',
  /** The image as the pod spelled it (Docker reports the resolved one). */
  image: 'io.peapod.image',
  /** The sandbox's network namespace mode (`Pod` or `Node`), so status reports what was done. */
  network: 'io.peapod.network',
} as const;

const PEAPOD_PREFIX = 'io.peapod.';

/** Labels as the kubelet gave them, without Peapod's bookkeeping keys. */
export function userLabels(labels: StringMap | undefined): StringMap {
  const out: StringMap = {};
  for (const [k, v] of Object.entries(labels ?? {})) if (!k.startsWith(PEAPOD_PREFIX)) out[k] = v;
  return out;
}

export function jsonLabel<T>(labels: StringMap | undefined, key: string, fallback: T): T {
  const raw = labels?.[key];
  if (raw === undefined) return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return fallback;
  }
}

/** Docker container names allow `[a-zA-Z0-9][a-zA-Z0-9_.-]`; pod names and namespaces already do. */
export const sandboxName = (c: PodSandboxConfig) =>
  `k8s_POD_${c.metadata.name}_${c.metadata.namespace}_${c.metadata.uid}_${c.metadata.attempt}`;
export const containerName = (c: ContainerConfig, s: PodSandboxConfig) =>
  `k8s_${c.metadata.name}_${s.metadata.name}_${s.metadata.namespace}_${s.metadata.uid}_${c.metadata.attempt}`;

export interface SandboxTranslationOptions {
  pauseImage: string;
  /**
   * Docker network a `Pod`-mode sandbox joins. `none` (the default, and the only one on an engine
   * started with `--bridge=none`) gives the pod a private loopback only: no pod IP, no port mappings.
   */
  network: string;
  /**
   * The adapter writes a `none` sandbox's /etc/hosts and /etc/resolv.conf itself (`ETC_FILES`, in
   * the sandbox's directory under the Engine's data root, which its host must see), so the sandbox
   * can do without Docker's network stack: `NetworkDisabled` leaves the network namespace to runc,
   * which creates it with its loopback up. The pod gets the same private loopback, but the
   * sandbox's start skips libnetwork (a namespace made by a re-executed dockerd and a prestart hook
   * that execs dockerd again), about two thirds of a `--network none` start on this engine.
   */
  writesEtcFiles: boolean;
}

/** Whether a sandbox made with these options leaves its network namespace to runc (see `writesEtcFiles`). */
export const ownsNetns = (config: PodSandboxConfig, opts: SandboxTranslationOptions) =>
  opts.writesEtcFiles && opts.network === 'none' && config.linux?.securityContext?.namespaceOptions?.network !== 'Node';

/** The files the adapter writes for such a sandbox (name in its directory), by the container path they are mounted at. */
export const ETC_FILES = { '/etc/hosts': 'peapod-hosts', '/etc/resolv.conf': 'peapod-resolv.conf' } as const;

/** Docker's /etc/hosts of a container without an address: the loopback names. */
export const LOOPBACK_HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';

/**
 * The pod's resolv.conf as a CRI runtime (containerd) writes it: exactly the pod's DNS config when
 * it has one, else a copy of the host's.
 */
export function resolvConf(dns: DNSConfig | undefined, hostResolvConf: string): string {
  if (!dns) return hostResolvConf;
  const line = (key: string, values: string[]) => (values.length ? `${key} ${values.join(' ')}\n` : '');
  return line('search', dns.searches) + dns.servers.map((s) => `nameserver ${s}\n`).join('') + line('options', dns.options);
}

export function sandboxCreateOptions(config: PodSandboxConfig, opts: SandboxTranslationOptions): ContainerCreateOptions {
  const ns = config.linux?.securityContext?.namespaceOptions;
  const hostNetwork = ns?.network === 'Node';
  const ownNetns = ownsNetns(config, opts);
  const sc = config.linux?.securityContext;
  const hostConfig: HostConfig = {
    NetworkMode: hostNetwork ? 'host' : opts.network,
    IpcMode: ns?.ipc === 'Node' ? 'host' : 'shareable',
    PidMode: ns?.pid === 'Node' ? 'host' : '',
    RestartPolicy: { Name: 'no' },
    Privileged: sc?.privileged ?? false,
    ReadonlyRootfs: sc?.readonlyRootfs ?? false,
    ...(config.linux?.cgroupParent ? { CgroupParent: config.linux.cgroupParent } : {}),
    ...(config.linux?.sysctls ? { Sysctls: config.linux.sysctls } : {}),
    ...(config.dnsConfig && !hostNetwork && !ownNetns
      ? { Dns: config.dnsConfig.servers, DnsSearch: config.dnsConfig.searches, DnsOptions: config.dnsConfig.options }
      : {}),
    ...(!hostNetwork && opts.network !== 'none' && config.portMappings?.length ? portBindings(config) : {}),
  };
  return {
    name: sandboxName(config),
    Image: opts.pauseImage,
    // The host's name is kept with host networking (Docker refuses a hostname there, as Kubernetes does).
    ...(hostNetwork ? {} : { Hostname: config.hostname ?? config.metadata.name }),
    ...(ownNetns ? { NetworkDisabled: true } : {}),
    Labels: {
      ...config.labels,
      [DockerLabel.type]: 'sandbox',
      [DockerLabel.metadata]: JSON.stringify(config.metadata),
      [DockerLabel.annotations]: JSON.stringify(config.annotations),
      [DockerLabel.network]: hostNetwork ? 'Node' : 'Pod',
    },
    ...(!hostNetwork && opts.network !== 'none' && config.portMappings?.length
      ? { ExposedPorts: Object.fromEntries(config.portMappings.map((p) => [`${p.containerPort}/${p.protocol.toLowerCase()}`, {}])) }
      : {}),
    HostConfig: hostConfig,
  };
}

function portBindings(config: PodSandboxConfig): Pick<HostConfig, 'PortBindings'> {
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of config.portMappings ?? []) {
    if (!p.hostPort) continue;
    (bindings[`${p.containerPort}/${p.protocol.toLowerCase()}`] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: String(p.hostPort) });
  }
  return { PortBindings: bindings };
}

const PROPAGATION: Record<NonNullable<Mount['propagation']>, MountConfig[number]['BindOptions']> = {
  Private: { Propagation: 'rprivate' },
  HostToContainer: { Propagation: 'rslave' },
  Bidirectional: { Propagation: 'rshared' },
};

/** How an app container joins its sandbox's namespace of one kind. */
function joinMode(mode: NamespaceMode | undefined, sandboxId: string, fallback: string, targetId?: string): string {
  switch (mode) {
    case 'Node': return 'host';
    case 'Target': return targetId ? `container:${targetId}` : fallback;
    case 'Container': return fallback;
    default: return `container:${sandboxId}`;
  }
}

/**
 * Docker applies its default profile unless told otherwise, but a container without a profile runs
 * Unconfined under Kubernetes (as CRI runtimes and dockershim do): only RuntimeDefault gets Docker's.
 */
function seccompOpt(p: SeccompProfile | undefined, readProfile: (path: string) => string): string[] {
  if (p?.profileType === 'RuntimeDefault') return [];
  if (p?.profileType !== 'Localhost') return ['seccomp=unconfined'];
  if (!p.localhostRef) throw runtimeInvalid('seccomp profile Localhost needs a localhostRef', RuntimeReason.CreateContainerConfigError);
  // The Engine API takes the profile's content, not its path.
  return [`seccomp=${readProfile(p.localhostRef)}`];
}

/** Docker's `user[:group]`: the name wins over the uid, as in CRI runtimes; a group needs a user to go with (dockershim's rule). */
function containerUser(config: ContainerConfig): string | undefined {
  const sc = config.linux?.securityContext;
  const user = sc?.runAsUsername ?? (sc?.runAsUser !== undefined ? String(sc.runAsUser) : undefined);
  if (sc?.runAsGroup === undefined) return user;
  if (user === undefined) throw runtimeInvalid(`container "${config.metadata.name}": runAsGroup is specified without a runAsUser`, RuntimeReason.CreateContainerConfigError);
  return `${user}:${sc.runAsGroup}`;
}

export interface ContainerTranslationContext {
  sandboxId: string;
  /**
   * The directory of the sandbox's `ETC_FILES` when the adapter wrote them (a sandbox owning its
   * network namespace, see `writesEtcFiles`): bind-mounted where Docker would have mounted its own,
   * except where the container mounts something itself (as the kubelet does for /etc/hosts).
   */
  etcDir?: string;
  /** Reads a Localhost seccomp profile (injected so translation stays pure). */
  readProfile(path: string): string;
}

export function containerCreateOptions(config: ContainerConfig, sandbox: PodSandboxConfig, ctx: ContainerTranslationContext): ContainerCreateOptions {
  const sc = config.linux?.securityContext;
  const res = config.linux?.resources;
  const ns = sc?.namespaceOptions ?? sandbox.linux?.securityContext?.namespaceOptions;
  const user = containerUser(config);
  for (const m of config.mounts) {
    if (!m.containerPath.startsWith('/')) throw runtimeInvalid(`mount path "${m.containerPath}" is not absolute`, RuntimeReason.CreateContainerConfigError);
  }
  const hostConfig: HostConfig = {
    NetworkMode: ns?.network === 'Node' ? 'host' : `container:${ctx.sandboxId}`,
    IpcMode: ns?.ipc === 'Node' ? 'host' : `container:${ctx.sandboxId}`,
    // `Container` (the default in a pod) keeps a PID namespace of its own: an empty mode.
    PidMode: joinMode(ns?.pid ?? 'Container', ctx.sandboxId, '', ns?.targetId),
    RestartPolicy: { Name: 'no' },
    Mounts: [
      ...config.mounts.map((m) => ({
        Type: 'bind' as const,
        Source: m.hostPath,
        Target: m.containerPath,
        ReadOnly: m.readonly ?? false,
        ...(m.propagation ? { BindOptions: PROPAGATION[m.propagation] } : {}),
      })),
      ...Object.entries(ctx.etcDir ? ETC_FILES : {})
        .filter(([target]) => !config.mounts.some((m) => m.containerPath === target))
        // Writable unless the root is read-only, as Docker and containerd mount them.
        .map(([target, file]) => ({ Type: 'bind' as const, Source: `${ctx.etcDir}/${file}`, Target: target, ReadOnly: sc?.readonlyRootfs ?? false })),
    ],
    LogConfig: { Type: 'json-file', Config: {} },
    Privileged: sc?.privileged ?? false,
    ReadonlyRootfs: sc?.readonlyRootfs ?? false,
    ...(sc?.capabilities?.addCapabilities?.length ? { CapAdd: sc.capabilities.addCapabilities } : {}),
    ...(sc?.capabilities?.dropCapabilities?.length ? { CapDrop: sc.capabilities.dropCapabilities } : {}),
    ...(sc?.supplementalGroups?.length ? { GroupAdd: sc.supplementalGroups.map(String) } : {}),
    SecurityOpt: [
      ...(sc?.noNewPrivs ? ['no-new-privileges'] : []),
      ...seccompOpt(sc?.seccomp, ctx.readProfile),
      ...(sc?.apparmorProfile ? [`apparmor=${sc.apparmorProfile}`] : []),
    ],
    ...(sc?.maskedPaths ? { MaskedPaths: sc.maskedPaths } : {}),
    ...(sc?.readonlyPaths ? { ReadonlyPaths: sc.readonlyPaths } : {}),
    ...(config.devices?.length
      ? { Devices: config.devices.map((d) => ({ PathOnHost: d.hostPath, PathInContainer: d.containerPath, CgroupPermissions: d.permissions })) }
      : {}),
    ...(res?.cpuShares !== undefined ? { CpuShares: res.cpuShares } : {}),
    ...(res?.cpuPeriod !== undefined ? { CpuPeriod: res.cpuPeriod } : {}),
    ...(res?.cpuQuota !== undefined ? { CpuQuota: res.cpuQuota } : {}),
    ...(res?.memoryLimitInBytes ? { Memory: res.memoryLimitInBytes, MemorySwap: res.memoryLimitInBytes } : {}),
    ...(res?.cpusetCpus ? { CpusetCpus: res.cpusetCpus } : {}),
    ...(res?.cpusetMems ? { CpusetMems: res.cpusetMems } : {}),
    ...(res?.oomScoreAdj !== undefined ? { OomScoreAdj: res.oomScoreAdj } : {}),
  };
  return {
    name: containerName(config, sandbox),
    Image: config.image.image,
    // Kubernetes' command/args rules match Docker's: an Entrypoint given drops the image's Cmd.
    ...(config.command.length ? { Entrypoint: config.command } : {}),
    ...(config.args.length ? { Cmd: config.args } : {}),
    Env: config.envs.map((e) => `${e.key}=${e.value}`),
    ...(config.workingDir ? { WorkingDir: config.workingDir } : {}),
    ...(user ? { User: user } : {}),
    Tty: config.tty ?? false,
    OpenStdin: config.stdin ?? false,
    StdinOnce: config.stdinOnce ?? false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(config.stopSignal ? { StopSignal: config.stopSignal } : {}),
    Labels: {
      ...config.labels,
      [DockerLabel.type]: 'container',
      [DockerLabel.sandboxId]: ctx.sandboxId,
      [DockerLabel.metadata]: JSON.stringify(config.metadata),
      [DockerLabel.annotations]: JSON.stringify(config.annotations),
      [DockerLabel.image]: config.image.image,
    },
    HostConfig: hostConfig,
  };
}
