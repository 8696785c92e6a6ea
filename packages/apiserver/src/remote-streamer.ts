import { isStatusError, serviceUnavailable } from '@peapod/api-types';
import type { Duplex } from 'node:stream';
import { HttpTransport, dialPortForward, dialSession, kubeletPaths } from '@peapod/client';
import type { LogOptions, NodeStreamer, PodTarget, PortForwardTarget, StreamIO, StreamResult } from './node-streamer.js';
import type { Obj } from './obj.js';

/** The API server's client identity towards kubelets (PEM), and the CA their serving certificates chain to. */
export interface KubeletClientTls {
  ca: string;
  cert: string;
  key: string;
}

/** kube-apiserver's `--kubelet-preferred-address-types` as k3s sets it. */
const ADDRESS_TYPES = ['InternalIP', 'ExternalIP', 'Hostname'];

/**
 * The NodeStreamer for kubelets in other processes: finds the node's kubelet endpoint in its Node
 * object (preferred address, `status.daemonEndpoints.kubeletEndpoint.Port`), dials it over HTTPS
 * verifying the kubelet's serving certificate against the cluster CA and presenting the API
 * server's kubelet-client certificate, and speaks the kubelet API: `GET /containerLogs/...` for
 * logs, the remote-command WebSocket on `/exec/...` and `/attach/...`, and the same channel framing
 * for one forwarded connection on `/portForward/...`.
 */
export class RemoteNodeStreamer implements NodeStreamer {
  /** One keep-alive transport per node, replaced when the node's endpoint changes (a restarted kubelet on another port). */
  private readonly transports = new Map<string, { base: string; transport: HttpTransport }>();

  constructor(private readonly tls: KubeletClientTls, private readonly getNode: (name: string) => Promise<Obj>) {}

  async *logs(t: PodTarget, opts: LogOptions): AsyncIterable<Uint8Array> {
    const base = await this.endpoint(t.node);
    const transport = this.transportFor(t.node, base);
    const { signal, ...query } = opts;
    const [path, q] = kubeletPaths.logs(t, query).split('?');
    try {
      yield* transport.stream({ method: 'GET', path, query: Object.fromEntries(new URLSearchParams(q)), signal });
    } catch (err) {
      throw this.unreachable(err, t.node, base);
    }
  }

  exec(t: PodTarget, command: readonly string[], io: StreamIO): Promise<StreamResult> {
    return this.session('exec', t, command, io);
  }

  attach(t: PodTarget, io: StreamIO): Promise<StreamResult> {
    return this.session('attach', t, [], io);
  }

  async portForward(t: PortForwardTarget, port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
    const base = await this.endpoint(t.node);
    return dialPortForward(`${base.replace(/^https/, 'wss')}${kubeletPaths.portForward(t, port)}`, this.tls, stream, signal);
  }

  /** Drops idle connections to kubelets. */
  close(): void {
    for (const t of this.transports.values()) t.transport.close();
    this.transports.clear();
  }

  private transportFor(node: string, base: string): HttpTransport {
    const known = this.transports.get(node);
    if (known?.base === base) return known.transport;
    known?.transport.close();
    const transport = new HttpTransport({ server: base, ...this.tls, maxRetries: 0, userAgent: 'peapod-apiserver' });
    this.transports.set(node, { base, transport });
    return transport;
  }

  private async session(kind: 'exec' | 'attach', t: PodTarget, command: readonly string[], io: StreamIO): Promise<StreamResult> {
    const base = await this.endpoint(t.node);
    const url = `${base.replace(/^https/, 'wss')}${kubeletPaths.session(kind, t, { command, stdin: !!io.stdin, stdout: !!io.stdout, stderr: !!io.stderr, tty: io.tty })}`;
    return dialSession(url, this.tls, io);
  }

  private async endpoint(nodeName: string): Promise<string> {
    const node = await this.getNode(nodeName);
    const addresses: { type: string; address: string }[] = node.status?.addresses ?? [];
    const address = ADDRESS_TYPES.map((type) => addresses.find((a) => a.type === type)?.address).find(Boolean);
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!address || !port) throw serviceUnavailable(`node "${nodeName}" reports no address or port for its kubelet`);
    return `https://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  /** The HTTP transport words failures as the API server's; here the far end is a kubelet. */
  private unreachable(err: unknown, node: string, base: string): unknown {
    if (isStatusError(err) && err.code === 503 && err.cause) return serviceUnavailable(`the kubelet of node "${node}" at ${base} could not be reached: ${(err.cause as Error).message}`);
    return err;
  }
}
