/**
 * The messages of the runtime contract, modelled on CRI `runtime.v1` (k8s.io/cri-api) but shaped
 * for TypeScript: string unions instead of enums, `undefined` instead of zero values, epoch
 * milliseconds instead of nanoseconds, Node streams instead of streaming URLs.
 *
 * These are plain interfaces, not zod schemas: they are not API objects (nothing here is stored,
 * served or patched), they cross an in-process boundary between TypeScript modules that are
 * type-checked against this file, and the kubelet calls them at a rate (thousands of pods, status
 * polls) where per-call validation would be pure cost. The API types stay zod-owned in api-types.
 */

/** Labels and annotations as CRI carries them: flat string maps. */
export type StringMap = Record<string, string>;

export interface VersionInfo {
  /** Version of the contract the runtime implements (`0.1.0` for this one). */
  version: string;
  /** e.g. `process`, `fake`, `docker`, `containerd`. */
  runtimeName: string;
  runtimeVersion: string;
  /** CRI-style API version, e.g. `v1`. */
  runtimeApiVersion: string;
}

/** One health condition; the kubelet's node Ready condition reflects `RuntimeReady` and `NetworkReady`. */
export interface RuntimeCondition {
  type: 'RuntimeReady' | 'NetworkReady' | (string & {});
  status: boolean;
  reason?: string;
  message?: string;
}

/** What the runtime can do beyond the minimum, so the kubelet degrades instead of failing. */
export interface RuntimeFeatures {
  /** `updateContainerResources` changes limits of a running container (in-place resize). */
  inPlaceResize: boolean;
  /** Containers of one sandbox see each other's volume writes (bind mounts of one host directory). */
  sharedVolumes: boolean;
  /** `exec`/`execSync` are implemented. */
  exec: boolean;
  /** `attach` is implemented (containers created with `stdin`). */
  attach: boolean;
  /** `portForward` is implemented. */
  portForward: boolean;
  /** Each sandbox gets its own IP (reported in `PodSandboxStatus.network`). */
  podIPs: boolean;
}

export interface RuntimeStatus {
  conditions: RuntimeCondition[];
  features: RuntimeFeatures;
}

export interface PodSandboxMetadata {
  name: string;
  namespace: string;
  uid: string;
  /** Bumped by the kubelet each time it recreates the sandbox of one pod. */
  attempt: number;
}

export interface DNSConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort?: number;
  hostIp?: string;
}

/** How a namespace is shared: one per pod, one per container, or the node's. */
export type NamespaceMode = 'Pod' | 'Container' | 'Node' | 'Target';

export interface NamespaceOptions {
  network: NamespaceMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
  /** Container id whose namespaces `Target` refers to (ephemeral debug containers). */
  targetId?: string;
}

export interface SeccompProfile {
  profileType: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  localhostRef?: string;
}

export interface LinuxPodSandboxConfig {
  cgroupParent?: string;
  securityContext?: {
    namespaceOptions?: NamespaceOptions;
    privileged?: boolean;
    runAsUser?: number;
    runAsGroup?: number;
    supplementalGroups?: number[];
    readonlyRootfs?: boolean;
    seccomp?: SeccompProfile;
  };
  sysctls?: StringMap;
  /** Sum of container limits plus overhead, for runtimes that size a pod-level cgroup. */
  resources?: LinuxContainerResources;
}

/** A pod's or container's `securityContext.windowsOptions`, as CRI carries them. */
export interface WindowsSecurityContext {
  /** `runAsUserName` (e.g. `ContainerUser`, `NT AUTHORITY\\SYSTEM` for host-process pods). */
  runAsUsername?: string;
  /** The GMSA credential spec's content (the kubelet resolves `gmsaCredentialSpecName`). */
  credentialSpec?: string;
  /** A host-process container: runs as a process on the node, in the node's network. */
  hostProcess?: boolean;
}

export interface WindowsPodSandboxConfig {
  securityContext?: WindowsSecurityContext & { namespaceOptions?: { network: NamespaceMode } };
}

/** Job-object limits of a Windows container (CRI's `WindowsContainerResources`). */
export interface WindowsContainerResources {
  /** Relative weight, 0..10000. */
  cpuShares?: number;
  /** Number of CPUs. */
  cpuCount?: number;
  /** Share of the node's CPU cycles in 1/10000ths (10000 = all of it). */
  cpuMaximum?: number;
  memoryLimitInBytes?: number;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  /** Defaults to `metadata.name`. */
  hostname?: string;
  /** Host directory under which container log paths are resolved (`/var/log/pods/<ns>_<name>_<uid>`). */
  logDirectory: string;
  dnsConfig?: DNSConfig;
  portMappings?: PortMapping[];
  labels: StringMap;
  annotations: StringMap;
  linux?: LinuxPodSandboxConfig;
  /** Windows nodes only (ignored by Linux runtimes); CRI's `WindowsPodSandboxConfig`. */
  windows?: WindowsPodSandboxConfig;
  /** RuntimeClass handler; empty for the default. */
  runtimeHandler?: string;
}

export type PodSandboxState = 'Ready' | 'NotReady';

export interface PodSandboxNetworkStatus {
  /** Primary pod IP. */
  ip: string;
  additionalIps: string[];
}

/** A sandbox as `listPodSandbox` returns it. */
export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  /** Epoch milliseconds. */
  createdAt: number;
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}

export interface PodSandboxStatus extends PodSandbox {
  network?: PodSandboxNetworkStatus;
  /** Namespace options in force (what the runtime actually did, which may differ from the request). */
  namespaceOptions?: NamespaceOptions;
}

export interface PodSandboxFilter {
  id?: string;
  state?: PodSandboxState;
  /** Every pair must match (equality only, as CRI). */
  labelSelector?: StringMap;
}

export interface ContainerMetadata {
  name: string;
  /** Restart attempt of this container within its sandbox (0 for the first). */
  attempt: number;
}

export interface ImageSpec {
  /** Image reference as written in the pod (`busybox:1.36`) or a resolved image id. */
  image: string;
  annotations?: StringMap;
  runtimeHandler?: string;
}

export interface KeyValue {
  key: string;
  value: string;
}

export type MountPropagation = 'Private' | 'HostToContainer' | 'Bidirectional';

/** A host path (prepared by the kubelet for every volume type) made visible at `containerPath`. */
export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  propagation?: MountPropagation;
  selinuxRelabel?: boolean;
}

export interface Device {
  containerPath: string;
  hostPath: string;
  /** cgroup permissions, e.g. `rwm`. */
  permissions: string;
}

export interface LinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  oomScoreAdj?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** cgroup v2 unified keys. */
  unified?: StringMap;
}

export interface Capability {
  addCapabilities?: string[];
  dropCapabilities?: string[];
}

export interface LinuxContainerSecurityContext {
  capabilities?: Capability;
  privileged?: boolean;
  namespaceOptions?: NamespaceOptions;
  runAsUser?: number;
  runAsGroup?: number;
  runAsUsername?: string;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  noNewPrivs?: boolean;
  seccomp?: SeccompProfile;
  apparmorProfile?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  /** Entrypoint; empty means the image's. The kubelet has already expanded `$(VAR)` references. */
  command: string[];
  /** Arguments; empty means the image's. */
  args: string[];
  /** Empty means the image's. */
  workingDir?: string;
  /** In order; later duplicates win, as in a process environment. */
  envs: KeyValue[];
  mounts: Mount[];
  devices?: Device[];
  labels: StringMap;
  annotations: StringMap;
  /** Relative to the sandbox's `logDirectory` (`<container>/<attempt>.log`). */
  logPath: string;
  /** Keep stdin open (for attach). */
  stdin?: boolean;
  /** Close stdin after the first attach session ends. */
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: {
    resources?: LinuxContainerResources;
    securityContext?: LinuxContainerSecurityContext;
  };
  /** Signal sent by `stopContainer` before the kill; `SIGTERM` by default. */
  stopSignal?: NodeJS.Signals;
  /** Windows nodes only (ignored by Linux runtimes); CRI's `WindowsContainerConfig`. */
  windows?: {
    resources?: WindowsContainerResources;
    securityContext?: WindowsSecurityContext;
  };
}

export type ContainerState = 'Created' | 'Running' | 'Exited' | 'Unknown';

/** A container as `listContainers` returns it. */
export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  image: ImageSpec;
  /** Resolved image id (`imageID` in pod status). */
  imageRef: string;
  state: ContainerState;
  /** Epoch milliseconds. */
  createdAt: number;
  labels: StringMap;
  annotations: StringMap;
}

export interface ContainerStatus extends Container {
  /** Epoch milliseconds; set once Running. */
  startedAt?: number;
  /** Epoch milliseconds; set once Exited. */
  finishedAt?: number;
  /** Set once Exited. 128+n for a process killed by signal n. */
  exitCode?: number;
  /**
   * Why the container is in its state: on exit `Completed` (0), `Error` (non-zero), `OOMKilled`,
   * `StartError` (start failed); the kubelet copies it into the container's terminated state.
   */
  reason?: string;
  /**
   * Human-readable detail. Also where a runtime says which fields it could not honour
   * (e.g. "image content is not used"), rather than pretending.
   */
  message?: string;
  mounts: Mount[];
  /** Absolute path of the CRI log file, when the runtime keeps one on disk. */
  logPath?: string;
  resources?: LinuxContainerResources;
}

export interface ContainerFilter {
  id?: string;
  state?: ContainerState;
  podSandboxId?: string;
  labelSelector?: StringMap;
}

export interface Image {
  /** Content-addressed id (`sha256:...`); what `imageRef` and `imageID` report. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** Bytes. */
  size: number;
  /** User the image runs as by default, when it says. */
  user?: string;
  pinned?: boolean;
}

export interface ImageFilter {
  image?: ImageSpec;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

/** Progress of one pull, for the kubelet's `Pulling`/`Pulled` events and slow-pull diagnostics. */
export interface PullProgress {
  image: string;
  /** Bytes fetched so far, when known. */
  bytesDone?: number;
  /** Total bytes, when known. */
  bytesTotal?: number;
  message?: string;
}

export interface PullImageOptions {
  auth?: AuthConfig;
  sandboxConfig?: PodSandboxConfig;
  onProgress?(progress: PullProgress): void;
  signal?: AbortSignal;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface TerminalSize {
  width: number;
  height: number;
}

export interface ExecRequest {
  cmd: string[];
  /** Open stdin for the session. */
  stdin?: boolean;
  tty?: boolean;
}

export interface AttachRequest {
  stdin?: boolean;
  tty?: boolean;
}

/**
 * A live exec or attach session, as the kubelet's streaming server relays it over the
 * `v5.channel.k8s.io` WebSocket (channels 0 stdin, 1 stdout, 2 stderr, 3 exit status, 4 resize).
 */
export interface StreamSession {
  /** Present when the request asked for stdin; ending it closes the process's stdin. */
  stdin?: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream;
  /** Absent when `tty` is set (a terminal merges both streams into stdout). */
  stderr?: NodeJS.ReadableStream;
  resize(size: TerminalSize): void;
  /**
   * Resolves with the exit code once the process ended (exec) or the container exited (attach);
   * the last output may still be in flight until stdout/stderr end, so relays wait for both.
   * Resolves with -1 if the session was closed first.
   */
  readonly exited: Promise<number>;
  /** Detaches: ends the streams; for exec, also kills the process. Idempotent. */
  close(): void;
}

export type LogStream = 'stdout' | 'stderr';

/** One line of a CRI log file: `<RFC3339Nano> <stream> <P|F> <content>`. */
export interface LogEntry {
  /** The RFC3339Nano timestamp as written. */
  timestamp: string;
  /** Epoch milliseconds parsed from `timestamp`. */
  time: number;
  stream: LogStream;
  /** `P` (partial: the line continues in the next entry) or `F` (full: ends a line). */
  tag: 'P' | 'F';
  /** Line content without the trailing newline. */
  content: string;
}

export interface LogOptions {
  /** Keep streaming new lines until the container exits (and its log is drained) or `signal` aborts. */
  follow?: boolean;
  /** Only the last N lines (complete lines, counting `F` entries). */
  tailLines?: number;
  /** Only lines at or after this epoch-millisecond time. */
  since?: number;
  /** Only this stream; both when absent. */
  stream?: LogStream;
  /** Stop after this many bytes of content. */
  limitBytes?: number;
  signal?: AbortSignal;
}

export interface CpuUsage {
  timestamp: number;
  usageCoreNanoSeconds: number;
  /** Average over the runtime's sampling window, when it keeps one. */
  usageNanoCores?: number;
}

export interface MemoryUsage {
  timestamp: number;
  workingSetBytes: number;
  rssBytes?: number;
  usageBytes?: number;
}

export interface ContainerStats {
  id: string;
  metadata: ContainerMetadata;
  labels: StringMap;
  annotations: StringMap;
  cpu?: CpuUsage;
  memory?: MemoryUsage;
}

export interface PodSandboxStats {
  id: string;
  metadata: PodSandboxMetadata;
  labels: StringMap;
  annotations: StringMap;
  cpu?: CpuUsage;
  memory?: MemoryUsage;
  containers: ContainerStats[];
}

export interface FilesystemUsage {
  timestamp: number;
  mountpoint: string;
  usedBytes: number;
  inodesUsed?: number;
}
