import { Duplex, PassThrough } from 'node:stream';
import { RealClock, type Clock } from '@peapod/core';
import {
  RUNTIME_CONTRACT_VERSION,
  RuntimeError,
  RuntimeReason,
  readCriLogFile,
  runtimeFailedPrecondition,
  podSandboxStatsFromContainers,
  type AttachRequest,
  type Container,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerState,
  type ContainerStats,
  type ContainerStatus,
  type ExecRequest,
  type ExecSyncResult,
  type FilesystemUsage,
  type Image,
  type ImageFilter,
  type ImageSpec,
  type LinuxContainerResources,
  type LogEntry,
  type LogOptions,
  type MountPropagation,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PodSandboxStats,
  type PodSandboxStatus,
  type PullImageOptions,
  type Runtime,
  type RuntimeStatus,
  type StreamSession,
  type VersionInfo,
} from '@peapod/runtime';
import { CriClient, type CriService } from './cri/client.js';
import { CHANNEL, connectChannels, exitCodeOf, sessionStreams } from './cri/stream.js';
import type {
  CriContainer,
  CriContainerState,
  CriContainerStats,
  CriContainerStatus,
  CriImage,
  CriPodSandbox,
  CriPodSandboxStatus,
  CriRuntimeCondition,
} from './cri/messages.js';
import { contractNamespaceMode, type CriTranslator } from './translate.js';

export interface CriRuntimeOptions {
  /** gRPC target of the CRI endpoint, e.g. `unix:///run/containerd/containerd.sock`. */
  endpoint: string;
  translator: CriTranslator;
  /**
   * `node`: sandboxes share the node's network namespace (no CNI configured; no pod IPs, no
   * hostname); `cni`: each sandbox gets its own (the runtime's CNI config gives it an IP).
   */
  podNetwork: 'node' | 'cni';
  /** Name reported by `version()` (`containerd`, `containerd-windows`). */
  runtimeName: string;
  clock?: Clock;
  /** Poll interval of followed logs. */
  pollMs?: number;
}

const CONTAINER_STATE: Record<CriContainerState, ContainerState> = {
  CONTAINER_CREATED: 'Created',
  CONTAINER_RUNNING: 'Running',
  CONTAINER_EXITED: 'Exited',
  CONTAINER_UNKNOWN: 'Unknown',
};
const CRI_CONTAINER_STATE = Object.fromEntries(Object.entries(CONTAINER_STATE).map(([k, v]) => [v, k])) as Record<ContainerState, CriContainerState>;
const PROPAGATION: Record<string, MountPropagation> = {
  PROPAGATION_PRIVATE: 'Private',
  PROPAGATION_HOST_TO_CONTAINER: 'HostToContainer',
  PROPAGATION_BIDIRECTIONAL: 'Bidirectional',
};

/** CRI times are nanoseconds; 0 means unset. */
const ms = (ns: number) => ns / 1e6;
const optMs = (ns: number) => (ns ? ms(ns) : undefined);
/** CRI durations are whole seconds: round up so a grace period is never cut short. */
const seconds = (ms: number) => Math.ceil(ms / 1000);

/**
 * The contract over CRI runtime.v1, one call to one RPC wherever CRI has it. Everything lives in
 * the CRI runtime, so a new instance adopts what an older one created. Platform specifics (the
 * configs' `linux`/`windows` halves) come from the `CriTranslator`.
 */
export class CriRuntime implements Runtime {
  readonly client: CriClient;
  private readonly clock: Clock;
  private readonly starting = new Set<string>();

  constructor(private readonly options: CriRuntimeOptions) {
    this.client = new CriClient(options.endpoint);
    this.clock = options.clock ?? new RealClock();
  }

  private rpc<T>(method: string, request: object, opts?: { timeoutMs?: number; reason?: RuntimeReason }, service: CriService = 'RuntimeService'): Promise<T> {
    return this.client.call<T>(service, method, request, opts);
  }

  // ---- versioner

  async version(): Promise<VersionInfo> {
    const v = await this.rpc<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }>('Version', { version: 'v1' });
    return { version: RUNTIME_CONTRACT_VERSION, runtimeName: this.options.runtimeName, runtimeVersion: `${v.runtimeName} ${v.runtimeVersion}`, runtimeApiVersion: v.runtimeApiVersion };
  }

  async status(): Promise<RuntimeStatus> {
    const features = { inPlaceResize: true, sharedVolumes: true, exec: true, attach: true, portForward: true, podIPs: this.options.podNetwork === 'cni' };
    try {
      const r = await this.rpc<{ status: { conditions: CriRuntimeCondition[] } }>('Status', { verbose: false }, { timeoutMs: 10_000 });
      const conditions = r.status.conditions.map((c) => ({ type: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) }));
      // With node networking no CNI is needed: pods use the node's network, which is ready.
      if (this.options.podNetwork === 'node') {
        const others = conditions.filter((c) => c.type !== 'NetworkReady');
        others.push({ type: 'NetworkReady', status: true, reason: 'NodeNetwork', message: 'no CNI configured: pods share the node network namespace' });
        return { conditions: others, features };
      }
      return { conditions, features };
    } catch (err) {
      return { conditions: [{ type: 'RuntimeReady', status: false, reason: 'CRIUnreachable', message: (err as Error).message }], features };
    }
  }

  // ---- sandboxes

  private hostNetwork(config: PodSandboxConfig): boolean {
    return this.options.podNetwork === 'node' || config.linux?.securityContext?.namespaceOptions?.network === 'Node' || config.windows?.securityContext?.hostProcess === true;
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const r = await this.rpc<{ podSandboxId: string }>(
      'RunPodSandbox',
      { config: this.options.translator.sandboxConfig(config, this.hostNetwork(config)), runtimeHandler: config.runtimeHandler ?? '' },
      { reason: RuntimeReason.CreatePodSandboxError },
    );
    return r.podSandboxId;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.rpc('StopPodSandbox', { podSandboxId: id }, { reason: RuntimeReason.KillPodSandboxError }).catch(ignoreNotFound);
  }

  async removePodSandbox(id: string): Promise<void> {
    // containerd answers "ttrpc: closed" when a container's shim exits while it force-stops the
    // sandbox; removal is idempotent, so it is asked again, as the kubelet's next pass would.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.rpc('RemovePodSandbox', { podSandboxId: id }, { reason: RuntimeReason.KillPodSandboxError }).then(() => undefined, ignoreNotFound);
      } catch (err) {
        if (attempt === 3 || !/ttrpc: closed/.test((err as Error).message)) throw err;
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 100 * attempt));
      }
    }
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const { status: s } = await this.rpc<{ status: CriPodSandboxStatus }>('PodSandboxStatus', { podSandboxId: id, verbose: false });
    const ns = s.linux?.namespaces?.options;
    return {
      ...sandboxOf(s),
      ...(s.network?.ip ? { network: { ip: s.network.ip, additionalIps: s.network.additionalIps.map((a) => a.ip) } } : {}),
      ...(ns ? { namespaceOptions: { network: contractNamespaceMode(ns.network), pid: contractNamespaceMode(ns.pid), ipc: contractNamespaceMode(ns.ipc) } } : {}),
    };
  }

  async listPodSandbox(filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    const r = await this.rpc<{ items: CriPodSandbox[] }>('ListPodSandbox', {
      filter: {
        id: filter.id ?? '',
        ...(filter.state ? { state: { state: filter.state === 'Ready' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY' } } : {}),
        labelSelector: filter.labelSelector ?? {},
      },
    });
    return r.items.map(sandboxOf);
  }

  // ---- containers

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const sandbox = await this.podSandboxStatus(podSandboxId);
    if (sandbox.state !== 'Ready') throw runtimeFailedPrecondition(`sandbox "${podSandboxId}" is not ready`, RuntimeReason.CreateContainerError);
    const r = await this.rpc<{ containerId: string }>(
      'CreateContainer',
      {
        podSandboxId,
        config: this.options.translator.containerConfig(config, sandboxConfig, this.hostNetwork(sandboxConfig)),
        sandboxConfig: this.options.translator.sandboxConfig(sandboxConfig, this.hostNetwork(sandboxConfig)),
      },
      { reason: RuntimeReason.CreateContainerError },
    );
    return r.containerId;
  }

  async startContainer(id: string): Promise<void> {
    if (this.starting.has(id)) throw runtimeFailedPrecondition(`container "${id}" is being started`);
    this.starting.add(id);
    try {
      const s = await this.criStatus(id);
      if (s.state !== 'CONTAINER_CREATED') throw runtimeFailedPrecondition(`container "${id}" is ${CONTAINER_STATE[s.state]}, not Created`);
      await this.rpc('StartContainer', { containerId: id }, { reason: RuntimeReason.RunContainerError });
    } finally {
      this.starting.delete(id);
    }
  }

  async stopContainer(id: string, timeoutMs: number): Promise<void> {
    const s = await this.criStatus(id);
    if (s.state !== 'CONTAINER_RUNNING') return;
    await this.rpc('StopContainer', { containerId: id, timeout: seconds(timeoutMs) }, { timeoutMs: timeoutMs + 60_000, reason: RuntimeReason.KillContainerError });
  }

  async removeContainer(id: string): Promise<void> {
    await this.rpc('RemoveContainer', { containerId: id }).catch(ignoreNotFound);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    const r = await this.rpc<{ containers: CriContainer[] }>('ListContainers', {
      filter: {
        id: filter.id ?? '',
        ...(filter.state ? { state: { state: CRI_CONTAINER_STATE[filter.state] } } : {}),
        podSandboxId: filter.podSandboxId ?? '',
        labelSelector: filter.labelSelector ?? {},
      },
    });
    return r.containers.map((c) => ({
      id: c.id,
      podSandboxId: c.podSandboxId,
      metadata: c.metadata,
      image: { image: c.image.image },
      imageRef: c.imageRef,
      state: CONTAINER_STATE[c.state],
      createdAt: ms(c.createdAt),
      labels: c.labels,
      annotations: c.annotations,
    }));
  }

  private async criStatus(id: string): Promise<CriContainerStatus> {
    return (await this.rpc<{ status: CriContainerStatus }>('ContainerStatus', { containerId: id, verbose: false })).status;
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    // ContainerStatus names neither the sandbox nor the image id (its image_ref is a repo digest
    // when the image has one); the list entry has both.
    const [s, [listed]] = await Promise.all([this.criStatus(id), this.listContainers({ id })]);
    const exited = s.state === 'CONTAINER_EXITED';
    const lr = s.resources?.linux;
    return {
      id: s.id,
      podSandboxId: listed?.podSandboxId ?? '',
      metadata: s.metadata,
      image: { image: s.image.image },
      imageRef: listed?.imageRef || s.imageRef,
      state: CONTAINER_STATE[s.state],
      createdAt: ms(s.createdAt),
      labels: s.labels,
      annotations: s.annotations,
      ...(optMs(s.startedAt) !== undefined ? { startedAt: optMs(s.startedAt) } : {}),
      ...(exited ? { finishedAt: optMs(s.finishedAt) ?? ms(s.createdAt), exitCode: s.exitCode } : {}),
      ...(exited || s.reason ? { reason: s.reason || (s.exitCode === 0 ? 'Completed' : 'Error') } : {}),
      ...(s.message ? { message: s.message } : {}),
      mounts: s.mounts.map((m) => ({ containerPath: m.containerPath, hostPath: m.hostPath, readonly: m.readonly, selinuxRelabel: m.selinuxRelabel, propagation: PROPAGATION[m.propagation] ?? 'Private' })),
      ...(s.logPath ? { logPath: s.logPath } : {}),
      ...(lr ? { resources: { cpuPeriod: lr.cpuPeriod, cpuQuota: lr.cpuQuota, cpuShares: lr.cpuShares, memoryLimitInBytes: lr.memoryLimitInBytes, oomScoreAdj: lr.oomScoreAdj, cpusetCpus: lr.cpusetCpus, cpusetMems: lr.cpusetMems } } : {}),
    };
  }

  async updateContainerResources(id: string, resources: LinuxContainerResources): Promise<void> {
    await this.rpc('UpdateContainerResources', { containerId: id, ...this.options.translator.resources(resources) });
  }

  async reopenContainerLog(id: string): Promise<void> {
    const s = await this.criStatus(id);
    if (s.state !== 'CONTAINER_RUNNING') throw runtimeFailedPrecondition(`container "${id}" is not running`);
    await this.rpc('ReopenContainerLog', { containerId: id });
  }

  // ---- streaming

  async execSync(containerId: string, cmd: string[], timeoutMs?: number): Promise<ExecSyncResult> {
    const s = await this.criStatus(containerId);
    if (s.state !== 'CONTAINER_RUNNING') throw runtimeFailedPrecondition(`container "${containerId}" is not running`, RuntimeReason.ExecError);
    try {
      const r = await this.rpc<{ stdout: Buffer; stderr: Buffer; exitCode: number }>(
        'ExecSync',
        { containerId, cmd, timeout: timeoutMs ? seconds(timeoutMs) : 0 },
        { ...(timeoutMs ? { timeoutMs: timeoutMs + 5000 } : {}), reason: RuntimeReason.ExecError },
      );
      return { stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr), exitCode: r.exitCode };
    } catch (err) {
      if (err instanceof RuntimeError && /timeout|deadline/i.test(err.message)) throw new RuntimeError('DeadlineExceeded', err.message, RuntimeReason.ExecError, { cause: err });
      throw err;
    }
  }

  /** CRI Exec, then a session with the streaming server at the URL it returns. */
  async exec(containerId: string, request: ExecRequest): Promise<StreamSession> {
    const s = await this.criStatus(containerId);
    if (s.state !== 'CONTAINER_RUNNING') throw runtimeFailedPrecondition(`container "${containerId}" is not running`, RuntimeReason.ExecError);
    const tty = !!request.tty;
    // containerd (1.6) copies a terminal's output only while stdin is attached, so a tty always asks for it.
    const { url } = await this.rpc<{ url: string }>('Exec', { containerId, cmd: request.cmd, tty, stdin: !!request.stdin || tty, stdout: true, stderr: !tty }, { reason: RuntimeReason.ExecError });
    return this.session(url, request, async (status) => (status === undefined ? -1 : exitCodeOf(status)));
  }

  /** CRI Attach; the exit code is the container's, read once the stream ended. */
  async attach(containerId: string, request: AttachRequest): Promise<StreamSession> {
    const s = await this.criStatus(containerId);
    if (s.state !== 'CONTAINER_RUNNING') throw runtimeFailedPrecondition(`container "${containerId}" is not running`);
    const tty = !!request.tty;
    const { url } = await this.rpc<{ url: string }>('Attach', { containerId, tty, stdin: !!request.stdin || tty, stdout: true, stderr: !tty });
    return this.session(url, request, async () => {
      for (;;) {
        const st = await this.criStatus(containerId).catch(() => undefined);
        if (!st) return -1;
        if (st.state === 'CONTAINER_EXITED') return st.exitCode;
        await this.clock.sleep(this.options.pollMs ?? 50);
      }
    });
  }

  private async session(url: string, request: { stdin?: boolean; tty?: boolean }, exitCode: (status: string | undefined) => Promise<number>): Promise<StreamSession> {
    const conn = await connectChannels(url);
    const { stdout, stderr, status } = sessionStreams(conn, !!request.tty);
    let closed = false;
    const stdin = request.stdin ? new PassThrough() : undefined;
    stdin?.on('data', (c: Buffer) => conn.send(CHANNEL.stdin, c)).once('end', () => conn.close());
    return {
      ...(stdin ? { stdin } : {}),
      stdout,
      ...(stderr ? { stderr } : {}),
      resize: (size) => conn.send(CHANNEL.resize, Buffer.from(JSON.stringify({ Width: size.width, Height: size.height }))),
      exited: status.then((st) => (closed ? -1 : exitCode(st))),
      close: () => {
        closed = true;
        conn.close();
      },
    };
  }

  /**
   * CRI PortForward, then the streaming server's WebSocket port-forward protocol for one port:
   * channel 0 carries the data, channel 1 errors, each opening with the port number (2 bytes).
   * The runtime connects to the port only once the session is open, so a port nobody listens on
   * surfaces as an `Unavailable` error on the returned stream rather than as a rejection.
   */
  async portForward(podSandboxId: string, port: number): Promise<NodeJS.ReadWriteStream> {
    const sandbox = await this.podSandboxStatus(podSandboxId);
    if (sandbox.state !== 'Ready') throw runtimeFailedPrecondition(`sandbox "${podSandboxId}" is not ready`);
    const { url } = await this.rpc<{ url: string }>('PortForward', { podSandboxId, port: [port] });
    const conn = await connectChannels(`${url}${url.includes('?') ? '&' : '?'}port=${port}`);
    const seen = new Set<number>();
    const stream: Duplex = new Duplex({
      write: (chunk: Buffer, _enc, cb) => { conn.send(0, chunk); cb(); },
      // v4 cannot half-close: the connection closes once the other side is done too.
      final: (cb) => cb(),
      read: () => undefined,
      destroy: (err, cb) => { conn.close(); cb(err); },
    });
    conn.onMessage((channel, data) => {
      if (!seen.has(channel)) {
        seen.add(channel); // the port number each channel opens with
        return;
      }
      if (channel === 0) stream.push(data);
      else if (channel === 1 && data.length) stream.destroy(new RuntimeError('Unavailable', `port-forward to port ${port} of sandbox "${podSandboxId}": ${data.toString('utf8')}`));
    });
    void conn.closed.then(() => stream.push(null));
    return stream;
  }

  /** The CRI log file the runtime writes (`ContainerStatus.log_path`), followed until the container exits. */
  async *readContainerLog(containerId: string, options: LogOptions = {}): AsyncIterable<LogEntry> {
    const s = await this.criStatus(containerId);
    let exited = s.state === 'CONTAINER_EXITED';
    const poll = options.follow && !exited
      ? this.clock.setInterval(() => {
        void this.criStatus(containerId).then((x) => { exited = x.state !== 'CONTAINER_RUNNING'; }, () => { exited = true; });
      }, (this.options.pollMs ?? 50) * 2)
      : undefined;
    try {
      yield* readCriLogFile(s.logPath, options, { done: () => exited, pollMs: this.options.pollMs ?? 50 });
    } finally {
      poll?.cancel();
    }
  }

  // ---- stats

  async containerStats(id: string): Promise<ContainerStats> {
    return statsOf((await this.rpc<{ stats: CriContainerStats }>('ContainerStats', { containerId: id })).stats);
  }

  async listContainerStats(filter: ContainerFilter = {}): Promise<ContainerStats[]> {
    const r = await this.rpc<{ stats: CriContainerStats[] }>('ListContainerStats', {
      filter: { id: filter.id ?? '', podSandboxId: filter.podSandboxId ?? '', labelSelector: filter.labelSelector ?? {} },
    });
    return r.stats.map(statsOf);
  }

  /** Sums its containers' usage (CRI's PodSandboxStats is optional in runtimes of containerd 1.6's age). */
  async podSandboxStats(id: string): Promise<PodSandboxStats> {
    return podSandboxStatsFromContainers(this, id, () => this.clock.now());
  }

  async listPodSandboxStats(filter: PodSandboxFilter = {}): Promise<PodSandboxStats[]> {
    return Promise.all((await this.listPodSandbox(filter)).map((s) => this.podSandboxStats(s.id)));
  }

  async imageFsInfo(): Promise<FilesystemUsage[]> {
    const r = await this.rpc<{ imageFilesystems: { timestamp: number; fsId: { mountpoint: string }; usedBytes?: { value: number } | null; inodesUsed?: { value: number } | null }[] }>('ImageFsInfo', {}, undefined, 'ImageService');
    return r.imageFilesystems.map((f) => ({ timestamp: ms(f.timestamp), mountpoint: f.fsId.mountpoint, usedBytes: f.usedBytes?.value ?? 0, ...(f.inodesUsed ? { inodesUsed: f.inodesUsed.value } : {}) }));
  }

  // ---- images

  /** CRI's PullImage reports no progress: the callback hears the start and the end. */
  async pullImage(image: ImageSpec, options: PullImageOptions = {}): Promise<string> {
    options.onProgress?.({ image: image.image, message: 'pulling' });
    const a = options.auth;
    try {
      const r = await this.rpc<{ imageRef: string }>(
        'PullImage',
        {
          image: { image: image.image, annotations: image.annotations ?? {} },
          ...(a ? { auth: { username: a.username ?? '', password: a.password ?? '', auth: a.auth ?? '', serverAddress: a.serverAddress ?? '', identityToken: a.identityToken ?? '', registryToken: a.registryToken ?? '' } } : {}),
          ...(options.sandboxConfig ? { sandboxConfig: this.options.translator.sandboxConfig(options.sandboxConfig, this.hostNetwork(options.sandboxConfig)) } : {}),
        },
        { reason: RuntimeReason.ErrImagePull },
        'ImageService',
      );
      options.onProgress?.({ image: image.image, message: `pulled ${r.imageRef}` });
      return r.imageRef;
    } catch (err) {
      const e = err as RuntimeError;
      const invalid = /invalid reference|failed to parse image reference/i.test(e.message);
      throw new RuntimeError(invalid ? 'InvalidArgument' : e.code, e.message, invalid ? RuntimeReason.InvalidImageName : RuntimeReason.ErrImagePull, { cause: err });
    }
  }

  async imageStatus(image: ImageSpec): Promise<Image | undefined> {
    const r = await this.rpc<{ image?: CriImage | null }>('ImageStatus', { image: { image: image.image }, verbose: false }, { reason: RuntimeReason.ImageInspectError }, 'ImageService');
    return r.image?.id ? imageOf(r.image) : undefined;
  }

  async listImages(filter: ImageFilter = {}): Promise<Image[]> {
    const r = await this.rpc<{ images: CriImage[] }>('ListImages', { filter: filter.image ? { image: { image: filter.image.image } } : {} }, undefined, 'ImageService');
    return r.images.map(imageOf);
  }

  /**
   * Refuses while a running container uses the image (CRI's RemoveImage does not check), then
   * removes it: containerd drops every reference to the image id, not only the one named.
   */
  async removeImage(image: ImageSpec): Promise<void> {
    const present = await this.imageStatus(image);
    if (!present) return;
    if ((await this.listContainers({ state: 'Running' })).some((c) => c.imageRef === present.id)) {
      throw runtimeFailedPrecondition(`image ${image.image} is used by a running container`);
    }
    await this.rpc('RemoveImage', { image: { image: image.image } }, undefined, 'ImageService').catch(ignoreNotFound);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

function ignoreNotFound(err: unknown): void {
  if (err instanceof RuntimeError && err.code === 'NotFound') return;
  throw err;
}

function sandboxOf(s: CriPodSandbox): PodSandbox {
  return {
    id: s.id,
    metadata: s.metadata,
    state: s.state === 'SANDBOX_READY' ? 'Ready' : 'NotReady',
    createdAt: ms(s.createdAt),
    labels: s.labels,
    annotations: s.annotations,
    runtimeHandler: s.runtimeHandler,
  };
}

function imageOf(i: CriImage): Image {
  const user = i.username || (i.uid ? String(i.uid.value) : undefined);
  return { id: i.id, repoTags: i.repoTags, repoDigests: i.repoDigests, size: i.size, ...(user ? { user } : {}), pinned: i.pinned };
}

function statsOf(s: CriContainerStats): ContainerStats {
  return {
    id: s.attributes.id,
    metadata: s.attributes.metadata,
    labels: s.attributes.labels,
    annotations: s.attributes.annotations,
    ...(s.cpu?.usageCoreNanoSeconds ? { cpu: { timestamp: ms(s.cpu.timestamp), usageCoreNanoSeconds: s.cpu.usageCoreNanoSeconds.value, ...(s.cpu.usageNanoCores ? { usageNanoCores: s.cpu.usageNanoCores.value } : {}) } } : {}),
    ...(s.memory?.workingSetBytes
      ? { memory: { timestamp: ms(s.memory.timestamp), workingSetBytes: s.memory.workingSetBytes.value, ...(s.memory.rssBytes ? { rssBytes: s.memory.rssBytes.value } : {}), ...(s.memory.usageBytes ? { usageBytes: s.memory.usageBytes.value } : {}) } }
      : {}),
  };
}
