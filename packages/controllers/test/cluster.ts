import { setMaxListeners } from 'node:events';
import type { Pod } from '@peapod/api-types';
import { RESOURCES } from '@peapod/api-types';
import { InformerFactory, createClient, type KubeClient } from '@peapod/client';
import { FakeApiServer } from '@peapod/client/testing';
import { FakeClock, silentLogger, type Logger } from '@peapod/core';
import { resolveOptions, type ControllerContext, type ControllersOptions } from '../src/context.js';
import type { Controller } from '../src/controller.js';

/**
 * `@peapod/client`'s in-memory API server on a fake clock, a client and a started informer
 * factory: what the controllers' unit tests run against. The fake serves Kubernetes' storage
 * semantics (resourceVersions, conflicts, finalizers, graceful pod deletion, subresources,
 * selectors on watches) but no admission: a test sets the fields the API server would default.
 * Behaviour through the real API server and kubectl is covered by the app's e2e tests.
 */
export interface TestCluster {
  clock: FakeClock;
  client: KubeClient;
  /** The fake API server under `client`, for building further clients. */
  server: FakeApiServer;
  ctx: ControllerContext;
  /** Runs a controller until `close`. */
  run(c: Controller, workers?: number): void;
  close(): Promise<void>;
}

export async function startCluster(options: ControllersOptions = {}): Promise<TestCluster> {
  const clock = new FakeClock(Date.UTC(2025, 0, 1));
  const server = new FakeApiServer({ clock });
  const client = createClient(server);
  await client.resource(RESOURCES.namespaces).create({ metadata: { name: 'default' } });
  const logger = process.env.CONTROLLERS_DEBUG ? consoleLogger : silentLogger;
  const informers = new InformerFactory({ client, clock, logger });
  informers.start();
  const ctx: ControllerContext = { client, informers, clock, logger, options: resolveOptions(options) };
  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  const running: Promise<void>[] = [];
  return {
    clock, client, ctx, server,
    run(c, workers = 2) { running.push(c.run(workers, abort.signal)); },
    async close() {
      abort.abort();
      await Promise.all(running);
      await informers.stop();
      server.closeWatches();
    },
  };
}

/** Set CONTROLLERS_DEBUG=1 to see the controllers' warnings (failed reconciles) while a test runs. */
const consoleLogger: Logger = {
  debug: () => undefined, info: () => undefined,
  warn: (m, f) => console.warn(m, f), error: (m, f) => console.error(m, f),
  child: () => consoleLogger,
};

/** Polls `check` (real time, every 5 ms) until it returns a truthy value, or fails after `ms`. */
export async function until<T>(check: () => T | Promise<T>, what = 'condition', ms = 5_000): Promise<Exclude<T, false | '' | 0 | null | undefined>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as Exclude<T, false | '' | 0 | null | undefined>;
    } catch (err) { last = err; }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets in-flight reconciles settle: `until` for negative assertions ("nothing more happens"). */
export const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

export const podTemplate = (labels: Record<string, string>, image = 'busybox') => ({
  metadata: { labels },
  spec: { containers: [{ name: 'app', image }] },
});

/** Plays the kubelet: moves a pod to Running with Ready=True (or the given phase). */
export async function setPodPhase(client: KubeClient, pod: Pod, phase: 'Running' | 'Succeeded' | 'Failed' | 'Pending', opts: {
  ready?: boolean; now?: number; exitCode?: number; containerName?: string; conditions?: { type: string; status: string }[]; restartCount?: number;
} = {}): Promise<Pod> {
  const pods = client.resource(RESOURCES.pods);
  const cur = await pods.get(pod.metadata.name!, { namespace: pod.metadata.namespace });
  const at = new Date(opts.now ?? Date.UTC(2025, 0, 1)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const ready = opts.ready ?? phase === 'Running';
  const name = opts.containerName ?? cur.spec?.containers[0]?.name ?? 'app';
  const state = phase === 'Running'
    ? { running: { startedAt: at } }
    : phase === 'Pending' ? { waiting: { reason: 'ContainerCreating' } }
      : { terminated: { exitCode: opts.exitCode ?? (phase === 'Succeeded' ? 0 : 1), reason: phase === 'Succeeded' ? 'Completed' : 'Error', finishedAt: at } };
  return pods.updateStatus({
    ...cur,
    status: {
      ...cur.status,
      phase,
      conditions: [
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: at },
        ...(opts.conditions ?? []).map((c) => ({ ...c, lastTransitionTime: at })),
      ],
      containerStatuses: [{ name, image: 'busybox', imageID: '', ready, restartCount: opts.restartCount ?? 0, state }],
    },
  } as Pod);
}

/**
 * Plays the kubelet for every pod: pods without a phase (or Pending) become Running and Ready
 * on the next poll unless `hold(pod)` says otherwise. Returns a stop function.
 */
export function fakeKubelet(client: KubeClient, opts: { hold?: (pod: Pod) => boolean; now?: () => number } = {}): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const pods = (await client.resource(RESOURCES.pods).list()).items;
      for (const p of pods) {
        if (p.metadata.deletionTimestamp || (p.status?.phase && p.status.phase !== 'Pending') || opts.hold?.(p)) continue;
        await setPodPhase(client, p, 'Running', { now: opts.now?.() }).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return async () => { stopped = true; await loop; };
}
