import type { Clock } from '@peapod/core';

/** Expectations older than this are ignored, so a lost watch event never wedges a controller (Kubernetes' 5 minutes). */
const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Expectation {
  adds: number;
  deletes: Set<string>;
  at: number;
}

/**
 * What a controller is waiting to see in its informer after it created or deleted pods
 * (Kubernetes' `UIDTrackingControllerExpectations`). Until the cache has caught up with the
 * controller's own writes, `satisfied` is false and the controller must not act on a stale
 * count — this is what stops a burst of creates from being repeated.
 */
export class Expectations {
  private readonly items = new Map<string, Expectation>();

  constructor(private readonly clock: Clock) {}

  satisfied(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return true;
    return (e.adds <= 0 && e.deletes.size === 0) || this.clock.now() - e.at > EXPECTATIONS_TTL_MS;
  }

  expectCreations(key: string, n: number): void {
    this.items.set(key, { adds: n, deletes: new Set(), at: this.clock.now() });
  }

  expectDeletions(key: string, uids: readonly string[]): void {
    this.items.set(key, { adds: 0, deletes: new Set(uids), at: this.clock.now() });
  }

  /** A create was seen in the cache, or it failed and will never be seen. */
  creationObserved(key: string): void {
    const e = this.items.get(key);
    if (e) e.adds--;
  }

  /** A deletion (or deletionTimestamp) was seen, or the delete failed. */
  deletionObserved(key: string, uid: string): void {
    this.items.get(key)?.deletes.delete(uid);
  }

  delete(key: string): void {
    this.items.delete(key);
  }
}
