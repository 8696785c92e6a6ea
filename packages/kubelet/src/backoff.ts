import type { Clock } from '@peapod/core';

/** Kubelet's restart and image-pull backoff: 10 s, doubling, capped at 300 s. */
export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

/**
 * Per-key exponential backoff with the semantics of client-go's `flowcontrol.Backoff` as the
 * kubelet uses it: the first failure is retried at once and arms the initial delay; each retry
 * after that doubles the delay up to the cap; an entry is forgotten (the next failure is treated
 * as the first) once an event comes more than twice the cap (600 s) after the last update, i.e.
 * after ten minutes of clean running.
 */
export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly initialMs = BACKOFF_INITIAL_MS,
    private readonly maxMs = BACKOFF_MAX_MS,
  ) {}

  /** The current delay for `key` (0 if none). */
  get(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /**
   * Whether a retry of `key` must still wait, measured from `eventTime` (for restarts: when the
   * container last exited).
   */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const e = this.live(key, eventTime);
    return e !== undefined && this.clock.now() - eventTime < e.delayMs;
  }

  /** Whether `key` must still wait, measured from its last update (image pulls: from the last failed pull). */
  isInBackOffSinceUpdate(key: string): boolean {
    const e = this.entries.get(key);
    return e !== undefined && this.clock.now() - e.lastUpdate < e.delayMs;
  }

  /** Milliseconds left before `key` may be retried (0 when it may be retried now). */
  remaining(key: string, eventTime: number): number {
    const e = this.live(key, eventTime);
    return e ? Math.max(0, eventTime + e.delayMs - this.clock.now()) : 0;
  }

  /** Records a retry of `key`: arms the initial delay for a new or expired entry, else doubles it. */
  next(key: string, eventTime: number): void {
    const e = this.live(key, eventTime);
    const delayMs = e ? Math.min(e.delayMs * 2, this.maxMs) : this.initialMs;
    this.entries.set(key, { delayMs, lastUpdate: this.clock.now() });
  }

  /** Forgets `key` (the container is gone or succeeded). */
  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Drops expired entries; the kubelet calls this periodically to bound memory. */
  gc(): void {
    const now = this.clock.now();
    for (const [key, e] of this.entries) if (now - e.lastUpdate > 2 * this.maxMs) this.entries.delete(key);
  }

  private live(key: string, eventTime: number): Entry | undefined {
    const e = this.entries.get(key);
    return e && eventTime - e.lastUpdate <= 2 * this.maxMs ? e : undefined;
  }
}
