import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { RESOURCES } from '@peapod/api-types';
import { RealClock, silentLogger } from '@peapod/core';
import { createClient, HttpTransport, loadKubeconfig, SharedInformer, type KubeClient, type KubeObject } from '@peapod/client';

/**
 * Shared pieces of the fault tests: clients over HTTPS from a `peapod up` kubeconfig, and a TCP
 * relay that lets a test cut one client off the API server while other clients keep talking to it.
 */

export const configMaps = RESOURCES.configmaps;
export const pods = RESOURCES.pods;

export interface Remote { client: KubeClient; transport: HttpTransport; server: string }

/** A client as `kubectl` would build it from the kubeconfig, optionally aimed at another address (a relay). */
export async function remote(kubeconfig: string, server?: string): Promise<Remote> {
  const opts = await loadKubeconfig(kubeconfig);
  // The relay listens on 127.0.0.1 too, so the serving certificate still matches.
  const transport = new HttpTransport({ ...opts, server: server ?? opts.server, maxRetries: 0 });
  return { client: createClient(transport), transport, server: server ?? opts.server };
}

export const informerOf = <T extends KubeObject>(client: KubeClient, info: typeof configMaps | typeof pods, labelSelector?: string) =>
  new SharedInformer<T>(info as never, { namespace: 'default', labelSelector }, { client, clock: new RealClock(), logger: silentLogger });

/**
 * A TCP relay on 127.0.0.1 to a target that can change (the API server's port after a restart).
 * While `down`, it resets every open connection and refuses new ones, as a dead server would.
 */
export class Relay {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private up = true;

  private constructor(private target: number) {
    this.server = createServer((s) => {
      if (!this.up) return void s.resetAndDestroy();
      const t = connect(this.target, '127.0.0.1');
      for (const [a, b] of [[s, t], [t, s]] as const) {
        this.sockets.add(a);
        a.pipe(b);
        a.on('error', () => b.destroy());
        a.on('close', () => { this.sockets.delete(a); b.destroy(); });
      }
    });
  }

  static async start(target: number): Promise<Relay> {
    const r = new Relay(target);
    await new Promise<void>((res) => r.server.listen(0, '127.0.0.1', res));
    return r;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  down(): void {
    this.up = false;
    for (const s of this.sockets) s.resetAndDestroy();
  }

  upTo(target: number): void {
    this.target = target;
    this.up = true;
  }

  close(): Promise<void> {
    this.down();
    return new Promise((res) => this.server.close(() => res()));
  }
}

export const portOf = (server: string) => Number(new URL(server).port);
export const rv = (o: KubeObject) => BigInt(o.metadata.resourceVersion ?? '0');

/** One summary line per fault test, collected by `tools/scripts/reliability.mjs` into docs/reliability.md. */
export function reportReliability(row: { suite: string; load: string; faults: string; inputs: number; lost: number }): void {
  console.log(`RELIABILITY ${JSON.stringify(row)}`);
}
