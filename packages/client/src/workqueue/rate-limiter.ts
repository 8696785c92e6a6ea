import type { Clock } from '@peapod/core';

/** How long to wait before an item is retried (client-go's `workqueue.TypedRateLimiter`). */
export interface RateLimiter<K> {
  /** The delay before `key` may be processed again; each call counts as one more failure. */
  when(key: K): number;
  /** Clears `key`'s failure history (after a success). */
  forget(key: K): void;
  /** Failures counted for `key` since it was last forgotten. */
  numRequeues(key: K): number;
}

/** Per-item exponential backoff: `baseMs * 2^failures`, capped at `maxMs`. */
export class ItemExponentialRateLimiter<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();
  constructor(private readonly baseMs = 5, private readonly maxMs = 1_000_000) {}

  when(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }
  forget(key: K): void { this.failures.delete(key); }
  numRequeues(key: K): number { return this.failures.get(key) ?? 0; }
}

/**
 * An overall token bucket shared by all items (`qps` refill, `burst` capacity), as Go's
 * `rate.Limiter.Reserve`: each call takes a token, going into debt when empty, and the delay is
 * the time until that debt is repaid. Not per item, so `forget` does nothing.
 */
export class BucketRateLimiter<K> implements RateLimiter<K> {
  private tokens: number;
  private last: number;
  constructor(private readonly clock: Clock, private readonly qps = 10, private readonly burst = 100) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_key: K): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }
  forget(_key: K): void { /* shared bucket: nothing per item */ }
  numRequeues(_key: K): number { return 0; }
}

/** The largest delay of several limiters; each one counts every call. */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];
  constructor(...limiters: RateLimiter<K>[]) { this.limiters = limiters; }
  when(key: K): number { return Math.max(0, ...this.limiters.map((l) => l.when(key))); }
  forget(key: K): void { for (const l of this.limiters) l.forget(key); }
  numRequeues(key: K): number { return Math.max(0, ...this.limiters.map((l) => l.numRequeues(key))); }
}

export interface DefaultRateLimiterOptions {
  /** First per-item retry delay (default 5 ms), doubling per failure... */
  baseDelayMs?: number;
  /** ...up to this (default 1000 s). */
  maxDelayMs?: number;
  /** Overall retry rate across items (default 10/s with a burst of 100). */
  qps?: number;
  burst?: number;
}

/** client-go's `DefaultControllerRateLimiter`: per-item exponential backoff plus an overall bucket. */
export function defaultControllerRateLimiter<K>(clock: Clock, o: DefaultRateLimiterOptions = {}): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ItemExponentialRateLimiter(o.baseDelayMs ?? 5, o.maxDelayMs ?? 1_000_000),
    new BucketRateLimiter(clock, o.qps ?? 10, o.burst ?? 100),
  );
}
