/**
 * The simulated nodes' worker thread (started by `workerNodesModule`): the fake runtime and one
 * kubelet per node, each with its own client to the API server over the port it was given, under
 * its node's identity. Runs when loaded as a worker, and only then.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PortBatcher, PortClient } from '@peapod/client';
import { Clock, Container, Logger, RealClock, composeModules, type ComposedApp } from '@peapod/core';
import { RuntimeModule } from '@peapod/runtime';
import { kubeletOf, nodeAgentModule, nodeGroupModule } from '../node-agent.js';
import type { FromWorker, LogLevel, ToWorker, WorkerNodesData } from './protocol.js';
import { serveStreaming } from './streaming.js';

const host = parentPort!;
const data = workerData as WorkerNodesData;
const report = (m: FromWorker) => host.postMessage(m);

/** Log records go to the main thread's logger (peapod.log), batched; fields that cannot be cloned are sent as JSON. */
const logs = new PortBatcher<[LogLevel, string, Record<string, unknown>]>({
  postMessage(records) {
    try {
      report({ t: 'log', records: records as never });
    } catch {
      report({ t: 'log', records: JSON.parse(JSON.stringify(records)) as never });
    }
  },
});
const forwardingLogger = (bindings: Record<string, unknown>): Logger => {
  const at = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => logs.send([level, msg, { ...bindings, ...fields }]);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => forwardingLogger({ ...bindings, ...more }) };
};

const client = new PortClient(data.api);
const kubelets = new Map<string, ComposedApp>();
const logger = forwardingLogger({ thread: 'simulated-nodes' });
const container = Container.create()
  .provide(Clock, { useValue: new RealClock() })
  .provide(Logger, { useValue: logger });
const nodes = data.nodes.map((n) => nodeAgentModule({
  ...n,
  runtime: 'fake',
  runtimeOptions: {},
  transport: () => client.transport(n.user),
  dependsOn: [],
}, kubelets));
const app = composeModules([RuntimeModule, nodeGroupModule('fake-nodes', nodes, data.concurrency)], container);
serveStreaming(data.streaming, (node) => kubeletOf(kubelets, node)?.streaming);

/** Lets the thread end once nothing is left: the ports are what keeps it alive. */
const release = () => {
  data.api.close();
  data.streaming.close();
  host.close();
};
host.on('message', (m: ToWorker) => {
  if (m.t !== 'stop') return;
  app.stop().then(
    () => report({ t: 'stopped' }),
    (err: unknown) => report({ t: 'stopped', error: String(err) }),
  ).finally(() => setImmediate(release));
});
const t0 = performance.now();
app.start().then(
  () => {
    logger.info('simulated nodes started', { nodes: data.nodes.length, ms: Math.round(performance.now() - t0) });
    report({ t: 'started' });
  },
  (err: unknown) => {
    report({ t: 'failed', message: err instanceof Error ? err.message : String(err) });
    setImmediate(release);
  },
);
