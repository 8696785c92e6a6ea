import {
  RuntimeReason,
  runtimeInvalid,
  type ContainerConfig,
  type LinuxContainerResources,
  type PodSandboxConfig,
  type WindowsContainerResources,
} from '@peapod/runtime';
import { commonContainerConfig, commonSandboxConfig, type CriTranslator } from '@peapod/runtime-containerd';

/** Labels a Windows node carries (the kubelet adds them to its Node object). */
export const WINDOWS_NODE_LABELS = { 'kubernetes.io/os': 'windows' } as const;

/**
 * The container annotation that carried a GMSA credential spec before CRI had a field for it
 * (dockershim's key); read as a fallback when the security context has no credential spec.
 */
export const GMSA_ANNOTATION = 'container.alpha.windows.kubernetes.io/gmsa-credential-spec';

/**
 * A container path inside a Windows container: drive-letter paths stay, POSIX-style ones (as
 * pod specs often write them) land on `C:` with backslashes, as the kubelet does on Windows.
 */
export function windowsPath(p: string): string {
  if (/^[A-Za-z]:[\\/]/.test(p)) return p.replaceAll('/', '\\');
  const rest = p.replaceAll('/', '\\');
  return `C:${rest.startsWith('\\') ? '' : '\\'}${rest}`;
}

/**
 * Windows job-object limits from Linux-style cgroup values when the kubelet sent only those:
 * `cpuMaximum` is the quota's share of all node CPUs in 1/10000ths (clamped to 1..10000),
 * memory passes through, and shares (2..262144 on Linux) scale to Windows' 0..10000 weight.
 */
export function windowsResourcesFrom(r: LinuxContainerResources, nodeCpus: number): WindowsContainerResources {
  const out: WindowsContainerResources = {};
  if (r.cpuQuota && r.cpuPeriod && r.cpuQuota > 0) {
    out.cpuMaximum = Math.min(10_000, Math.max(1, Math.floor((r.cpuQuota * 10_000) / (r.cpuPeriod * nodeCpus))));
  }
  if (r.cpuShares) out.cpuShares = Math.min(10_000, Math.max(1, Math.floor((r.cpuShares * 10_000) / 262_144)));
  if (r.memoryLimitInBytes) out.memoryLimitInBytes = r.memoryLimitInBytes;
  return out;
}

const refuse = (message: string, reason: RuntimeReason) => runtimeInvalid(`windows: ${message}`, reason);

export interface WindowsTranslatorOptions {
  /** Logical CPUs of the node, for `cpuMaximum` derived from a CPU quota. */
  nodeCpus: number;
}

/**
 * Windows translation. There are no Linux namespaces, seccomp, AppArmor, capabilities or
 * SELinux: nothing of `linux` is sent. hostProcess rules follow Kubernetes': a hostProcess pod
 * runs every container as hostProcess and in the node's network; a container cannot be
 * hostProcess in a pod that is not; host networking exists only for hostProcess pods; privileged
 * has no Windows meaning (hostProcess replaces it).
 */
export function windowsTranslator(options: WindowsTranslatorOptions): CriTranslator {
  const podHostProcess = (s: PodSandboxConfig) => s.windows?.securityContext?.hostProcess === true;
  return {
    os: 'windows',
    sandboxConfig(c, hostNetwork) {
      const sc = c.windows?.securityContext;
      const hostProcess = podHostProcess(c);
      if (hostNetwork && !hostProcess && c.linux?.securityContext?.namespaceOptions?.network === 'Node') {
        throw refuse('host networking is only available to hostProcess pods', RuntimeReason.CreatePodSandboxError);
      }
      return {
        ...commonSandboxConfig(c, hostProcess || hostNetwork),
        windows: {
          securityContext: {
            runAsUsername: sc?.runAsUsername ?? '',
            credentialSpec: sc?.credentialSpec ?? '',
            hostProcess,
            namespaceOptions: { network: hostProcess || hostNetwork ? 'NODE' : 'POD' },
          },
        },
      };
    },
    containerConfig(c: ContainerConfig, sandbox: PodSandboxConfig) {
      const sc = c.windows?.securityContext;
      const podHp = podHostProcess(sandbox);
      if (sc?.hostProcess === false && podHp) throw refuse(`container "${c.metadata.name}" cannot opt out of hostProcess in a hostProcess pod`, RuntimeReason.CreateContainerConfigError);
      if (sc?.hostProcess === true && !podHp) throw refuse(`container "${c.metadata.name}" is hostProcess but its pod is not (all containers of a pod must agree)`, RuntimeReason.CreateContainerConfigError);
      if (c.linux?.securityContext?.privileged) throw refuse(`container "${c.metadata.name}" asks for privileged, which Windows does not have (use hostProcess)`, RuntimeReason.CreateContainerConfigError);
      const resources = c.windows?.resources ?? windowsResourcesFrom(c.linux?.resources ?? {}, options.nodeCpus);
      const common = commonContainerConfig(c) as { mounts: { containerPath: string }[]; workingDir: string };
      return {
        ...common,
        mounts: common.mounts.map((m) => ({ ...m, containerPath: windowsPath(m.containerPath) })),
        workingDir: common.workingDir ? windowsPath(common.workingDir) : '',
        windows: {
          resources: { cpuShares: resources.cpuShares ?? 0, cpuCount: resources.cpuCount ?? 0, cpuMaximum: resources.cpuMaximum ?? 0, memoryLimitInBytes: resources.memoryLimitInBytes ?? 0 },
          securityContext: {
            runAsUsername: sc?.runAsUsername ?? sandbox.windows?.securityContext?.runAsUsername ?? '',
            credentialSpec: sc?.credentialSpec ?? c.annotations[GMSA_ANNOTATION] ?? sandbox.windows?.securityContext?.credentialSpec ?? '',
            hostProcess: podHp,
          },
        },
      };
    },
    resources(r) {
      const w = windowsResourcesFrom(r, options.nodeCpus);
      return { windows: { cpuShares: w.cpuShares ?? 0, cpuCount: 0, cpuMaximum: w.cpuMaximum ?? 0, memoryLimitInBytes: w.memoryLimitInBytes ?? 0 } };
    },
  };
}
