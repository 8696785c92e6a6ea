import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ClientModule, KubeClient, Transport } from '@peapod/client';
import { Clock, Container, Logger, composeModules, type ComposedApp, type Module } from '@peapod/core';
import { KubeletInstance, KubeletModule, KubeletModuleOptions, startKubeletServer, type KubeletServerOptions, type RunningKubeletServer } from '@peapod/kubelet';
import { Runtime, RuntimeRegistry, isRuntimeError, loadRuntimePlugin, type RuntimeOptions } from '@peapod/runtime';
import { RESOURCES, serviceUnavailable, type Node } from '@peapod/api-types';
import { CliError } from './errors.js';

export interface NodeAgentSpec {
  nodeName: string;
  /** A registered runtime name, or an npm package that announces a runtime module. */
  runtime: string;
  runtimeOptions: RuntimeOptions;
  /** The kubelet's root (pod directories). */
  rootDir: string;
  podManifestPath?: string;
  /** How this node's kubelet reaches the API, under the node's own identity. */
  transport: (parent: Container) => Transport;
  /** Extra node settings (simulated nodes advertise their own capacity). */
  capacity?: Record<string, string>;
  labels?: Record<string, string>;
  /**
   * Serves the kubelet's HTTPS API (logs, exec, attach for the API server) and advertises it in the
   * Node: InternalIP = `advertise`, kubelet port = the port listened on. Absent for nodes the API
   * server reaches in process.
   */
  serve?: KubeletServerOptions & { advertise: string };
  /** Modules that must start before this node (default: the in-process API server). */
  dependsOn?: readonly string[];
}

/**
 * One node of the cluster as a module of the app: a child container with its own client
 * (authenticated as `system:node:<name>`), runtime and kubelet, composed and started when this
 * module starts. The runtime is looked up by name in the parent's `RuntimeRegistry`, loading an
 * npm runtime plugin when the name is not registered.
 */
export function nodeAgentModule(spec: NodeAgentSpec, registry: Map<string, ComposedApp>): Module {
  let server: RunningKubeletServer | undefined;
  return {
    name: `node:${spec.nodeName}`,
    dependsOn: ['runtime', ...(spec.dependsOn ?? ['apiserver'])],
    register() {
      // Nothing to register up front: the node's child composition is made in start, once its runtime exists.
    },
    async start(parent) {
      const runtimes = parent.resolve(RuntimeRegistry);
      if (!runtimes.has(spec.runtime)) {
        try {
          await loadRuntimePlugin(runtimes, spec.runtime);
        } catch (err) {
          throw new CliError(`unknown runtime "${spec.runtime}" (known: ${runtimes.names().sort().join(', ')}): ${(err as Error).message}`);
        }
      }
      const clock = parent.resolve(Clock);
      const logger = parent.resolve(Logger).child({ node: spec.nodeName });
      let runtime: Runtime;
      try {
        runtime = await runtimes.get(spec.runtime)(spec.runtimeOptions, { clock, logger });
        await runtime.version();
      } catch (err) {
        throw new CliError(`runtime "${spec.runtime}" for node ${spec.nodeName} is not usable: ${isRuntimeError(err) ? err.message : String(err)}`);
      }
      // The endpoint listens first (it learns its port), and finds the kubelet on each request.
      server = spec.serve && await startKubeletServer(spec.serve, () => {
        const kubelet = kubeletOf(registry, spec.nodeName);
        if (!kubelet) throw serviceUnavailable(`the kubelet of node ${spec.nodeName} is starting`);
        return kubelet.streaming;
      }, logger);
      const child = parent.createChild()
        .provide(Transport, { useValue: spec.transport(parent) })
        .provide(Runtime, { useValue: runtime })
        .provide(KubeletModuleOptions, {
          useValue: {
            nodeName: spec.nodeName,
            rootDir: spec.rootDir,
            podManifestPath: spec.podManifestPath,
            parseManifest: (text: string) => parseYaml(text, { maxAliasCount: 50 }),
            capacity: spec.capacity,
            labels: spec.labels,
            ...(server && spec.serve ? { nodeIPs: [spec.serve.advertise], kubeletPort: server.port } : {}),
          },
        });
      const composed = composeModules([ClientModule, KubeletModule], child);
      try {
        await composed.start();
      } catch (err) {
        await server?.close();
        server = undefined;
        throw err;
      }
      registry.set(spec.nodeName, composed);
    },
    async stop() {
      const app = registry.get(spec.nodeName);
      registry.delete(spec.nodeName);
      await server?.close();
      server = undefined;
      await app?.stop();
    },
  };
}

/**
 * Many nodes as one module that starts them `concurrency` at a time (each node's start is mostly
 * waiting on its first API writes' commits, which concurrent starts share) and stops them all at
 * once. If one fails to start, the nodes already started are stopped and its error is thrown.
 */
export function nodeGroupModule(name: string, nodes: readonly Module[], concurrency = 32): Module {
  const started = new Set<Module>();
  const stopAll = async (parent: Container) => {
    const results = await Promise.allSettled([...started].map((m) => m.stop?.(parent)));
    started.clear();
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  return {
    name,
    dependsOn: [...new Set(nodes.flatMap((m) => m.dependsOn ?? []))],
    register() {
      // Node modules register nothing up front (see nodeAgentModule).
    },
    async start(parent) {
      let next = 0;
      const worker = async () => {
        while (next < nodes.length) {
          const m = nodes[next++]!;
          try {
            await m.start?.(parent);
          } catch (err) {
            next = nodes.length; // the other workers take no further node
            throw err;
          }
          started.add(m);
        }
      };
      const results = await Promise.allSettled(Array.from({ length: Math.min(concurrency, nodes.length) }, worker));
      const failed = results.find((r) => r.status === 'rejected');
      if (!failed) return;
      await stopAll(parent).catch(() => undefined);
      throw failed.reason;
    },
    stop: stopAll,
  };
}

/** Resolves with the Node once it reports Ready (or throws after `timeoutMs`, pointing at `logFile`). */
export async function waitNodeReady(client: KubeClient, node: string, timeoutMs: number, logFile: string): Promise<Node> {
  const nodes = client.resource(RESOURCES.nodes);
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const n = await nodes.get(node).catch(() => undefined) as Node | undefined;
    if (n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return n;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new CliError(`node ${node} did not become Ready within ${timeoutMs / 1000} s; see ${logFile}`);
}

/** `--runtime-opt KEY=VALUE` flags as runtime options. */
export function parseRuntimeOptions(flags: readonly string[]): Record<string, string> {
  return Object.fromEntries(flags.map((kv) => {
    const i = kv.indexOf('=');
    if (i <= 0) throw new CliError(`--runtime-opt must be KEY=VALUE (got "${kv}")`);
    return [kv.slice(0, i), kv.slice(i + 1)];
  }));
}

/** The kubelet of a node composed in this process. */
export const kubeletOf = (registry: Map<string, ComposedApp>, node: string) => registry.get(node)?.container.resolve(KubeletInstance);

export const nodeRootDir = (dataDir: string, node: string) => join(dataDir, 'nodes', node);
