import type { StatusError } from '@peapod/api-types';
import type { StoredObject, Watch, WatchEvent } from './types.js';

/**
 * The consumer side of a watch: a bounded buffer drained by async iteration. Producers push;
 * a consumer that lets more than `capacity` live events pile up is cut off, so it never holds up
 * the producer or other watchers. As kube-apiserver closes a watcher too slow for its cache, the
 * watch ends after the buffered events without an error: the client watches again from the last
 * resourceVersion it saw, which the history still serves (or answers 410 when it is gone).
 * Initial events (the current state, or the history replayed to a watch resuming from an older
 * resourceVersion) are kept apart and do not count against the bound.
 */
export class WatchQueue<T extends StoredObject> implements Watch<T> {
  private initial: readonly WatchEvent<T>[] = [];
  private initialPos = 0;
  /** Live events from `head` on; the slots before it are delivered and cleared. */
  private buf: (WatchEvent<T> | undefined)[] = [];
  private head = 0;
  private ended = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly stopHooks: (() => void)[] = [];

  constructor(private readonly capacity: number) {}

  get closed(): boolean {
    return this.ended;
  }

  /** Runs once when the watch ends for any reason (consumer stop, error, producer end). */
  onEnd(fn: () => void): void {
    if (this.ended) fn();
    else this.stopHooks.push(fn);
  }

  setInitial(events: readonly WatchEvent<T>[]): void {
    this.initial = events;
    this.initialPos = 0;
    this.notify();
  }

  /** Appends a live event; returns false once the watch has ended (including by overflow). */
  push(event: WatchEvent<T>): boolean {
    if (this.ended) return false;
    if (this.buf.length - this.head >= this.capacity) {
      this.end();
      return false;
    }
    this.buf.push(event);
    this.notify();
    return true;
  }

  /** Ends the watch after the buffered events with one ERROR event carrying `err`'s Status. */
  fail(err: StatusError): void {
    if (this.ended) return;
    this.buf.push({ type: 'ERROR', object: err.status });
    this.end();
  }

  /** Ends the watch after the buffered events. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const fn of this.stopHooks.splice(0)) fn();
    this.notify();
  }

  stop(): void {
    this.stopped = true;
    this.buf = [];
    this.head = 0;
    this.initial = [];
    this.end();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private next(): WatchEvent<T> | undefined {
    if (this.initialPos < this.initial.length) {
      const ev = this.initial[this.initialPos++];
      // Like a delivered live event (below), a delivered replay (up to the whole history) goes.
      if (this.initialPos === this.initial.length) {
        this.initial = [];
        this.initialPos = 0;
      }
      return ev;
    }
    if (this.head < this.buf.length) {
      const ev = this.buf[this.head]!;
      // A delivered event must not stay reachable from here: it pins its object and its write's
      // texts (`watchEventJson`), and the buffer keeps up to 1,024 delivered slots per watch until
      // compacted, across thousands of watches.
      this.buf[this.head++] = undefined;
      if (this.head === this.buf.length) {
        this.buf.length = 0;
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.buf.length) {
        this.buf = this.buf.slice(this.head);
        this.head = 0;
      }
      return ev;
    }
    return undefined;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    try {
      for (;;) {
        const ev = this.next();
        if (ev) {
          yield ev;
          continue;
        }
        if (this.ended || this.stopped) return;
        await new Promise<void>((resolve) => { this.wake = resolve; });
      }
    } finally {
      this.stop();
    }
  }
}
