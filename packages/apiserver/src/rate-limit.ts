import type { Clock } from '@peapod/core';

/**
 * Per-client token buckets: each client (identity) may make `qps` requests per second on average
 * with bursts up to `burst`. `take` answers how many seconds to wait when the bucket is empty, so
 * the server can say 429 with Retry-After. Buckets idle long enough to be full are dropped.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly clock: Clock, private readonly qps: number, private readonly burst: number) {}

  /** Takes one token for `client`; returns 0 when allowed, else whole seconds until one is free. */
  take(client: string): number {
    const now = this.clock.now();
    const b = this.buckets.get(client) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.qps);
    b.at = now;
    this.buckets.set(client, b);
    if (this.buckets.size > 10_000) this.sweep(now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.qps));
  }

  private sweep(now: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.qps >= this.burst) this.buckets.delete(k);
  }
}
