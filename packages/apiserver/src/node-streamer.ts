import type { Duplex } from 'node:stream';
import type { ContainerLogQuery, SessionIO, TerminalSize as RemoteTerminalSize } from '@peapod/client';

/**
 * The narrow door from the API server to a node's streaming endpoint (the kubelet implements it:
 * in process for `peapod up`, over HTTPS for remote agents). The API server has already
 * authenticated, authorized and resolved the pod (name, uid, node, container) before calling.
 * Failures are StatusErrors (e.g. 404 for an unknown container, 400 for a container not running).
 */
export interface PodTarget {
  node: string;
  namespace: string;
  pod: string;
  uid: string;
  container: string;
}

export interface LogOptions extends ContainerLogQuery {
  /** Aborted when the client goes away; the stream must then end. */
  signal: AbortSignal;
}

/** A terminal size change (channel 4 of the streaming protocol). */
export type TerminalSize = RemoteTerminalSize;

/**
 * The two directions of an exec/attach session (`@peapod/client`'s remote-command `SessionIO`):
 * `stdin` ends when the client closes it; `stdout`/`stderr` write to the client (absent when the
 * client did not ask for them).
 */
export type StreamIO = SessionIO;

/** How a session ended: the process' exit code (0 = success). */
export interface StreamResult {
  exitCode: number;
}

/** The pod a port-forward is for (any container's port: they share the pod's network). */
export type PortForwardTarget = Omit<PodTarget, 'container'>;

export interface NodeStreamer {
  /** The container's log bytes; ends at the log's end unless `follow`. */
  logs(target: PodTarget, opts: LogOptions): AsyncIterable<Uint8Array>;
  /** Runs `command` in the container; resolves when it exits. */
  exec(target: PodTarget, command: readonly string[], io: StreamIO): Promise<StreamResult>;
  /** Attaches to the container's main process; resolves when it exits or the client detaches. */
  attach(target: PodTarget, io: StreamIO): Promise<StreamResult>;
  /**
   * Connects `stream` to `port` inside the pod's network: what the client writes goes to the port,
   * what the port answers is written back, and `stream` ends when the pod closes its side (the
   * client ending its side half-closes the connection to the pod). Resolves once the connection is
   * closed; `signal` aborts it. Rejects (before any byte flows) when nothing accepts the
   * connection, with a message the client is shown.
   */
  portForward(target: PortForwardTarget, port: number, stream: Duplex, signal: AbortSignal): Promise<void>;
}
