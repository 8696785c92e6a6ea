import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import Docker from 'dockerode';
import type { ContainerInfo, ContainerInspectInfo } from 'dockerode';
import { RealClock, silentLogger, type Clock, type Logger, type TimerHandle } from '@peapod/core';
import {
  RUNTIME_CONTRACT_VERSION,
  RuntimeError,
  RuntimeReason,
  matchesLabels,
  runtimeFailedPrecondition,
  runtimeInternal,
  runtimeInvalid,
  runtimeNotFound,
  podSandboxStatsFromContainers,
  type AttachRequest,
  type Container,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerMetadata,
  type ContainerState,
  type ContainerStats,
  type ContainerStatus,
  type CpuUsage,
  type ExecRequest,
  type ExecSyncResult,
  type FilesystemUsage,
  type Image,
  type ImageFilter,
  type ImageSpec,
  type LinuxContainerResources,
  type LogEntry,
  type LogOptions,
  type MemoryUsage,
  type MountPropagation,
  type NamespaceMode,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PodSandboxMetadata,
  type PodSandboxStats,
  type PodSandboxStatus,
  type PullImageOptions,
  type Runtime,
  type RuntimeStatus,
  type StreamSession,
  type VersionInfo,
} from '@peapod/runtime';
import { cgroupCounters, type CgroupCounters } from './cgroup-counters.js';
import { engineMessage, engineStatus, fromEngine } from './errors.js';
import { readJsonLog } from './json-log.js';
import { DockerLabel, ETC_FILES, LOOPBACK_HOSTS, containerCreateOptions, jsonLabel, resolvConf, sandboxCreateOptions, userLabels } from './translate.js';

/**
 * Engine API versions this adapter speaks. It uses only fields present since 1.41 (Debian 12's
 * Docker 20.10) and still accepted by 1.47; it asks for the daemon's own version when that lies
 * in the range, else the highest it knows (newer daemons refuse versions below their minimum).
 */
export const MIN_API_VERSION = '1.41';
export const MAX_API_VERSION = '1.47';

const cmpVersion = (a: string, b: string) => {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
};

/** The version to speak with a daemon that reports `server` (its `ApiVersion`) and `serverMin`. */
export function negotiateApiVersion(server: string, serverMin = '1.12'): string {
  const chosen = cmpVersion(server, MAX_API_VERSION) > 0 ? MAX_API_VERSION : server;
  if (cmpVersion(chosen, MIN_API_VERSION) < 0 || cmpVersion(chosen, serverMin) < 0) {
    throw new RuntimeError('Unavailable', `Docker Engine API ${server} (minimum ${serverMin}) and this adapter (${MIN_API_VERSION}..${MAX_API_VERSION}) share no version`);
  }
  return chosen;
}

export interface DockerRuntimeOptions {
  /** The Engine's unix socket; `/var/run/docker.sock` by default. */
  socketPath?: string;
  /** Image of the sandbox (pause) containers; must be present (nothing pulls it). `peapod/pause:3.9` by default. */
  pauseImage?: string;
  /** Docker network of `Pod`-mode sandboxes; `none` by default (see `SandboxTranslationOptions.network`). */
  network?: string;
  /** Poll interval of followed logs. */
  pollMs?: number;
  clock?: Clock;
  logger?: Logger;
}

interface Client {
  docker: Docker;
  version: VersionInfo;
  /** `<data root>/containers` of the Engine when this host sees it (a local daemon). */
  containersDir: string | undefined;
}

const time = (t: string | undefined) => (!t || t.startsWith('0001-') ? undefined : Date.parse(t));

const PROPAGATION: Record<string, MountPropagation> = { rprivate: 'Private', private: 'Private', rslave: 'HostToContainer', slave: 'HostToContainer', rshared: 'Bidirectional', shared: 'Bidirectional' };

/** Docker's container states, as the contract names them. */
function stateOf(status: string): ContainerState {
  switch (status) {
    case 'created': return 'Created';
    case 'running': case 'paused': case 'restarting': return 'Running';
    case 'exited': case 'dead': case 'removing': return 'Exited';
    default: return 'Unknown';
  }
}

/**
 * The Docker Engine adapter. All state lives in the Engine (containers and their labels), so an
 * instance holds nothing but a connection: a new instance lists, inspects and adopts whatever an
 * earlier one created, and exits that happened meanwhile are the Engine's record.
 */
export class DockerRuntime implements Runtime {
  private readonly socketPath: string;
  private readonly pauseImage: string;
  private readonly network: string;
  private readonly pollMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private client: Promise<Client> | undefined;
  private readonly starting = new Set<string>();
  /**
   * Containers this instance created and has not finished starting. The Engine lists them
   * `created` and cannot have recorded a start error for them yet, so lists report them without
   * an inspect each (a burst of pods keeps many in this state while the kubelet relists).
   */
  private readonly unstarted = new Set<string>();

  constructor(options: DockerRuntimeOptions = {}) {
    this.socketPath = options.socketPath ?? '/var/run/docker.sock';
    this.pauseImage = options.pauseImage ?? 'peapod/pause:3.9';
    this.network = options.network ?? 'none';
    this.pollMs = options.pollMs ?? 20;
    this.clock = options.clock ?? new RealClock();
    this.logger = options.logger ?? silentLogger;
  }

  /** Connects once, negotiating the API version; a failed attempt is retried on the next call. */
  private connect(): Promise<Client> {
    this.client ??= (async () => {
      const v = await new Docker({ socketPath: this.socketPath }).version();
      const api = negotiateApiVersion(v.ApiVersion, (v as { MinAPIVersion?: string }).MinAPIVersion);
      const docker = new Docker({ socketPath: this.socketPath, version: `v${api}` });
      const root = ((await docker.info().catch(() => undefined)) as { DockerRootDir?: string } | undefined)?.DockerRootDir;
      // The Engine's container directories are where sandboxes' /etc files go; a daemon whose
      // data root this host does not see (another machine, another mount namespace, or one that
      // does not say) writes its own.
      const containersDir = root && existsSync(join(root, 'containers')) ? join(root, 'containers') : undefined;
      this.logger.debug('docker: connected', { engine: v.Version, api, containersDir });
      return {
        docker,
        version: { version: RUNTIME_CONTRACT_VERSION, runtimeName: 'docker', runtimeVersion: v.Version, runtimeApiVersion: api },
        containersDir,
      };
    })().catch((err: unknown) => {
      this.client = undefined;
      throw fromEngine(err, `Docker Engine at ${this.socketPath} is not reachable`);
    });
    return this.client;
  }

  private async docker(): Promise<Docker> {
    return (await this.connect()).docker;
  }

  // ---- versioner

  async version(): Promise<VersionInfo> {
    return (await this.connect()).version;
  }

  async status(): Promise<RuntimeStatus> {
    const features = { inPlaceResize: true, sharedVolumes: true, exec: true, attach: true, portForward: true, podIPs: this.network !== 'none' };
    try {
      await (await this.docker()).ping();
      return {
        conditions: [
          { type: 'RuntimeReady', status: true },
          this.network === 'none'
            ? { type: 'NetworkReady', status: true, reason: 'NoPodNetwork', message: 'sandboxes use --network none: each pod has its own loopback, no pod IP' }
            : { type: 'NetworkReady', status: true },
        ],
        features,
      };
    } catch (err) {
      return { conditions: [{ type: 'RuntimeReady', status: false, reason: 'DockerUnreachable', message: engineMessage(err) }, { type: 'NetworkReady', status: false }], features };
    }
  }

  // ---- sandboxes

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const { docker, containersDir } = await this.connect();
    const opts = sandboxCreateOptions(config, { pauseImage: this.pauseImage, network: this.network, writesEtcFiles: !!containersDir });
    let id: string | undefined;
    try {
      id = (await docker.createContainer(opts)).id;
      // Docker removes the sandbox's directory, and these files with it, when it removes the sandbox.
      if (opts.NetworkDisabled) await this.writeEtcFiles(join(containersDir!, id), config);
      await docker.getContainer(id).start();
      return id;
    } catch (err) {
      if (id) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
      throw fromEngine(err, `run sandbox of pod ${config.metadata.namespace}/${config.metadata.name}`, RuntimeReason.CreatePodSandboxError);
    }
  }

  /** The sandbox's /etc/hosts and /etc/resolv.conf (`ETC_FILES`), which its app containers mount. */
  private async writeEtcFiles(dir: string, config: PodSandboxConfig): Promise<void> {
    const host = config.dnsConfig ? '' : await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
    try {
      await Promise.all([
        writeFile(join(dir, ETC_FILES['/etc/hosts']), LOOPBACK_HOSTS),
        writeFile(join(dir, ETC_FILES['/etc/resolv.conf']), resolvConf(config.dnsConfig, host)),
      ]);
    } catch (err) {
      // A data root at the daemon's path that is not the daemon's (e.g. a local Docker next to a remote one).
      throw runtimeInternal(`the Engine's data root is not visible here (${dir}): ${(err as Error).message}`, RuntimeReason.CreatePodSandboxError, err);
    }
  }

  async stopPodSandbox(id: string): Promise<void> {
    const sandbox = await this.inspectKind(id, 'sandbox').catch(() => undefined);
    if (!sandbox) return;
    const members = await this.listRaw('container', { [DockerLabel.sandboxId]: sandbox.Id });
    await Promise.all([...members.map((c) => c.Id), sandbox.Id].map((cid) => this.kill(cid)));
  }

  async removePodSandbox(id: string): Promise<void> {
    const sandbox = await this.inspectKind(id, 'sandbox').catch(() => undefined);
    if (!sandbox) return;
    const members = await this.listRaw('container', { [DockerLabel.sandboxId]: sandbox.Id });
    for (const cid of [...members.map((c) => c.Id), sandbox.Id]) await this.removeContainer(cid);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const info = await this.inspectKind(id, 'sandbox');
    const ip = Object.values(info.NetworkSettings.Networks ?? {}).map((n) => n.IPAddress).filter(Boolean);
    const network = info.Config.Labels[DockerLabel.network] as NamespaceMode | undefined;
    return {
      ...this.sandboxOf(info.Id, info.Config.Labels, info.State.Running, Date.parse(info.Created)),
      ...(ip.length ? { network: { ip: ip[0], additionalIps: ip.slice(1) } } : {}),
      namespaceOptions: {
        network: network ?? 'Pod',
        ipc: info.HostConfig.IpcMode === 'host' ? 'Node' : 'Pod',
        pid: info.HostConfig.PidMode === 'host' ? 'Node' : 'Pod',
      },
    };
  }

  async listPodSandbox(filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    const raw = await this.listRaw('sandbox', filter.labelSelector, filter.id);
    return raw
      .map((c) => this.sandboxOf(c.Id, c.Labels, c.State === 'running', c.Created * 1000))
      .filter((s) => (!filter.state || s.state === filter.state) && matchesLabels(s.labels, filter.labelSelector));
  }

  private sandboxOf(id: string, labels: Record<string, string>, running: boolean, createdAt: number): PodSandbox {
    return {
      id,
      metadata: jsonLabel<PodSandboxMetadata>(labels, DockerLabel.metadata, { name: '', namespace: '', uid: '', attempt: 0 }),
      state: running ? 'Ready' : 'NotReady',
      createdAt,
      labels: userLabels(labels),
      annotations: jsonLabel(labels, DockerLabel.annotations, {}),
      runtimeHandler: '',
    };
  }

  // ---- containers

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const sandbox = await this.inspectKind(podSandboxId, 'sandbox');
    if (!sandbox.State.Running) throw runtimeFailedPrecondition(`sandbox "${podSandboxId}" is not ready`, RuntimeReason.CreateContainerError);
    const opts = containerCreateOptions(config, sandboxConfig, {
      sandboxId: sandbox.Id,
      // The sandbox's directory, as the Engine names it (its hostname file is there).
      ...((sandbox.Config as { NetworkDisabled?: boolean }).NetworkDisabled ? { etcDir: dirname(sandbox.HostnamePath) } : {}),
      readProfile: (path) => {
        try {
          return readFileSync(path, 'utf8');
        } catch (err) {
          throw runtimeInvalid(`seccomp profile ${path}: ${(err as Error).message}`, RuntimeReason.CreateContainerConfigError);
        }
      },
    });
    try {
      const { id } = await (await this.docker()).createContainer(opts);
      this.unstarted.add(id);
      return id;
    } catch (err) {
      throw fromEngine(err, `create container ${config.metadata.name}`, RuntimeReason.CreateContainerError);
    }
  }

  async startContainer(id: string): Promise<void> {
    // The Engine would restart an exited container; a start racing another one must not.
    if (this.starting.has(id)) throw runtimeFailedPrecondition(`container "${id}" is being started`);
    this.starting.add(id);
    try {
      // One this instance created and never started is known to be startable without asking.
      if (!this.unstarted.has(id)) {
        const info = await this.inspectKind(id, 'container');
        if (info.State.Status !== 'created' || info.State.Error) throw runtimeFailedPrecondition(`container "${id}" is ${info.State.Error ? 'failed' : info.State.Status}, not created`);
      }
      await (await this.docker()).getContainer(id).start();
    } catch (err) {
      // The Engine leaves the container "created" with the error recorded; status reports it Exited (StartError).
      throw fromEngine(err, `start container ${id}`, RuntimeReason.RunContainerError);
    } finally {
      this.starting.delete(id);
      this.unstarted.delete(id);
    }
  }

  async stopContainer(id: string, timeoutMs: number): Promise<void> {
    const info = await this.inspectKind(id, 'container');
    if (!info.State.Running) return;
    const signal = (info.Config as { StopSignal?: string }).StopSignal || 'SIGTERM';
    if (timeoutMs > 0) {
      await this.signal(id, signal);
      if (await this.waitStopped(id, timeoutMs)) return;
    }
    await this.kill(id);
  }

  /** SIGKILL, then waits until the Engine has recorded the exit. */
  private async kill(id: string): Promise<void> {
    await this.signal(id, 'SIGKILL');
    await this.waitStopped(id, Infinity);
  }

  /** Sends a signal; a container that is no longer running is not an error. */
  private async signal(id: string, signal: string): Promise<void> {
    try {
      await (await this.docker()).getContainer(id).kill({ signal });
    } catch (err) {
      if (engineStatus(err) === 409 || engineStatus(err) === 404) return;
      throw fromEngine(err, `signal ${signal} to container ${id}`, RuntimeReason.KillContainerError);
    }
  }

  /**
   * True once the container is no longer running, false when `timeoutMs` passed first. The Engine's
   * wait call answers at the exit itself (at once when it is not running), so nothing polls.
   */
  private async waitStopped(id: string, timeoutMs: number): Promise<boolean> {
    const docker = await this.docker();
    const abort = new AbortController();
    const timer = Number.isFinite(timeoutMs) ? this.clock.setTimeout(() => abort.abort(), timeoutMs) : undefined;
    try {
      await docker.getContainer(id).wait({ condition: 'not-running', abortSignal: abort.signal });
      return true;
    } catch (err) {
      if (abort.signal.aborted) return false;
      if (engineStatus(err) === 404) return true;
      throw fromEngine(err, `wait for container ${id}`, RuntimeReason.KillContainerError);
    } finally {
      timer?.cancel();
    }
  }

  async removeContainer(id: string): Promise<void> {
    this.unstarted.delete(id);
    try {
      await (await this.docker()).getContainer(id).remove({ force: true });
    } catch (err) {
      if (engineStatus(err) === 404) return;
      if (engineStatus(err) === 409 && /already in progress/.test(engineMessage(err))) return;
      throw fromEngine(err, `remove container ${id}`);
    }
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    const selector = { ...filter.labelSelector, ...(filter.podSandboxId ? { [DockerLabel.sandboxId]: filter.podSandboxId } : {}) };
    const raw = await this.listRaw('container', selector, filter.id);
    const out: Container[] = [];
    for (const c of raw) {
      // A container whose start failed is listed "created" by the Engine; inspect tells it apart.
      const state = c.State === 'created' && !this.unstarted.has(c.Id) ? (await this.containerStatus(c.Id).catch(() => undefined))?.state : stateOf(c.State);
      if (!state) continue;
      const item: Container = {
        id: c.Id,
        podSandboxId: c.Labels[DockerLabel.sandboxId],
        metadata: jsonLabel<ContainerMetadata>(c.Labels, DockerLabel.metadata, { name: '', attempt: 0 }),
        image: { image: c.Labels[DockerLabel.image] ?? c.Image },
        imageRef: c.ImageID,
        state,
        createdAt: c.Created * 1000,
        labels: userLabels(c.Labels),
        annotations: jsonLabel(c.Labels, DockerLabel.annotations, {}),
      };
      if ((!filter.state || item.state === filter.state) && matchesLabels(item.labels, filter.labelSelector)) out.push(item);
    }
    return out;
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const info = await this.inspectKind(id, 'container');
    const s = info.State;
    const failedStart = s.Status === 'created' && !!s.Error;
    const state = failedStart ? 'Exited' : stateOf(s.Status);
    const exited = state === 'Exited';
    const labels = info.Config.Labels;
    const hc = info.HostConfig;
    return {
      id: info.Id,
      podSandboxId: labels[DockerLabel.sandboxId],
      metadata: jsonLabel<ContainerMetadata>(labels, DockerLabel.metadata, { name: '', attempt: 0 }),
      image: { image: labels[DockerLabel.image] ?? info.Config.Image },
      imageRef: info.Image,
      state,
      createdAt: Date.parse(info.Created),
      labels: userLabels(labels),
      annotations: jsonLabel(labels, DockerLabel.annotations, {}),
      ...(time(s.StartedAt) !== undefined ? { startedAt: time(s.StartedAt) } : {}),
      ...(exited ? { finishedAt: time(s.FinishedAt) ?? Date.parse(info.Created) } : {}),
      ...(exited ? { exitCode: failedStart ? 128 : s.ExitCode } : {}),
      ...(exited ? { reason: failedStart ? 'StartError' : s.OOMKilled ? 'OOMKilled' : s.ExitCode === 0 ? 'Completed' : 'Error' } : {}),
      ...(s.Error ? { message: s.Error } : {}),
      mounts: (info.Mounts ?? []).map((m) => ({
        containerPath: m.Destination,
        hostPath: m.Source,
        readonly: !m.RW,
        ...(PROPAGATION[m.Propagation] ? { propagation: PROPAGATION[m.Propagation] } : {}),
      })),
      resources: {
        ...(hc.CpuShares ? { cpuShares: hc.CpuShares } : {}),
        ...(hc.CpuPeriod ? { cpuPeriod: hc.CpuPeriod } : {}),
        ...(hc.CpuQuota ? { cpuQuota: hc.CpuQuota } : {}),
        ...(hc.Memory ? { memoryLimitInBytes: hc.Memory } : {}),
        ...(hc.CpusetCpus ? { cpusetCpus: hc.CpusetCpus } : {}),
        ...(hc.CpusetMems ? { cpusetMems: hc.CpusetMems } : {}),
      },
    };
  }

  async updateContainerResources(id: string, r: LinuxContainerResources): Promise<void> {
    await this.inspectKind(id, 'container');
    try {
      await (await this.docker()).getContainer(id).update({
        ...(r.cpuShares !== undefined ? { CpuShares: r.cpuShares } : {}),
        ...(r.cpuPeriod !== undefined ? { CpuPeriod: r.cpuPeriod } : {}),
        ...(r.cpuQuota !== undefined ? { CpuQuota: r.cpuQuota } : {}),
        ...(r.memoryLimitInBytes ? { Memory: r.memoryLimitInBytes, MemorySwap: r.memoryLimitInBytes } : {}),
        ...(r.cpusetCpus ? { CpusetCpus: r.cpusetCpus } : {}),
        ...(r.cpusetMems ? { CpusetMems: r.cpusetMems } : {}),
      });
    } catch (err) {
      throw fromEngine(err, `update resources of container ${id}`);
    }
  }

  /** The Engine's json-file driver owns the log file; there is nothing to reopen, only the state to check. */
  async reopenContainerLog(id: string): Promise<void> {
    const info = await this.inspectKind(id, 'container');
    if (!info.State.Running) throw runtimeFailedPrecondition(`container "${id}" is not running`);
  }

  // ---- streaming

  async execSync(containerId: string, cmd: string[], timeoutMs?: number): Promise<ExecSyncResult> {
    const session = await this.exec(containerId, { cmd });
    const collect = (s: NodeJS.ReadableStream | undefined) => {
      const chunks: Buffer[] = [];
      s?.on('data', (c: Buffer) => chunks.push(c));
      return () => Buffer.concat(chunks);
    };
    const stdout = collect(session.stdout);
    const stderr = collect(session.stderr);
    const done = Promise.all([session.exited, ended(session.stdout), ended(session.stderr)]).then(([code]) => code);
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => { if (timeoutMs) timer = this.clock.setTimeout(() => resolve('timeout'), timeoutMs); });
    const outcome = await Promise.race([done, timedOut]);
    timer?.cancel();
    if (outcome === 'timeout') {
      session.close();
      throw new RuntimeError('DeadlineExceeded', `command ${JSON.stringify(cmd)} in container ${containerId} timed out after ${timeoutMs} ms`);
    }
    return { stdout: stdout(), stderr: stderr(), exitCode: outcome };
  }

  async exec(containerId: string, request: ExecRequest): Promise<StreamSession> {
    const info = await this.inspectKind(containerId, 'container');
    if (!info.State.Running) throw runtimeFailedPrecondition(`container "${containerId}" is not running`, RuntimeReason.ExecError);
    return this.execIn(info.Id, request);
  }

  /** An Engine exec in a running container (app or sandbox). */
  private async execIn(id: string, request: ExecRequest): Promise<StreamSession> {
    const docker = await this.docker();
    try {
      const exec = await docker.getContainer(id).exec({ Cmd: request.cmd, AttachStdin: !!request.stdin, AttachStdout: true, AttachStderr: true, Tty: !!request.tty });
      const stream = await exec.start({ hijack: true, stdin: !!request.stdin, Tty: !!request.tty });
      const exited = ended(stream).then(async () => (await exec.inspect()).ExitCode ?? -1);
      return this.session(docker, stream, request, exited, {
        resize: (size) => void exec.resize({ h: size.height, w: size.width }).catch(() => undefined),
        // The Engine has no call to end an exec; on a local daemon its host pid is killable.
        kill: () => void exec.inspect().then((i) => { if (i.Running && i.Pid) process.kill(i.Pid, 'SIGKILL'); }).catch(() => undefined),
      });
    } catch (err) {
      throw fromEngine(err, `exec in container ${id}`, RuntimeReason.ExecError);
    }
  }

  async attach(containerId: string, request: AttachRequest): Promise<StreamSession> {
    const info = await this.inspectKind(containerId, 'container');
    if (!info.State.Running) throw runtimeFailedPrecondition(`container "${containerId}" is not running`);
    const docker = await this.docker();
    const container = docker.getContainer(containerId);
    try {
      const stream = (await container.attach({ stream: true, stdin: !!request.stdin && info.Config.OpenStdin, stdout: true, stderr: true, hijack: true })) as Duplex;
      const exited = container.wait({ condition: 'not-running' }).then((r: { StatusCode: number }) => r.StatusCode);
      return this.session(docker, stream, { ...request, stdin: !!request.stdin && info.Config.OpenStdin, tty: info.Config.Tty }, exited, {
        resize: (size) => void container.resize({ h: size.height, w: size.width }).catch(() => undefined),
        kill: () => undefined,
      });
    } catch (err) {
      throw fromEngine(err, `attach to container ${containerId}`);
    }
  }

  /** A session over a hijacked Engine stream: demuxed into stdout/stderr unless it is a terminal. */
  private session(
    docker: Docker,
    stream: Duplex,
    request: { stdin?: boolean; tty?: boolean },
    exitCode: Promise<number>,
    control: { resize: StreamSession['resize']; kill: () => void },
  ): StreamSession {
    const stdout = new PassThrough();
    const stderr = request.tty ? undefined : new PassThrough();
    if (stderr) docker.modem.demuxStream(stream, stdout, stderr);
    else stream.pipe(stdout, { end: false });
    let closed = false;
    const finish = () => { stdout.end(); stderr?.end(); };
    stream.once('end', finish).once('close', finish).once('error', finish);
    const stdin = request.stdin ? new PassThrough() : undefined;
    // Ending stdin half-closes the hijacked connection, which the Engine passes on as EOF.
    stdin?.on('data', (c: Buffer) => stream.write(c)).once('end', () => stream.end());
    const exited = Promise.race([exitCode.catch(() => -1), new Promise<number>((resolve) => stream.once('close', () => { if (closed) resolve(-1); }))]);
    return {
      ...(stdin ? { stdin } : {}),
      stdout,
      ...(stderr ? { stderr } : {}),
      resize: control.resize,
      exited,
      close: () => {
        if (closed) return;
        closed = true;
        control.kill();
        stream.destroy();
        finish();
      },
    };
  }

  /**
   * A connection to `port` on the pod's loopback, made from inside the sandbox's network
   * namespace: `nc 127.0.0.1 <port>` exec'd in the pause container (so the pause image must
   * carry `nc`, as Peapod's busybox-based one does). Whether anything listens is read from the
   * namespace's `/proc/net/tcp{,6}` first, so a closed port is Unavailable rather than a stream
   * that ends at once.
   */
  async portForward(podSandboxId: string, port: number): Promise<NodeJS.ReadWriteStream> {
    const sandbox = await this.inspectKind(podSandboxId, 'sandbox');
    if (!sandbox.State.Running) throw runtimeFailedPrecondition(`sandbox "${podSandboxId}" is not ready`);
    const tables = await this.execIn(sandbox.Id, { cmd: ['cat', '/proc/net/tcp', '/proc/net/tcp6'] });
    const [listing] = await Promise.all([readStream(tables.stdout), tables.exited]);
    if (!listensOn(listing, port)) throw new RuntimeError('Unavailable', `nothing listens on port ${port} in sandbox "${podSandboxId}"`);
    const nc = await this.execIn(sandbox.Id, { cmd: ['nc', '127.0.0.1', String(port)], stdin: true });
    const stdin = nc.stdin!;
    const out = nc.stdout;
    const conn: Duplex = new Duplex({
      write: (chunk: Buffer, _enc, cb) => void stdin.write(chunk, () => cb()),
      final: (cb) => { stdin.end(); cb(); },
      read: () => void out.resume(),
      destroy: (err, cb) => { nc.close(); cb(err); },
    });
    out.on('data', (c: Buffer) => { if (!conn.push(c)) out.pause(); });
    out.once('end', () => conn.push(null));
    return conn;
  }

  async *readContainerLog(containerId: string, options: LogOptions = {}): AsyncIterable<LogEntry> {
    const info = await this.inspectKind(containerId, 'container');
    if (!info.LogPath) throw runtimeInternal(`container "${containerId}" has no json-file log (log driver ${info.HostConfig.LogConfig?.Type})`);
    const docker = await this.docker();
    yield* readJsonLog(info.LogPath, options, async () => !!(await docker.getContainer(containerId).inspect().catch(() => undefined))?.State.Running, this.pollMs * 2);
  }

  // ---- stats

  async containerStats(id: string): Promise<ContainerStats> {
    const info = await this.inspectKind(id, 'container');
    const usage = info.State.Running ? await this.usage(info) : {};
    return {
      id: info.Id,
      metadata: jsonLabel<ContainerMetadata>(info.Config.Labels, DockerLabel.metadata, { name: '', attempt: 0 }),
      labels: userLabels(info.Config.Labels),
      annotations: jsonLabel(info.Config.Labels, DockerLabel.annotations, {}),
      ...usage,
    };
  }

  /**
   * One-shot Engine stats (API >= 1.41 answers at once instead of sampling for a second). The
   * Engine collects nothing for a container sharing the network namespace of a sandbox that has no
   * Docker network (it looks for that sandbox's network stats and fails), so those counters are
   * read from the container's cgroup files instead (a local Engine, as `writesEtcFiles` requires).
   */
  private async usage(info: ContainerInspectInfo): Promise<{ cpu?: CpuUsage; memory?: MemoryUsage }> {
    const docker = await this.docker();
    const s = (await docker.getContainer(info.Id).stats({ stream: false, 'one-shot': true } as { stream: false })) as unknown as {
      read?: string;
      cpu_stats?: { cpu_usage?: { total_usage?: number } };
      memory_stats?: { usage?: number; stats?: Record<string, number> };
    };
    const c: CgroupCounters = time(s.read) !== undefined
      ? { cpuNs: s.cpu_stats?.cpu_usage?.total_usage, memoryUsage: s.memory_stats?.usage, memoryStat: s.memory_stats?.stats }
      : await cgroupCounters(info.State.Pid).catch(() => ({}));
    const timestamp = this.clock.now();
    const inactive = c.memoryStat?.total_inactive_file ?? c.memoryStat?.inactive_file ?? 0;
    const rss = c.memoryStat?.rss ?? c.memoryStat?.anon;
    return {
      ...(c.cpuNs !== undefined ? { cpu: { timestamp, usageCoreNanoSeconds: c.cpuNs } } : {}),
      ...(c.memoryUsage !== undefined
        ? { memory: { timestamp, usageBytes: c.memoryUsage, workingSetBytes: Math.max(0, c.memoryUsage - inactive), ...(rss !== undefined ? { rssBytes: rss } : {}) } }
        : {}),
    };
  }

  async listContainerStats(filter: ContainerFilter = {}): Promise<ContainerStats[]> {
    const cs = await this.listContainers(filter);
    return Promise.all(cs.map((c) => this.containerStats(c.id)));
  }

  /** The sum of its containers' usage (no pod-level cgroup is read). */
  async podSandboxStats(id: string): Promise<PodSandboxStats> {
    return podSandboxStatsFromContainers(this, id, () => this.clock.now());
  }

  async listPodSandboxStats(filter: PodSandboxFilter = {}): Promise<PodSandboxStats[]> {
    return Promise.all((await this.listPodSandbox(filter)).map((s) => this.podSandboxStats(s.id)));
  }

  async imageFsInfo(): Promise<FilesystemUsage[]> {
    const docker = await this.docker();
    const [info, df] = await Promise.all([docker.info() as Promise<{ DockerRootDir: string }>, docker.df() as Promise<{ LayersSize?: number }>]);
    return [{ timestamp: this.clock.now(), mountpoint: info.DockerRootDir, usedBytes: df.LayersSize ?? 0 }];
  }

  // ---- images

  async pullImage(image: ImageSpec, options: PullImageOptions = {}): Promise<string> {
    const docker = await this.docker();
    const ref = image.image;
    const auth = options.auth;
    try {
      const stream = (await docker.pull(ref, {
        ...(auth ? { authconfig: { username: auth.username, password: auth.password, auth: auth.auth, serveraddress: auth.serverAddress, identitytoken: auth.identityToken, registrytoken: auth.registryToken } } : {}),
        ...(options.signal ? { abortSignal: options.signal } : {}),
      })) as NodeJS.ReadableStream;
      const layers = new Map<string, { current: number; total: number }>();
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()), (ev: { id?: string; status?: string; error?: string; progressDetail?: { current?: number; total?: number } }) => {
          if (ev.error) return reject(Object.assign(new Error(ev.error), { statusCode: 500 }));
          if (ev.id && ev.progressDetail?.total) layers.set(ev.id, { current: ev.progressDetail.current ?? 0, total: ev.progressDetail.total });
          const done = [...layers.values()].reduce((a, l) => a + l.current, 0);
          const total = [...layers.values()].reduce((a, l) => a + l.total, 0);
          options.onProgress?.({ image: ref, ...(total ? { bytesDone: done, bytesTotal: total } : {}), ...(ev.status ? { message: ev.id ? `${ev.id}: ${ev.status}` : ev.status } : {}) });
        });
      });
      const pulled = await this.imageStatus(image);
      if (!pulled) throw new Error(`image ${ref} is absent after its pull`);
      return pulled.id;
    } catch (err) {
      const invalid = engineStatus(err) === 400 && /invalid reference|repository name must/.test(engineMessage(err));
      throw new RuntimeError(invalid ? 'InvalidArgument' : 'Unavailable', `pull ${ref}: ${engineMessage(err)}`, invalid ? RuntimeReason.InvalidImageName : RuntimeReason.ErrImagePull, { cause: err });
    }
  }

  async imageStatus(image: ImageSpec): Promise<Image | undefined> {
    const docker = await this.docker();
    try {
      const i = await docker.getImage(image.image).inspect();
      return { id: i.Id, repoTags: i.RepoTags ?? [], repoDigests: i.RepoDigests ?? [], size: i.Size, ...(i.Config?.User ? { user: i.Config.User } : {}) };
    } catch (err) {
      if (engineStatus(err) === 404) return undefined;
      throw fromEngine(err, `inspect image ${image.image}`, RuntimeReason.ImageInspectError);
    }
  }

  async listImages(filter: ImageFilter = {}): Promise<Image[]> {
    const docker = await this.docker();
    const list = await docker.listImages(filter.image ? { filters: { reference: [filter.image.image] } } : {});
    return list.map((i) => ({ id: i.Id, repoTags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'), repoDigests: (i.RepoDigests ?? []).filter((d) => !d.startsWith('<none>')), size: i.Size }));
  }

  /**
   * Refuses while a running container uses the image (FailedPrecondition); otherwise removes the
   * reference even if stopped containers still point at it (the Engine keeps their layers), which
   * is what the kubelet's image GC expects of a CRI runtime.
   */
  async removeImage(image: ImageSpec): Promise<void> {
    const present = await this.imageStatus(image);
    if (!present) return;
    const docker = await this.docker();
    const running = await docker.listContainers({ filters: { status: ['running'] } });
    if (running.some((c) => c.ImageID === present.id)) throw runtimeFailedPrecondition(`image ${image.image} is used by a running container`);
    try {
      await docker.getImage(image.image).remove({ force: true });
    } catch (err) {
      if (engineStatus(err) === 404) return;
      throw fromEngine(err, `remove image ${image.image}`);
    }
  }

  async close(): Promise<void> {
    this.client = undefined;
  }

  // ---- helpers

  /** Inspects a Peapod-created container of one kind; anything else (or nothing) is NotFound. */
  private async inspectKind(id: string, kind: 'sandbox' | 'container'): Promise<ContainerInspectInfo> {
    const docker = await this.docker();
    let info: ContainerInspectInfo;
    try {
      info = await docker.getContainer(id).inspect();
    } catch (err) {
      if (engineStatus(err) === 404) throw runtimeNotFound(kind, id);
      throw fromEngine(err, `inspect ${kind} ${id}`);
    }
    if (info.Config.Labels?.[DockerLabel.type] !== kind || (info.Id !== id && !info.Id.startsWith(id))) throw runtimeNotFound(kind, id);
    return info;
  }

  /** Peapod's containers of one kind, filtered by the Engine on labels (and exact id). */
  private async listRaw(kind: 'sandbox' | 'container', selector: Record<string, string> = {}, id?: string): Promise<ContainerInfo[]> {
    const docker = await this.docker();
    const label = [`${DockerLabel.type}=${kind}`, ...Object.entries(selector).map(([k, v]) => `${k}=${v}`)];
    try {
      const list = await docker.listContainers({ all: true, filters: { label, ...(id ? { id: [id] } : {}) } });
      return id ? list.filter((c) => c.Id === id) : list;
    } catch (err) {
      throw fromEngine(err, `list ${kind}es`);
    }
  }
}

async function readStream(s: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const c of s) out += String(c);
  return out;
}

/** Whether a `/proc/net/tcp{,6}` listing has a socket in LISTEN state (0A) on `port`. */
export function listensOn(procNetTcp: string, port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return procNetTcp.split('\n').some((line) => {
    const f = line.trim().split(/\s+/);
    return f[1]?.endsWith(`:${hex}`) && f[3] === '0A';
  });
}

/** Resolves when a stream has ended (or was never there). */
function ended(s: NodeJS.ReadableStream | undefined): Promise<void> {
  if (!s) return Promise.resolve();
  return new Promise((resolve) => {
    s.once('end', resolve);
    s.once('close', resolve);
    s.once('error', () => resolve());
  });
}

