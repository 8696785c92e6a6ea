import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { accessSync, chmodSync, closeSync, constants, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { connect } from 'node:net';
import { constants as osConstants } from 'node:os';
import { isAbsolute, join, posix } from 'node:path';
import { PassThrough } from 'node:stream';
import { RealClock, silentLogger, type Clock, type Logger, type TimerHandle } from '@peapod/core';
import {
  RUNTIME_CONTRACT_VERSION,
  RuntimeError,
  RuntimeReason,
  readCriLogFile,
  renderLogEntry,
  runtimeFailedPrecondition,
  runtimeInternal,
  runtimeInvalid,
  runtimeNotFound,
  runtimeUnimplemented,
  selectContainers,
  selectPodSandboxes,
  sumPodSandboxStats,
  type AttachRequest,
  type Container,
  type ContainerConfig,
  type ContainerFilter,
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
import { ContainerLog } from './container-log.js';
import { homeOf, setprivArgs, unknownCapabilities } from './identity.js';
import { IpPool } from './ip-pool.js';
import { invalidMountPath, sandboxArgs } from './layout.js';
import { childrenOf, isSameProcess, processStartTime, processUsage, signal } from './proc.js';

export interface ProcessRuntimeOptions {
  /** Where sandboxes, containers and raw output live; a new instance over it adopts what it finds. */
  stateDir: string;
  clock?: Clock;
  logger?: Logger;
  /** The bubblewrap binary; `false` runs containers unsandboxed (and refuses volumes). Default: found on PATH. */
  bwrap?: string | false;
  /** The nsenter binary used for exec into sandboxed containers. Default: found on PATH. */
  nsenter?: string;
  /** Pods get IPs in 127.<podIpOctet>.0.0/16; derived from `stateDir` by default. */
  podIpOctet?: number;
  /** How often a container started by an earlier instance is checked for its exit (ms). */
  adoptedPollMs?: number;
}

interface SandboxRecord {
  status: PodSandboxStatus;
  config: PodSandboxConfig;
}

/** Identity of a container's processes: `pid` is what this runtime spawned; `childPid` the container's PID 1 under bwrap. */
interface ProcessIdentity {
  pid: number;
  pidStart: number;
  childPid?: number;
}

interface ContainerRecord {
  status: ContainerStatus;
  config: ContainerConfig;
  hostname: string;
  /** Environment the process got, kept for exec. */
  env: Record<string, string>;
  proc?: ProcessIdentity;
}

interface LiveContainer {
  rec: ContainerRecord;
  dir: string;
  log: ContainerLog;
  child?: ChildProcess;
  /** A start is under way (a second concurrent start must fail, as for a started container). */
  starting?: boolean;
  /** The writing end of the container's stdin FIFO (containers created with `stdin`), held by this instance. */
  stdin?: NodeJS.WritableStream;
  waiters: Set<() => void>;
  /** `setpriv`'s arguments for the container's identity, worked out at its first start or exec (they read /etc/passwd). */
  identity?: string[];
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const VERSION: VersionInfo = { version: RUNTIME_CONTRACT_VERSION, runtimeName: 'process', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' };

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? DEFAULT_PATH).split(':')) {
    const p = join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(value));
  renameSync(`${path}.tmp`, path);
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** A process's exit code as a shell reports it: its code, or 128 + the number of the signal that killed it. */
const exitCodeOf = (code: number | null, sig: NodeJS.Signals | null): number => code ?? 128 + (sig ? osConstants.signals[sig] : 0);

/** The last non-empty line of a small text file (bwrap's complaint when a sandbox cannot be set up). */
function lastLine(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').at(-1) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The embedded default runtime: every container is a host process; with bubblewrap, each one
 * runs in its own mount, UTS, IPC and PID namespaces over a read-only view of the host root (see
 * layout.ts), with the pod's volumes bound at their mount paths. There is no network namespace:
 * a pod's processes share the host's loopback, and its IP is an address of 127.0.0.0/8 (so
 * containers of one pod reach each other on localhost, as in Kubernetes, and so do other pods).
 *
 * A sandbox is state, not a process: its directory (the shared /dev/shm), its IP and its
 * hostname, which every container of the pod gets. Containers survive the runtime instance
 * (they are spawned detached and never tied to this process), so a new instance over the same
 * `stateDir` adopts them: it checks each recorded pid is still the same process (pid plus start
 * time), resumes copying its output, and learns exit codes of containers that ended meanwhile
 * from bwrap's status file.
 */
export class ProcessRuntime implements Runtime {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly bwrap: string | undefined;
  private readonly nsenter: string | undefined;
  /** Runs each container's command as its user, groups and capabilities (`setprivArgs`); only root may switch to them. */
  private readonly setpriv = process.getuid?.() === 0 ? which('setpriv') : undefined;
  private readonly ips: IpPool;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, LiveContainer>();
  private readonly images = new Map<string, Image>();
  private readonly ready: Promise<void>;
  private poller: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly options: ProcessRuntimeOptions) {
    this.clock = options.clock ?? new RealClock();
    this.logger = options.logger ?? silentLogger;
    this.bwrap = options.bwrap === false ? undefined : (options.bwrap ?? which('bwrap'));
    this.nsenter = options.nsenter ?? which('nsenter');
    this.ips = options.podIpOctet !== undefined ? new IpPool(options.podIpOctet) : IpPool.forStateDir(options.stateDir);
    this.ready = Promise.resolve().then(() => this.load()).catch((err: unknown) => {
      throw runtimeInternal(`process runtime cannot use state directory ${options.stateDir}: ${err instanceof Error ? err.message : String(err)}`, undefined, err);
    });
  }

  private get dirs() {
    const root = this.options.stateDir;
    return { sandboxes: join(root, 'sandboxes'), containers: join(root, 'containers'), images: join(root, 'images.json') };
  }

  /** Reads the state directory: sandboxes (claiming their IPs), images, and containers (adopting live ones). */
  private load(): void {
    const d = this.dirs;
    mkdirSync(d.sandboxes, { recursive: true });
    mkdirSync(d.containers, { recursive: true });
    for (const id of readdirSync(d.sandboxes)) {
      const rec = readJson<SandboxRecord>(join(d.sandboxes, id, 'sandbox.json'));
      if (!rec) continue;
      this.sandboxes.set(id, rec);
      if (rec.status.network) this.ips.claim(rec.status.network.ip);
    }
    for (const img of readJson<Image[]>(d.images) ?? []) for (const tag of img.repoTags) this.images.set(tag, img);
    for (const id of readdirSync(d.containers)) {
      const dir = join(d.containers, id);
      const rec = readJson<ContainerRecord>(join(dir, 'container.json'));
      if (!rec) continue;
      const live: LiveContainer = { rec, dir, log: new ContainerLog(dir, this.absLogPath(rec), () => this.clock.now()), waiters: new Set() };
      this.containers.set(id, live);
      if (rec.status.state === 'Running') {
        live.log.watch();
        if (rec.config.stdin && !rec.config.stdinOnce && existsSync(join(dir, 'stdin'))) {
          live.stdin = createWriteStream('', { fd: openSync(join(dir, 'stdin'), constants.O_RDWR) }).on('error', () => undefined);
        }
        this.checkAdopted(live);
      } else if (rec.status.state === 'Exited') live.log.finish();
    }
    this.logger.debug('process runtime loaded state', { sandboxes: this.sandboxes.size, containers: this.containers.size });
  }

  private absLogPath(rec: ContainerRecord): string {
    const sb = this.sandboxes.get(rec.status.podSandboxId);
    return isAbsolute(rec.config.logPath) || !sb ? rec.config.logPath : join(sb.config.logDirectory, rec.config.logPath);
  }

  private async enter(): Promise<void> {
    if (this.closed) throw new RuntimeError('Unavailable', 'process runtime instance is closed');
    await this.ready;
  }

  async version(): Promise<VersionInfo> {
    await this.enter();
    return VERSION;
  }

  async status(): Promise<RuntimeStatus> {
    await this.enter();
    return {
      conditions: [
        { type: 'RuntimeReady', status: true, ...(this.bwrap ? {} : { reason: 'NoSandbox', message: 'bwrap not found: containers run unsandboxed and pods with volumes are refused' }) },
        { type: 'NetworkReady', status: true },
      ],
      features: { inPlaceResize: false, sharedVolumes: !!this.bwrap, exec: true, attach: true, portForward: true, podIPs: true },
    };
  }

  // --- sandboxes -------------------------------------------------------------------------

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    await this.enter();
    const id = randomUUID().replaceAll('-', '');
    const dir = join(this.dirs.sandboxes, id);
    mkdirSync(join(dir, 'shm'), { recursive: true });
    // Like a container's /dev/shm tmpfs: every user of the pod may write, and remove only its own files.
    chmodSync(join(dir, 'shm'), 0o1777);
    mkdirSync(config.logDirectory, { recursive: true });
    const ip = this.ips.allocate();
    const rec: SandboxRecord = {
      config,
      status: {
        id,
        metadata: { ...config.metadata },
        state: 'Ready',
        createdAt: this.clock.now(),
        labels: { ...config.labels },
        annotations: { ...config.annotations },
        runtimeHandler: config.runtimeHandler ?? '',
        network: { ip, additionalIps: [] },
        // what is actually done: no network namespace; per-container PID and IPC namespaces under bwrap
        namespaceOptions: this.bwrap ? { network: 'Node', pid: 'Container', ipc: 'Container' } : { network: 'Node', pid: 'Node', ipc: 'Node' },
      },
    };
    writeJson(join(dir, 'sandbox.json'), rec);
    this.sandboxes.set(id, rec);
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.enter();
    const sb = this.sandboxes.get(id);
    if (!sb) return;
    await Promise.all([...this.containers.values()].filter((c) => c.rec.status.podSandboxId === id).map((c) => this.stop(c, 0)));
    if (sb.status.network) this.ips.release(sb.status.network.ip);
    sb.status.state = 'NotReady';
    delete sb.status.network;
    writeJson(join(this.dirs.sandboxes, id, 'sandbox.json'), sb);
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.enter();
    await Promise.all([...this.containers.values()].filter((c) => c.rec.status.podSandboxId === id).map((c) => this.remove(c)));
    const sb = this.sandboxes.get(id);
    if (sb?.status.network) this.ips.release(sb.status.network.ip);
    this.sandboxes.delete(id);
    rmSync(join(this.dirs.sandboxes, id), { recursive: true, force: true });
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    await this.enter();
    return structuredClone(this.sandbox(id).status);
  }

  async listPodSandbox(filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    await this.enter();
    return selectPodSandboxes([...this.sandboxes.values()].map((s) => s.status), filter);
  }


  private sandbox(id: string): SandboxRecord {
    const sb = this.sandboxes.get(id);
    if (!sb) throw runtimeNotFound('sandbox', id);
    return sb;
  }

  // --- containers ------------------------------------------------------------------------

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    await this.enter();
    const sb = this.sandbox(podSandboxId);
    if (sb.status.state !== 'Ready') throw runtimeFailedPrecondition(`sandbox "${podSandboxId}" is not ready`, RuntimeReason.CreateContainerError);
    const configError = (msg: string) => runtimeInvalid(msg, RuntimeReason.CreateContainerConfigError);
    if (config.command.length === 0 && config.args.length === 0) {
      throw configError(`container "${config.metadata.name}": the process runtime cannot use image "${config.image.image}"'s entrypoint; set command`);
    }
    if (config.mounts.length > 0 && !this.bwrap) {
      throw configError(`container "${config.metadata.name}" mounts volumes, which the process runtime refuses without a sandboxing tool (bwrap not found): it would have to write to host paths`);
    }
    const unknown = unknownCapabilities(config.linux?.securityContext);
    if (unknown.length) throw runtimeInvalid(`container "${config.metadata.name}": unknown capability ${unknown.map((c) => `"${c}"`).join(', ')}`, RuntimeReason.CreateContainerError);
    for (const m of config.mounts) {
      const bad = invalidMountPath(m.containerPath);
      if (bad) throw configError(bad);
      if (!existsSync(m.hostPath)) throw configError(`host path "${m.hostPath}" for mount "${m.containerPath}" does not exist`);
    }
    const hostname = sandboxConfig.hostname ?? sb.config.hostname ?? sb.config.metadata.name;
    const env: Record<string, string> = { PATH: DEFAULT_PATH, HOSTNAME: hostname, HOME: homeOf(config.linux?.securityContext) };
    for (const e of config.envs) env[e.key] = e.value;
    const id = randomUUID().replaceAll('-', '');
    const dir = join(this.dirs.containers, id);
    mkdirSync(dir, { recursive: true });
    const message = this.unhonoured(config);
    const rec: ContainerRecord = {
      config,
      hostname,
      env,
      status: {
        id,
        podSandboxId,
        metadata: { ...config.metadata },
        image: { ...config.image },
        imageRef: this.images.get(config.image.image)?.id ?? imageId(config.image.image),
        state: 'Created',
        createdAt: this.clock.now(),
        labels: { ...config.labels },
        annotations: { ...config.annotations },
        mounts: config.mounts.map((m) => ({ ...m })),
        ...(message ? { message } : {}),
        ...(config.linux?.resources ? { resources: { ...config.linux.resources } } : {}),
      },
    };
    rec.status.logPath = isAbsolute(config.logPath) ? config.logPath : join(sb.config.logDirectory, config.logPath);
    if (config.stdin) {
      const made = spawnSync('mkfifo', [join(dir, 'stdin')]);
      if (made.status !== 0) throw runtimeInternal(`cannot create the stdin pipe: ${made.stderr?.toString().trim() || made.error?.message}`, RuntimeReason.CreateContainerError);
    }
    writeJson(join(dir, 'container.json'), rec);
    this.containers.set(id, { rec, dir, log: new ContainerLog(dir, rec.status.logPath, () => this.clock.now()), waiters: new Set() });
    return id;
  }

  /** The fields this runtime cannot honour, said in the container's status message instead of pretended. */
  private unhonoured(config: ContainerConfig): string | undefined {
    const sc = config.linux?.securityContext;
    const r = config.linux?.resources;
    const notes = [`image content (runs host binaries on a read-only host root, not image "${config.image.image}")`];
    if (!this.bwrap) notes.push('isolation (bwrap not found: no own hostname, /tmp or PID namespace)');
    if (r && (r.memoryLimitInBytes || r.cpuQuota || r.cpuShares)) notes.push('resource limits');
    if (!this.setpriv) notes.push('runAsUser/runAsGroup/supplementalGroups and capabilities (the runtime is not root or has no setpriv: runs as its own user)');
    if (sc?.seccomp && sc.seccomp.profileType !== 'Unconfined') notes.push('seccomp');
    if (sc?.apparmorProfile) notes.push('AppArmor');
    if (config.devices?.length) notes.push('devices');
    if (config.mounts.some((m) => m.propagation && m.propagation !== 'Private')) notes.push('mount propagation');
    if (config.tty) notes.push('tty (no pseudo-terminal; stdin and output are pipes)');
    if (sc?.namespaceOptions?.pid === 'Pod') notes.push('shareProcessNamespace (each container has its own PID namespace)');
    return `process runtime does not honour: ${notes.join('; ')}`;
  }

  async startContainer(id: string): Promise<void> {
    await this.enter();
    const live = this.container(id);
    const rec = live.rec;
    if (rec.status.state !== 'Created' || live.starting) throw runtimeFailedPrecondition(`container "${id}" is ${live.starting ? 'starting' : rec.status.state}, not Created`, RuntimeReason.RunContainerError);
    live.starting = true;
    try {
      await this.start(live);
    } finally {
      live.starting = false;
    }
  }

  private async start(live: LiveContainer): Promise<void> {
    const rec = live.rec;
    const sb = this.sandbox(rec.status.podSandboxId);
    const command = [...rec.config.command, ...rec.config.args];
    const missing = this.resolveExecutable(command[0], rec);
    if (missing) this.failStart(live, missing);
    const argv = this.asContainerUser(live, command);

    const stdin = rec.config.stdin ? this.openStdin(live) : 'ignore';
    const out = openSync(live.log.rawPath('stdout'), 'a');
    const err = openSync(live.log.rawPath('stderr'), 'a');
    const statusFile = join(live.dir, 'bwrap-status.json');
    const statusFd = this.bwrap ? openSync(statusFile, 'w') : undefined;
    const pidNsFd = this.bwrap ? this.targetPidNamespace(live) : undefined;
    const pidMode = rec.config.linux?.securityContext?.namespaceOptions?.pid;
    let child: ChildProcess;
    try {
      child = this.bwrap
        ? spawn(
            this.bwrap,
            [
              '--info-fd', '3', '--json-status-fd', '4',
              ...sandboxArgs({
                mounts: rec.config.mounts, workingDir: rec.config.workingDir, hostname: rec.hostname, shmDir: join(this.dirs.sandboxes, sb.status.id, 'shm'),
                pid: pidNsFd !== undefined ? { fd: 5 } : pidMode === 'Node' ? 'Node' : 'Container',
              }),
              '--', ...argv,
            ],
            { detached: true, stdio: [stdin, out, err, 'pipe', statusFd!, ...(pidNsFd !== undefined ? [pidNsFd] : [])], env: rec.env },
          )
        : spawn(argv[0], argv.slice(1), { detached: true, stdio: [stdin, out, err], env: rec.env, cwd: rec.config.workingDir || '/' });
    } finally {
      if (typeof stdin === 'number') closeSync(stdin);
      closeSync(out);
      closeSync(err);
      if (statusFd !== undefined) closeSync(statusFd);
      if (pidNsFd !== undefined) closeSync(pidNsFd);
    }
    live.log.watch();
    const started = await this.awaitStart(child, live.log.rawPath('stderr'));
    if ('error' in started) {
      const detail = lastLine(live.log.rawPath('stderr'));
      live.log.finish();
      this.failStart(live, detail ? `${started.error}: ${detail}` : started.error);
    }
    child.unref();
    live.child = child;
    rec.proc = { pid: child.pid!, pidStart: processStartTime(child.pid!) ?? 0, ...(started.childPid ? { childPid: started.childPid } : {}) };
    Object.assign(rec.status, { state: 'Running', startedAt: this.clock.now() });
    this.save(live);
    child.once('exit', (code, sig) => this.exited(live, exitCodeOf(code, sig), this.clock.now()));
    if (child.exitCode !== null || child.signalCode !== null) this.exited(live, exitCodeOf(child.exitCode, child.signalCode), this.clock.now());
  }

  /**
   * The container's stdin is a FIFO in its state directory. This instance holds the writing end
   * (opened read-write, so opening never blocks and writes never meet a closed pipe) and the
   * container gets a read-only descriptor: when the writer closes (after the first attach with
   * `stdinOnce`, or when the process running the runtime exits) the container reads end-of-file.
   * `close()` keeps it open, and a new instance opens its own writer for containers it adopts.
   * Returns the container's descriptor.
   */
  private openStdin(live: LiveContainer): number {
    const fifo = join(live.dir, 'stdin');
    live.stdin = createWriteStream('', { fd: openSync(fifo, constants.O_RDWR) });
    live.stdin.on('error', () => undefined);
    return openSync(fifo, constants.O_RDONLY);
  }

  /**
   * Resolves once the command runs, or with why it could not start (the caller adds bwrap's own
   * complaint from the container's stderr).
   */
  private awaitStart(child: ChildProcess, stderrPath: string): Promise<{ childPid?: number } | { error: string }> {
    return new Promise((resolve) => {
      child.once('error', (e) => resolve({ error: e.message }));
      if (!this.bwrap) {
        child.once('spawn', () => resolve({}));
        return;
      }
      // bwrap writes its child's pid (then namespace ids) to the info fd and closes it, or dies
      // before cloning; either way the pipe ends. Reading to the end also spares bwrap a SIGPIPE.
      let info = '';
      const pipe = child.stdio[3]!;
      pipe.on('data', (d: Buffer) => { info += d.toString(); });
      pipe.on('error', () => undefined);
      pipe.once('end', () => {
        const m = /"child-pid":\s*(\d+)/.exec(info);
        if (!m) return resolve({ error: 'sandbox setup failed' });
        void this.awaitExec(Number(m[1]), stderrPath).then(resolve);
      });
    });
  }

  /**
   * bwrap reports its child's pid before the child has set up the mounts and exec'd the command;
   * the container counts as started (exec and hooks may run in it) once the child's executable is
   * no longer bwrap. A child that died first either ran and ended quickly, or failed its setup,
   * in which case bwrap's last words ("bwrap: Can't ...") are on stderr.
   */
  private async awaitExec(childPid: number, stderrPath: string): Promise<{ childPid: number } | { error: string }> {
    const bwrapExe = realpathSync(this.bwrap!);
    for (let i = 0; i < 5000; i++) {
      let exe: string;
      try {
        exe = readlinkSync(`/proc/${childPid}/exe`);
      } catch {
        return lastLine(stderrPath)?.startsWith('bwrap: ') ? { error: 'sandbox setup failed' } : { childPid };
      }
      if (exe !== bwrapExe) return { childPid };
      await new Promise((r) => setTimeout(r, i < 20 ? 0 : 1));
    }
    signal(childPid, 'SIGKILL'); // stuck in setup: do not leave it behind
    return { error: 'sandbox setup did not finish within 5s' };
  }

  /** Marks a container that could not start as Exited with StartError (as runc-based runtimes report it) and throws. */
  /**
   * For a container whose PID namespace is `Target` (an ephemeral container with
   * `targetContainerName`): a descriptor of the target's PID namespace, which bwrap joins, so the
   * container sees and can signal the target's processes. Fails the start when the target does
   * not run, as runc cannot join the namespace of a process that is gone.
   */
  private targetPidNamespace(live: LiveContainer): number | undefined {
    const ns = live.rec.config.linux?.securityContext?.namespaceOptions;
    if (ns?.pid !== 'Target') return undefined;
    const target = this.containers.get(ns.targetId ?? '');
    const pid = target && this.target(target);
    if (pid === undefined) this.failStart(live, `target container "${ns.targetId ?? ''}" is not running: cannot join its PID namespace`);
    try {
      return openSync(`/proc/${pid}/ns/pid`, 'r');
    } catch (e) {
      return this.failStart(live, `cannot join the PID namespace of target container "${ns.targetId}": ${(e as Error).message}`);
    }
  }

  /** Whether the container's process is PID 1 of a namespace of its own, so that killing it kills everything in the container. */
  private ownsPidNamespace(live: LiveContainer): boolean {
    const pid = live.rec.config.linux?.securityContext?.namespaceOptions?.pid;
    return this.bwrap !== undefined && pid !== 'Node' && pid !== 'Target';
  }

  private failStart(live: LiveContainer, why: string): never {
    Object.assign(live.rec.status, { state: 'Exited', exitCode: 128, reason: 'StartError', message: why, finishedAt: this.clock.now() });
    this.save(live);
    throw new RuntimeError('Internal', why, RuntimeReason.RunContainerError);
  }

  /**
   * Finds the executable as the container will see it (through its mounts, else on the host root,
   * searching the container's PATH); returns the error message runc gives when it is missing.
   */
  private resolveExecutable(file: string, rec: ContainerRecord): string | undefined {
    const toHost = (p: string) => {
      const m = [...rec.config.mounts].sort((a, b) => b.containerPath.length - a.containerPath.length).find((x) => p === x.containerPath || p.startsWith(`${x.containerPath}/`));
      return m ? m.hostPath + p.slice(m.containerPath.length) : p;
    };
    const ok = (p: string) => {
      try {
        const h = toHost(p);
        accessSync(h, constants.X_OK);
        return statSync(h).isFile();
      } catch {
        return false;
      }
    };
    if (file.includes('/')) {
      const p = posix.resolve(rec.config.workingDir || '/', file);
      return ok(p) ? undefined : `exec: "${file}": stat ${file}: no such file or directory`;
    }
    return (rec.env.PATH ?? DEFAULT_PATH).split(':').some((d) => d && ok(posix.join(d, file))) ? undefined : `exec: "${file}": executable file not found in $PATH`;
  }

  /** Records an exit (once): finishes the log, writes the state, wakes stoppers and followers. */
  private exited(live: LiveContainer, exitCode: number, finishedAt: number, message?: string): void {
    if (live.rec.status.state !== 'Running') return;
    try {
      writeJson(join(live.dir, 'exit.json'), { exitCode, finishedAt });
    } catch {
      return; // its state directory is gone: the container was removed (by this or another instance)
    }
    if (this.closed) return; // the next instance reads exit.json
    live.log.finish();
    live.stdin?.end();
    delete live.stdin;
    Object.assign(live.rec.status, { state: 'Exited', exitCode, finishedAt, reason: exitCode === 0 ? 'Completed' : 'Error', ...(message ? { message } : {}) });
    delete live.child;
    this.save(live);
    for (const w of [...live.waiters]) w();
  }

  /** For a container this instance did not spawn: is it still the recorded process? If not, how did it end? */
  private checkAdopted(live: LiveContainer): void {
    const p = live.rec.proc;
    if (p && isSameProcess(p.pid, p.pidStart)) {
      this.poller ??= this.clock.setInterval(() => this.pollAdopted(), this.options.adoptedPollMs ?? 100);
      return;
    }
    const recorded = readJson<{ exitCode: number; finishedAt: number }>(join(live.dir, 'exit.json'));
    if (recorded) return this.exited(live, recorded.exitCode, recorded.finishedAt);
    const statusFile = join(live.dir, 'bwrap-status.json');
    const m = existsSync(statusFile) ? /"exit-code":\s*(\d+)/.exec(readFileSync(statusFile, 'utf8')) : null;
    if (m) return this.exited(live, Number(m[1]), statSync(statusFile).mtimeMs);
    this.exited(live, 255, this.clock.now(), 'exited while no runtime instance was watching; exit code unknown');
  }

  private pollAdopted(): void {
    let watching = 0;
    for (const live of this.containers.values()) {
      if (live.rec.status.state !== 'Running' || live.child) continue;
      this.checkAdopted(live);
      if (live.rec.status.state === 'Running') watching++;
    }
    if (watching === 0) {
      this.poller?.cancel();
      this.poller = undefined;
    }
  }

  private save(live: LiveContainer): void {
    writeJson(join(live.dir, 'container.json'), live.rec);
  }

  private waitExit(live: LiveContainer): Promise<void> {
    return new Promise((resolve) => {
      if (live.rec.status.state !== 'Running') return resolve();
      const w = () => { live.waiters.delete(w); resolve(); };
      live.waiters.add(w);
    });
  }

  /** The process to signal: the container's PID 1 under bwrap, else the spawned process; undefined if it is gone. */
  private target(live: LiveContainer): number | undefined {
    const p = live.rec.proc;
    if (!p || !isSameProcess(p.pid, p.pidStart)) return undefined;
    return p.childPid ?? p.pid;
  }

  /**
   * SIGKILL: killing PID 1 of the container's own PID namespace kills every process in it; a
   * container in the host's or a target's namespace loses its process tree; without bwrap, the
   * whole process group.
   */
  private kill(live: LiveContainer): void {
    const t = this.target(live);
    if (t === undefined) return;
    if (!live.rec.proc?.childPid) signal(-live.rec.proc!.pid, 'SIGKILL');
    else if (!this.ownsPidNamespace(live)) return killTree(t);
    if (!signal(t, 'SIGKILL') && this.target(live) !== undefined) this.logger.warn('could not kill container', { id: live.rec.status.id, pid: t });
  }

  private async stop(live: LiveContainer, timeoutMs: number): Promise<void> {
    if (live.rec.status.state !== 'Running') return;
    const done = this.waitExit(live);
    if (!live.child) this.checkAdopted(live);
    const t = this.target(live);
    if (timeoutMs > 0 && t !== undefined) signal(t, live.rec.config.stopSignal ?? 'SIGTERM');
    const timer = this.clock.setTimeout(() => this.kill(live), timeoutMs);
    await done;
    timer.cancel();
  }

  async stopContainer(id: string, timeoutMs: number): Promise<void> {
    await this.enter();
    await this.stop(this.container(id), timeoutMs);
  }

  private async remove(live: LiveContainer): Promise<void> {
    await this.stop(live, 0);
    live.log.close();
    this.containers.delete(live.rec.status.id);
    rmSync(live.dir, { recursive: true, force: true });
  }

  async removeContainer(id: string): Promise<void> {
    await this.enter();
    const live = this.containers.get(id);
    if (live) await this.remove(live);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    await this.enter();
    return selectContainers([...this.containers.values()].map((c) => c.rec.status), filter);
  }


  async containerStatus(id: string): Promise<ContainerStatus> {
    await this.enter();
    return structuredClone(this.container(id).rec.status);
  }

  async updateContainerResources(id: string, _resources: LinuxContainerResources): Promise<void> {
    await this.enter();
    this.container(id);
    throw runtimeUnimplemented('updateContainerResources (the process runtime enforces no resource limits)');
  }

  async reopenContainerLog(id: string): Promise<void> {
    await this.enter();
    const live = this.running(id);
    live.log.reopen();
  }

  private container(id: string): LiveContainer {
    const live = this.containers.get(id);
    if (!live) throw runtimeNotFound('container', id);
    return live;
  }

  private running(id: string): LiveContainer {
    const live = this.container(id);
    if (live.rec.status.state !== 'Running') throw runtimeFailedPrecondition(`container "${id}" is not running (${live.rec.status.state})`);
    return live;
  }

  // --- images: the host root stands in for every image ---------------------------------

  async pullImage(image: ImageSpec, options: PullImageOptions = {}): Promise<string> {
    await this.enter();
    if (!image.image || /\s|[A-Z]/.test(image.image.split('@')[0].split(':')[0])) {
      throw runtimeInvalid(`invalid image name "${image.image}"`, RuntimeReason.InvalidImageName);
    }
    const img: Image = this.images.get(image.image) ?? { id: imageId(image.image), repoTags: [image.image], repoDigests: [], size: 0 };
    this.images.set(image.image, img);
    writeJson(this.dirs.images, [...new Set(this.images.values())]);
    options.onProgress?.({ image: image.image, bytesDone: 0, bytesTotal: 0, message: 'the process runtime uses the host root filesystem; nothing to pull' });
    return img.id;
  }

  async imageStatus(image: ImageSpec): Promise<Image | undefined> {
    await this.enter();
    const img = this.findImage(image.image);
    return img && { ...img };
  }

  async listImages(filter: ImageFilter = {}): Promise<Image[]> {
    await this.enter();
    const all = [...new Set(this.images.values())];
    return (filter.image ? all.filter((i) => i === this.findImage(filter.image!.image)) : all).map((i) => ({ ...i }));
  }

  async removeImage(image: ImageSpec): Promise<void> {
    await this.enter();
    const img = this.findImage(image.image);
    if (!img) return;
    const user = [...this.containers.values()].find((c) => c.rec.status.imageRef === img.id && c.rec.status.state === 'Running');
    if (user) throw runtimeFailedPrecondition(`image "${image.image}" is used by running container "${user.rec.status.id}"`);
    for (const [k, v] of this.images) if (v === img) this.images.delete(k);
    writeJson(this.dirs.images, [...new Set(this.images.values())]);
  }

  private findImage(ref: string): Image | undefined {
    return this.images.get(ref) ?? [...this.images.values()].find((i) => i.id === ref);
  }

  // --- streaming -------------------------------------------------------------------------

  /** Spawns `cmd` in the container's namespaces (nsenter into its PID 1's) with the container's environment. */
  private spawnIn(live: LiveContainer, cmd: string[], stdin: boolean): ChildProcess {
    if (cmd.length === 0) throw runtimeInvalid('exec needs a command', RuntimeReason.ExecError);
    const missing = this.resolveExecutable(cmd[0], live.rec);
    if (missing) throw new RuntimeError('InvalidArgument', missing, RuntimeReason.ExecError);
    const stdio: ('pipe' | 'ignore')[] = [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'];
    const pid = live.rec.proc?.childPid;
    if (pid !== undefined) {
      if (!this.nsenter) throw new RuntimeError('Unavailable', 'nsenter not found: cannot exec into sandboxed containers', RuntimeReason.ExecError);
      return spawn(this.nsenter, ['-t', String(pid), '-m', '-u', '-i', '-p', '-r', '-w', '--', ...this.asContainerUser(live, cmd)], { stdio, env: live.rec.env });
    }
    const argv = this.asContainerUser(live, cmd);
    return spawn(argv[0], argv.slice(1), { stdio, env: live.rec.env, cwd: live.rec.config.workingDir || '/' });
  }

  /** `cmd` run as the container's user, groups and capabilities (its own command and every exec alike). */
  private asContainerUser(live: LiveContainer, cmd: string[]): string[] {
    if (!this.setpriv) return cmd;
    live.identity ??= setprivArgs(live.rec.config.linux?.securityContext);
    return [this.setpriv, ...live.identity, '--', ...cmd];
  }

  async execSync(containerId: string, cmd: string[], timeoutMs?: number): Promise<ExecSyncResult> {
    await this.enter();
    const child = this.spawnIn(this.running(containerId), cmd, false);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer = timeoutMs ? this.clock.setTimeout(() => { timedOut = true; killTree(child.pid!); }, timeoutMs) : undefined;
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', (e) => reject(new RuntimeError('Internal', e.message, RuntimeReason.ExecError)));
      child.once('close', (c, sig) => resolve(exitCodeOf(c, sig)));
    }).finally(() => timer?.cancel());
    if (timedOut) throw new RuntimeError('DeadlineExceeded', `command ${JSON.stringify(cmd)} timed out after ${timeoutMs}ms`);
    return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: code };
  }

  async exec(containerId: string, request: ExecRequest): Promise<StreamSession> {
    await this.enter();
    const child = this.spawnIn(this.running(containerId), request.cmd, !!request.stdin);
    let closed = false;
    const exited = new Promise<number>((resolve) => {
      child.once('error', () => resolve(-1));
      child.once('close', (c, sig) => resolve(closed ? -1 : exitCodeOf(c, sig)));
    });
    return {
      // no pseudo-terminal without a native module: with tty, stderr is merged into stdout as a terminal would
      ...(request.tty ? { stdout: merge(child.stdout!, child.stderr!) } : { stdout: child.stdout!, stderr: child.stderr! }),
      ...(child.stdin ? { stdin: child.stdin } : {}),
      exited,
      resize: () => undefined,
      close: () => { closed = true; killTree(child.pid!); },
    };
  }

  async attach(containerId: string, request: AttachRequest): Promise<StreamSession> {
    await this.enter();
    const live = this.running(containerId);
    const stdout = new PassThrough();
    const stderr = request.tty ? undefined : new PassThrough();
    const stdin = request.stdin && live.stdin ? new PassThrough() : undefined;
    if (stdin) {
      stdin.on('data', (d: Buffer) => live.stdin?.write(d));
      stdin.once('end', () => {
        if (!live.rec.config.stdinOnce) return;
        live.stdin?.end();
        delete live.stdin;
      });
    }
    let closed = false;
    let unsubscribe = (): void => undefined;
    let closeAttach = (): void => undefined;
    const exited = new Promise<number>((resolve) => {
      const end = (code: number) => { unsubscribe(); live.waiters.delete(onExit); stdout.end(); stderr?.end(); resolve(code); };
      const onExit = () => end(closed ? -1 : (live.rec.status.exitCode ?? -1));
      unsubscribe = live.log.subscribe((e: LogEntry) => (e.stream === 'stderr' && stderr ? stderr : stdout).write(renderLogEntry(e)));
      live.waiters.add(onExit);
      closeAttach = () => { closed = true; onExit(); };
    });
    return { stdout, ...(stderr ? { stderr } : {}), ...(stdin ? { stdin } : {}), exited, resize: () => undefined, close: () => closeAttach() };
  }

  async portForward(podSandboxId: string, port: number): Promise<NodeJS.ReadWriteStream> {
    await this.enter();
    const ip = this.sandbox(podSandboxId).status.network?.ip;
    if (!ip) throw runtimeFailedPrecondition(`sandbox "${podSandboxId}" has no network`);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: ip, port });
      socket.once('connect', () => resolve(socket));
      socket.once('error', (e) => reject(new RuntimeError('Unavailable', `nothing listens on ${ip}:${port} in sandbox "${podSandboxId}": ${e.message}`)));
    });
  }

  readContainerLog(containerId: string, options: LogOptions = {}): AsyncIterable<LogEntry> {
    return this.readLog(containerId, options);
  }

  private async *readLog(containerId: string, options: LogOptions): AsyncIterable<LogEntry> {
    await this.enter();
    const live = this.container(containerId);
    if (live.rec.status.state === 'Created') return;
    live.log.drain();
    yield* readCriLogFile(live.rec.status.logPath!, options, { done: () => live.rec.status.state === 'Exited' || !this.containers.has(containerId), pollMs: 50 });
  }

  // --- stats -----------------------------------------------------------------------------

  private statsOf(live: LiveContainer): ContainerStats {
    const s = live.rec.status;
    const now = this.clock.now();
    const pid = s.state === 'Running' ? this.target(live) : undefined;
    const usage = pid !== undefined ? processUsage(pid) : undefined;
    return {
      id: s.id,
      metadata: { ...s.metadata },
      labels: { ...s.labels },
      annotations: { ...s.annotations },
      ...(usage ? { cpu: { timestamp: now, usageCoreNanoSeconds: usage.cpuNanos }, memory: { timestamp: now, workingSetBytes: usage.rssBytes, rssBytes: usage.rssBytes } } : {}),
    };
  }

  async containerStats(id: string): Promise<ContainerStats> {
    await this.enter();
    return this.statsOf(this.container(id));
  }

  async listContainerStats(filter: ContainerFilter = {}): Promise<ContainerStats[]> {
    const ids = (await this.listContainers(filter)).map((c) => c.id);
    return ids.map((id) => this.statsOf(this.container(id)));
  }

  async podSandboxStats(id: string): Promise<PodSandboxStats> {
    await this.enter();
    const sb = this.sandbox(id);
    const containers = [...this.containers.values()].filter((c) => c.rec.status.podSandboxId === id && c.rec.status.state === 'Running').map((c) => this.statsOf(c));
    return sumPodSandboxStats(sb.status, containers, this.clock.now());
  }

  async listPodSandboxStats(filter: PodSandboxFilter = {}): Promise<PodSandboxStats[]> {
    return Promise.all((await this.listPodSandbox(filter)).map((s) => this.podSandboxStats(s.id)));
  }

  async imageFsInfo(): Promise<FilesystemUsage[]> {
    await this.enter();
    const fs = await statfs(this.options.stateDir);
    return [{ timestamp: this.clock.now(), mountpoint: this.options.stateDir, usedBytes: (fs.blocks - fs.bfree) * fs.bsize, inodesUsed: fs.files - fs.ffree }];
  }

  /** Releases watchers and timers; containers keep running for the next instance to adopt. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.ready.catch(() => undefined);
    this.closed = true;
    this.poller?.cancel();
    for (const live of this.containers.values()) {
      live.log.drain();
      live.log.close();
    }
  }
}

function merge(a: NodeJS.ReadableStream, b: NodeJS.ReadableStream): PassThrough {
  const out = new PassThrough();
  let open = 2;
  for (const src of [a, b]) {
    src.pipe(out, { end: false });
    src.once('end', () => { if (--open === 0) out.end(); });
  }
  return out;
}

/** Kills a process and its descendants (an exec's nsenter forks the command into the container's PID namespace). */
function killTree(pid: number): void {
  for (const c of childrenOf(pid)) killTree(c);
  signal(pid, 'SIGKILL');
}

/** A stable id standing in for an image digest: the process runtime has no image content to hash. */
export function imageId(name: string): string {
  return `sha256:${createHash('sha256').update(name).digest('hex')}`;
}
