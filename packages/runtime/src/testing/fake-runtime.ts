import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, posix } from 'node:path';
import { PassThrough } from 'node:stream';
import { RealClock, type Clock, type TimerHandle } from '@peapod/core';
import { CriLogWriter, filterLogEntries, limitLogEntries } from '../cri-log.js';
import {
  RuntimeError,
  RuntimeReason,
  runtimeFailedPrecondition,
  runtimeInvalid,
  runtimeNotFound,
} from '../errors.js';
import { selectContainers, selectPodSandboxes, sumPodSandboxStats } from '../listing.js';
import { RUNTIME_CONTRACT_VERSION } from '../registry.js';
import type { Runtime } from '../services.js';
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
} from '../types.js';
import { FAKE_SCRIPT_ENV, type ContainerScript, type ExecAnswer } from './script.js';

// Records keep only what the fake reads back (the status it reports, stdin): simulated nodes
// hold thousands of them, and the configs the kubelet sends are the bulk of each.
interface FakeSandbox {
  status: PodSandboxStatus;
}

// The writer, files, timers, listeners and stdin a container may need are made on first use:
// most simulated containers write nothing and are never attached to.
interface FakeContainer {
  status: ContainerStatus;
  /** Whether the container config keeps stdin open (attach). */
  stdin: boolean;
  script: ContainerScript;
  logs: LogEntry[];
  log?: CriLogWriter;
  /** Files written outside any mount: the container's own root filesystem. */
  privateFiles?: Map<string, string>;
  timers?: Set<TimerHandle>;
  /** Notified on every log entry and on exit (followers, attach, stop). */
  listeners?: Set<() => void>;
  stdinWrites?: string[];
}

/**
 * The machine a fake runtime runs on: sandboxes, containers ("processes" driven by the clock),
 * images and logs. It outlives runtime instances, so a new `FakeRuntime` over the same host sees
 * and adopts what an old one started, as a restarted kubelet does on a real node. Everything is
 * in memory except files under mounts, which go to the real host path (so volumes the kubelet
 * prepares on disk are what containers read). A container costs a few small objects and no
 * timer while idle, so thousands fit in one process.
 */
export class FakeHost {
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Map<string, Image>();
  private nextId = 1;
  private nextIp = 2;

  constructor(readonly clock: Clock = new RealClock()) {}

  newId(kind: 's' | 'c'): string {
    return `${kind}${(this.nextId++).toString(36).padStart(6, '0')}`;
  }

  /** Pod IPs from 10.88.0.0/16 (the podman default range, a fake's own), never handed out twice. */
  newIp(): string {
    const n = this.nextIp++;
    return `10.88.${(n >> 8) & 255}.${n & 255}`;
  }
}

/** Records of calls made to a fake runtime, in order. */
export interface FakeRuntimeCall {
  method: keyof Runtime;
  args: unknown[];
  /** Clock time of the call. */
  at: number;
}

export interface FakeRuntimeOptions {
  /** The machine; a fresh one on `clock` when absent. */
  host?: FakeHost;
  /** Used only when `host` is absent. */
  clock?: Clock;
  /**
   * The script of a container being created; when it returns undefined the script comes from the
   * `PEAPOD_FAKE_SCRIPT` env var (JSON), else the container runs until stopped and exits 0.
   */
  script?: (config: ContainerConfig, sandbox: PodSandboxConfig) => ContainerScript | undefined;
  /** Keep a record of calls (default true). */
  recordCalls?: boolean;
}

type Injected = { error: RuntimeError | ((args: unknown[]) => RuntimeError | undefined); times: number };

const FAKE_VERSION: VersionInfo = { version: RUNTIME_CONTRACT_VERSION, runtimeName: 'fake', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' };

/**
 * A scriptable runtime for tests and simulated nodes (KWOK-like). Containers follow their
 * `ContainerScript` on the host's clock, so kubelet tests run on a `FakeClock`. `calls` records
 * every call; `inject` makes a method fail.
 */
export class FakeRuntime implements Runtime {
  readonly host: FakeHost;
  readonly calls: FakeRuntimeCall[] = [];
  private readonly injected = new Map<keyof Runtime, Injected[]>();
  private closed = false;

  constructor(private readonly options: FakeRuntimeOptions = {}) {
    this.host = options.host ?? new FakeHost(options.clock);
  }

  private get clock(): Clock {
    return this.host.clock;
  }

  /**
   * Makes the next `times` calls of `method` fail with `error` (or with what the function returns
   * for the call's arguments; undefined lets the call through without using up a time).
   */
  inject(method: keyof Runtime, error: Injected['error'], times = 1): void {
    const list = this.injected.get(method) ?? [];
    list.push({ error, times });
    this.injected.set(method, list);
  }

  /** Calls of one method, in order. */
  callsOf(method: keyof Runtime): FakeRuntimeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** What was written to a container's stdin through attach sessions. */
  stdinOf(id: string): string {
    return this.container(id).stdinWrites?.join('') ?? '';
  }

  private enter(method: keyof Runtime, args: unknown[]): void {
    if (this.closed) throw new RuntimeError('Unavailable', 'fake runtime instance is closed');
    if (this.options.recordCalls !== false) this.calls.push({ method, args, at: this.clock.now() });
    const list = this.injected.get(method);
    if (!list?.length) return;
    const first = list[0];
    const err = typeof first.error === 'function' ? first.error(args) : first.error;
    if (!err) return;
    if (--first.times <= 0) list.shift();
    throw err;
  }

  async version(): Promise<VersionInfo> {
    this.enter('version', []);
    return FAKE_VERSION;
  }

  async status(): Promise<RuntimeStatus> {
    this.enter('status', []);
    return {
      conditions: [{ type: 'RuntimeReady', status: true }, { type: 'NetworkReady', status: true }],
      features: { inPlaceResize: true, sharedVolumes: true, exec: true, attach: true, portForward: true, podIPs: true },
    };
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    this.enter('runPodSandbox', [config]);
    const id = this.host.newId('s');
    this.host.sandboxes.set(id, {
      status: {
        id,
        metadata: { ...config.metadata },
        state: 'Ready',
        createdAt: this.clock.now(),
        labels: { ...config.labels },
        annotations: { ...config.annotations },
        runtimeHandler: config.runtimeHandler ?? '',
        network: { ip: this.host.newIp(), additionalIps: [] },
        namespaceOptions: { network: 'Pod', pid: 'Container', ipc: 'Pod', ...config.linux?.securityContext?.namespaceOptions },
      },
    });
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    this.enter('stopPodSandbox', [id]);
    const sb = this.host.sandboxes.get(id);
    if (!sb) return;
    for (const c of this.host.containers.values()) if (c.status.podSandboxId === id && c.status.state === 'Running') this.exit(c, 137);
    sb.status.state = 'NotReady';
    delete sb.status.network;
  }

  async removePodSandbox(id: string): Promise<void> {
    this.enter('removePodSandbox', [id]);
    for (const c of [...this.host.containers.values()]) if (c.status.podSandboxId === id) this.drop(c);
    this.host.sandboxes.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    this.enter('podSandboxStatus', [id]);
    const s = this.sandbox(id).status;
    return {
      ...s,
      metadata: { ...s.metadata },
      labels: { ...s.labels },
      annotations: { ...s.annotations },
      ...(s.network ? { network: { ip: s.network.ip, additionalIps: [...s.network.additionalIps] } } : {}),
      ...(s.namespaceOptions ? { namespaceOptions: { ...s.namespaceOptions } } : {}),
    };
  }

  async listPodSandbox(filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    this.enter('listPodSandbox', [filter]);
    return selectPodSandboxes(Array.from(this.host.sandboxes.values(), (s) => s.status), filter);
  }


  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    this.enter('createContainer', [podSandboxId, config, sandboxConfig]);
    const sb = this.sandbox(podSandboxId);
    if (sb.status.state !== 'Ready') throw runtimeFailedPrecondition(`sandbox "${podSandboxId}" is not ready`, RuntimeReason.CreateContainerError);
    const script = this.scriptFor(config, sandboxConfig);
    if (script.failCreate) throw new RuntimeError('Internal', script.failCreate, RuntimeReason.CreateContainerError);
    const id = this.host.newId('c');
    // The id the pull recorded, so containers of one image share one string.
    const imageRef = this.host.images.get(config.image.image)?.id ?? imageId(config.image.image);
    const c: FakeContainer = {
      stdin: !!config.stdin,
      script,
      status: {
        id,
        podSandboxId,
        metadata: { ...config.metadata },
        image: { ...config.image },
        imageRef,
        state: 'Created',
        createdAt: this.clock.now(),
        labels: { ...config.labels },
        annotations: { ...config.annotations },
        mounts: config.mounts.map((m) => ({ ...m })),
        ...(config.linux?.resources ? { resources: { ...config.linux.resources } } : {}),
      },
      logs: [],
    };
    this.host.containers.set(id, c);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.enter('startContainer', [id]);
    const c = this.container(id);
    if (c.status.state !== 'Created') throw runtimeFailedPrecondition(`container "${id}" is ${c.status.state}, not Created`, RuntimeReason.RunContainerError);
    if (c.script.failStart) {
      Object.assign(c.status, { state: 'Exited', exitCode: 128, reason: 'StartError', message: c.script.failStart, finishedAt: this.clock.now() });
      throw new RuntimeError('Internal', c.script.failStart, RuntimeReason.RunContainerError);
    }
    Object.assign(c.status, { state: 'Running', startedAt: this.clock.now() });
    this.after(c, 0, () => this.runSteps(c, 0));
  }

  async stopContainer(id: string, timeoutMs: number): Promise<void> {
    this.enter('stopContainer', [id, timeoutMs]);
    const c = this.container(id);
    if (c.status.state !== 'Running') return;
    const exited = this.waitExit(c);
    const onTerm = c.script.onSigterm ?? { exit: 0 };
    if (timeoutMs > 0 && onTerm !== 'ignore') this.after(c, onTerm.afterMs ?? 0, () => this.exit(c, onTerm.exit));
    const kill = this.clock.setTimeout(() => this.exit(c, 137), Math.max(0, timeoutMs));
    await exited;
    kill.cancel();
  }

  async removeContainer(id: string): Promise<void> {
    this.enter('removeContainer', [id]);
    const c = this.host.containers.get(id);
    if (c) this.drop(c);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    this.enter('listContainers', [filter]);
    return selectContainers(Array.from(this.host.containers.values(), (c) => c.status), filter);
  }


  async containerStatus(id: string): Promise<ContainerStatus> {
    this.enter('containerStatus', [id]);
    const s = this.container(id).status;
    // copied by hand: status polls of thousands of containers are the kubelet's hottest runtime call
    return {
      ...s,
      metadata: { ...s.metadata },
      image: { ...s.image },
      labels: { ...s.labels },
      annotations: { ...s.annotations },
      mounts: s.mounts.map((m) => ({ ...m })),
      ...(s.resources ? { resources: { ...s.resources } } : {}),
    };
  }

  async updateContainerResources(id: string, resources: LinuxContainerResources): Promise<void> {
    this.enter('updateContainerResources', [id, resources]);
    const c = this.container(id);
    if (c.status.state !== 'Created' && c.status.state !== 'Running') throw runtimeFailedPrecondition(`container "${id}" is ${c.status.state}`);
    c.status.resources = { ...c.status.resources, ...resources };
  }

  async reopenContainerLog(id: string): Promise<void> {
    this.enter('reopenContainerLog', [id]);
    const c = this.container(id);
    if (c.status.state !== 'Running') throw runtimeFailedPrecondition(`container "${id}" is not running`);
  }

  async pullImage(image: ImageSpec, options: PullImageOptions = {}): Promise<string> {
    this.enter('pullImage', [image, options]);
    if (!image.image || /\s/.test(image.image)) throw runtimeInvalid(`invalid image name "${image.image}"`, RuntimeReason.InvalidImageName);
    const id = imageId(image.image);
    options.onProgress?.({ image: image.image, bytesDone: 0, bytesTotal: 1024 });
    this.host.images.set(image.image, { id, repoTags: [image.image], repoDigests: [], size: 1024 });
    options.onProgress?.({ image: image.image, bytesDone: 1024, bytesTotal: 1024 });
    return id;
  }

  async imageStatus(image: ImageSpec): Promise<Image | undefined> {
    this.enter('imageStatus', [image]);
    const found = this.findImage(image.image);
    return found && { ...found };
  }

  async listImages(filter: ImageFilter = {}): Promise<Image[]> {
    this.enter('listImages', [filter]);
    const all = [...this.host.images.values()];
    return (filter.image ? all.filter((i) => i === this.findImage(filter.image!.image)) : all).map((i) => ({ ...i }));
  }

  async removeImage(image: ImageSpec): Promise<void> {
    this.enter('removeImage', [image]);
    const found = this.findImage(image.image);
    if (!found) return;
    for (const c of this.host.containers.values()) if (c.status.imageRef === found.id && c.status.state === 'Running') throw runtimeFailedPrecondition(`image "${image.image}" is used by running container "${c.status.id}"`);
    for (const [k, v] of this.host.images) if (v === found) this.host.images.delete(k);
  }

  async execSync(containerId: string, cmd: string[], timeoutMs?: number): Promise<ExecSyncResult> {
    this.enter('execSync', [containerId, cmd, timeoutMs]);
    const answer = await this.answer(containerId, cmd, timeoutMs);
    return { stdout: Buffer.from(answer.stdout ?? ''), stderr: Buffer.from(answer.stderr ?? ''), exitCode: answer.exitCode ?? 0 };
  }

  async exec(containerId: string, request: ExecRequest): Promise<StreamSession> {
    this.enter('exec', [containerId, request]);
    this.running(containerId);
    const stdout = new PassThrough();
    const stderr = request.tty ? undefined : new PassThrough();
    const stdin = request.stdin ? new PassThrough() : undefined;
    let closed = false;
    const exited = this.answer(containerId, request.cmd).then((a) => {
      if (closed) return -1;
      stdout.end(a.stdout ?? '');
      (stderr ?? stdout).write(a.stderr ?? '');
      stderr?.end();
      return a.exitCode ?? 0;
    }, () => -1);
    return session(stdout, stderr, stdin, exited, () => { closed = true; stdout.end(); stderr?.end(); });
  }

  async attach(containerId: string, request: AttachRequest): Promise<StreamSession> {
    this.enter('attach', [containerId, request]);
    const c = this.running(containerId);
    const stdout = new PassThrough();
    const stderr = request.tty ? undefined : new PassThrough();
    const stdin = request.stdin && c.stdin ? new PassThrough() : undefined;
    stdin?.on('data', (d: Buffer) => (c.stdinWrites ??= []).push(d.toString()));
    let seen = c.logs.length;
    let closed = false;
    let closeAttach = (): void => undefined;
    const exited = new Promise<number>((resolve) => {
      const listeners = (c.listeners ??= new Set());
      const listener = () => {
        for (; seen < c.logs.length; seen++) {
          const e = c.logs[seen];
          (e.stream === 'stderr' && stderr ? stderr : stdout).write(`${e.content}${e.tag === 'F' ? '\n' : ''}`);
        }
        if (c.status.state !== 'Exited' && !closed) return;
        listeners.delete(listener);
        stdout.end();
        stderr?.end();
        resolve(closed ? -1 : c.status.exitCode!);
      };
      listeners.add(listener);
      closeAttach = () => { closed = true; listener(); };
    });
    return session(stdout, stderr, stdin, exited, () => closeAttach());
  }

  async portForward(podSandboxId: string, port: number): Promise<NodeJS.ReadWriteStream> {
    this.enter('portForward', [podSandboxId, port]);
    if (this.sandbox(podSandboxId).status.state !== 'Ready') throw runtimeFailedPrecondition(`sandbox "${podSandboxId}" is not ready`);
    for (const c of this.host.containers.values()) {
      if (c.status.podSandboxId === podSandboxId && c.status.state === 'Running' && c.script.listen?.includes(port)) return new PassThrough();
    }
    throw new RuntimeError('Unavailable', `nothing listens on port ${port} in sandbox "${podSandboxId}"`);
  }

  readContainerLog(containerId: string, options: LogOptions = {}): AsyncIterable<LogEntry> {
    return this.readLog(containerId, options);
  }

  private async *readLog(containerId: string, options: LogOptions): AsyncIterable<LogEntry> {
    this.enter('readContainerLog', [containerId, options]);
    const c = this.container(containerId);
    const first = filterLogEntries(c.logs, options);
    yield* limitLogEntries(options.follow ? follow(c, first, options.signal) : first, options);
  }

  async containerStats(id: string): Promise<ContainerStats> {
    this.enter('containerStats', [id]);
    return this.statsOf(this.container(id));
  }

  async listContainerStats(filter: ContainerFilter = {}): Promise<ContainerStats[]> {
    this.enter('listContainerStats', [filter]);
    const ids = new Set((await this.listContainers(filter)).map((c) => c.id));
    return [...ids].map((id) => this.statsOf(this.container(id)));
  }

  async podSandboxStats(id: string): Promise<PodSandboxStats> {
    this.enter('podSandboxStats', [id]);
    const sb = this.sandbox(id);
    const containers = [...this.host.containers.values()].filter((c) => c.status.podSandboxId === id && c.status.state === 'Running').map((c) => this.statsOf(c));
    return sumPodSandboxStats(sb.status, containers, this.clock.now());
  }

  async listPodSandboxStats(filter: PodSandboxFilter = {}): Promise<PodSandboxStats[]> {
    this.enter('listPodSandboxStats', [filter]);
    return Promise.all((await this.listPodSandbox(filter)).map((s) => this.podSandboxStats(s.id)));
  }

  async imageFsInfo(): Promise<FilesystemUsage[]> {
    this.enter('imageFsInfo', []);
    return [{ timestamp: this.clock.now(), mountpoint: '/fake/images', usedBytes: [...this.host.images.values()].reduce((a, i) => a + i.size, 0) }];
  }

  /** Containers keep running on the host: a new instance over it adopts them. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private sandbox(id: string): FakeSandbox {
    const sb = this.host.sandboxes.get(id);
    if (!sb) throw runtimeNotFound('sandbox', id);
    return sb;
  }

  private container(id: string): FakeContainer {
    const c = this.host.containers.get(id);
    if (!c) throw runtimeNotFound('container', id);
    return c;
  }

  private running(id: string): FakeContainer {
    const c = this.container(id);
    if (c.status.state !== 'Running') throw runtimeFailedPrecondition(`container "${id}" is not running (${c.status.state})`);
    return c;
  }

  private findImage(ref: string): Image | undefined {
    return this.host.images.get(ref) ?? [...this.host.images.values()].find((i) => i.id === ref);
  }

  private scriptFor(config: ContainerConfig, sandbox: PodSandboxConfig): ContainerScript {
    const given = this.options.script?.(config, sandbox);
    if (given) return given;
    const env = [...config.envs].reverse().find((e) => e.key === FAKE_SCRIPT_ENV);
    if (!env) return {};
    try {
      return JSON.parse(env.value) as ContainerScript;
    } catch (err) {
      throw runtimeInvalid(`${FAKE_SCRIPT_ENV} is not valid JSON: ${(err as Error).message}`, RuntimeReason.CreateContainerConfigError);
    }
  }

  private async answer(id: string, cmd: string[], timeoutMs?: number): Promise<ExecAnswer> {
    const c = this.running(id);
    const table = c.script.exec;
    const answer = typeof table === 'function' ? table(cmd) : (table?.[cmd.join(' ')] ?? table?.['*'] ?? {});
    const delay = answer.delayMs ?? 0;
    if (timeoutMs !== undefined && timeoutMs > 0 && delay > timeoutMs) {
      await this.clock.sleep(timeoutMs);
      throw new RuntimeError('DeadlineExceeded', `command ${JSON.stringify(cmd)} timed out after ${timeoutMs}ms`);
    }
    if (delay > 0) await this.clock.sleep(delay);
    return answer;
  }

  /** Runs script steps from `i` until a sleep (which schedules the rest) or the end. */
  private runSteps(c: FakeContainer, i: number): void {
    const steps = c.script.steps ?? [];
    for (; i < steps.length; i++) {
      if (c.status.state !== 'Running') return;
      const step = steps[i];
      if ('sleep' in step) {
        const next = i + 1;
        this.after(c, step.sleep, () => this.runSteps(c, next));
        return;
      }
      if ('stdout' in step) this.log(c).write('stdout', `${step.stdout}\n`);
      else if ('stderr' in step) this.log(c).write('stderr', `${step.stderr}\n`);
      else if ('writeFile' in step) this.writeFile(c, step.writeFile, step.content);
      else {
        const content = this.readFile(c, step.catFile);
        if (content === undefined) this.log(c).write('stderr', `cat: ${step.catFile}: No such file or directory\n`);
        else this.log(c).write('stdout', content);
      }
    }
    if (c.script.exitCode !== undefined) this.exit(c, c.script.exitCode);
  }

  private log(c: FakeContainer): CriLogWriter {
    return (c.log ??= new CriLogWriter((entry) => { c.logs.push(entry); notify(c); }, () => this.clock.now()));
  }

  private after(c: FakeContainer, ms: number, fn: () => void): void {
    const timers = (c.timers ??= new Set());
    const t = this.clock.setTimeout(() => { timers.delete(t); fn(); }, ms);
    timers.add(t);
  }

  private exit(c: FakeContainer, code: number): void {
    if (c.status.state !== 'Running') return;
    for (const t of c.timers ?? []) t.cancel();
    c.timers?.clear();
    c.log?.end('stdout');
    c.log?.end('stderr');
    Object.assign(c.status, { state: 'Exited', exitCode: code, finishedAt: this.clock.now(), reason: code === 0 ? 'Completed' : 'Error' });
    notify(c);
  }

  private waitExit(c: FakeContainer): Promise<void> {
    return new Promise((resolve) => {
      const listeners = (c.listeners ??= new Set());
      const l = () => { if (c.status.state === 'Exited') { listeners.delete(l); resolve(); } };
      listeners.add(l);
    });
  }

  private drop(c: FakeContainer): void {
    this.exit(c, 137);
    this.host.containers.delete(c.status.id);
  }

  /** A container path through the mounts: the host path of the deepest mount covering it, else undefined. */
  private hostPathOf(c: FakeContainer, path: string): { hostPath: string; readonly: boolean } | undefined {
    const p = posix.normalize(path);
    let best: { hostPath: string; readonly: boolean; depth: number } | undefined;
    for (const m of c.status.mounts) {
      const mp = posix.normalize(m.containerPath);
      if (p !== mp && !p.startsWith(mp.endsWith('/') ? mp : `${mp}/`)) continue;
      if (!best || mp.length > best.depth) best = { hostPath: m.hostPath + p.slice(mp.length), readonly: !!m.readonly, depth: mp.length };
    }
    return best;
  }

  private writeFile(c: FakeContainer, path: string, content: string): void {
    const target = this.hostPathOf(c, path);
    if (!target) return void (c.privateFiles ??= new Map()).set(posix.normalize(path), content);
    if (target.readonly) return void this.log(c).write('stderr', `sh: can't create ${path}: Read-only file system\n`);
    mkdirSync(dirname(target.hostPath), { recursive: true });
    writeFileSync(target.hostPath, content);
  }

  private readFile(c: FakeContainer, path: string): string | undefined {
    const target = this.hostPathOf(c, path);
    if (!target) return c.privateFiles?.get(posix.normalize(path));
    try {
      return readFileSync(target.hostPath, 'utf8');
    } catch {
      return undefined;
    }
  }

  private statsOf(c: FakeContainer): ContainerStats {
    const now = this.clock.now();
    return {
      id: c.status.id,
      metadata: { ...c.status.metadata },
      labels: { ...c.status.labels },
      annotations: { ...c.status.annotations },
      cpu: { timestamp: now, usageCoreNanoSeconds: 0 },
      memory: { timestamp: now, workingSetBytes: c.status.state === 'Running' ? (c.script.memoryBytes ?? 0) : 0 },
    };
  }
}

function notify(c: FakeContainer): void {
  for (const l of [...(c.listeners ?? [])]) l();
}

async function* follow(c: FakeContainer, first: LogEntry[], signal?: AbortSignal): AsyncIterable<LogEntry> {
  yield* first;
  let seen = c.logs.length;
  while (!signal?.aborted) {
    for (; seen < c.logs.length; seen++) yield c.logs[seen];
    if (c.status.state === 'Exited') return;
    await new Promise<void>((resolve) => {
      const listeners = (c.listeners ??= new Set());
      const done = () => { listeners.delete(done); signal?.removeEventListener('abort', done); resolve(); };
      listeners.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

function session(stdout: PassThrough, stderr: PassThrough | undefined, stdin: PassThrough | undefined, exited: Promise<number>, close: () => void): StreamSession {
  return { stdout, ...(stderr ? { stderr } : {}), ...(stdin ? { stdin } : {}), exited, resize: () => undefined, close };
}

/** A stable content-like id for an image name, as a registry digest would be. */
export function imageId(name: string): string {
  return `sha256:${createHash('sha256').update(name).digest('hex')}`;
}

