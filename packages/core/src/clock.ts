import { createToken } from './container.js';

/** A scheduled callback; `cancel` is idempotent. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Time as components see it. Injected everywhere (kubelet backoff, probes, scheduler backoff,
 * controllers' requeueAfter, leases) so lifecycle tests run on a fake clock in milliseconds.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Repeats every `ms` until cancelled; the first run is after `ms`. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  /** Resolves after `ms`; rejects with the signal's reason if it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
export const Clock = createToken<Clock>('core.clock');

function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => { t.cancel(); reject(signal!.reason); };
    const t = clock.setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Wall-clock time. Timers are unref'd: a pending backoff never keeps a process alive on its own. */
export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    const t = setInterval(fn, ms);
    t.unref();
    return { cancel: () => clearInterval(t) };
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
  every?: number;
  cancelled: boolean;
}

/**
 * A deterministic clock for tests. Time moves only through `advance`/`runAll`; due timers fire
 * in (time, creation) order, and the event loop is let run between firings so async work that a
 * timer starts (and the timers it schedules) settles before the next one fires.
 */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(start: number | Date = Date.UTC(2025, 0, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.schedule({ at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false });
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const every = Math.max(1, ms);
    return this.schedule({ at: this.current + every, seq: this.seq++, fn, every, cancelled: false });
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Number of timers waiting to fire. */
  pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (;;) {
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.current = Math.max(this.current, next.at);
      if (next.every !== undefined) {
        next.at += next.every;
        next.seq = this.seq++;
        this.insert(next);
      }
      next.fn();
      await settle();
    }
    this.current = target;
  }

  /** Fires timers until none is left or `limit` fired (guards against an interval running forever). */
  async runAll(limit = 10_000): Promise<void> {
    for (let i = 0; i < limit && this.timers.length; i++) await this.advance(Math.max(0, this.timers[0].at - this.current));
  }

  private schedule(t: FakeTimer): TimerHandle {
    this.insert(t);
    return {
      cancel: () => {
        t.cancelled = true;
        const i = this.timers.indexOf(t);
        if (i >= 0) this.timers.splice(i, 1);
      },
    };
  }

  private insert(t: FakeTimer): void {
    if (t.cancelled) return;
    let i = this.timers.length;
    while (i > 0 && (this.timers[i - 1].at > t.at || (this.timers[i - 1].at === t.at && this.timers[i - 1].seq > t.seq))) i--;
    this.timers.splice(i, 0, t);
  }
}

/** Lets pending promise callbacks and immediates run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}
