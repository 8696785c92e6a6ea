import { FakeClock } from '@peapod/core';
import { describe, expect, it } from 'vitest';
import { TerminalError } from '../errors.js';
import { BucketRateLimiter, ItemExponentialRateLimiter, defaultControllerRateLimiter } from './rate-limiter.js';
import { WorkQueue } from './queue.js';
import { runWorkers } from './workers.js';

const queue = (clock = new FakeClock()) => ({ clock, q: new WorkQueue<string>({ clock }) });

describe('WorkQueue', () => {
  it('collapses keys added while queued and hands them out in first-added order', async () => {
    const { q } = queue();
    for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
    expect(q.len()).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['a', 'b', 'c']);
    expect(q.len()).toBe(0);
  });

  it('never hands a key to two workers at once; a key re-added while processing comes back after done', async () => {
    const { q } = queue();
    q.add('a');
    const first = await q.get();
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0); // held back while 'a' is processing
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done(first!);
    await new Promise((r) => setImmediate(r));
    expect(second).toBe('a'); // processed once more, not twice
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const { q } = queue();
    const got = q.get();
    q.add('x');
    expect(await got).toBe('x');
  });

  it('adds after a delay on the clock, keeping the earliest time for a key', async () => {
    const { clock, q } = queue();
    q.addAfter('a', 1000);
    q.addAfter('a', 500);
    q.addAfter('a', 2000);
    q.addAfter('b', 0);
    expect(q.len()).toBe(1);
    await clock.advance(499);
    expect(q.len()).toBe(1);
    await clock.advance(1);
    expect(q.len()).toBe(2);
    await clock.advance(5000);
    expect(q.len()).toBe(2); // the later requests collapsed into the first
  });

  it('backs a failing key off exponentially from 5 ms, per key, until forgotten', async () => {
    const { clock, q } = queue();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = clock.now();
      q.addRateLimited('a');
      while (q.len() === 0) await clock.advance(1);
      delays.push(clock.now() - t0);
      q.done((await q.get())!);
    }
    expect(delays).toEqual([5, 10, 20, 40, 80]);
    expect(q.numRequeues('a')).toBe(5);
    expect(q.numRequeues('b')).toBe(0);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
  });

  it('caps per-item backoff at 1000 s by default', () => {
    const l = new ItemExponentialRateLimiter<string>();
    let last = 0;
    for (let i = 0; i < 40; i++) last = l.when('k');
    expect(last).toBe(1_000_000);
  });

  it('limits the overall retry rate with a token bucket', async () => {
    const clock = new FakeClock();
    const b = new BucketRateLimiter<string>(clock, 10, 3);
    expect([b.when('a'), b.when('b'), b.when('c'), b.when('d'), b.when('e')]).toEqual([0, 0, 0, 100, 200]);
    await clock.advance(1000);
    expect(b.when('f')).toBe(0);
    const d = defaultControllerRateLimiter<string>(clock, { burst: 1, qps: 1 });
    expect([d.when('a'), d.when('b')]).toEqual([5, 1000]);
  });

  it('on shutdown refuses new keys, drops delayed ones, drains queued ones, then returns undefined', async () => {
    const { clock, q } = queue();
    q.add('a');
    q.add('b');
    q.addAfter('late', 10);
    const a = await q.get();
    q.shutDown();
    q.add('c');
    await clock.advance(100);
    expect(await q.get()).toBe('b');
    expect(await q.get()).toBeUndefined();
    let drained = false;
    const d = q.shutDownWithDrain().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false); // 'a' and 'b' still processing
    q.done(a!);
    q.done('b');
    await d;
    expect(drained).toBe(true);
  });
});

describe('runWorkers', () => {
  it('retries a throwing reconcile with backoff, requeues after a delay, and stops on shutdown', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    const calls: [string, number][] = [];
    let failures = 2;
    const running = new Set<string>();
    let overlap = false;
    const done = runWorkers(q, 4, async (key) => {
      if (running.has(key)) overlap = true;
      running.add(key);
      calls.push([key, clock.now() - start]);
      await new Promise((r) => setImmediate(r));
      running.delete(key);
      if (key === 'flaky' && failures-- > 0) throw new Error('transient');
      if (key === 'poll' && calls.filter(([k]) => k === 'poll').length < 3) return { requeueAfter: 1000 };
      if (key === 'broken') throw new TerminalError('never works');
      return undefined;
    });
    const start = clock.now();
    for (const k of ['flaky', 'poll', 'broken']) q.add(k);
    await clock.advance(3000);
    q.shutDown();
    await done;
    expect(calls.filter(([k]) => k === 'flaky').map(([, t]) => t)).toEqual([0, 5, 15]);
    expect(calls.filter(([k]) => k === 'poll').map(([, t]) => t)).toEqual([0, 1000, 2000]);
    expect(calls.filter(([k]) => k === 'broken')).toHaveLength(1);
    expect(q.numRequeues('flaky')).toBe(0);
    expect(overlap).toBe(false);
  });

  it('never runs one key in two workers, however often it is added', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const done = runWorkers(q, 8, async () => {
      runs++;
      maxActive = Math.max(maxActive, ++active);
      await new Promise((r) => setImmediate(r));
      active--;
    });
    for (let i = 0; i < 50; i++) {
      q.add('same');
      await new Promise((r) => setImmediate(r));
    }
    q.shutDown();
    await done;
    expect(maxActive).toBe(1);
    expect(runs).toBeGreaterThan(1);
    expect(runs).toBeLessThanOrEqual(50);
  });
});
