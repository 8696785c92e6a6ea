import { setMaxListeners } from 'node:events';
import { TypedEmitter } from '@peapod/core';
import type { ControllerContext, LeaderElectionOptions } from './context.js';
import type { Controller } from './controller.js';
import { LeaderElector } from './leader-election.js';
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
 * when it loses the lead; it campaigns again afterwards. Controllers are built afresh each time
 * leadership is gained, so none carries state from an earlier term.
 */
export class ControllerManager extends TypedEmitter<ControllerManagerEvents> {
  private readonly elector?: LeaderElector;
  private term?: { abort: AbortController; done: Promise<void>; names: string[] };
  /** Start and stop run one after the other, so a new term never overlaps the end of the last. */
  private transitions: Promise<void> = Promise.resolve();
  private readonly names: string[];

  constructor(private readonly registry: ControllerRegistry, private readonly ctx: ControllerContext, private readonly options: ControllerManagerOptions) {
    super();
    this.names = enabledControllers(registry, options.controllers);
    if (options.leaderElection) {
      this.elector = new LeaderElector(ctx.client, ctx.clock, options.identity, options.leaderElection, ctx.logger.child({ component: 'leader-election' }));
      this.elector.on('started', () => { this.emit('leadershipAcquired'); void this.serialize(() => this.startControllers()); });
      this.elector.on('stopped', () => { this.emit('leadershipLost'); void this.serialize(() => this.stopControllers()); });
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
    else this.startControllers();
  }

  async stop(): Promise<void> {
    await this.elector?.stop();
    await this.serialize(() => this.stopControllers());
  }

  private serialize(step: () => void | Promise<void>): Promise<void> {
    this.transitions = this.transitions.then(step, step);
    return this.transitions;
  }

  private startControllers(): void {
    if (this.term || (this.elector && !this.elector.isLeader())) return;
    const abort = new AbortController();
    setMaxListeners(0, abort.signal);
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
    this.term = { abort, done, names: [...this.names] };
    this.ctx.logger.info('controllers started', { controllers: this.names });
  }

  private async stopControllers(): Promise<void> {
    const term = this.term;
    if (!term) return;
    this.term = undefined;
    term.abort.abort();
    await term.done;
  }
}
