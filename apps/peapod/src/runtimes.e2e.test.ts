import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineSkipReason, startPrivateEngine, type EngineKind, type PrivateEngine } from '@peapod/runtime/testing';
import { eventually, kubectl, startUp, tempDir, type RunningUp } from './testing/cli.js';

/**
 * `peapod up` on real container engines: the seeds' multi-container pod (a web server and a
 * sidecar sharing an emptyDir, talking over localhost) through the real kubelet and the Docker or
 * containerd adapter, driven with the real kubectl; then the process is SIGKILLed and started
 * again on the same data dir, and must adopt the running containers (same ids and processes in the
 * engine, restart counts unchanged). Engines come from tools/images/start-engines.sh; a machine
 * without one skips its leg with the reason printed (CI never skips).
 */

const run = promisify(execFile);

/**
 * The seeds' example with busybox: `web` serves the emptyDir, `sidecar` fetches from it over localhost into it
 * (quietly retrying until the server listens, so its log is the page alone).
 */
const manifest = (port: number) => `
apiVersion: v1
kind: Pod
metadata:
  name: web-sidecar
spec:
  volumes:
    - name: shared-data
      emptyDir: {}
  containers:
    - name: web
      image: busybox:1.36
      command: ["sh", "-c", "echo 'hello from the web container' > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www"]
      volumeMounts:
        - name: shared-data
          mountPath: /www
    - name: sidecar
      image: busybox:1.36
      command: ["sh", "-c", "until wget -q -O /pod-data/fetched.html http://localhost:${port}/index.html 2>/dev/null; do sleep 0.2; done; cat /pod-data/fetched.html; exec sleep 3600"]
      volumeMounts:
        - name: shared-data
          mountPath: /pod-data
`;

interface Leg {
  kind: EngineKind;
  upArgs(e: PrivateEngine): string[];
  /** Container id -> host pid of every running container, asked of the engine with its own client. */
  running(e: PrivateEngine): Promise<Map<string, number>>;
}

const legs: Leg[] = [
  {
    kind: 'docker',
    upArgs: (e) => ['--runtime', 'docker', '--runtime-opt', `socketPath=${e.socketPath}`],
    async running(e) {
      const docker = (...args: string[]) => run('docker', ['-H', `unix://${e.socketPath}`, ...args]).then((r) => r.stdout.trim());
      const ids = (await docker('ps', '-q', '--no-trunc')).split('\n').filter(Boolean);
      const pids = ids.length ? (await docker('inspect', '-f', '{{.Id}} {{.State.Pid}}', ...ids)).split('\n') : [];
      return new Map(pids.map((l) => l.split(' ')).map(([id, pid]) => [id, Number(pid)]));
    },
  },
  {
    kind: 'containerd',
    upArgs: (e) => ['--runtime', 'containerd', '--runtime-opt', `endpoint=unix://${e.socketPath}`],
    async running(e) {
      // `ctr tasks ls`: TASK PID STATUS, one running process per container (sandboxes included).
      const out = (await run('ctr', ['--address', e.socketPath, '-n', 'k8s.io', 'tasks', 'ls'])).stdout.trim().split('\n').slice(1);
      return new Map(out.map((l) => l.trim().split(/\s+/)).filter((f) => f[2] === 'RUNNING').map(([id, pid]) => [id, Number(pid)]));
    },
  },
];

interface PodStatus {
  phase?: string;
  containerStatuses?: { name: string; containerID?: string; restartCount: number; ready: boolean }[];
}
const statusOf = async (kc: string): Promise<PodStatus> => JSON.parse(await kubectl(kc, ['get', 'pod', 'web-sidecar', '-o', 'json'])).status;
const bothReady = async (kc: string) => {
  const s = await statusOf(kc);
  return s.phase === 'Running' && s.containerStatuses?.length === 2 && s.containerStatuses.every((c) => c.ready) && s;
};
/** kubectl's own exit code and output (kubectl exec passes the command's exit code on). */
const kubectlExit = (kc: string, args: string[]) =>
  run('kubectl', ['--kubeconfig', kc, ...args], { timeout: 30_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (err: { code?: number; stdout?: string }) => ({ code: err.code ?? -1, stdout: err.stdout ?? '' }),
  );

for (const leg of legs) {
  describe.skipIf(engineSkipReason(leg.kind))(`peapod up --runtime ${leg.kind}`, () => {
    let engine: PrivateEngine;
    const dataDir = tempDir(`peapod-e2e-${leg.kind}-`);
    let up: RunningUp | undefined;
    beforeAll(async () => {
      engine = await startPrivateEngine(leg.kind);
    }, 60_000);
    afterAll(async () => {
      await up?.stop('SIGKILL');
      await engine?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }, 40_000);

    it('runs the web server and its sidecar (localhost, shared emptyDir, logs, exec) and adopts them after a SIGKILL restart', async () => {
      const start = () => startUp(dataDir, ['--node-name', `e2e-${leg.kind}`, ...leg.upArgs(engine)], 30_000);
      up = await start();
      // containerd here gives pods the node's network, so the port must be free on the host.
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      await kubectl(up.kubeconfig, ['apply', '-f', '-'], { input: manifest(port) });
      const before = await eventually(() => bothReady(up!.kubeconfig), 30_000, 'both containers ready');

      await eventually(async () => (await kubectl(up!.kubeconfig, ['logs', 'web-sidecar', '-c', 'sidecar'])) === 'hello from the web container\n', 10_000, 'the sidecar logged the page');
      // The sidecar's write to the shared emptyDir is visible to the web container, and exit codes come back.
      expect(await kubectlExit(up.kubeconfig, ['exec', 'web-sidecar', '-c', 'web', '--', 'sh', '-c', 'cat /www/fetched.html; exit 3'])).toEqual({ code: 3, stdout: 'hello from the web container\n' });

      const engineBefore = await leg.running(engine);
      const ids = before.containerStatuses!.map((c) => c.containerID!.replace(`${leg.kind}://`, ''));
      for (const id of ids) expect(engineBefore.has(id)).toBe(true);

      await up.stop('SIGKILL');
      up = await start();
      const after = await eventually(() => bothReady(up!.kubeconfig), 30_000, 'both containers ready after the restart');
      expect(after.containerStatuses!.map((c) => [c.name, c.containerID, c.restartCount])).toEqual(before.containerStatuses!.map((c) => [c.name, c.containerID, 0]));
      // Adopted, not recreated: the engine runs the very same containers and processes, and nothing more.
      expect(await leg.running(engine)).toEqual(engineBefore);
      expect(await kubectl(up.kubeconfig, ['logs', 'web-sidecar', '-c', 'sidecar'])).toBe('hello from the web container\n');
    }, 90_000);
  });
}
