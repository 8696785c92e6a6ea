import { join } from 'node:path';
import { isStatusError } from '@peapod/api-types';
import { ApiServer, ApiServerModule, ApiServerOptions, HttpHandlers, NodeStreamer, nodeUser } from '@peapod/apiserver';
import { ClientModule, KubeClient, Transport, leaderIdentity, type LeaderElectionSetting } from '@peapod/client';
import { Clock, Container, Logger, RealClock, composeModules, type ComposeHooks, type ComposedApp, type Module } from '@peapod/core';
import { ControllersModule, ControllersOptions } from '@peapod/controllers';
import { serveDashboard } from '@peapod/dashboard';
import { SchedulerConfig, SchedulerModule } from '@peapod/scheduler';
import { Store, StoreConfig, StoreModule } from '@peapod/store';
import { lockDataDir } from '../data-dir.js';
import { CliError } from '../errors.js';
import { fileLogger } from '../logger.js';
import { kubeletOf, nodeAgentModule, nodeGroupModule, nodeRootDir, parseRuntimeOptions, waitNodeReady } from '../node-agent.js';
import { RUNTIME_MODULES } from '../runtimes.js';
import { workerNodesModule } from '../worker-nodes/module.js';
import { parseFlags, parseListen } from './args.js';

const USAGE = `Usage: peapod up [flags]

Runs the API server, store, scheduler, controllers and one kubelet in this process.

Flags:
  --data-dir DIR            state, certificates, kubeconfig and logs (default ./.peapod)
  --listen HOST:PORT        API server address (default 127.0.0.1:6443)
  --store URL               sqlite:///PATH, memory:// or etcd://HOST:PORT[,...] (default sqlite DIR/state.db)
  --runtime NAME            container runtime for the local node: process (default), docker,
                            containerd, windows, or an npm package announcing a runtime plugin
  --runtime-opt KEY=VALUE   a runtime option (repeatable), e.g. socketPath=/run/docker.sock
  --node-name NAME          name of the local node (default: the host name)
  --pod-manifest-path DIR   run static pods from manifests in DIR
  --fake-nodes N            add N simulated nodes running the fake runtime
  --fake-nodes-worker       run the simulated nodes' kubelets on a worker thread (another core;
                            about 45 MB more memory and more CPU in all: see the README)
  --controllers LIST        controllers to run, e.g. '*' or '*,-cronjob' (default *)`;

export interface UpOptions {
  dataDir: string;
  host: string;
  port: number;
  storeUrl: string;
  runtime: string;
  runtimeOptions: Record<string, string>;
  nodeName: string;
  podManifestPath?: string;
  fakeNodes: number;
  /** Run the simulated nodes on a worker thread instead of the main one. */
  fakeNodesWorker?: boolean;
  controllers: string;
}

export function upOptions(argv: string[]): UpOptions | undefined {
  const flags = parseFlags(argv, {
    'data-dir': { type: 'string' },
    listen: { type: 'string' },
    store: { type: 'string' },
    runtime: { type: 'string' },
    'runtime-opt': { type: 'string', multiple: true },
    'node-name': { type: 'string' },
    'pod-manifest-path': { type: 'string' },
    'fake-nodes': { type: 'string' },
    'fake-nodes-worker': { type: 'boolean' },
    controllers: { type: 'string' },
  }, USAGE);
  if (!flags) return undefined;
  const dataDir = flags['data-dir'] ?? '.peapod';
  const { host, port } = parseListen(flags.listen ?? '127.0.0.1:6443');
  const fakeNodes = Number(flags['fake-nodes'] ?? 0);
  if (!Number.isInteger(fakeNodes) || fakeNodes < 0) throw new CliError(`--fake-nodes must be a whole number (got "${flags['fake-nodes']}")`);
  return {
    dataDir,
    host,
    port,
    storeUrl: flags.store ?? '',
    runtime: flags.runtime ?? 'process',
    runtimeOptions: parseRuntimeOptions((flags['runtime-opt'] ?? []) as unknown as string[]),
    nodeName: (flags['node-name'] ?? (process.env.HOSTNAME || 'peapod')).toLowerCase(),
    podManifestPath: flags['pod-manifest-path'],
    fakeNodes,
    fakeNodesWorker: flags['fake-nodes-worker'] ?? false,
    controllers: flags.controllers ?? '*',
  };
}

/** Simulated nodes: generous capacity so demos and benchmarks are not limited by it. */
const FAKE_NODE_CAPACITY = { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '1Ti' };

/** The control plane's settings, shared by `up` and `server`. */
export interface ControlPlaneOptions {
  host: string;
  port: number;
  /** Empty: sqlite in the data dir. */
  storeUrl: string;
  dataDir: string;
  /** Cluster CA, serving certificate, admin and join tokens (several servers share one). */
  pkiDir: string;
  controllers: string;
  /** Of the scheduler and the controller manager: off when one process owns the cluster's data. */
  leaderElection: LeaderElectionSetting;
  /** This process's identity on the Leases (default `<host>_<uuid>`). */
  identity?: string;
  nodeMonitorGracePeriodSeconds?: number;
  nodeMonitorPeriodSeconds?: number;
  /** Extra names or addresses for the serving certificate. */
  hosts?: string[];
}

export const storeUrlOf = (o: ControlPlaneOptions) => o.storeUrl || `sqlite://${join(o.dataDir, 'state.db')}`;

/**
 * The control plane (store, API server, client, scheduler, controllers) in a container; nothing
 * starts until the modules are composed and started. `streamerOf` finds the streaming endpoint of
 * a node whose kubelet runs in this process (on this thread or a worker): the API server reaches
 * them through a router.
 */
export function composeControlPlane(o: ControlPlaneOptions, logger: Logger, streamerOf: (node: string) => NodeStreamer | undefined): { container: Container; modules: Module[] } {
  // Nodes whose kubelet runs elsewhere (agents that joined) are reached over HTTPS, as k3s' server does.
  const streamingOf = (node: string | undefined) => (node ? streamerOf(node) : undefined) ?? container.resolve(ApiServer).kubelets;
  const router: NodeStreamer = {
    logs: (t, opts) => streamingOf(t.node).logs(t, opts),
    exec: (t, cmd, io) => streamingOf(t.node).exec(t, cmd, io),
    attach: (t, io) => streamingOf(t.node).attach(t, io),
    portForward: (t, port, stream, signal) => streamingOf(t.node).portForward(t, port, stream, signal),
  };
  const identity = o.identity ?? leaderIdentity();
  const container = Container.create()
    .provide(Clock, { useValue: new RealClock() })
    .provide(Logger, { useValue: logger })
    .provide(StoreConfig, { useValue: { url: storeUrlOf(o) } })
    .provide(ApiServerOptions, { useValue: { host: o.host, port: o.port, pkiDir: o.pkiDir, kubeconfigPath: join(o.dataDir, 'kubeconfig'), hosts: o.hosts } })
    .provide(NodeStreamer, { useValue: router })
    .provide(HttpHandlers, { useValue: [serveDashboard] })
    .provide(SchedulerConfig, { useValue: { leaderElection: o.leaderElection, identity } })
    .provide(ControllersOptions, {
      useValue: {
        controllers: o.controllers,
        leaderElection: o.leaderElection,
        identity,
        nodeMonitorGracePeriodSeconds: o.nodeMonitorGracePeriodSeconds,
        nodeMonitorPeriodSeconds: o.nodeMonitorPeriodSeconds,
      },
    })
    .provide(Transport, { useFactory: (c) => c.resolve(ApiServer).transport() });
  return { container, modules: [StoreModule, ApiServerModule, ClientModule, SchedulerModule, ControllersModule] };
}

/**
 * Composes the all-in-one cluster; nothing starts until `app.start()`. Each node (the local one and
 * any simulated ones) is a child composition with its own client under the node's identity.
 */
export function composeCluster(o: UpOptions, logger: Logger, hooks?: ComposeHooks): ComposedApp {
  const nodes = new Map<string, ComposedApp>();
  const fakeNames = Array.from({ length: o.fakeNodes }, (_, i) => `fake-node-${i}`);
  const fakeNode = (nodeName: string) => ({ nodeName, rootDir: nodeRootDir(o.dataDir, nodeName), capacity: FAKE_NODE_CAPACITY, labels: { 'peapod.dev/fake-node': 'true' } });
  // On a worker thread (another core), as each kubelet is its own process in Kubernetes; by default
  // on this one, where they share the API server's objects and cost less CPU and memory in all.
  const worker = o.fakeNodes && o.fakeNodesWorker ? workerNodesModule('fake-nodes', fakeNames.map(fakeNode)) : undefined;
  // One process owns the data dir (it is locked), so no leader election: a restart acts at once.
  const { container, modules } = composeControlPlane(
    { ...o, pkiDir: join(o.dataDir, 'pki'), leaderElection: false },
    logger,
    (node) => kubeletOf(nodes, node)?.streaming ?? worker?.streamer(node),
  );
  const asNode = (name: string) => (parent: Container) => parent.resolve(ApiServer).transport(nodeUser(name));
  const nodeModules: Module[] = [
    nodeAgentModule({
      nodeName: o.nodeName,
      runtime: o.runtime,
      runtimeOptions: { ...(o.runtime === 'process' ? { stateDir: join(o.dataDir, 'runtime') } : {}), ...o.runtimeOptions },
      rootDir: nodeRootDir(o.dataDir, o.nodeName),
      podManifestPath: o.podManifestPath,
      transport: asNode(o.nodeName),
    }, nodes),
    ...(worker ? [worker] : []),
    ...(o.fakeNodes && !worker
      ? [nodeGroupModule('fake-nodes', fakeNames.map((name) => nodeAgentModule({ ...fakeNode(name), runtime: 'fake', runtimeOptions: {}, transport: asNode(name) }, nodes)))]
      : []),
  ];
  return composeModules([...modules, ...RUNTIME_MODULES, ...nodeModules], container, hooks);
}

/** Maps a control plane's start-up failures users can fix to one-line errors; `failed` is the module whose start threw. */
export function explainStartFailure(err: unknown, o: ControlPlaneOptions, command: string, failed: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE') return new CliError(`${o.host}:${o.port} is already in use (another peapod ${command}?); stop it or pass --listen HOST:PORT`);
  if (e?.code === 'EACCES' && e.syscall === 'listen') return new CliError(`no permission to listen on ${o.host}:${o.port}; pass --listen with a port above 1024`);
  if (e?.code === 'EADDRNOTAVAIL') return new CliError(`cannot listen on ${o.host}: no such local address; pass --listen 127.0.0.1:PORT`);
  if (failed === 'store' && isStatusError(err)) return new CliError(`store ${storeUrlOf(o)} is unreachable or unusable: ${err.message}`);
  return err;
}

/** How a command runs its app (see `serveApp`). */
export interface ServeIo {
  say: (line: string) => void;
  logger: Logger;
  /** Runs once the app stopped, or failed to start: flushes logs, unlocks the data dir. */
  release: () => void;
  /** The module starting now (from the composition's `starting` hook). */
  starting: () => string;
  /** The error to report when the start failed in module `failed`. */
  explain: (err: unknown, failed: string) => unknown;
  /** What a signal's stop line adds, e.g. that pods keep running (default "stopping"). */
  stopping?: string;
}

/**
 * Runs a composed app as a command: starts it and waits for `ready` (a failure of either is
 * undone and reported through `explain`), serves until SIGINT/SIGTERM, then stops gracefully; a
 * second signal exits at once.
 */
export async function serveApp(app: ComposedApp, io: ServeIo, ready: () => Promise<void>): Promise<number> {
  let stopping: Promise<void> | undefined;
  const shutdown = (why: string) => {
    if (stopping) {
      io.say('second signal: exiting now');
      process.exit(130);
    }
    io.say(`${why}: ${io.stopping ?? 'stopping'}`);
    stopping = app.stop().catch((err) => io.logger.error('stop failed', { err: String(err) })).finally(io.release);
  };
  try {
    await app.start();
    await ready();
  } catch (err) {
    const failed = io.starting();
    await app.stop().catch(() => undefined);
    // A store that never answered is not among the started modules, yet holds connections open.
    if (failed === 'store') await app.container.resolve(Store).close().catch(() => undefined);
    io.release();
    throw io.explain(err, failed);
  }
  await new Promise<void>((resolve) => {
    process.on('SIGINT', () => { shutdown('interrupted'); void stopping!.then(resolve); });
    process.on('SIGTERM', () => { shutdown('terminated'); void stopping!.then(resolve); });
  });
  io.say('stopped');
  return 0;
}

export async function up(argv: string[]): Promise<number> {
  const parsed = upOptions(argv);
  if (!parsed) return 0;
  const lock = lockDataDir(parsed.dataDir);
  const o = { ...parsed, dataDir: lock.dir };
  const { logger, flush } = fileLogger(join(o.dataDir, 'peapod.log'));
  const say = (line: string) => console.log(`peapod: ${line}`);
  say(`data dir ${o.dataDir} (logs in peapod.log)`);
  const t0 = performance.now();
  let starting = '';
  const app = composeCluster(o, logger, { starting: (m) => { starting = m.name; }, started: (m, ms) => say(`${m.name} started (${Math.round(ms)} ms)`) });
  const release = () => { flush(); lock.release(); };
  const cp = { ...o, pkiDir: join(o.dataDir, 'pki'), leaderElection: false };
  const explain = (err: unknown, failed: string) => explainStartFailure(err, cp, 'up', failed);
  return serveApp(app, { say, logger, release, starting: () => starting, explain }, async () => {
    await waitNodeReady(app.container.resolve(KubeClient), o.nodeName, 30_000, 'peapod.log');
    const api = app.container.resolve(ApiServer);
    say(`API server at ${api.url} (dashboard at ${api.url}/ui/, token in ${join(o.dataDir, 'pki', 'admin.token')})`);
    console.log(`export KUBECONFIG=${join(o.dataDir, 'kubeconfig')}`);
    say(`agents join with: peapod agent --server ${api.url} --token-file ${join(o.dataDir, 'pki', 'join.token')} --node-name NAME`);
    say(`ready in ${Math.round(performance.now() - t0)} ms: node ${o.nodeName} is Ready${o.fakeNodes ? ` (+${o.fakeNodes} simulated nodes)` : ''}`);
  });
}
