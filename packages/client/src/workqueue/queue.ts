import type { Clock, TimerHandle } from '@peapod/core';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

export interface WorkQueueOptions<K> {
  clock: Clock;
  /** Delays for `addRateLimited`; default: client-go's controller limiter (5 ms doubling to 1000 s, 10 qps / burst 100 overall). */
  rateLimiter?: RateLimiter<K>;
}

/**
 * A rate-limited, delaying work queue with client-go's guarantees:
 * - a key is handed to at most one worker at a time (`get` ... `done`);
 * - a key added while queued collapses into the queued entry;
 * - a key added while being processed is queued again when `done` is called;
 * - keys come out in the order they were (first) added.
 * Keys are compared by identity (`Map` semantics): use strings such as `namespace/name`.
 * Every operation is O(1) amortized.
 */
export class WorkQueue<K> {
  private queue: K[] = [];
  private head = 0;
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly waiting = new Map<K, { at: number; timer: TimerHandle }>();
  private getters: ((key: K | undefined) => void)[] = [];
  private drainers: (() => void)[] = [];
  private shuttingDown = false;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<K>;

  constructor(options: WorkQueueOptions<K>) {
    this.clock = options.clock;
    this.limiter = options.rateLimiter ?? defaultControllerRateLimiter<K>(options.clock);
  }

  /** Queues `key` unless it is already queued; ignored after shutdown. */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (!this.processing.has(key)) this.enqueue(key);
  }

  /**
   * Adds `key` after `ms`. A key already waiting keeps the earlier of its two times; a key that
   * is queued meanwhile is simply collapsed when its time comes.
   */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const prev = this.waiting.get(key);
    if (prev && prev.at <= at) return;
    prev?.timer.cancel();
    const timer = this.clock.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { at, timer });
  }

  /** Adds `key` after the rate limiter's delay for it (one more failure counted). */
  addRateLimited(key: K): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Clears `key`'s failure history; call after it was processed successfully. */
  forget(key: K): void {
    this.limiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.limiter.numRequeues(key);
  }

  /**
   * The next key, which the caller now owns until `done(key)`. Waits while the queue is empty;
   * after `shutDown` it still hands out what was queued, then resolves `undefined`.
   */
  get(): Promise<K | undefined> {
    if (this.head < this.queue.length) return Promise.resolve(this.take());
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Ends processing of `key`; if it was added meanwhile, it is queued again. */
  done(key: K): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key)) this.enqueue(key);
    else if (this.processing.size === 0) for (const d of this.drainers.splice(0)) d();
  }

  /** Keys queued and not yet handed out (not counting those processing or waiting for their time). */
  len(): number {
    return this.queue.length - this.head;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Refuses new keys and drops delayed ones; queued keys are still handed out, then `get` resolves `undefined`. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const w of this.waiting.values()) w.timer.cancel();
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  /** `shutDown`, then resolves once every key handed out has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainers.push(resolve));
  }

  private enqueue(key: K): void {
    const getter = this.getters.shift();
    if (getter) {
      // Someone is waiting, so the queue is empty: hand over directly.
      this.dirty.delete(key);
      this.processing.add(key);
      getter(key);
    } else {
      this.queue.push(key);
    }
  }

  private take(): K {
    const key = this.queue[this.head++];
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }
}
