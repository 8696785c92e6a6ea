import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RealClock, composeModules, silentLogger } from '@peapod/core';
import { RuntimeModule, RuntimeReason, RuntimeRegistry, containerLabels, podLabels, renderLogEntry, type ContainerConfig, type LinuxContainerSecurityContext, type Mount, type PodSandboxConfig, type Runtime } from '@peapod/runtime';
import { runRuntimeConformance } from '@peapod/runtime/conformance';
import { ProcessRuntimeModule } from './module.js';
import { ProcessRuntime, type ProcessRuntimeOptions } from './process-runtime.js';
import { signal } from './proc.js';

const cleanups: (() => Promise<void>)[] = [];
const runtimes: ProcessRuntime[] = [];
afterEach(async () => {
  // pods first (their containers write logs into temp dirs), then everything else
  for (const rt of runtimes.splice(0)) {
    for (const s of await rt.listPodSandbox().catch(() => [])) await rt.removePodSandbox(s.id);
    await rt.close();
  }
  while (cleanups.length) await cleanups.pop()!();
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'peapod-process-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

runRuntimeConformance('process', {
  logsOnDisk: true,
  async setup() {
    const dirs: string[] = [];
    const dir = async () => {
      const d = await mkdtemp(join(tmpdir(), 'peapod-process-'));
      dirs.push(d);
      return d;
    };
    const stateDir = await dir();
    const make = () => new ProcessRuntime({ stateDir, clock: new RealClock(), adoptedPollMs: 20 });
    return {
      runtime: make(),
      reopen: async () => make(),
      tempDir: dir,
      cleanup: async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); },
    };
  },
});

/** A runtime over a fresh state dir whose pods are removed after the test. */
async function runtime(options: Partial<ProcessRuntimeOptions> = {}): Promise<ProcessRuntime> {
  const rt = new ProcessRuntime({ stateDir: await tempDir(), ...options });
  runtimes.push(rt);
  return rt;
}

async function pod(rt: Runtime, name = `pod-${randomUUID().slice(0, 8)}`) {
  const meta = { name, namespace: 'default', uid: randomUUID() };
  const config: PodSandboxConfig = { metadata: { ...meta, attempt: 0 }, logDirectory: await tempDir(), labels: podLabels(meta), annotations: {} };
  const id = await rt.runPodSandbox(config);
  const ctr = (n: string, script: string, extra: Partial<ContainerConfig> & { mounts?: Mount[] } = {}): ContainerConfig => ({
    metadata: { name: n, attempt: 0 },
    image: { image: 'busybox:1.36' },
    command: ['/bin/sh', '-c', script],
    args: [],
    envs: [],
    mounts: [],
    labels: containerLabels(meta, n),
    annotations: {},
    logPath: `${n}/0.log`,
    ...extra,
  });
  const start = async (n: string, script: string, extra: Partial<ContainerConfig> = {}) => {
    const cid = await rt.createContainer(id, ctr(n, script, extra), config);
    await rt.startContainer(cid);
    return cid;
  };
  return { id, config, ctr, start };
}

async function waitExit(rt: Runtime, id: string) {
  for (let i = 0; i < 500; i++) {
    const s = await rt.containerStatus(id);
    if (s.state === 'Exited') return s;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`container ${id} did not exit`);
}

async function logOf(rt: Runtime, id: string): Promise<string> {
  let out = '';
  for await (const e of rt.readContainerLog(id)) out += renderLogEntry(e);
  return out;
}

describe('ProcessRuntime sandbox', () => {
  it('gives containers the pod hostname, a private /tmp, a read-only host root, a working dir, and volumes at their mount paths', async () => {
    const rt = await runtime();
    const p = await pod(rt, 'web-0');
    const config = await tempDir();
    await writeFile(join(config, 'app.conf'), 'x=1\n');
    const data = await tempDir();
    const id = await p.start('main', [
      'hostname',
      'cat /etc/config/app.conf',
      'touch /etc/peapod-probe 2>/dev/null && echo root-writable || echo root-readonly',
      'echo mine > /tmp/mine && ls /tmp',
      'echo written > /data/out',
      'pwd',
      'test -f /etc/os-release && echo host-etc-visible',
    ].join('; '), { workingDir: '/work/peapod-app', mounts: [{ hostPath: config, containerPath: '/etc/config', readonly: true }, { hostPath: data, containerPath: '/data' }] });
    expect((await waitExit(rt, id)).exitCode).toBe(0);
    expect(await logOf(rt, id)).toBe('web-0\nx=1\nroot-readonly\nmine\n/work/peapod-app\nhost-etc-visible\n');
    expect(await readFile(join(data, 'out'), 'utf8')).toBe('written\n');
    expect(existsSync('/etc/peapod-probe') || existsSync('/work/peapod-app')).toBe(false);
  });

  it('binds single files too, such as the termination message file at /dev/termination-log, over a read-only root', async () => {
    const rt = await runtime();
    const p = await pod(rt);
    const dir = await tempDir();
    const file = join(dir, 'termination-log');
    await writeFile(file, '');
    const id = await p.start('dying', 'echo "out of cheese" > /dev/termination-log; touch /etc/peapod-probe 2>/dev/null || echo root-readonly; exit 2', { mounts: [{ hostPath: file, containerPath: '/dev/termination-log' }] });
    expect((await waitExit(rt, id)).exitCode).toBe(2);
    expect(await readFile(file, 'utf8')).toBe('out of cheese\n');
    expect(await logOf(rt, id)).toBe('root-readonly\n');
  });

  it('feeds attach stdin to a container created with stdin, and ends it after the first session with stdinOnce', async () => {
    const rt = await runtime();
    const p = await pod(rt);
    const id = await p.start('reader', 'while read line; do echo "got $line"; done; echo eof', { stdin: true, stdinOnce: true });
    const session = await rt.attach(id, { stdin: true });
    const out = (async () => { let t = ''; for await (const c of session.stdout) t += String(c); return t; })();
    session.stdin!.write('one\n');
    session.stdin!.end('two\n');
    expect([await out, await session.exited]).toEqual(['got one\ngot two\neof\n', 0]);
    expect(await logOf(rt, id)).toBe('got one\ngot two\neof\n');
  });

  it('shares /dev/shm between the containers of a pod, not across pods', async () => {
    const rt = await runtime();
    const p = await pod(rt);
    const other = await pod(rt);
    expect((await waitExit(rt, await p.start('writer', 'echo token > /dev/shm/x'))).exitCode).toBe(0);
    const reader = await p.start('reader', 'cat /dev/shm/x');
    const stranger = await other.start('stranger', 'cat /dev/shm/x 2>/dev/null || echo absent');
    await waitExit(rt, reader);
    await waitExit(rt, stranger);
    expect([await logOf(rt, reader), await logOf(rt, stranger)]).toEqual(['token\n', 'absent\n']);
  });

  it('runs a container with PID namespace Target in its target\'s namespace (kubectl debug --target), and stops only its own processes', async () => {
    const rt = await runtime();
    const p = await pod(rt);
    const app = await p.start('app', 'exec sleep 30');
    const ns = (targetId: string) => ({ linux: { securityContext: { namespaceOptions: { network: 'Pod' as const, pid: 'Target' as const, ipc: 'Pod' as const, targetId } } } });
    const debug = await p.start('debug', 'echo "pid1: $(tr "\\0" " " </proc/1/cmdline)"; sleep 30 & wait', ns(app));
    await vi.waitFor(async () => expect(await logOf(rt, debug)).toBe('pid1: sleep 30 \n'), { timeout: 5000 });
    await rt.stopContainer(debug, 0);
    expect((await rt.containerStatus(debug)).state).toBe('Exited');
    const seen = await rt.execSync(app, ['sh', '-c', 'for f in /proc/[0-9]*/cmdline; do tr "\\0" " " <$f; echo; done'], 5000);
    expect(seen.stdout.toString().split('\n').filter((l) => l.startsWith('sleep'))).toEqual(['sleep 30 ']); // the debug container's sleep died with it
    await rt.stopContainer(app, 0);
    await expect(p.start('late', 'true', ns(app))).rejects.toMatchObject({ reason: RuntimeReason.RunContainerError, message: `target container "${app}" is not running: cannot join its PID namespace` });
  });

  it('runs exec inside the container: same hostname, mounts and environment', async () => {
    const rt = await runtime();
    const p = await pod(rt, 'exec-pod');
    const vol = await tempDir();
    await writeFile(join(vol, 'f'), 'shared');
    const id = await p.start('app', 'sleep 30', { envs: [{ key: 'GREETING', value: 'hello' }], mounts: [{ hostPath: vol, containerPath: '/vol' }] });
    const r = await rt.execSync(id, ['sh', '-c', 'hostname; cat /vol/f; echo; echo $GREETING; ps -o pid= 2>/dev/null | head -1 || true'], 5000);
    expect(r.stdout.toString().split('\n').slice(0, 3)).toEqual(['exec-pod', 'shared', 'hello']);
    expect(r.exitCode).toBe(0);
    await expect(rt.execSync(id, ['sleep', '10'], 200)).rejects.toMatchObject({ code: 'DeadlineExceeded' });
    const tty = await rt.exec(id, { cmd: ['sh', '-c', 'echo out; sleep 0.05; echo err >&2'], tty: true });
    expect(tty.stderr).toBeUndefined();
    let merged = '';
    for await (const chunk of tty.stdout) merged += String(chunk);
    expect([merged, await tty.exited]).toEqual(['out\nerr\n', 0]);
    await expect(rt.execSync(id, ['no-such-binary'])).rejects.toMatchObject({ reason: RuntimeReason.ExecError, message: 'exec: "no-such-binary": executable file not found in $PATH' });
  });

  it('runs a container as its runAsUser, runAsGroup and supplementalGroups with no capability in effect, and exec as the same user', async () => {
    const rt = await runtime();
    const p = await pod(rt);
    const sc = { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000, 5000] };
    const id = await p.start('user', 'id -u; id -g; id -G; grep CapEff /proc/self/status; touch /dev/shm/mine && echo shm-ok; touch /etc/peapod-x 2>/dev/null || echo no-root-write', { linux: { securityContext: sc } });
    expect((await waitExit(rt, id)).exitCode).toBe(0);
    expect((await logOf(rt, id)).split('\n')).toEqual(['1000', '3000', '3000 4000 5000', 'CapEff:\t0000000000000000', 'shm-ok', 'no-root-write', '']);
    const svc = await p.start('svc', 'sleep 30', { linux: { securityContext: sc } });
    expect((await rt.execSync(svc, ['sh', '-c', 'id -u; id -G'], 5000)).stdout.toString()).toBe('1000\n3000 4000 5000\n');
    // A user alone takes its primary group from /etc/passwd (the host's, this runtime's image).
    const host = (await readFile('/etc/passwd', 'utf8')).split('\n').map((l) => l.split(':')).find((f) => f[2] && f[2] !== '0');
    if (host) {
      const one = await p.start('passwd', 'id -u; id -g; echo "$HOME"', { linux: { securityContext: { runAsUser: Number(host[2]) } } });
      await waitExit(rt, one);
      expect(await logOf(rt, one)).toBe(`${host[2]}\n${host[3]}\n${host[5] || '/'}\n`);
    }
  });

  it('gives a root container containerd\'s default capabilities, minus dropped plus added ones, all when privileged, and refuses unknown ones', async () => {
    const rt = await runtime();
    const p = await pod(rt);
    const capEff = async (name: string, securityContext: LinuxContainerSecurityContext) => {
      const id = await p.start(name, 'grep CapEff /proc/self/status', { linux: { securityContext } });
      await waitExit(rt, id);
      return BigInt(`0x${(await logOf(rt, id)).split('\t')[1]!.trim()}`);
    };
    const bit = (n: number) => 1n << BigInt(n);
    const DEFAULT = 0xa80425fbn; // chown, dac_override, fowner, fsetid, kill, setgid, setuid, setpcap, net_bind_service, net_raw, sys_chroot, mknod, audit_write, setfcap
    expect(await capEff('default', {})).toBe(DEFAULT);
    expect(await capEff('tweaked', { capabilities: { dropCapabilities: ['NET_RAW'], addCapabilities: ['CAP_NET_ADMIN'] } })).toBe(DEFAULT - bit(13) + bit(12));
    expect(await capEff('minimal', { capabilities: { dropCapabilities: ['ALL'], addCapabilities: ['NET_BIND_SERVICE'] } })).toBe(bit(10));
    const all = BigInt(`0x${(await readFile('/proc/self/status', 'utf8')).match(/CapBnd:\s*([0-9a-f]+)/)![1]}`);
    expect(await capEff('privileged', { privileged: true })).toBe(all);
    await expect(rt.createContainer(p.id, p.ctr('bad', 'true', { linux: { securityContext: { capabilities: { addCapabilities: ['NET_TELEPATHY'] } } } }), p.config)).rejects.toMatchObject({
      reason: RuntimeReason.CreateContainerError,
      message: expect.stringContaining('unknown capability "NET_TELEPATHY"'),
    });
  });

  it('gives each pod an IP on 127/8 its processes bind and its peers and port-forwards reach', async () => {
    const rt = await runtime();
    const p = await pod(rt, 'server');
    const ip = (await rt.podSandboxStatus(p.id)).network!.ip;
    expect(ip).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(ip).not.toBe('127.0.0.1');
    const server = `require('http').createServer((q, r) => r.end('hi from ' + require('os').hostname())).listen(8080, process.env.POD_IP)`;
    const id = await p.start('http', `exec node -e "${server}"`, { envs: [{ key: 'POD_IP', value: ip }] });
    let body = '';
    for (let i = 0; i < 200 && !body; i++) {
      body = await fetch(`http://${ip}:8080/`).then((r) => r.text(), () => '');
      if (!body) await new Promise((r) => setTimeout(r, 25));
    }
    expect(body).toBe('hi from server');
    const peer = await p.start('peer', 'sleep 30');
    const viaPeer = await rt.execSync(peer, ['node', '-e', `fetch('http://${ip}:8080/').then((r) => r.text()).then(console.log)`], 10_000);
    expect(viaPeer.stdout.toString()).toBe('hi from server\n');

    const stream = await rt.portForward(p.id, 8080);
    const reply = new Promise<string>((resolve) => {
      let got = '';
      stream.on('data', (d: Buffer) => { got += d.toString(); if (got.includes('hi from')) resolve(got); });
    });
    stream.write('GET / HTTP/1.0\r\n\r\n');
    expect(await reply).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*hi from server$/);
    (stream as unknown as { destroy(): void }).destroy();
    await expect(rt.portForward(p.id, 1)).rejects.toMatchObject({ code: 'Unavailable' });
    await rt.stopContainer(id, 2000);
  });

  it('releases a pod IP on removal and keeps allocations across a restart', async () => {
    const stateDir = await tempDir();
    const rt = new ProcessRuntime({ stateDir, podIpOctet: 77 });
    const a = await pod(rt);
    const b = await pod(rt);
    const ipA = (await rt.podSandboxStatus(a.id)).network!.ip;
    const ipB = (await rt.podSandboxStatus(b.id)).network!.ip;
    expect([ipA, ipB]).toEqual(['127.77.0.1', '127.77.0.2']);
    await rt.close();
    const again = new ProcessRuntime({ stateDir, podIpOctet: 77 });
    runtimes.push(again);
    const c = await pod(again);
    expect((await again.podSandboxStatus(c.id)).network!.ip).toBe('127.77.0.3');
    await again.stopPodSandbox(a.id);
    expect((await again.podSandboxStatus(a.id)).network).toBeUndefined();
  });

  it('fails to start a missing executable with the reason and message runc gives', async () => {
    const rt = await runtime();
    const p = await pod(rt);
    const id = await rt.createContainer(p.id, { ...p.ctr('bad', ''), command: ['no-such-binary'] }, p.config);
    await expect(rt.startContainer(id)).rejects.toMatchObject({ reason: RuntimeReason.RunContainerError });
    expect(await rt.containerStatus(id)).toMatchObject({ state: 'Exited', exitCode: 128, reason: 'StartError', message: 'exec: "no-such-binary": executable file not found in $PATH' });
  });

  it('reports a sandbox that cannot be set up as a start error with bwrap\'s reason', async () => {
    const rt = await runtime();
    const p = await pod(rt);
    const dir = await tempDir();
    const id = await rt.createContainer(p.id, p.ctr('clash', 'true', { mounts: [{ hostPath: dir, containerPath: '/etc/passwd' }] }), p.config);
    await expect(rt.startContainer(id)).rejects.toMatchObject({ reason: RuntimeReason.RunContainerError, message: expect.stringMatching(/^sandbox setup failed: bwrap: /) });
    expect(await rt.containerStatus(id)).toMatchObject({ state: 'Exited', exitCode: 128, reason: 'StartError' });
  });

  it('says in the status message which fields it does not honour, and refuses containers without a command', async () => {
    const rt = await runtime();
    const p = await pod(rt);
    const id = await rt.createContainer(p.id, p.ctr('limited', 'true', {
      linux: { resources: { memoryLimitInBytes: 64 << 20 }, securityContext: { runAsUser: 1000, seccomp: { profileType: 'RuntimeDefault' } } },
      mounts: [{ hostPath: await tempDir(), containerPath: '/shared', propagation: 'Bidirectional' }],
    }), p.config);
    const msg = (await rt.containerStatus(id)).message!;
    for (const part of ['image content', 'busybox:1.36', 'resource limits', 'seccomp', 'mount propagation']) expect(msg).toContain(part);
    expect(msg).not.toContain('runAsUser'); // honoured (setpriv)
    await expect(rt.createContainer(p.id, { ...p.ctr('nocmd', ''), command: [], args: [] }, p.config)).rejects.toMatchObject({ reason: RuntimeReason.CreateContainerConfigError });
    await expect(rt.createContainer(p.id, p.ctr('badmount', 'true', { mounts: [{ hostPath: '/nonexistent/peapod', containerPath: '/x' }] }), p.config)).rejects.toMatchObject({
      reason: RuntimeReason.CreateContainerConfigError,
      message: 'host path "/nonexistent/peapod" for mount "/x" does not exist',
    });
  });

  it('reports CPU and memory of a running container', async () => {
    const rt = await runtime();
    const p = await pod(rt);
    const id = await p.start('busy', 'sleep 30');
    const stats = await rt.containerStats(id);
    expect(stats.memory!.workingSetBytes).toBeGreaterThan(0);
    expect(stats.cpu!.usageCoreNanoSeconds).toBeGreaterThanOrEqual(0);
    expect((await rt.podSandboxStats(p.id)).containers.map((c) => c.id)).toEqual([id]);
  });

  it('learns an exit nobody recorded from bwrap\'s status file, as after a crash of the runtime\'s process', async () => {
    const stateDir = await tempDir();
    const rt = new ProcessRuntime({ stateDir });
    const p = await pod(rt);
    const id = await p.start('brief', 'echo hi; sleep 0.2; exit 7');
    await rt.close();
    const dir = join(stateDir, 'containers', id);
    while (!existsSync(join(dir, 'exit.json'))) await new Promise((r) => setTimeout(r, 10));
    await rm(join(dir, 'exit.json')); // what a crashed runtime would not have written
    const { mtimeMs } = await stat(join(dir, 'bwrap-status.json'));
    const again = new ProcessRuntime({ stateDir });
    runtimes.push(again);
    expect(await again.containerStatus(id)).toMatchObject({ state: 'Exited', exitCode: 7, reason: 'Error', finishedAt: mtimeMs });
    expect(await logOf(again, id)).toBe('hi\n');
  });

  it('does not adopt a process whose pid was reused', async () => {
    const stateDir = await tempDir();
    const rt = new ProcessRuntime({ stateDir });
    const p = await pod(rt);
    const id = await p.start('long', 'sleep 30');
    await rt.close();
    const file = join(stateDir, 'containers', id, 'container.json');
    const rec = JSON.parse(await readFile(file, 'utf8'));
    try {
      rec.proc.pidStart += 1; // as if the recorded pid now belonged to another process
      await writeFile(file, JSON.stringify(rec));
      const again = new ProcessRuntime({ stateDir });
      cleanups.push(() => again.close());
      expect(await again.containerStatus(id)).toMatchObject({ state: 'Exited', exitCode: 255, message: 'exited while no runtime instance was watching; exit code unknown' });
    } finally {
      // the process still runs (nobody adopted it): end it, and let the closed instance record the exit before the state dir goes
      signal(rec.proc.childPid, 'SIGKILL');
      while (!existsSync(join(stateDir, 'containers', id, 'exit.json'))) await new Promise((r) => setTimeout(r, 5));
    }
  });
});

describe('ProcessRuntimeModule', () => {
  it('registers the process runtime, whose factory checks its options', async () => {
    const app = composeModules([RuntimeModule, ProcessRuntimeModule]);
    const factory = app.container.resolve(RuntimeRegistry).get('process');
    const ctx = { clock: new RealClock(), logger: silentLogger };
    expect(() => factory({}, ctx)).toThrow('process runtime: option stateDir (a directory) is required');
    expect(() => factory({ stateDir: '/tmp/x', podIpOctet: 300 }, ctx)).toThrow('podIpOctet must be an integer in 1..254');
    const rt = await factory({ stateDir: await tempDir(), podIpOctet: 42 }, ctx);
    expect((await rt.version()).runtimeName).toBe('process');
    const p = await pod(rt);
    expect((await rt.podSandboxStatus(p.id)).network!.ip).toBe('127.42.0.1');
    await rt.removePodSandbox(p.id);
    await rt.close();
    await expect(rt.version()).rejects.toMatchObject({ code: 'Unavailable' });
  });
});

describe('ProcessRuntime without bwrap', () => {
  it('runs containers unsandboxed, says so, and refuses those that mount volumes', async () => {
    const rt = await runtime({ bwrap: false });
    const ready = (await rt.status()).conditions.find((c) => c.type === 'RuntimeReady')!;
    expect(ready).toMatchObject({ status: true, reason: 'NoSandbox' });
    const p = await pod(rt);
    const vol = await tempDir();
    await expect(rt.createContainer(p.id, p.ctr('vol', 'true', { mounts: [{ hostPath: vol, containerPath: '/data' }] }), p.config)).rejects.toMatchObject({
      reason: RuntimeReason.CreateContainerConfigError,
      message: expect.stringContaining('refuses without a sandboxing tool'),
    });
    const id = await p.start('plain', 'echo "$HOSTNAME"; exit 5');
    expect(await waitExit(rt, id)).toMatchObject({ exitCode: 5, message: expect.stringContaining('isolation') });
    expect(await logOf(rt, id)).toBe(`${p.config.metadata.name}\n`);
    const user = await p.start('user', 'id -u', { linux: { securityContext: { runAsUser: 1000 } } });
    await waitExit(rt, user);
    expect(await logOf(rt, user)).toBe('1000\n'); // setpriv needs no sandbox
    const svc = await p.start('svc', 'trap "exit 0" TERM; echo ready; while :; do sleep 0.05; done');
    while (!(await logOf(rt, svc))) await new Promise((r) => setTimeout(r, 10)); // the trap is installed
    expect((await rt.execSync(svc, ['sh', '-c', 'echo $HOSTNAME'])).stdout.toString()).toBe(`${p.config.metadata.name}\n`);
    await rt.stopContainer(svc, 5000);
    expect((await rt.containerStatus(svc)).exitCode).toBe(0);
  });
});
