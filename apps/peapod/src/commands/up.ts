import { join } from 'node:path';
import { RESOURCES, serviceUnavailable, type Node } from '@peapod/api-types';
import { ApiServer, ApiServerModule, ApiServerOptions, HttpHandlers, NodeStreamer, nodeUser } from '@peapod/apiserver';
import { ClientModule, KubeClient, Transport } from '@peapod/client';
import { Clock, Container, Logger, RealClock, composeModules, type ComposedApp, type Module } from '@peapod/core';
import { ControllersModule, ControllersOptions } from '@peapod/controllers';
import { serveDashboard } from '@peapod/dashboard';
import { RuntimeModule } from '@peapod/runtime';
import { ContainerdRuntimeModule } from '@peapod/runtime-containerd';
import { DockerRuntimeModule } from '@peapod/runtime-docker';
import { ProcessRuntimeModule } from '@peapod/runtime-process';
import { WindowsRuntimeModule } from '@peapod/runtime-windows';
import { SchedulerModule } from '@peapod/scheduler';
import { StoreConfig, StoreModule } from '@peapod/store';
import { lockDataDir } from '../data-dir.js';
import { CliError } from '../errors.js';
import { fileLogger } from '../logger.js';
import { kubeletOf, nodeAgentModule, nodeRootDir } from '../node-agent.js';
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
    runtimeOptions: Object.fromEntries(((flags['runtime-opt'] ?? []) as unknown as string[]).map((kv) => {
      const i = kv.indexOf('=');
      if (i <= 0) throw new CliError(`--runtime-opt must be KEY=VALUE (got "${kv}")`);
      return [kv.slice(0, i), kv.slice(i + 1)];
    })),
    nodeName: (flags['node-name'] ?? (process.env.HOSTNAME || 'peapod')).toLowerCase(),
    podManifestPath: flags['pod-manifest-path'],
    fakeNodes,
    controllers: flags.controllers ?? '*',
  };
}

/** Maps start-up failures users can fix to one-line errors. */
function explain(err: unknown, o: UpOptions): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE') return new CliError(`${o.host}:${o.port} is already in use (another peapod up?); stop it or pass --listen HOST:PORT`);
  if (e?.code === 'EACCES' && e.syscall === 'listen') return new CliError(`no permission to listen on ${o.host}:${o.port}; pass --listen with a port above 1024`);
  if (e?.code === 'EADDRNOTAVAIL') return new CliError(`cannot listen on ${o.host}: no such local address; pass --listen 127.0.0.1:PORT`);
  return err;
}

/** Simulated nodes: generous capacity so demos and benchmarks are not limited by it. */
const FAKE_NODE_CAPACITY = { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '1Ti' };

/**
 * Composes the all-in-one cluster; nothing starts until `app.start()`. Each node (the local one and
 * any simulated ones) is a child composition with its own client under the node's identity; the
 * API server reaches their streaming endpoints through a router by node name.
 */
export function composeCluster(o: UpOptions, logger: Logger, hooks?: Parameters<typeof composeModules>[2]): ComposedApp {
  const nodes = new Map<string, ComposedApp>();
  const streamingOf = (node: string | undefined) => {
    const k = node ? kubeletOf(nodes, node) : undefined;
    if (!k) throw serviceUnavailable(`node "${node}" has no kubelet in this process`);
    return k.streaming;
  };
  const router: NodeStreamer = {
    logs: (t, opts) => streamingOf(t.node).logs(t, opts),
    exec: (t, cmd, io) => streamingOf(t.node).exec(t, cmd, io),
    attach: (t, io) => streamingOf(t.node).attach(t, io),
  };
  const c = Container.create()
    .provide(Clock, { useValue: new RealClock() })
    .provide(Logger, { useValue: logger })
    .provide(StoreConfig, { useValue: { url: o.storeUrl || `sqlite://${join(o.dataDir, 'state.db')}` } })
    .provide(ApiServerOptions, { useValue: { host: o.host, port: o.port, pkiDir: join(o.dataDir, 'pki'), kubeconfigPath: join(o.dataDir, 'kubeconfig') } })
    .provide(NodeStreamer, { useValue: router })
    .provide(HttpHandlers, { useValue: [serveDashboard] })
    // One process owns the data dir (it is locked), so no leader election: a restart acts at once.
    .provide(ControllersOptions, { useValue: { controllers: o.controllers, leaderElection: false } })
    .provide(Transport, { useFactory: (c) => c.resolve(ApiServer).transport() });
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
    ...Array.from({ length: o.fakeNodes }, (_, i) => nodeAgentModule({
      nodeName: `fake-node-${i}`,
      runtime: 'fake',
      runtimeOptions: {},
      rootDir: nodeRootDir(o.dataDir, `fake-node-${i}`),
      transport: asNode(`fake-node-${i}`),
      capacity: FAKE_NODE_CAPACITY,
      labels: { 'peapod.dev/fake-node': 'true' },
    }, nodes)),
  ];
  return composeModules([StoreModule, ApiServerModule, ClientModule, SchedulerModule, ControllersModule, RuntimeModule, ProcessRuntimeModule, DockerRuntimeModule, ContainerdRuntimeModule, WindowsRuntimeModule, ...nodeModules], c, hooks);
}

/** Resolves once the node reports Ready (or throws after `timeoutMs`). */
async function waitNodeReady(app: ComposedApp, node: string, timeoutMs: number): Promise<void> {
  const nodes = app.container.resolve(KubeClient).resource(RESOURCES.nodes);
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const n = await nodes.get(node).catch(() => undefined) as Node | undefined;
    if (n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new CliError(`node ${node} did not become Ready within ${timeoutMs / 1000} s; see peapod.log`);
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
  const app = composeCluster(o, logger, { started: (m, ms) => say(`${m.name} started (${Math.round(ms)} ms)`) });
  let stopping: Promise<void> | undefined;
  const shutdown = (why: string) => {
    if (stopping) {
      say('second signal: exiting now');
      process.exit(130);
    }
    say(`${why}: stopping (pods get their grace periods)`);
    stopping = app.stop().catch((err) => logger.error('stop failed', { err: String(err) })).finally(() => {
      flush();
      lock.release();
    });
  };
  try {
    await app.start();
  } catch (err) {
    await app.stop().catch(() => undefined);
    flush();
    lock.release();
    throw explain(err, o);
  }
  await waitNodeReady(app, o.nodeName, 30_000);
  const api = app.container.resolve(ApiServer);
  const kubeconfig = join(o.dataDir, 'kubeconfig');
  say(`API server at ${api.url} (dashboard at ${api.url}/ui/, token in ${join(o.dataDir, 'pki', 'admin.token')})`);
  console.log(`export KUBECONFIG=${kubeconfig}`);
  say(`ready in ${Math.round(performance.now() - t0)} ms: node ${o.nodeName} is Ready${o.fakeNodes ? ` (+${o.fakeNodes} simulated nodes)` : ''}`);
  await new Promise<void>((resolve) => {
    process.on('SIGINT', () => { shutdown('interrupted'); void stopping!.then(resolve); });
    process.on('SIGTERM', () => { shutdown('terminated'); void stopping!.then(resolve); });
  });
  say('stopped');
  return 0;
}
