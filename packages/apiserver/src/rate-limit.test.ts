import { FakeClock } from '@peapod/core';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('allows a burst, then the steady rate, per client', async () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(clock, 2, 3);
    expect([rl.take('a'), rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([0, 0, 0, 1]);
    expect(rl.take('b')).toBe(0);
    await clock.advance(500);
    expect(rl.take('a')).toBe(0);
    expect(rl.take('a')).toBe(1);
  });
});
