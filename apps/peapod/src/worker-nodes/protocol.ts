import type { MessagePort } from 'node:worker_threads';

/** What the main thread hands the simulated nodes' worker (its `workerData`). */
export interface WorkerNodesData {
  nodes: WorkerNodeSpec[];
  /** Nodes started at once (see nodeGroupModule). */
  concurrency: number;
  /** The API server's port (`servePort` on the main thread). */
  api: MessagePort;
  /** The kubelets' streaming endpoints (`bridgeStreamer` on the main thread). */
  streaming: MessagePort;
}

/** One simulated node: the fake runtime's kubelet, as `user` (granted to the worker's port). */
export interface WorkerNodeSpec {
  nodeName: string;
  user: string;
  rootDir: string;
  capacity?: Record<string, string>;
  labels?: Record<string, string>;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The worker's reports on its `parentPort`. */
export type FromWorker =
  | { t: 'started' }
  | { t: 'failed'; message: string }
  | { t: 'stopped'; error?: string }
  | { t: 'log'; records: [level: LogLevel, msg: string, fields: Record<string, unknown>][] };

/** The main thread's requests on the worker's `parentPort`. */
export type ToWorker = { t: 'stop' };
