import type {
  AttachRequest,
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatus,
  ExecRequest,
  ExecSyncResult,
  FilesystemUsage,
  Image,
  ImageFilter,
  ImageSpec,
  LinuxContainerResources,
  LogEntry,
  LogOptions,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStats,
  PodSandboxStatus,
  PullImageOptions,
  RuntimeStatus,
  StreamSession,
  VersionInfo,
} from './types.js';

/**
 * The runtime contract: small role interfaces modelled on CRI's RuntimeService and ImageService.
 * Consumers depend on the narrow role they need; `Runtime` is what an adapter implements.
 *
 * Rules every method follows unless its comment says otherwise:
 * - Errors are `RuntimeError`s (see errors.ts) with a code and, where users see it, a reason.
 * - Ids are opaque strings chosen by the runtime, unique for the runtime's state (never reused).
 * - "Idempotent" means a repeat of a call that succeeded succeeds again with no further effect.
 * - Calls are safe to make concurrently for different objects; for one object the runtime
 *   serialises as needed (a stop racing a status returns either the old or the new state).
 */

export interface RuntimeVersioner {
  /** Never fails while the runtime is usable. */
  version(): Promise<VersionInfo>;
  /**
   * Health and features. A runtime that cannot run containers at all reports `RuntimeReady`
   * false with a reason instead of throwing, so the kubelet can put it in the Node's condition.
   */
  status(): Promise<RuntimeStatus>;
}

export interface PodSandboxManager {
  /**
   * Creates and starts the pod's sandbox (namespaces, IP, shared directories) and returns its id.
   * Not idempotent: each call creates a new sandbox (the kubelet bumps `metadata.attempt`).
   * Throws InvalidArgument/`CreatePodSandboxError` for a config it cannot honour.
   */
  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  /**
   * Stops every container of the sandbox (killing them without grace: the kubelet has already
   * stopped them gracefully) and releases its network (the IP). The sandbox stays listed as
   * NotReady until removed. Idempotent; a sandbox that is gone is a success, not NotFound
   * (the kubelet may retry after a crash).
   */
  stopPodSandbox(id: string): Promise<void>;
  /**
   * Removes the sandbox and every container in it (forcibly, if still running), and their state.
   * Logs under `logDirectory` belong to the kubelet and are not removed. Idempotent: a sandbox
   * that is gone is a success.
   */
  removePodSandbox(id: string): Promise<void>;
  /** Throws NotFound for an unknown or removed sandbox. */
  podSandboxStatus(id: string): Promise<PodSandboxStatus>;
  /**
   * Sandboxes matching every given filter field; after a restart, those a previous instance created
   * too. Entries are read-only snapshots (the runtime may hand the same one out again while the
   * sandbox's state holds): callers keep them but never change them.
   */
  listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]>;
}

export interface ContainerManager {
  /**
   * Creates a container in a sandbox without starting it; state `Created`. Throws NotFound if the
   * sandbox is gone, FailedPrecondition if it is NotReady, `CreateContainerConfigError` for a config
   * the runtime cannot turn into a container (e.g. a mount it refuses), `CreateContainerError`
   * otherwise. Not idempotent: each call creates a new container (the kubelet bumps `attempt`).
   */
  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  /**
   * Starts a Created container; it is Running when this resolves. A failure to start (executable
   * missing, bad working directory) rejects with `RunContainerError` and leaves the container
   * Exited (reason `StartError`, exit code 128) rather than Created, as runc-based runtimes do.
   * Throws NotFound for an unknown container and FailedPrecondition if it is not Created (a
   * container is started at most once; restarts are new containers).
   */
  startContainer(id: string): Promise<void>;
  /**
   * Sends the stop signal (`config.stopSignal`, default SIGTERM), waits up to `timeoutMs` for the
   * container to exit, then kills it (SIGKILL); resolves once it is Exited. `timeoutMs` 0 kills at
   * once. Idempotent: an Exited container is a success, and a Created (never started) one is
   * left as it is (remove it to discard it), as containerd does. Throws NotFound only for an unknown id;
   * `KillContainerError` if the kill itself fails.
   */
  stopContainer(id: string, timeoutMs: number): Promise<void>;
  /**
   * Removes a container, killing it first if it runs, and its runtime state (its log file stays;
   * the kubelet owns log rotation and cleanup). Idempotent: an unknown id is a success.
   */
  removeContainer(id: string): Promise<void>;
  /**
   * Containers matching every given filter field; after a restart, those a previous instance
   * created too. Read-only snapshots, as `listPodSandbox`'s.
   */
  listContainers(filter?: ContainerFilter): Promise<Container[]>;
  /**
   * Current state. For a container that exited while no runtime instance was watching (a kubelet
   * restart), the exit code and time as recorded then. Throws NotFound for an unknown id.
   */
  containerStatus(id: string): Promise<ContainerStatus>;
  /**
   * Applies new resource limits to a Created or Running container (in-place resize). Throws
   * Unimplemented when `RuntimeFeatures.inPlaceResize` is false, NotFound for an unknown id.
   */
  updateContainerResources(id: string, resources: LinuxContainerResources): Promise<void>;
  /**
   * Closes and reopens the container's log file after the kubelet rotated it. Throws NotFound
   * for an unknown id and FailedPrecondition when the container is not running.
   */
  reopenContainerLog(id: string): Promise<void>;
}

export interface ImageService {
  /**
   * Makes the image present and returns its id (`imageRef`). Idempotent: pulling a present
   * image returns the same id (whether it re-checks the registry is the runtime's business).
   * Failures reject with `ErrImagePull` (or `InvalidImageName`, `RegistryUnavailable`).
   */
  pullImage(image: ImageSpec, options?: PullImageOptions): Promise<string>;
  /** The image if present, `undefined` if not; a failure to inspect rejects with `ImageInspectError`. */
  imageStatus(image: ImageSpec): Promise<Image | undefined>;
  listImages(filter?: ImageFilter): Promise<Image[]>;
  /** Idempotent: an absent image is a success. FailedPrecondition while a running container uses it. */
  removeImage(image: ImageSpec): Promise<void>;
}

export interface Streaming {
  /**
   * Runs `cmd` inside a Running container (same namespaces, mounts and environment) and waits
   * for it; used by exec probes and hooks. A non-zero exit is a result, not an error. When
   * `timeoutMs` passes the command is killed and the call rejects with DeadlineExceeded.
   * Throws NotFound for an unknown container, FailedPrecondition if it is not Running, and an
   * error with reason `ExecError` if the command cannot be started at all (executable not found).
   */
  execSync(containerId: string, cmd: string[], timeoutMs?: number): Promise<ExecSyncResult>;
  /** An interactive exec session (`kubectl exec`). Same errors as `execSync`. */
  exec(containerId: string, request: ExecRequest): Promise<StreamSession>;
  /**
   * Attaches to the container's main process: its live stdout/stderr from now on and, if the
   * container was created with `stdin`, its stdin. `exited` resolves with the container's exit
   * code. Throws NotFound for an unknown container, FailedPrecondition if it is not Running.
   */
  attach(containerId: string, request: AttachRequest): Promise<StreamSession>;
  /**
   * A byte stream to `port` inside the sandbox's network (`kubectl port-forward`): for runtimes
   * with pod IPs, a connection to the pod's IP (the process runtime's 127.x address); otherwise a
   * connection made from inside the sandbox's network namespace. Ending the stream half-closes
   * the connection; the stream ends when the listener closes its side. Rejects with NotFound for
   * an unknown sandbox, FailedPrecondition for a stopped one, Unavailable when nothing listens (a
   * runtime that learns that only after connecting, as CRI's streaming PortForward does, fails
   * the stream with an Unavailable error before any byte instead).
   */
  portForward(podSandboxId: string, port: number): Promise<NodeJS.ReadWriteStream>;
  /**
   * Reads the container's CRI log (`kubectl logs`): entries in order, with tail/since/stream/
   * limit filters; with `follow`, keeps yielding until the container has exited and its log is
   * drained, or `signal` aborts. Works for Exited containers until they are removed.
   * Iterating rejects with NotFound for an unknown container.
   */
  readContainerLog(containerId: string, options?: LogOptions): AsyncIterable<LogEntry>;
}

export interface ContainerStatsProvider {
  /** Throws NotFound for an unknown container; usage fields absent when not measurable. */
  containerStats(id: string): Promise<ContainerStats>;
  listContainerStats(filter?: ContainerFilter): Promise<ContainerStats[]>;
  podSandboxStats(id: string): Promise<PodSandboxStats>;
  listPodSandboxStats(filter?: PodSandboxFilter): Promise<PodSandboxStats[]>;
  /** Usage of the filesystem(s) holding images and container state. */
  imageFsInfo(): Promise<FilesystemUsage[]>;
}

/** CRI's RuntimeService. */
export interface RuntimeService extends RuntimeVersioner, PodSandboxManager, ContainerManager, Streaming, ContainerStatsProvider {}

/**
 * What an adapter implements and the kubelet holds. `close()` releases the instance's own
 * resources (watchers, file handles, timers) WITHOUT stopping containers: they keep running so a
 * new instance over the same state adopts them (a kubelet restart). Idempotent.
 */
export interface Runtime extends RuntimeService, ImageService {
  close(): Promise<void>;
}
