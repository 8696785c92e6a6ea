import { describe, expect, it } from 'vitest';
import { FakeClock, RealClock } from './clock.js';

describe('FakeClock', () => {
  it('fires timers in time order only when time is advanced', async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@20'), 20);
    clock.setTimeout(() => fired.push('a@10'), 10);
    clock.setTimeout(() => fired.push('c@20'), 20);
    await clock.advance(15);
    expect(fired).toEqual(['a@10']);
    expect(clock.now()).toBe(15);
    await clock.advance(5);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
  });

  it('runs timers scheduled by async work started from a timer within the same advance', async () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    clock.setTimeout(async () => {
      await Promise.resolve();
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 10);
    }, 10);
    await clock.advance(30);
    expect(seen).toEqual([10, 20]);
  });

  it('repeats intervals and stops them on cancel', async () => {
    const clock = new FakeClock(0);
    let n = 0;
    const t = clock.setInterval(() => n++, 10);
    await clock.advance(35);
    expect(n).toBe(3);
    t.cancel();
    await clock.advance(100);
    expect(n).toBe(3);
    expect(clock.pending()).toBe(0);
  });

  it('sleeps on fake time and rejects on abort', async () => {
    const clock = new FakeClock(0);
    let woke = false;
    const p = clock.sleep(1000).then(() => { woke = true; });
    await clock.advance(999);
    expect(woke).toBe(false);
    await clock.advance(1);
    await p;
    expect(woke).toBe(true);

    const ac = new AbortController();
    const q = clock.sleep(1000, ac.signal);
    ac.abort(new Error('stopped'));
    await expect(q).rejects.toThrow('stopped');
    expect(clock.pending()).toBe(0);
  });

  it('runAll drains pending timers', async () => {
    const clock = new FakeClock(100);
    const order: number[] = [];
    clock.setTimeout(() => order.push(2), 300);
    clock.setTimeout(() => order.push(1), 5);
    await clock.runAll();
    expect(order).toEqual([1, 2]);
    expect(clock.now()).toBe(400);
  });
});

describe('RealClock', () => {
  it('tells wall time and sleeps for real', async () => {
    const clock = new RealClock();
    const t0 = clock.now();
    expect(Math.abs(t0 - Date.now())).toBeLessThan(1000);
    await clock.sleep(5);
    expect(clock.now()).toBeGreaterThanOrEqual(t0 + 4);
  });
});
