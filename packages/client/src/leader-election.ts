import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { RESOURCES, badRequest, isAlreadyExists, isConflict, isNotFound, type Lease } from '@peapod/api-types';
import { TypedEmitter, silentLogger, type Clock, type Logger, type TimerHandle } from '@peapod/core';
import type { KubeClient } from './types.js';

/** Which Lease to hold and how (client-go's `LeaderElectionConfig` with a `LeaseLock`). */
export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  /** How long candidates wait, after they last saw the Lease change, before taking it over. */
  leaseDurationSeconds: number;
  /** A leader that has not renewed for this long stops leading; must be shorter than the lease duration. */
  renewDeadlineMs: number;
  /** How often candidates try to acquire and leaders renew; must be shorter than the renew deadline. */
  retryPeriodMs: number;
}

/** The Kubernetes components' defaults (`--leader-elect-lease-duration=15s` and friends) for a Lease in kube-system. */
export const leaderElectionDefaults = (name: string): LeaderElectionOptions => ({
  namespace: 'kube-system',
  name,
  leaseDurationSeconds: 15,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
});

/** A candidate identity unique to this process, as Kubernetes' components make it (`<host>_<uuid>`). */
export const leaderIdentity = (): string => `${hostname()}_${randomUUID()}`;

/** A component's leader-election setting: off, on with the defaults, or on with some settings changed. */
export type LeaderElectionSetting = boolean | Partial<LeaderElectionOptions>;

/**
 * The options a component's setting means for its Lease `name` (on when unset), or false when off.
 * Timings that could let two leaders act at once are a 400 BadRequest.
 */
export function resolveLeaderElection(setting: LeaderElectionSetting | undefined, name: string): LeaderElectionOptions | false {
  if (setting === false) return false;
  const o = { ...leaderElectionDefaults(name), ...(setting === true || setting === undefined ? {} : setting) };
  if (!(o.retryPeriodMs > 0 && o.retryPeriodMs < o.renewDeadlineMs && o.renewDeadlineMs < o.leaseDurationSeconds * 1000)) {
    throw badRequest(`leader election for ${o.namespace}/${o.name} needs 0 < retry period (${o.retryPeriodMs} ms) < renew deadline (${o.renewDeadlineMs} ms) < lease duration (${o.leaseDurationSeconds} s)`);
  }
  return o;
}

export type LeaderElectorEvents = {
  /** This process became the leader. */
  started: [];
  /** This process stopped leading (lost the Lease, or released it). */
  stopped: [];
  /** Someone (maybe this process) was seen holding the Lease. */
  newLeader: [identity: string];
};

/**
 * The work done while leading (client-go's `OnStartedLeading`): `signal` aborts the moment this
 * process stops leading. A new term starts only after the previous term's promise settled, so the
 * work of two terms never overlaps.
 */
export type LeaderWork = (signal: AbortSignal) => void | Promise<void>;

/** meta/v1 MicroTime of a millisecond timestamp. */
const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** `p`'s value, or `fallback` as soon as `signal` aborts. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const onAbort = () => resolve(fallback);
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(resolve).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Lease-based leader election (client-go's `leaderelection` with a `LeaseLock`):
 * - a candidate takes the Lease when it is free or its holder has not renewed it for
 *   `leaseDurationSeconds`, measured on the candidate's own clock from when it last saw the
 *   Lease change (so clocks of different machines never need to agree);
 * - every write is an update guarded by the Lease's resourceVersion, so of two candidates
 *   racing for the same Lease exactly one wins;
 * - the leader renews every `retryPeriodMs`; it stops leading `renewDeadlineMs` after the start of
 *   its last successful renewal, even while a request hangs, and at once when it sees another
 *   holder. Others take over no earlier than `leaseDurationSeconds` after they saw that renewal,
 *   which is later, so two leaders never act at once;
 * - after losing the Lease it campaigns again (a fresh term, with fresh work);
 * - `stop()` ends the work, then releases a held Lease (empty holder), so a successor need not
 *   wait it out.
 */
export class LeaderElector extends TypedEmitter<LeaderElectorEvents> {
  private observed?: { record: string; at: number; lease: Lease };
  private leading = false;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private deadline?: TimerHandle;
  private term?: AbortController;
  /** The last term's work; the next term waits for it. */
  private lastTerm: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: KubeClient,
    private readonly clock: Clock,
    private readonly identity: string,
    private readonly options: LeaderElectionOptions,
    private readonly logger: Logger = silentLogger,
    private readonly work?: LeaderWork,
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

  /** Stops campaigning; a leader ends its work, then releases the Lease and emits `stopped`. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.abort = undefined;
    this.term?.abort();
    await this.lastTerm;
    if (this.leading) await this.release();
    this.setLeading(false);
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = this.clock.now();
      // A hung request must not hold up stop(): the attempt's outcome no longer matters then.
      const ok = await untilAborted(this.tryAcquireOrRenew(started).catch((err) => {
        this.logger.warn('leader election: cannot reach the Lease', { lease: this.options.name, err: String(err) });
        return false;
      }), signal, false);
      if (signal.aborted) break;
      if (ok) this.renewed(started);
      else if (this.leading && this.leader() && this.leader() !== this.identity) {
        this.logger.warn('leader election: another process holds the Lease; stepping down', { lease: this.options.name, holder: this.leader() });
        this.setLeading(false);
      }
      await this.clock.sleep(this.options.retryPeriodMs, signal).catch(() => undefined);
    }
  }

  /** A renewal that began at `started` succeeded: lead until the renew deadline counted from then. */
  private renewed(started: number): void {
    const left = started + this.options.renewDeadlineMs - this.clock.now();
    this.deadline?.cancel();
    if (left <= 0) return;
    this.deadline = this.clock.setTimeout(() => {
      this.logger.warn('leader election: failed to renew within the renew deadline; stepping down', { lease: this.options.name });
      this.setLeading(false);
    }, left);
    this.setLeading(true);
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    if (leading) {
      const term = (this.term = new AbortController());
      const work = this.work;
      if (work) {
        this.lastTerm = this.lastTerm.then(() => (term.signal.aborted ? undefined : work(term.signal))).catch((err) => {
          this.logger.error('leader election: the leader\'s work failed', { lease: this.options.name, err: String(err) });
        });
      }
    } else {
      this.deadline?.cancel();
      this.term?.abort();
      this.term = undefined;
    }
    this.emit(leading ? 'started' : 'stopped');
  }

  /** One attempt; true when this process holds the Lease afterwards. */
  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    const leases = this.client.resource(RESOURCES.leases);
    const { namespace, name, leaseDurationSeconds } = this.options;
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
        this.observe(created);
        return true;
      } catch (err) {
        if (isAlreadyExists(err)) return false;
        throw err;
      }
    }
    this.observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const expired = this.observed!.at + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 <= this.clock.now();
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
      this.observe(updated);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /** Remembers when the Lease record last changed, on this process's clock. */
  private observe(lease: Lease): void {
    const record = JSON.stringify(lease.spec ?? {});
    if (this.observed?.record !== record) {
      const before = this.observed?.lease.spec?.holderIdentity;
      this.observed = { record, at: this.clock.now(), lease };
      const holder = lease.spec?.holderIdentity ?? '';
      if (holder && holder !== before) this.emit('newLeader', holder);
    } else {
      this.observed.lease = lease;
    }
  }

  /**
   * Frees the Lease if this process still holds it. A renewal abandoned by stop() may still land
   * after the last observed copy, so a Conflict re-reads the Lease and tries again.
   */
  private async release(): Promise<void> {
    const leases = this.client.resource(RESOURCES.leases);
    let lease = this.observed?.lease;
    for (let attempt = 0; attempt < 3 && lease?.spec?.holderIdentity === this.identity; attempt++) {
      const now = this.clock.now();
      try {
        await leases.update({
          ...lease,
          spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now), acquireTime: microTime(now) },
        });
        return;
      } catch (err) {
        if (!isConflict(err)) {
          this.logger.warn('leader election: could not release the Lease', { lease: this.options.name, err: String(err) });
          return;
        }
        lease = await leases.get(this.options.name, { namespace: this.options.namespace }).catch(() => undefined);
      }
    }
  }
}
