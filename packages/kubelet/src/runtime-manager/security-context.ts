import { join } from 'node:path';
import { badRequest, type Container, type Pod, type SeccompProfile as PodSeccompProfile, type SecurityContext } from '@peapod/api-types';
import type {
  ContainerConfig,
  LinuxContainerSecurityContext,
  NamespaceOptions,
  PodSandboxConfig,
  SeccompProfile,
  WindowsSecurityContext,
} from '@peapod/runtime';
import { linuxResources } from './resources.js';

/**
 * How a pod's and its containers' security contexts reach the runtime (kubelet's
 * `kuberuntime/security_context*.go`, `generatePodSandbox{Linux,Windows}Config` and
 * `pkg/securitycontext`): the sandbox gets the pod-level settings, each container its effective
 * context (its own fields over the pod's), for the node's OS.
 */

/** Paths a container's /proc and /sys hide unless `procMount: Unmasked` (the runtime drops them for privileged containers). */
export const DEFAULT_MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
/** Paths a container sees read-only unless `procMount: Unmasked`. */
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The Windows user Kubernetes regards as root when checking `runAsNonRoot` (names compare case-insensitively). */
const WINDOWS_ROOT_USER = 'containeradministrator';

export interface SecurityContextOptions {
  /** `kubernetes.io/os` of the node: `windows` sends Windows security contexts, anything else Linux ones. */
  os: string;
  /** Directory `Localhost` seccomp profiles are relative to (`<kubelet root>/seccomp`). */
  seccompProfileRoot: string;
}

type AnyContainer = Pick<Container, 'name' | 'securityContext'>;

/**
 * A container's security context with the pod's defaults filled in: the pod's runAsUser,
 * runAsGroup, runAsNonRoot, seLinuxOptions and windowsOptions (field by field) apply where the
 * container leaves them unset; the container's other fields stand alone.
 */
export function effectiveSecurityContext(pod: Pod, c: AnyContainer): SecurityContext {
  const p = pod.spec?.securityContext;
  const own = c.securityContext ?? {};
  const windowsOptions = p?.windowsOptions || own.windowsOptions ? { ...p?.windowsOptions, ...defined(own.windowsOptions) } : undefined;
  // GMSA spec and name travel together: a container naming either replaces both.
  if (windowsOptions && (own.windowsOptions?.gmsaCredentialSpec !== undefined || own.windowsOptions?.gmsaCredentialSpecName !== undefined)) {
    windowsOptions.gmsaCredentialSpec = own.windowsOptions.gmsaCredentialSpec;
    windowsOptions.gmsaCredentialSpecName = own.windowsOptions.gmsaCredentialSpecName;
  }
  return {
    ...defined({ runAsUser: p?.runAsUser, runAsGroup: p?.runAsGroup, runAsNonRoot: p?.runAsNonRoot, seLinuxOptions: p?.seLinuxOptions }),
    ...defined(own),
    ...(windowsOptions ? { windowsOptions: defined(windowsOptions) } : {}),
  };
}

/** The pod's namespaces: the node's where it asks (hostNetwork/PID/IPC), one PID namespace per pod with `shareProcessNamespace`. */
export function namespacesForPod(pod: Pod): NamespaceOptions {
  const spec = pod.spec!;
  const mode = (host: boolean | undefined) => (host ? 'Node' : 'Pod');
  return { network: mode(spec.hostNetwork), pid: spec.hostPID ? 'Node' : spec.shareProcessNamespace ? 'Pod' : 'Container', ipc: mode(spec.hostIPC) };
}

/**
 * The sandbox's platform config. Linux: the pod's namespaces, sysctls, runAsUser/runAsGroup,
 * fsGroup then supplementalGroups, `privileged` when any container is, and RuntimeDefault
 * seccomp for the pause process itself (so a pod may confine its containers tightly without
 * breaking its sandbox). Windows keeps only the namespaces on the Linux side and adds the pod's
 * Windows options; a pod with hostProcess containers must be all hostProcess and on the host
 * network (thrown as a bad request, which fails the sandbox's creation).
 */
export function sandboxPlatformConfig(pod: Pod, os: string): Pick<PodSandboxConfig, 'linux' | 'windows'> {
  const sc = pod.spec?.securityContext;
  const containers = allContainers(pod);
  if (os === 'windows') {
    const hostProcess = containers.map((c) => effectiveSecurityContext(pod, c).windowsOptions?.hostProcess === true);
    if (hostProcess.some(Boolean)) {
      if (!hostProcess.every(Boolean)) throw badRequest('pod must not contain both HostProcess and non-HostProcess containers');
      if (!pod.spec?.hostNetwork) throw badRequest('hostNetwork is required if Pod contains HostProcess containers');
    }
    const wo = sc?.windowsOptions;
    return {
      linux: { securityContext: { namespaceOptions: namespacesForPod(pod) } },
      windows: { securityContext: windowsSecurityContext(wo, hostProcess.some(Boolean)) },
    };
  }
  const groups = supplementalGroups(pod);
  return {
    linux: {
      securityContext: {
        namespaceOptions: namespacesForPod(pod),
        privileged: containers.some((c) => c.securityContext?.privileged === true),
        seccomp: { profileType: 'RuntimeDefault' },
        ...defined({ runAsUser: sc?.runAsUser, runAsGroup: sc?.runAsGroup }),
        ...(groups.length ? { supplementalGroups: groups } : {}),
      },
      sysctls: Object.fromEntries((sc?.sysctls ?? []).map((s) => [s.name, s.value])),
    },
  };
}

/**
 * The container's platform config: its resources and security context for the node's OS.
 * Verifies `runAsNonRoot` first, reading the image's user through `imageUser` only when the
 * answer depends on it; a violation is thrown as a bad request with Kubernetes' message (the
 * kubelet reports it as CreateContainerConfigError).
 *
 * The image's user is passed on only where Kubernetes' rules need it (a runAsGroup without a
 * runAsUser names the image's user with it); otherwise the runtime runs the image's user itself,
 * so an image's `USER uid:gid` keeps its group as the API documents for an unset runAsGroup.
 */
export async function containerPlatformConfig(
  pod: Pod, c: Container, opts: SecurityContextOptions & { imageUser(): Promise<string | undefined>; targetId?: string | undefined },
): Promise<Pick<ContainerConfig, 'linux' | 'windows'>> {
  const eff = effectiveSecurityContext(pod, c);
  const resources = linuxResources(c);
  if (opts.os === 'windows') {
    const wo = eff.windowsOptions;
    if (eff.runAsNonRoot) {
      const [field, user] = wo?.runAsUserName !== undefined ? ['runAsUserName', wo.runAsUserName] : ['runAsUser', await opts.imageUser()];
      if (user?.toLowerCase() === WINDOWS_ROOT_USER) {
        throw badRequest(`container's ${field} (${user}) which will be regarded as root identity and will break non-root policy (${podAndContainer(pod, c)})`);
      }
    }
    return {
      linux: { resources },
      windows: { securityContext: windowsSecurityContext(wo, wo?.hostProcess === true) },
    };
  }
  const image = eff.runAsUser === undefined && (eff.runAsNonRoot || eff.runAsGroup !== undefined) ? imageIdentity(await opts.imageUser()) : undefined;
  if (eff.runAsNonRoot) {
    if (eff.runAsUser === 0) throw badRequest(`container's runAsUser breaks non-root policy (${podAndContainer(pod, c)})`);
    if (image?.username !== undefined) {
      throw badRequest(`container has runAsNonRoot and image has non-numeric user (${image.username}), cannot verify user is non-root (${podAndContainer(pod, c)})`);
    }
    if (image?.uid === 0) throw badRequest(`container has runAsNonRoot and image will run as root (${podAndContainer(pod, c)})`);
  }
  return { linux: { resources, securityContext: linuxSecurityContext(pod, c, eff, opts.seccompProfileRoot, eff.runAsGroup !== undefined ? image : undefined, opts.targetId) } };
}

/** The container's namespaces: the pod's, except that a target container's PID namespace replaces a per-container one. */
function containerNamespaces(pod: Pod, targetId: string | undefined): NamespaceOptions {
  const ns = namespacesForPod(pod);
  return targetId !== undefined && ns.pid === 'Container' ? { ...ns, pid: 'Target', targetId } : ns;
}

function linuxSecurityContext(
  pod: Pod, c: AnyContainer, eff: SecurityContext, seccompProfileRoot: string, image: { uid?: number; username?: string } | undefined, targetId: string | undefined,
): LinuxContainerSecurityContext {
  const caps = eff.capabilities;
  const groups = supplementalGroups(pod);
  const unmasked = eff.procMount === 'Unmasked';
  return {
    ...(caps ? { capabilities: { addCapabilities: caps.add ?? [], dropCapabilities: caps.drop ?? [] } } : {}),
    privileged: eff.privileged ?? false,
    namespaceOptions: containerNamespaces(pod, targetId),
    ...defined({ runAsUser: eff.runAsUser ?? image?.uid, runAsUsername: image?.username, runAsGroup: eff.runAsGroup }),
    readonlyRootfs: eff.readOnlyRootFilesystem ?? false,
    ...(groups.length ? { supplementalGroups: groups } : {}),
    // The API refuses allowPrivilegeEscalation false on a privileged container; privileged wins regardless.
    noNewPrivs: eff.allowPrivilegeEscalation === false && !eff.privileged,
    seccomp: seccompProfile(c.securityContext?.seccompProfile ?? pod.spec?.securityContext?.seccompProfile, seccompProfileRoot),
    maskedPaths: unmasked ? [] : DEFAULT_MASKED_PATHS,
    readonlyPaths: unmasked ? [] : DEFAULT_READONLY_PATHS,
  };
}

/** CRI's Windows security context from a pod's or a container's `windowsOptions`. */
function windowsSecurityContext(wo: SecurityContext['windowsOptions'], hostProcess: boolean): WindowsSecurityContext {
  return defined({ runAsUsername: wo?.runAsUserName, credentialSpec: wo?.gmsaCredentialSpec, hostProcess: hostProcess || undefined });
}

/** The container's profile, else the pod's; none means Unconfined (the kubelet's default without `seccompDefault`). */
function seccompProfile(p: PodSeccompProfile | undefined, root: string): SeccompProfile {
  switch (p?.type) {
    case 'RuntimeDefault':
      return { profileType: 'RuntimeDefault' };
    case 'Localhost':
      if (!p.localhostProfile) throw badRequest('localhostProfile must be set if seccompProfile type is Localhost.');
      return { profileType: 'Localhost', localhostRef: join(root, p.localhostProfile) };
    default:
      return { profileType: 'Unconfined' };
  }
}

/** fsGroup first, then supplementalGroups, as both the sandbox and every container get them. */
function supplementalGroups(pod: Pod): number[] {
  const sc = pod.spec?.securityContext;
  return [...(sc?.fsGroup !== undefined ? [sc.fsGroup] : []), ...(sc?.supplementalGroups ?? [])];
}

/**
 * What an image's user (`uid`, `uid:gid`, `name`, `name:group`) says about who runs: a numeric
 * uid, or a name the kubelet cannot check. An image that names no user, or that the runtime
 * cannot describe, runs as root (uid 0), as Kubernetes assumes.
 */
function imageIdentity(user: string | undefined): { uid?: number; username?: string } {
  const u = (user ?? '').split(':')[0];
  if (u === '') return { uid: 0 };
  return /^\d+$/.test(u) ? { uid: Number(u) } : { username: u };
}

/** Go's `(pod: %q, container: %s)` with the kubelet's `name_namespace(uid)` pod format. */
const podAndContainer = (pod: Pod, c: AnyContainer) =>
  `pod: ${JSON.stringify(`${pod.metadata.name}_${pod.metadata.namespace ?? 'default'}(${pod.metadata.uid ?? ''})`)}, container: ${c.name}`;

function allContainers(pod: Pod): AnyContainer[] {
  const spec = pod.spec!;
  return [...(spec.initContainers ?? []), ...spec.containers, ...(spec.ephemeralContainers ?? [])];
}

/** The object without its undefined fields, so configs say only what was set. */
function defined<T extends object>(o: T | undefined): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
