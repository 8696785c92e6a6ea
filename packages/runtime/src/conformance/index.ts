import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_LOG_LINE, parseCriLogLine, renderLogEntry } from '../cri-log.js';
import { isRuntimeError, type RuntimeErrorCode } from '../errors.js';
import { PodLabel, containerAnnotations, containerLabels, podLabels } from '../labels.js';
import type { Runtime } from '../services.js';
import type { ContainerConfig, ContainerStatus, LinuxContainerSecurityContext, LogEntry, LogOptions, Mount, PodSandboxConfig } from '../types.js';
import type { ContainerScript } from '../testing/script.js';

/**
 * The conformance suite every runtime adapter runs against itself (critest's role for CRI):
 * `runRuntimeConformance('process', { setup })` inside a vitest file. Containers are described
 * by `ContainerScript`s (what they print, sleep, write, and do on SIGTERM) and the adapter says
 * how to run a script through `workload` (POSIX `sh` by default). Tests run on real time with
 * short durations; every assertion is something the kubelet relies on.
 */

export interface ConformanceHarness {
  runtime: Runtime;
  /**
   * A new runtime instance over the same state as the one the harness started with (a kubelet
   * restart). The suite closes the old instance first.
   */
  reopen(): Promise<Runtime>;
  /** A fresh, empty host directory (volumes, log directories); the harness removes them in `cleanup`. */
  tempDir(): Promise<string>;
  cleanup(): Promise<void>;
}

/** A harness's `tempDir` and `cleanup`: fresh directories under the OS temp dir, all removed by `cleanup`. */
export function tempDirs(prefix = 'peapod-conformance-'): Pick<ConformanceHarness, 'tempDir' | 'cleanup'> {
  const dirs: string[] = [];
  return {
    tempDir: async () => {
      const d = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    cleanup: async () => {
      for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
    },
  };
}

export interface ConformanceOptions {
  /** Called before each test. */
  setup(): Promise<ConformanceHarness>;
  /** How the runtime under test runs a script; `shellWorkload` by default. */
  workload?(script: ContainerScript): Pick<ContainerConfig, 'image' | 'command' | 'args' | 'envs'>;
  /** The runtime writes CRI log files at `logDirectory/logPath`; the suite then checks them line by line. */
  logsOnDisk?: boolean;
  /** Upper bound for a container to reach an expected state (default 5000 ms). */
  timeoutMs?: number;
  /**
   * The runtime applies a container's Linux security context to its process (user, read-only root,
   * seccomp), which the suite checks with `id`, a write and `/proc/self/status` through exec, so the
   * image needs a shell with those tools. Runtimes that only record the context leave this unset.
   */
  linuxSecurityContext?: boolean;
}

/** The port the port-forward case listens on (an unusual one: the process runtime shares the host's ports). */
const FORWARDED_PORT = 47311;

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const secs = (ms: number) => (ms / 1000).toFixed(3);

/**
 * Runs a script as a POSIX shell program (`/bin/sh -c`). Sleeps run in the background and are
 * waited for, so a trapped SIGTERM is handled at once rather than after the sleep. `listen` ports
 * get an echo server (`busybox nc`, so the image or host needs busybox).
 */
export function shellWorkload(script: ContainerScript): Pick<ContainerConfig, 'image' | 'command' | 'args' | 'envs'> {
  const term = script.onSigterm ?? { exit: 0 };
  const parts = [term === 'ignore' ? `trap '' TERM` : `trap ${q(`${term.afterMs ? `sleep ${secs(term.afterMs)}; ` : ''}exit ${term.exit}`)} TERM`];
  // An echo server per port: busybox nc, persistent (-ll), each connection through `cat`.
  for (const port of script.listen ?? []) parts.push(`busybox nc -ll -p ${port} -e cat &`);
  for (const s of script.steps ?? []) {
    if ('stdout' in s) parts.push(`printf '%s\\n' ${q(s.stdout)}`);
    else if ('stderr' in s) parts.push(`printf '%s\\n' ${q(s.stderr)} >&2`);
    else if ('sleep' in s) parts.push(`sleep ${secs(s.sleep)} & wait $!`);
    else if ('writeFile' in s) parts.push(`printf '%s' ${q(s.content)} > ${q(s.writeFile)}`);
    else parts.push(`cat ${q(s.catFile)}`);
  }
  parts.push(script.exitCode !== undefined ? `exit ${script.exitCode}` : 'while :; do sleep 1 & wait $!; done');
  return { image: { image: 'busybox' }, command: ['/bin/sh', '-c', parts.join('\n')], args: [], envs: [] };
}

/** Rejects unless `p` fails with a RuntimeError of `code`. */
async function expectCode(p: Promise<unknown>, code: RuntimeErrorCode): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(isRuntimeError(err) ? err.code : err).toBe(code);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString();
}

async function collect(it: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

export function runRuntimeConformance(name: string, options: ConformanceOptions): void {
  const workload = options.workload ?? shellWorkload;
  const timeoutMs = options.timeoutMs ?? 5000;

  describe(`runtime conformance: ${name}`, () => {
    let h: ConformanceHarness;
    let rt: Runtime;
    let pods = 0;

    beforeEach(async () => {
      h = await options.setup();
      rt = h.runtime;
    });
    afterEach(async () => {
      for (const s of await rt.listPodSandbox().catch(() => [])) await rt.removePodSandbox(s.id);
      await rt.close();
      await h.cleanup();
    });

    async function sandbox(extra: Partial<PodSandboxConfig> = {}): Promise<{ id: string; config: PodSandboxConfig }> {
      const pod = { name: `conformance-${++pods}`, namespace: 'conformance', uid: randomUUID() };
      const config: PodSandboxConfig = {
        metadata: { ...pod, attempt: 0 },
        logDirectory: await h.tempDir(),
        labels: { ...podLabels(pod), tier: 'test' },
        annotations: { 'example.com/note': 'kept' },
        ...extra,
      };
      return { id: await rt.runPodSandbox(config), config };
    }

    function container(sb: PodSandboxConfig, ctrName: string, script: ContainerScript, mounts: Mount[] = [], attempt = 0): ContainerConfig {
      const pod = { name: sb.metadata.name, namespace: sb.metadata.namespace, uid: sb.metadata.uid };
      return {
        metadata: { name: ctrName, attempt },
        ...workload(script),
        mounts,
        labels: containerLabels(pod, ctrName),
        annotations: containerAnnotations({ hash: `hash-${ctrName}`, restartCount: attempt }),
        logPath: `${ctrName}/${attempt}.log`,
      };
    }

    async function run(sb: { id: string; config: PodSandboxConfig }, ctrName: string, script: ContainerScript, mounts: Mount[] = []): Promise<string> {
      const id = await rt.createContainer(sb.id, container(sb.config, ctrName, script, mounts), sb.config);
      await rt.startContainer(id);
      return id;
    }

    async function waitFor(id: string, pred: (s: ContainerStatus) => boolean, r: Runtime = rt): Promise<ContainerStatus> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = await r.containerStatus(id);
        if (pred(s)) return s;
        if (Date.now() > deadline) throw new Error(`container ${id} did not reach the expected state; last: ${JSON.stringify({ state: s.state, exitCode: s.exitCode, reason: s.reason, message: s.message })}`);
        await new Promise((res) => setTimeout(res, 10));
      }
    }
    const exited = (id: string, r?: Runtime) => waitFor(id, (s) => s.state === 'Exited', r);
    const logText = async (id: string, opts?: LogOptions, r: Runtime = rt) => (await collect(r.readContainerLog(id, opts))).map((e) => renderLogEntry(e)).join('');

    it('reports its version and readiness', async () => {
      const v = await rt.version();
      expect(v.runtimeName).toBeTruthy();
      const st = await rt.status();
      expect(st.conditions.find((c) => c.type === 'RuntimeReady')?.status).toBe(true);
    });

    it('pulls, lists and removes images; pulls are idempotent and an image in use stays', async () => {
      const image = workload({}).image;
      const progress: number[] = [];
      const ref = await rt.pullImage(image, { onProgress: (p) => progress.push(p.bytesDone ?? 0) });
      expect(progress.length).toBeGreaterThan(0);
      expect(await rt.pullImage(image)).toBe(ref);
      expect((await rt.imageStatus(image))?.id).toBe(ref);
      expect((await rt.listImages()).map((i) => i.id)).toContain(ref);
      const sb = await sandbox();
      const id = await run(sb, 'user', {});
      expect((await rt.containerStatus(id)).imageRef).toBe(ref);
      await expectCode(rt.removeImage(image), 'FailedPrecondition');
      await rt.stopContainer(id, 0);
      await rt.removeImage(image);
      await rt.removeImage(image);
      expect(await rt.imageStatus(image)).toBeUndefined();
    });

    it('runs, lists, stops and removes a pod sandbox; stop and remove are idempotent', async () => {
      const sb = await sandbox();
      const st = await rt.podSandboxStatus(sb.id);
      expect(st).toMatchObject({ id: sb.id, state: 'Ready', metadata: sb.config.metadata, labels: sb.config.labels, annotations: sb.config.annotations });
      expect(st.createdAt).toBeGreaterThan(0);
      const other = await sandbox();
      expect((await rt.listPodSandbox({ labelSelector: { [PodLabel.uid]: sb.config.metadata.uid } })).map((s) => s.id)).toEqual([sb.id]);
      expect((await rt.listPodSandbox({ state: 'Ready' })).map((s) => s.id).sort()).toEqual([sb.id, other.id].sort());

      await rt.stopPodSandbox(sb.id);
      await rt.stopPodSandbox(sb.id);
      expect((await rt.podSandboxStatus(sb.id)).state).toBe('NotReady');
      expect((await rt.listPodSandbox({ state: 'Ready' })).map((s) => s.id)).toEqual([other.id]);
      await expectCode(rt.createContainer(sb.id, container(sb.config, 'late', { exitCode: 0 }), sb.config), 'FailedPrecondition');

      await rt.removePodSandbox(sb.id);
      await rt.removePodSandbox(sb.id);
      await rt.stopPodSandbox(sb.id);
      await expectCode(rt.podSandboxStatus(sb.id), 'NotFound');
      expect((await rt.listPodSandbox()).map((s) => s.id)).toEqual([other.id]);
    });

    it('gives each ready sandbox its own IP, also after others were removed', async () => {
      if (!(await rt.status()).features.podIPs) return;
      const first = await sandbox();
      const a = await rt.podSandboxStatus(first.id);
      const b = await rt.podSandboxStatus((await sandbox()).id);
      await rt.removePodSandbox(first.id);
      const c = await rt.podSandboxStatus((await sandbox()).id);
      expect(a.network?.ip).toBeTruthy();
      expect(new Set([a.network?.ip, b.network?.ip]).size).toBe(2);
      expect(c.network?.ip).not.toBe(b.network?.ip);
    });

    it('creates a container in Created state with its labels and annotations, then runs it to its exit code', async () => {
      const sb = await sandbox();
      const cfg = container(sb.config, 'main', { steps: [{ sleep: 150 }], exitCode: 3 });
      const id = await rt.createContainer(sb.id, cfg, sb.config);
      const created = await rt.containerStatus(id);
      expect(created).toMatchObject({ id, podSandboxId: sb.id, state: 'Created', metadata: cfg.metadata, labels: cfg.labels, annotations: cfg.annotations });
      expect((await rt.listContainers({ podSandboxId: sb.id })).map((c) => c.id)).toEqual([id]);

      await rt.startContainer(id);
      const running = await rt.containerStatus(id);
      expect(running.state).toBe('Running');
      expect(running.startedAt).toBeGreaterThanOrEqual(created.createdAt);
      expect((await rt.listContainers({ state: 'Running' })).map((c) => c.id)).toEqual([id]);

      const done = await exited(id);
      expect(done).toMatchObject({ exitCode: 3, reason: 'Error' });
      expect(done.finishedAt! - done.startedAt!).toBeGreaterThanOrEqual(100);
      const ok = await exited(await run(sb, 'ok', { exitCode: 0 }));
      expect(ok).toMatchObject({ exitCode: 0, reason: 'Completed' });
    });

    it('refuses to start a container twice, tolerates repeated stop and remove, and reports unknown ids as NotFound', async () => {
      const sb = await sandbox();
      const id = await run(sb, 'once', { exitCode: 0 });
      await expectCode(rt.startContainer(id), 'FailedPrecondition');
      await exited(id);
      await expectCode(rt.startContainer(id), 'FailedPrecondition');
      await rt.stopContainer(id, 1000);
      await rt.stopContainer(id, 0);
      expect((await rt.containerStatus(id)).exitCode).toBe(0);
      await rt.removeContainer(id);
      await rt.removeContainer(id);
      await expectCode(rt.containerStatus(id), 'NotFound');
      expect(await rt.listContainers({ podSandboxId: sb.id })).toEqual([]);
      const racy = await rt.createContainer(sb.id, container(sb.config, 'racy', { exitCode: 0 }), sb.config);
      const starts = await Promise.allSettled([rt.startContainer(racy), rt.startContainer(racy)]);
      expect(starts.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(starts.map((r) => (r.status === 'rejected' && isRuntimeError(r.reason) ? r.reason.code : undefined)).filter(Boolean)).toEqual(['FailedPrecondition']);
      await expectCode(rt.stopContainer('no-such-container', 0), 'NotFound');
      await expectCode(rt.startContainer('no-such-container'), 'NotFound');
      await expectCode(rt.createContainer('no-such-sandbox', container(sb.config, 'x', { exitCode: 0 }), sb.config), 'NotFound');
    });

    it('writes stdout and stderr as CRI log entries, with tail, stream and follow', async () => {
      const sb = await sandbox();
      const long = 'x'.repeat(MAX_LOG_LINE + 100);
      const id = await run(sb, 'talker', {
        steps: [{ stdout: 'one' }, { stderr: 'oops' }, { stdout: 'two' }, { stdout: long }, { sleep: 200 }, { stdout: 'last' }],
        exitCode: 0,
      });
      // order is kept within a stream; across streams it is best effort (as with containerd)
      const followed = await collect(rt.readContainerLog(id, { follow: true }));
      const text = (es: LogEntry[], stream: 'stdout' | 'stderr') => es.filter((e) => e.stream === stream).map((e) => renderLogEntry(e)).join('');
      expect(text(followed, 'stdout')).toBe(`one\ntwo\n${long}\nlast\n`);
      expect(text(followed, 'stderr')).toBe('oops\n');
      await exited(id);

      const entries = await collect(rt.readContainerLog(id));
      expect(entries.filter((e) => e.tag === 'F' && e.stream === 'stdout').map((e) => (/^x+$/.test(e.content) ? 'long' : e.content))).toEqual(['one', 'two', 'long', 'last']);
      const partial = entries.filter((e) => e.tag === 'P');
      expect(partial.length).toBeGreaterThan(0);
      expect(partial.every((e) => e.stream === 'stdout' && Buffer.byteLength(e.content) <= MAX_LOG_LINE)).toBe(true);
      // times only grow within a stream (containerd stamps each stream's lines on its own)
      for (const stream of ['stdout', 'stderr']) {
        const times = entries.filter((e) => e.stream === stream).map((e) => e.time);
        expect(times).toEqual([...times].sort((a, b) => a - b));
      }
      expect(entries.at(-1)!.time).toBeLessThanOrEqual(Date.now());

      expect(await logText(id, { tailLines: 2, stream: 'stdout' })).toBe(`${long}\nlast\n`);
      expect(await logText(id, { tailLines: 1 })).toBe('last\n');
      expect(await logText(id, { stream: 'stderr' })).toBe('oops\n');
      expect(await logText(id, { since: entries.at(-1)!.time })).toBe('last\n');
      expect(await logText(id, { stream: 'stdout', limitBytes: 6 })).toBe('one\ntw');

      if (options.logsOnDisk) {
        const raw = await readFile(join(sb.config.logDirectory, 'talker/0.log'), 'utf8');
        const lines = raw.split('\n');
        expect(lines.pop()).toBe('');
        expect(lines.map((l) => parseCriLogLine(l).content).join('|')).toBe(entries.map((e) => e.content).join('|'));
        // Across streams the order is best effort, so look at the first stdout line.
        expect(lines.find((l) => l.includes(' stdout '))).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z stdout F one$/);
      }
    });

    it('stops following a log when the reader aborts, and reopens the log file after rotation', async () => {
      const sb = await sandbox();
      const id = await run(sb, 'ticker', { steps: [{ stdout: 'a' }, { sleep: 400 }, { stdout: 'b' }] });
      const ac = new AbortController();
      const seen: string[] = [];
      for await (const e of rt.readContainerLog(id, { follow: true, signal: ac.signal })) {
        seen.push(e.content);
        ac.abort();
      }
      expect(seen).toEqual(['a']);
      expect((await rt.containerStatus(id)).state).toBe('Running');
      if (options.logsOnDisk) {
        const path = join(sb.config.logDirectory, 'ticker/0.log');
        await rename(path, `${path}.1`);
        await rt.reopenContainerLog(id);
        await new Promise((res) => setTimeout(res, 600));
        expect((await readFile(path, 'utf8')).split('\n').filter(Boolean).map((l) => parseCriLogLine(l).content)).toEqual(['b']);
        expect(await readFile(`${path}.1`, 'utf8')).toMatch(/ stdout F a\n$/);
      } else await rt.reopenContainerLog(id);
      await rt.stopContainer(id, 0);
      await expectCode(rt.reopenContainerLog(id), 'FailedPrecondition');
    });

    it('reports stats of running containers and their sandbox', async () => {
      const sb = await sandbox();
      const id = await run(sb, 'measured', {});
      const st = await rt.containerStats(id);
      expect(st).toMatchObject({ id, metadata: { name: 'measured' } });
      expect((await rt.listContainerStats({ podSandboxId: sb.id })).map((c) => c.id)).toEqual([id]);
      expect((await rt.podSandboxStats(sb.id)).containers.map((c) => c.id)).toEqual([id]);
      await expectCode(rt.containerStats('no-such-container'), 'NotFound');
    });

    it('forwards a port to a listener inside the sandbox, and reports a closed port as Unavailable', async () => {
      if (!(await rt.status()).features.portForward) return;
      const sb = await sandbox();
      await run(sb, 'echo-server', { listen: [FORWARDED_PORT] });
      // The listener starts with the container; retry until it accepts, within the suite's bound.
      const deadline = Date.now() + timeoutMs;
      let conn: NodeJS.ReadWriteStream | undefined;
      while (!conn) {
        conn = await rt.portForward(sb.id, FORWARDED_PORT).catch((err: unknown) => {
          if (!isRuntimeError(err) || err.code !== 'Unavailable' || Date.now() > deadline) throw err;
          return new Promise<undefined>((res) => setTimeout(() => res(undefined), 50));
        });
      }
      const echo = conn;
      const echoed = new Promise<string>((res) => echo.once('data', (c: Buffer) => res(c.toString())));
      echo.write('ping\n');
      expect(await echoed).toBe('ping\n');
      echo.end();
      // Unavailable as a rejection, or (runtimes that learn it only once connected, like CRI's
      // streaming server) as the stream's error before any byte.
      const refused = await rt.portForward(sb.id, FORWARDED_PORT + 1).then(readAll).then(() => undefined, (e: unknown) => e);
      expect(isRuntimeError(refused) ? refused.code : refused).toBe('Unavailable');
    });

    it('runs exec commands inside a running container, and refuses them once it exited', async () => {
      const sb = await sandbox();
      const probe = ['sh', '-c', 'echo out; echo err >&2; exit 7'];
      const id = await run(sb, 'target', { exec: { [probe.join(' ')]: { stdout: 'out\n', stderr: 'err\n', exitCode: 7 } } });
      const r = await rt.execSync(id, probe, 5000);
      expect({ out: r.stdout.toString(), err: r.stderr.toString(), code: r.exitCode }).toEqual({ out: 'out\n', err: 'err\n', code: 7 });

      const session = await rt.exec(id, { cmd: probe });
      const [out, code] = await Promise.all([readAll(session.stdout), session.exited]);
      expect([out, code]).toEqual(['out\n', 7]);

      await rt.stopContainer(id, 0);
      await expectCode(rt.execSync(id, probe), 'FailedPrecondition');
    });

    if (options.linuxSecurityContext) {
      it('applies a container\'s security context: its user, a read-only root, and a seccomp filter only when asked', async () => {
        const sb = await sandbox();
        const start = async (ctrName: string, securityContext?: LinuxContainerSecurityContext) => {
          const config = { ...container(sb.config, ctrName, { steps: [{ sleep: 30_000 }] }), ...(securityContext ? { linux: { securityContext } } : {}) };
          const id = await rt.createContainer(sb.id, config, sb.config);
          await rt.startContainer(id);
          return id;
        };
        const secure = await start('secure', { runAsUser: 1234, readonlyRootfs: true, seccomp: { profileType: 'RuntimeDefault' } });
        const plain = await start('plain');
        const sh = (id: string, cmd: string) => rt.execSync(id, ['sh', '-c', cmd], 5000);
        expect((await sh(secure, 'id -u')).stdout.toString()).toBe('1234\n');
        const write = await sh(secure, 'touch /written');
        expect(write.exitCode).not.toBe(0);
        expect(write.stderr.toString()).toContain('Read-only file system');
        // Seccomp mode 2 is a filter; 0 is unconfined, Kubernetes' default when no profile is asked for.
        const seccompMode = async (id: string) => /Seccomp:\s+(\d)/.exec((await sh(id, 'cat /proc/self/status')).stdout.toString())?.[1];
        expect(await seccompMode(secure)).toBe('2');
        expect(await seccompMode(plain)).toBe('0');
      });
    }

    it('attaches to the live output of a running container until it exits', async () => {
      if (!(await rt.status()).features.attach) return;
      const sb = await sandbox();
      const id = await run(sb, 'chatty', { steps: [{ stdout: 'early' }, { sleep: 300 }, { stdout: 'late' }, { stderr: 'bye' }], exitCode: 3 });
      await new Promise((res) => setTimeout(res, 150));
      const session = await rt.attach(id, {});
      const [out, err, code] = await Promise.all([readAll(session.stdout), readAll(session.stderr!), session.exited]);
      expect({ out, err, code }).toEqual({ out: 'late\n', err: 'bye\n', code: 3 });
      await expectCode(rt.attach(id, {}), 'FailedPrecondition');
    });

    it('stops with the stop signal and kills after the grace period', async () => {
      const sb = await sandbox();
      const clean = await run(sb, 'clean', { onSigterm: { exit: 0 } });
      const crash = await run(sb, 'crash', { onSigterm: { exit: 2 } });
      const stubborn = await run(sb, 'stubborn', { onSigterm: 'ignore' });
      const killed = await run(sb, 'killed', { onSigterm: { exit: 0 } });
      await new Promise((res) => setTimeout(res, 100)); // let the programs install their handlers

      let t0 = Date.now();
      await Promise.all([rt.stopContainer(clean, 10_000), rt.stopContainer(crash, 10_000)]);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect((await rt.containerStatus(clean)).exitCode).toBe(0);
      expect((await rt.containerStatus(crash)).exitCode).toBe(2);

      t0 = Date.now();
      await rt.stopContainer(stubborn, 400);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
      expect(await rt.containerStatus(stubborn)).toMatchObject({ state: 'Exited', exitCode: 137 });

      await rt.stopContainer(killed, 0);
      expect(await rt.containerStatus(killed)).toMatchObject({ state: 'Exited', exitCode: 137 });
    });

    it('shares a volume between the containers of one sandbox', async () => {
      if (!(await rt.status()).features.sharedVolumes) return;
      const sb = await sandbox();
      const vol = await h.tempDir();
      const writer = await run(sb, 'writer', { steps: [{ writeFile: '/shared/greeting', content: 'hello from writer\n' }], exitCode: 0 }, [{ hostPath: vol, containerPath: '/shared' }]);
      expect((await exited(writer)).exitCode).toBe(0);
      const reader = await run(sb, 'reader', { steps: [{ catFile: '/data/in/greeting' }], exitCode: 0 }, [{ hostPath: vol, containerPath: '/data/in', readonly: true }]);
      expect((await exited(reader)).exitCode).toBe(0);
      expect(await logText(reader)).toBe('hello from writer\n');
      expect(await readFile(join(vol, 'greeting'), 'utf8')).toBe('hello from writer\n');
    });

    it('lets a new runtime instance adopt what the old one started, including exits it missed', async () => {
      const sb = await sandbox();
      const long = await run(sb, 'long', { steps: [{ stdout: 'started' }], onSigterm: { exit: 0 } });
      const short = await run(sb, 'short', { steps: [{ sleep: 300 }, { stdout: 'bye' }], exitCode: 4 });
      await new Promise((res) => setTimeout(res, 100));
      await rt.close();

      await new Promise((res) => setTimeout(res, 500)); // `short` exits while no instance watches
      rt = await h.reopen();
      expect((await rt.listPodSandbox({ labelSelector: { [PodLabel.uid]: sb.config.metadata.uid } })).map((s) => s.id)).toEqual([sb.id]);
      const listed = await rt.listContainers({ podSandboxId: sb.id });
      expect(listed.map((c) => [c.id, c.labels[PodLabel.containerName], c.annotations['io.kubernetes.container.hash']]).sort()).toEqual(
        [[long, 'long', 'hash-long'], [short, 'short', 'hash-short']].sort(),
      );
      expect((await rt.containerStatus(long)).state).toBe('Running');
      // `short` exited while no instance watched (or, on a very slow machine, exits just after the restart)
      expect(await exited(short)).toMatchObject({ state: 'Exited', exitCode: 4 });
      expect(await logText(short)).toBe('bye\n');

      await rt.stopContainer(long, 5000);
      expect(await rt.containerStatus(long)).toMatchObject({ state: 'Exited', exitCode: 0 });
      expect(await logText(long)).toBe('started\n');
    });
  });
}
