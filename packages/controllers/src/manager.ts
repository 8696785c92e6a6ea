import { setMaxListeners } from 'node:events';
import { TypedEmitter } from '@peapod/core';
import { LeaderElector, type LeaderElectionOptions } from '@peapod/client';
import type { ControllerContext } from './context.js';
import type { Controller } from './controller.js';
import { enabledControllers, type ControllerRegistry } from './registry.js';

export type ControllerManagerEvents = {
  leadershipAcquired: [];
  leadershipLost: [];
  controllerStarted: [name: string];
  /** A controller's loop ended; `err` when it failed rather than being stopped. */
  controllerStopped: [name: string, err?: unknown];
};

export interface ControllerManagerOptions {
  /** The `--controllers` spec (default `*`). */
  controllers?: string;
  identity: string;
  /** Lease settings, or false to run without leader election (a single control plane). */
  leaderElection: LeaderElectionOptions | false;
  workers: number;
}

/**
 * kube-controller-manager: runs the enabled controllers of the registry while this process
 * leads (Lease-based election, so two control-plane processes never both act), and stops them
 * the moment it loses the lead; it campaigns again afterwards. Controllers are built afresh each
 * time leadership is gained, so none carries state from an earlier term.
 */
export class ControllerManager extends TypedEmitter<ControllerManagerEvents> {
  private readonly elector?: LeaderElector;
  /** The controllers of the current term, and the abort that ends it (without leader election: start to stop). */
  private term?: { abort: AbortController; done: Promise<void>; names: string[] };
  private readonly names: string[];

  constructor(private readonly registry: ControllerRegistry, private readonly ctx: ControllerContext, private readonly options: ControllerManagerOptions) {
    super();
    this.names = enabledControllers(registry, options.controllers);
    if (options.leaderElection) {
      this.elector = new LeaderElector(ctx.client, ctx.clock, options.identity, options.leaderElection, ctx.logger.child({ component: 'leader-election' }), (signal) => this.runTerm(signal));
      this.elector.on('started', () => this.emit('leadershipAcquired'));
      this.elector.on('stopped', () => this.emit('leadershipLost'));
    }
  }

  /** Controllers running now (empty while not leading). */
  running(): string[] {
    return this.term?.names ?? [];
  }

  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : this.term !== undefined;
  }

  start(): void {
    if (this.elector) this.elector.start();
    else if (!this.term) void this.runTerm(new AbortController().signal);
  }

  async stop(): Promise<void> {
    if (this.elector) return this.elector.stop();
    this.term?.abort.abort();
    await this.term?.done;
  }

  /** Builds the enabled controllers afresh and runs them until `signal` aborts. */
  private async runTerm(signal: AbortSignal): Promise<void> {
    const abort = new AbortController();
    setMaxListeners(0, abort.signal);
    signal.addEventListener('abort', () => abort.abort(), { once: true });
    const controllers: Controller[] = this.names.map((name) => this.registry.get(name).create(this.ctx));
    const done = Promise.all(controllers.map(async (c, i) => {
      this.emit('controllerStarted', this.names[i]);
      try {
        await c.run(this.options.workers, abort.signal);
        this.emit('controllerStopped', this.names[i]);
      } catch (err) {
        this.ctx.logger.error('controller failed', { controller: this.names[i], err: String(err) });
        this.emit('controllerStopped', this.names[i], err);
      }
    })).then(() => undefined);
    const term = { abort, done, names: [...this.names] };
    this.term = term;
    this.ctx.logger.info('controllers started', { controllers: this.names });
    await done;
    if (this.term === term) this.term = undefined;
  }
}
