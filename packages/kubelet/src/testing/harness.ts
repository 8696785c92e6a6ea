import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod, PodSpec } from '@peapod/api-types';
import { FakeClock, type Logger } from '@peapod/core';
import { FakeHost, FakeRuntime, type ContainerScript } from '@peapod/runtime/testing';
import type { KubeletEvents } from '../events.js';
import { Kubelet, type KubeletOptions } from '../kubelet.js';
import { FakeKubeletApi } from './fake-api.js';

export const T0 = Date.UTC(2025, 0, 1);

/** Set KUBELET_TEST_LOG=1 to see the kubelet's warnings while debugging a test. */
const consoleLogger: Logger = {
  debug: () => undefined,
  info: (msg, f) => console.log(msg, f ?? ''),
  warn: (msg, f) => console.log(msg, f ?? ''),
  error: (msg, f) => console.log(msg, f ?? ''),
  child: () => consoleLogger,
};

/** Real time to let file system work finish while a step waits on the fake clock. */
const realDelay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A kubelet on a fake clock, a fake runtime and a fake API. Containers follow scripts by container
 * name; `run(ms)` moves time a second at a time, letting the kubelet settle after each.
 */
export async function startKubelet(opts: { scripts?: Record<string, ContainerScript | (() => ContainerScript)>; patchRuntime?: (rt: FakeRuntime) => void; options?: Partial<KubeletOptions>; host?: FakeHost; api?: FakeKubeletApi; clock?: FakeClock } = {}) {
  const clock = opts.clock ?? new FakeClock(T0);
  const host = opts.host ?? new FakeHost(clock);
  const scripts = opts.scripts ?? {};
  const runtime = new FakeRuntime({
    host,
    script: (config) => {
      const s = scripts[config.metadata.name];
      return typeof s === 'function' ? s() : s;
    },
  });
  opts.patchRuntime?.(runtime);
  const api = opts.api ?? new FakeKubeletApi();
  const rootDir = mkdtempSync(join(tmpdir(), 'kubelet-test-'));
  const kubelet = new Kubelet({ api, runtime, clock, ...(process.env.KUBELET_TEST_LOG ? { logger: consoleLogger } : {}) }, { nodeName: 'node-1', rootDir, os: 'linux', nodeIPs: ['10.0.0.1'], ...opts.options });
  const log: string[] = [];
  const record = <K extends keyof KubeletEvents>(name: K, fmt: (...a: KubeletEvents[K]) => string) =>
    kubelet.events.on(name, ((...a: KubeletEvents[K]) => log.push(`${Math.round((clock.now() - T0) / 100) / 10}s ${fmt(...a)}`)) as never);
  record('containerStarted', (_p, c, _id, n) => `started ${c}#${n}`);
  record('containerKilling', (_p, c) => `killing ${c}`);
  record('containerExited', (_p, c, _id, code) => `exited ${c} ${code}`);
  await kubelet.start();
  await Promise.race([kubelet.settle(), realDelay(50)]);
  const h = {
    clock, host, runtime, api, kubelet, rootDir, log,
    /** Lets the kubelet finish what it can without time moving (steps waiting on the clock stay pending). */
    async settle() {
      await Promise.race([kubelet.settle(), realDelay(50)]);
    },
    /** Advances fake time by `ms`, one second at a time. */
    async run(ms: number, stepMs = 1000) {
      for (let left = ms; left > 0; left -= stepMs) {
        await clock.advance(Math.min(stepMs, left));
        await h.settle();
      }
    },
    pod(name: string) {
      return api.get('default', name)!;
    },
    status(name: string) {
      return api.get('default', name)?.status;
    },
    container(podName: string, c: string) {
      const s = api.get('default', podName)?.status;
      return [...(s?.initContainerStatuses ?? []), ...(s?.containerStatuses ?? []), ...(s?.ephemeralContainerStatuses ?? [])].find((x) => x.name === c);
    },
    async create(name: string, spec: Partial<PodSpec> & { containers: Container[] }, meta: Partial<Pod['metadata']> = {}) {
      const pod = api.addPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name, ...meta }, spec: { nodeName: 'node-1', terminationGracePeriodSeconds: 30, ...spec } });
      await h.settle();
      return pod;
    },
    async stop() {
      await kubelet.stop();
      rmSync(rootDir, { recursive: true, force: true });
    },
  };
  return h;
}

export type Harness = Awaited<ReturnType<typeof startKubelet>>;
