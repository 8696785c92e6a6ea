import { describe, expect, it } from 'vitest';
import { FakeClock } from '@peapod/core';
import { Backoff } from './backoff.js';

const S = 1000;

/** Drives a container that exits the moment it starts and returns the waits between restarts. */
async function crashLoop(clock: FakeClock, backoff: Backoff, restarts: number): Promise<number[]> {
  const waits: number[] = [];
  let exitedAt = clock.now();
  for (let i = 0; i < restarts; i++) {
    const wait = backoff.remaining('c', exitedAt);
    expect(backoff.isInBackOffSince('c', exitedAt)).toBe(wait > 0);
    await clock.advance(wait);
    expect(backoff.isInBackOffSince('c', exitedAt)).toBe(false);
    backoff.next('c', exitedAt);
    waits.push(wait / S);
    exitedAt = clock.now();
  }
  return waits;
}

describe('Backoff', () => {
  it('restarts at once, then waits 10, 20, 40, 80, 160 s and stays capped at 300 s', async () => {
    const clock = new FakeClock(0);
    expect(await crashLoop(clock, new Backoff(clock), 9)).toEqual([0, 10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('forgets the delay after ten minutes of clean running', async () => {
    const clock = new FakeClock(0);
    const backoff = new Backoff(clock);
    await crashLoop(clock, backoff, 6);
    expect(backoff.get('c')).toBe(300 * S);
    // The container now runs for 10 min + 1 s before exiting again.
    await clock.advance(601 * S);
    const exitedAt = clock.now();
    expect(backoff.isInBackOffSince('c', exitedAt)).toBe(false);
    backoff.next('c', exitedAt);
    expect(backoff.get('c')).toBe(10 * S);
  });

  it('keeps the delay when the container ran for less than ten minutes', async () => {
    const clock = new FakeClock(0);
    const backoff = new Backoff(clock);
    await crashLoop(clock, backoff, 4);
    expect(backoff.get('c')).toBe(80 * S);
    await clock.advance(599 * S);
    const exitedAt = clock.now();
    expect(backoff.isInBackOffSince('c', exitedAt)).toBe(true);
    expect(backoff.remaining('c', exitedAt)).toBe(80 * S);
  });

  it('keeps keys apart and drops expired ones on gc', async () => {
    const clock = new FakeClock(0);
    const backoff = new Backoff(clock);
    backoff.next('a', 0);
    await clock.advance(400 * S);
    backoff.next('b', clock.now());
    await clock.advance(201 * S);
    backoff.gc();
    expect(backoff.get('a')).toBe(0);
    expect(backoff.get('b')).toBe(10 * S);
  });
});
