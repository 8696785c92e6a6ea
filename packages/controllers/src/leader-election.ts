import { RESOURCES, isAlreadyExists, isConflict, isNotFound, type Lease } from '@peapod/api-types';
import type { KubeClient } from '@peapod/client';
import { TypedEmitter, type Clock, type Logger } from '@peapod/core';
import type { LeaderElectionOptions } from './context.js';
import { microTime } from './pod-util.js';

export type LeaderElectorEvents = {
  /** This process became the leader. */
  started: [];
  /** This process stopped leading (lost the Lease, or released it). */
  stopped: [];
  /** Someone (maybe this process) was seen holding the Lease. */
  newLeader: [identity: string];
};

/**
 * Lease-based leader election (client-go's `leaderelection` with a `LeaseLock`):
 * - a candidate takes the Lease when it is free or its holder has not renewed it for
 *   `leaseDurationSeconds`, measured on the candidate's own clock from when it last saw the
 *   Lease change (so clocks of different machines never need to agree);
 * - the leader renews every `retryPeriodMs`; if it cannot renew within `renewDeadlineMs` it
 *   stops leading, well before others may take over (renew deadline < lease duration);
 * - every write is an update guarded by the Lease's resourceVersion, so of two candidates
 *   racing for the same Lease exactly one wins;
 * - `stop()` releases a held Lease (empty holder), so a successor need not wait it out.
 */
export class LeaderElector extends TypedEmitter<LeaderElectorEvents> {
  private observed?: { record: string; at: number; lease: Lease };
  private leading = false;
  private abort?: AbortController;
  private loop?: Promise<void>;

  constructor(
    private readonly client: KubeClient,
    private readonly clock: Clock,
    private readonly identity: string,
    private readonly options: LeaderElectionOptions,
    private readonly logger: Logger,
  ) {
    super();
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen on the Lease ('' when free or unknown). */
  leader(): string {
    return this.observed?.lease.spec?.holderIdentity ?? '';
  }

  start(): void {
    if (this.abort) return;
    const abort = (this.abort = new AbortController());
    this.loop = this.run(abort.signal);
  }

  /** Stops campaigning; a leader releases the Lease and emits `stopped`. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.abort = undefined;
    if (this.leading) {
      await this.release();
      this.setLeading(false);
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { retryPeriodMs, renewDeadlineMs } = this.options;
    let lastRenew = 0;
    while (!signal.aborted) {
      const ok = await this.tryAcquireOrRenew().catch((err) => {
        this.logger.warn('leader election: cannot reach the Lease', { err: String(err) });
        return false;
      });
      const now = this.clock.now();
      if (ok) {
        lastRenew = now;
        this.setLeading(true);
      } else if (this.leading && now - lastRenew >= renewDeadlineMs) {
        this.logger.warn('leader election: failed to renew within the renew deadline; stepping down');
        this.setLeading(false);
      }
      await this.clock.sleep(retryPeriodMs, signal).catch(() => undefined);
    }
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    this.emit(leading ? 'started' : 'stopped');
  }

  /** One attempt; true when this process holds the Lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const leases = this.client.resource(RESOURCES.leases);
    const { namespace, name, leaseDurationSeconds } = this.options;
    const now = this.clock.now();
    let current: Lease | undefined;
    try {
      current = await leases.get(name, { namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!current) {
      try {
        const created = await leases.create({
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: this.identity, leaseDurationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        });
        this.observe(created, now);
        return true;
      } catch (err) {
        if (isAlreadyExists(err)) return false;
        throw err;
      }
    }
    this.observe(current, now);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const expired = this.observed!.at + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 <= now;
    if (holder && holder !== this.identity && !expired) return false;
    const takingOver = holder !== this.identity;
    try {
      const updated = await leases.update({
        ...current,
        spec: {
          ...spec,
          holderIdentity: this.identity,
          leaseDurationSeconds,
          renewTime: microTime(now),
          ...(takingOver ? { acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + (holder ? 1 : 0) } : {}),
        },
      });
      this.observe(updated, now);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /** Remembers when the Lease record last changed, on this process's clock. */
  private observe(lease: Lease, now: number): void {
    const record = JSON.stringify(lease.spec ?? {});
    if (this.observed?.record !== record) {
      const before = this.observed?.lease.spec?.holderIdentity;
      this.observed = { record, at: now, lease };
      const holder = lease.spec?.holderIdentity ?? '';
      if (holder && holder !== before) this.emit('newLeader', holder);
    } else {
      this.observed.lease = lease;
    }
  }

  private async release(): Promise<void> {
    const lease = this.observed?.lease;
    if (!lease || lease.spec?.holderIdentity !== this.identity) return;
    const now = this.clock.now();
    try {
      await this.client.resource(RESOURCES.leases).update({
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now), acquireTime: microTime(now) },
      });
    } catch (err) {
      this.logger.warn('leader election: could not release the Lease', { err: String(err) });
    }
  }
}
