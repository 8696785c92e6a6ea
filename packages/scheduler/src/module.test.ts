import { RESOURCES, type Lease, type Pod } from '@peapod/api-types';
import { ClientModule, Transport, createClient } from '@peapod/client';
import { FakeApiServer } from '@peapod/client/testing';
import { Clock, Container, FakeClock, composeModules, type ComposedApp } from '@peapod/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEDULER_LEASE, SchedulerModule } from './module.js';
import { Scheduler, SchedulerConfig } from './tokens.js';
import { makeNode, makePod } from './testing/fixtures.js';

let clock: FakeClock;
let api: FakeApiServer;
let apps: ComposedApp[];
beforeEach(async () => {
  clock = new FakeClock();
  api = new FakeApiServer({ clock });
  apps = [];
  const nodes = createClient(api).resource(RESOURCES.nodes);
  for (const n of ['n1', 'n2']) await nodes.create(makeNode(n));
});
afterEach(async () => {
  for (const a of apps) await a.stop();
});

const client = () => createClient(api);
const lease = () => client().resource(RESOURCES.leases).get(SCHEDULER_LEASE, { namespace: 'kube-system' });

/** One control-plane process's scheduler; records the pods it bound. */
async function schedulerProcess(config: SchedulerConfig) {
  const c = Container.create().provide(Clock, { useValue: clock }).provide(Transport, { useValue: api }).provide(SchedulerConfig, { useValue: config });
  const app = composeModules([ClientModule, SchedulerModule], c);
  apps.push(app);
  await app.start();
  const bound: string[] = [];
  c.resolve(Scheduler).on('podScheduled', (p) => bound.push(p.metadata.name!));
  return { bound };
}

const createPod = (name: string) => client().resource(RESOURCES.pods).create({ ...makePod(name), metadata: { name, namespace: 'default' } } as Pod, { namespace: 'default' });
const nodeOf = async (name: string) => (await client().resource(RESOURCES.pods).get(name, { namespace: 'default' })).spec?.nodeName;

async function advance(ms: number, until?: () => Promise<boolean>): Promise<number> {
  for (let t = 250; t <= ms; t += 250) {
    await clock.advance(250);
    if (await until?.()) return t;
  }
  return ms;
}

describe('SchedulerModule leader election', () => {
  it('only the holder of the kube-scheduler Lease binds pods; one that loses it stops, and scheduling resumes with the next holder', async () => {
    const a = await schedulerProcess({ identity: 'a' });
    await advance(500);
    const b = await schedulerProcess({ identity: 'b' });
    for (const p of ['p1', 'p2', 'p3']) await createPod(p);
    await advance(2_000, async () => a.bound.length === 3);
    expect(a.bound.sort()).toEqual(['p1', 'p2', 'p3']);
    expect(b.bound).toEqual([]);
    expect((await lease()).spec?.holderIdentity).toBe('a');

    // Another scheduler (not in this test) takes the Lease: a stops scheduling at its next retry.
    const held = await lease();
    await client().resource(RESOURCES.leases).update({ ...held, spec: { ...held.spec, holderIdentity: 'other' } } as Lease);
    await advance(2_500);
    await createPod('p4');
    await advance(10_000);
    expect(await nodeOf('p4')).toBeUndefined();
    expect([...a.bound, ...b.bound]).not.toContain('p4');

    // 'other' never renews: once the Lease expired, one of a and b takes it and binds p4.
    const waited = await advance(20_000, async () => !!(await nodeOf('p4')));
    expect(waited).toBeLessThan(20_000);
    expect([...a.bound, ...b.bound].filter((p) => p === 'p4')).toHaveLength(1);
    expect(['a', 'b']).toContain((await lease()).spec?.holderIdentity);
  });

  it('with leader election off it schedules at once and leaves the Lease alone', async () => {
    const s = await schedulerProcess({ leaderElection: false });
    await createPod('solo');
    await advance(1_000, async () => s.bound.length === 1);
    expect(await nodeOf('solo')).toMatch(/^n[12]$/);
    await expect(lease()).rejects.toMatchObject({ status: { reason: 'NotFound' } });
  });
});
