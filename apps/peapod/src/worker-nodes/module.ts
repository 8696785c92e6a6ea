import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type WorkerOptions } from 'node:worker_threads';
import { ApiServer, nodeUser, servePort, type NodeStreamer, type UserInfo } from '@peapod/apiserver';
import { Logger, type Module } from '@peapod/core';
import { CliError } from '../errors.js';
import type { FromWorker, ToWorker, WorkerNodeSpec, WorkerNodesData } from './protocol.js';
import { bridgeStreamer } from './streaming.js';

export type WorkerNode = Omit<WorkerNodeSpec, 'user'>;

/** How long a graceful stop may take before the worker is terminated. */
const STOP_TIMEOUT_MS = 15_000;

/**
 * Starts the worker: the built `worker.js` next to this file when running from `dist` (what
 * `peapod` users run); from TypeScript sources (vitest, tsx) the `.ts` entry, imported once tsx's
 * hooks are registered in the worker (Node 20 applies no `--import` of a worker's execArgv to its
 * entry) and with the workspace's source condition, as the parent loaded this file.
 */
function startWorker(options: WorkerOptions): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here), options);
  const tsxApi = pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL('./worker.ts', here).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { ...options, eval: true, execArgv: [...(options.execArgv ?? []), '--conditions=@peapod/source'] });
}

/**
 * Simulated nodes on a worker thread: their kubelets (fake runtime) reach the API server through
 * a MessagePort (`servePort`), which grants only these nodes' identities, and the API server
 * reaches their streaming endpoints through `streamer(node)`. Start resolves once every node
 * started (a failure in the worker fails it with a one-line error); stop stops the kubelets
 * gracefully and ends the thread. A worker that dies while the cluster runs is logged as an error
 * and reported on stderr; its nodes then stop renewing their leases and go NotReady, as nodes
 * whose kubelet died do.
 */
export function workerNodesModule(name: string, specs: readonly WorkerNode[], concurrency = 32): Module & { streamer(node: string): NodeStreamer | undefined } {
  const names = new Set(specs.map((s) => s.nodeName));
  let running: { worker: Worker; exited: Promise<number>; stopping: boolean } | undefined;
  let streamer: NodeStreamer | undefined;

  return {
    name,
    dependsOn: ['apiserver'],
    register() {
      // Nothing up front: the worker and its ports exist once the API server does.
    },
    streamer: (node) => (names.has(node) ? streamer : undefined),
    async start(parent) {
      const logger = parent.resolve(Logger);
      const users = new Map<string, UserInfo>(specs.map((s) => [nodeUser(s.nodeName).name, nodeUser(s.nodeName)]));
      const api = new MessageChannel();
      const streaming = new MessageChannel();
      servePort(parent.resolve(ApiServer).core, api.port1, users);
      streamer = bridgeStreamer(streaming.port1);
      const data: WorkerNodesData = {
        nodes: specs.map((s) => ({ ...s, user: nodeUser(s.nodeName).name })),
        concurrency,
        api: api.port2,
        streaming: streaming.port2,
      };
      const worker = startWorker({ workerData: data, transferList: [api.port2, streaming.port2], name });
      const run = { worker, exited: new Promise<number>((resolve) => worker.once('exit', resolve)), stopping: false };
      running = run;
      worker.on('message', (m: FromWorker) => {
        if (m.t === 'log') for (const [level, msg, fields] of m.records) logger[level](msg, fields);
      });
      worker.on('error', (err) => logger.error('the simulated nodes\' worker failed', { err: String(err), stack: err.stack }));
      void run.exited.then((code) => {
        // Ends the API server's side of every open call, server-side watches included.
        api.port1.close();
        streaming.port1.close();
        if (run.stopping) return;
        logger.error('the simulated nodes\' worker exited', { code });
        console.error(`peapod: the worker running ${specs.length} simulated nodes exited (code ${code}); their nodes will go NotReady (see peapod.log)`);
      });
      await new Promise<void>((resolve, reject) => {
        const onMessage = (m: FromWorker) => {
          if (m.t === 'started') resolve();
          else if (m.t === 'failed') reject(new CliError(`simulated nodes failed to start: ${m.message}`));
          else return;
          worker.off('message', onMessage);
        };
        worker.on('message', onMessage);
        worker.once('error', (err) => reject(new CliError(`the simulated nodes' worker failed to start: ${err.message}`)));
        void run.exited.then((code) => reject(new CliError(`the simulated nodes' worker exited (code ${code}) before its nodes started`)));
      }).catch(async (err: unknown) => {
        run.stopping = true;
        running = undefined;
        await worker.terminate();
        throw err;
      });
    },
    async stop() {
      const run = running;
      running = undefined;
      if (!run) return;
      run.stopping = true;
      let error: string | undefined;
      run.worker.on('message', (m: FromWorker) => { if (m.t === 'stopped') error = m.error; });
      run.worker.postMessage({ t: 'stop' } satisfies ToWorker);
      const timer = setTimeout(() => void run.worker.terminate(), STOP_TIMEOUT_MS);
      await run.exited;
      clearTimeout(timer);
      if (error) throw new Error(`stopping the simulated nodes failed: ${error}`);
    },
  };
}
