import { RESOURCES, isBadRequest, type Lease } from '@peapod/api-types';
import { FakeClock, silentLogger } from '@peapod/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { LeaderElector, leaderElectionDefaults, resolveLeaderElection, type LeaderElectionOptions } from './leader-election.js';
import { FakeApiServer } from './testing/fake-api-server.js';
import type { ApiRequest, Transport } from './types.js';

const OPTIONS: LeaderElectionOptions = leaderElectionDefaults('kube-scheduler');

/** One candidate's network: fine, refusing every request, or swallowing them unanswered. */
type LinkState = 'up' | 'refused' | 'hung';

function link(api: FakeApiServer): Transport & { state: LinkState } {
  const hung: (() => void)[] = [];
  const l = {
    _state: 'up' as LinkState,
    get state() { return this._state; },
    set state(s: LinkState) {
      this._state = s;
      // Hung requests fail once the link changes, as a TCP timeout would end them.
      if (s !== 'hung') for (const fail of hung.splice(0)) fail();
    },
    request(req: ApiRequest) {
      if (l._state === 'refused') return Promise.reject(new Error('connect ECONNREFUSED'));
      if (l._state === 'hung') return new Promise<never>((_, reject) => hung.push(() => reject(new Error('socket hang up'))));
      return api.request(req);
    },
    watch: (req: ApiRequest) => api.watch(req),
    stream: (req: ApiRequest) => api.stream(req),
  };
  return l;
}

let clock: FakeClock;
let api: FakeApiServer;
/** Every term's start and end, on the fake clock. */
let terms: { id: string; start: number; end?: number }[];
/** Terms that began while another was still acting: must stay empty. */
let overlaps: string[];
let electors: LeaderElector[];

beforeEach(() => {
  clock = new FakeClock();
  api = new FakeApiServer({ clock });
  terms = [];
  overlaps = [];
  electors = [];
});
afterEach(async () => {
  for (const e of electors) await e.stop();
});

const acting = () => terms.filter((t) => t.end === undefined);

/** A candidate whose work records its term and runs until leadership ends. */
function candidate(id: string, options = OPTIONS) {
  const net = link(api);
  const elector = new LeaderElector(createClient(net), clock, id, options, silentLogger, (signal) => {
    const others = acting();
    if (others.length) overlaps.push(`${id} started at ${clock.now()} while ${others.map((t) => t.id).join(',')} acted`);
    const term: { id: string; start: number; end?: number } = { id, start: clock.now() };
    terms.push(term);
    return new Promise<void>((resolve) => signal.addEventListener('abort', () => { term.end = clock.now(); resolve(); }, { once: true }));
  });
  electors.push(elector);
  return { elector, net };
}

const lease = () => createClient(api).resource(RESOURCES.leases).get(OPTIONS.name, { namespace: OPTIONS.namespace });

/** Advances the fake clock in small steps, checking after each that at most one candidate leads. */
async function run(ms: number, until?: () => boolean): Promise<number> {
  const t0 = clock.now();
  for (let t = 0; t < ms; t += 250) {
    await clock.advance(250);
    expect(electors.filter((e) => e.isLeader()).length).toBeLessThanOrEqual(1);
    if (until?.()) return clock.now() - t0;
  }
  return clock.now() - t0;
}

describe('LeaderElector', () => {
  it('acquires a free Lease at once, renews it, and keeps a second candidate waiting', async () => {
    const a = candidate('a').elector;
    const seen: string[] = [];
    a.start();
    await run(250);
    expect(a.isLeader()).toBe(true);
    expect(terms).toEqual([{ id: 'a', start: clock.now() - 250 }]);
    const first = await lease();
    expect(first.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });

    const b = candidate('b').elector;
    b.on('newLeader', (who) => seen.push(who));
    b.start();
    await run(60_000);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(b.leader()).toBe('a');
    expect(seen).toEqual(['a']);
    const later = await lease();
    expect(Date.parse(later.spec!.renewTime!) - Date.parse(first.spec!.renewTime!)).toBeGreaterThanOrEqual(58_000);
    expect(later.spec!.acquireTime).toBe(first.spec!.acquireTime);
    expect(terms.map((t) => t.id)).toEqual(['a']);
  });

  it('a leader cut off stops acting within the renew deadline; another takes over only after the lease duration', async () => {
    const a = candidate('a');
    const b = candidate('b');
    a.elector.start();
    await run(250);
    b.elector.start();
    await run(7_000);
    a.net.state = 'refused';
    const aDown = await run(30_000, () => !a.elector.isLeader());
    const bUp = aDown + await run(30_000, () => b.elector.isLeader());
    // A renewal at most one retry period (2 s) before the cut counts; the deadline is 10 s after it.
    expect(aDown).toBeGreaterThan(8_000);
    expect(aDown).toBeLessThanOrEqual(10_000);
    // b saw the last renewal at most 2 s after it and waits 15 s from then, retrying every 2 s.
    expect(bUp).toBeGreaterThanOrEqual(13_000);
    expect(bUp).toBeLessThanOrEqual(19_000);
    expect(terms.map((t) => t.id)).toEqual(['a', 'b']);
    expect(terms[0].end).toBeLessThanOrEqual(terms[1].start);
    expect((await lease()).spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(overlaps).toEqual([]);
  });

  it('a renewal that never answers does not keep the leader acting past its renew deadline', async () => {
    const a = candidate('a');
    a.elector.start();
    await run(4_000);
    const lastRenew = Date.parse((await lease()).spec!.renewTime!);
    a.net.state = 'hung';
    await run(30_000, () => !a.elector.isLeader());
    expect(terms[0].end).toBe(lastRenew + OPTIONS.renewDeadlineMs);
  });

  it('a leader that sees another holder on the Lease stops at once', async () => {
    const a = candidate('a').elector;
    a.start();
    await run(3_000);
    const current = await lease();
    await createClient(api).resource(RESOURCES.leases).update({ ...current, spec: { ...current.spec, holderIdentity: 'intruder' } } as Lease);
    const down = await run(10_000, () => !a.isLeader());
    expect(down).toBeLessThanOrEqual(OPTIONS.retryPeriodMs);
    // The intruder never renews: once the Lease expired, a leads again in a fresh term.
    await run(20_000, () => a.isLeader());
    expect(terms.map((t) => t.id)).toEqual(['a', 'a']);
    expect(terms[1].start - terms[0].end!).toBeGreaterThanOrEqual(OPTIONS.leaseDurationSeconds * 1000);
  });

  it('stop ends the work before it releases the Lease, so a successor takes over without waiting it out', async () => {
    const a = candidate('a').elector;
    const b = candidate('b').elector;
    a.start();
    await run(250);
    b.start();
    await run(5_000);
    let actingAtRelease: string[] | undefined;
    api.onRequest = (req) => {
      if (req.method === 'PUT' && (req.body as Lease).spec?.holderIdentity === '') actingAtRelease = acting().map((t) => t.id);
    };
    await a.stop();
    expect(actingAtRelease).toEqual([]);
    expect(a.isLeader()).toBe(false);
    const bUp = await run(10_000, () => b.isLeader());
    expect(bUp).toBeLessThanOrEqual(OPTIONS.retryPeriodMs + 1_000 + 250);
    expect((await lease()).spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 0 });
  });

  it('stop frees the Lease even when a renewal it abandoned landed after its last copy', async () => {
    const a = candidate('a').elector;
    a.start();
    await run(250);
    // What an in-flight renewal that stop() no longer waits for does: the Lease moves on, still a's.
    const held = await lease();
    await createClient(api).resource(RESOURCES.leases).update({ ...held, spec: { ...held.spec, renewTime: new Date(clock.now() + 1).toISOString() } });
    await a.stop();
    expect((await lease()).spec?.holderIdentity).toBe('');
  });

  it('of three candidates on flaky links, never two act at once', async () => {
    const cs = ['a', 'b', 'c'].map((id) => candidate(id));
    for (const c of cs) c.elector.start();
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const states: LinkState[] = ['up', 'up', 'refused', 'hung'];
    for (let round = 0; round < 40; round++) {
      for (const c of cs) c.net.state = states[Math.floor(random() * states.length)];
      await run(5_000);
    }
    for (const c of cs) c.net.state = 'up';
    await run(30_000);
    expect(overlaps).toEqual([]);
    expect(new Set(terms.map((t) => t.id)).size).toBeGreaterThan(1);
    expect(cs.filter((c) => c.elector.isLeader())).toHaveLength(1);
  });
});

describe('resolveLeaderElection', () => {
  it('is on with the components\' defaults unless turned off, and refuses timings that allow two leaders', () => {
    expect(resolveLeaderElection(undefined, 'kube-controller-manager')).toEqual({
      namespace: 'kube-system', name: 'kube-controller-manager', leaseDurationSeconds: 15, renewDeadlineMs: 10_000, retryPeriodMs: 2_000,
    });
    expect(resolveLeaderElection(false, 'x')).toBe(false);
    expect(resolveLeaderElection({ leaseDurationSeconds: 4, renewDeadlineMs: 3_000, retryPeriodMs: 500 }, 'x')).toMatchObject({ name: 'x', leaseDurationSeconds: 4 });
    let err: unknown;
    try { resolveLeaderElection({ leaseDurationSeconds: 5 }, 'x'); } catch (e) { err = e; }
    expect(isBadRequest(err)).toBe(true);
    expect(String(err)).toMatch(/renew deadline \(10000 ms\) < lease duration \(5 s\)/);
  });
});
