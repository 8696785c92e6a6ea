import { describe, expect, it } from 'vitest';
import { RESOURCES, type Event } from '@peapod/api-types';
import { FakeClock } from '@peapod/core';
import { createClient } from '../client.js';
import { FakeApiServer } from '../testing/index.js';
import { EventRecorder } from './recorder.js';

describe('EventRecorder', () => {
  it('creates an Event about the object and aggregates repeats into count', async () => {
    const server = new FakeApiServer();
    const client = createClient(server);
    const clock = new FakeClock(Date.UTC(2025, 0, 1));
    const rec = new EventRecorder(client, clock, { component: 'default-scheduler' });
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', uid: 'u1' } };
    await rec.event(pod, 'Warning', 'FailedScheduling', '0/1 nodes are available: 1 Insufficient cpu.');
    await clock.advance(5_000);
    await rec.event(pod, 'Warning', 'FailedScheduling', '0/1 nodes are available: 1 Insufficient cpu.');
    await rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned default/web to n1');
    const list = await client.resource(RESOURCES.events).list({ namespace: 'default' });
    const byReason = Object.fromEntries(list.items.map((e: Event) => [e.reason, e]));
    expect(list.items).toHaveLength(2);
    expect(byReason.FailedScheduling).toMatchObject({
      type: 'Warning',
      count: 2,
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1' },
      source: { component: 'default-scheduler' },
      firstTimestamp: '2025-01-01T00:00:00.000Z',
      lastTimestamp: '2025-01-01T00:00:05.000Z',
    });
    expect(byReason.Scheduled.count).toBe(1);
  });
});

describe('EventRecorder names', () => {
  it('gives Events two recorders write about one pod in the same millisecond different names', async () => {
    const client = createClient(new FakeApiServer());
    const clock = new FakeClock(Date.UTC(2025, 0, 1));
    const scheduler = new EventRecorder(client, clock, { component: 'default-scheduler' });
    const kubelet = new EventRecorder(client, clock, { component: 'kubelet', host: 'node-1' });
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', uid: 'u1' } };
    await Promise.all([scheduler.event(pod, 'Normal', 'Scheduled', 'Successfully assigned default/web to node-1'), kubelet.event(pod, 'Normal', 'Pulled', 'Container image "a" already present on machine')]);
    const list = await client.resource(RESOURCES.events).list({ namespace: 'default' });
    expect(list.items.map((e: Event) => e.reason).sort()).toEqual(['Pulled', 'Scheduled']);
  });
});

describe('EventRecorder correlation (client-go EventCorrelator)', () => {
  const setup = () => {
    const server = new FakeApiServer();
    const client = createClient(server);
    const clock = new FakeClock(Date.UTC(2025, 0, 1));
    const rec = new EventRecorder(client, clock, { component: 'kubelet', host: 'node-1' });
    const events = async () => (await client.resource(RESOURCES.events).list({ namespace: 'default' })).items as Event[];
    return { server, client, clock, rec, events };
  };
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', uid: 'u1' } };

  it('forgets the least recently written event key beyond 4,096: a repeat of it creates a new Event', async () => {
    const { rec, events } = setup();
    const other = (name: string) => ({ ...pod, metadata: { ...pod.metadata, name, uid: name } });
    await rec.event(other('a'), 'Normal', 'Pulled', 'pulled');
    await rec.event(other('b'), 'Normal', 'Pulled', 'pulled');
    for (let i = 0; i < 4094; i++) await rec.event(other(`p${i}`), 'Normal', 'Pulled', 'pulled');
    // Refreshing b leaves a the oldest key, and the next new key evicts it (b stays).
    await rec.event(other('b'), 'Normal', 'Pulled', 'pulled');
    await rec.event(other('p-last'), 'Normal', 'Pulled', 'pulled');
    await rec.event(other('a'), 'Normal', 'Pulled', 'pulled');
    await rec.event(other('b'), 'Normal', 'Pulled', 'pulled');
    const about = (name: string) => events().then((l) => l.filter((e) => e.involvedObject.name === name).map((e) => e.count));
    expect(await about('a')).toEqual([1, 1]);
    expect(await about('b')).toEqual([3]);
  });

  it('aggregates similar events from the 10th distinct message on into one combined Event', async () => {
    const { rec, clock, events } = setup();
    for (let i = 1; i <= 12; i++) {
      await rec.event(pod, 'Warning', 'FailedMount', `volume v${i} not found`);
      await clock.advance(1_000);
    }
    const all = await events();
    const combined = all.filter((e) => e.message!.startsWith('(combined from similar events): '));
    expect(all).toHaveLength(10);
    expect(combined).toHaveLength(1);
    expect(combined[0]).toMatchObject({ reason: 'FailedMount', count: 3, message: '(combined from similar events): volume v12 not found' });
    // Another reason about the same object is not similar.
    await rec.event(pod, 'Normal', 'Pulled', 'Container image "a" already present on machine');
    expect(await events()).toHaveLength(11);
  });

  it('starts a fresh group when similar events are more than 10 minutes apart', async () => {
    const { rec, clock, events } = setup();
    for (let i = 1; i <= 9; i++) await rec.event(pod, 'Warning', 'FailedMount', `volume v${i} not found`);
    await clock.advance(10 * 60_000 + 1);
    await rec.event(pod, 'Warning', 'FailedMount', 'volume v10 not found');
    const all = await events();
    expect(all).toHaveLength(10);
    expect(all.some((e) => e.message!.startsWith('(combined'))).toBe(false);
  });

  it('lets a burst of 25 events about one object through, then one per 5 minutes, keeping the true count', async () => {
    const { rec, clock, events } = setup();
    for (let i = 0; i < 25; i++) await rec.event(pod, 'Normal', `Reason${i}`, 'm');
    for (let i = 0; i < 3; i++) await rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    expect(await events()).toHaveLength(25);
    // Other objects have their own budget.
    await rec.event({ ...pod, metadata: { ...pod.metadata, name: 'db', uid: 'u2' } }, 'Warning', 'BackOff', 'Back-off restarting failed container');
    expect(await events()).toHaveLength(26);
    await clock.advance(5 * 60_000);
    await rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await rec.event(pod, 'Normal', 'Late', 'm');
    const backOff = (await events()).filter((e) => e.reason === 'BackOff' && e.involvedObject.name === 'web');
    expect(backOff).toHaveLength(1);
    expect(backOff[0].count).toBe(4);
    expect((await events()).some((e) => e.reason === 'Late')).toBe(false);
  });

  it('writes a repeat only after the Event it patches exists, and drops events beyond 1,000 waiting', async () => {
    const server = new FakeApiServer();
    const held: (() => void)[] = [];
    const seen: string[] = [];
    const transport = {
      request: async (req: Parameters<FakeApiServer['request']>[0]) => {
        seen.push(req.method);
        await new Promise<void>((r) => held.push(r));
        return server.request(req);
      },
      watch: (req: Parameters<FakeApiServer['watch']>[0]) => server.watch(req),
      stream: (req: Parameters<FakeApiServer['stream']>[0]) => server.stream(req),
    };
    const client = createClient(transport);
    const rec = new EventRecorder(client, new FakeClock(Date.UTC(2025, 0, 1)), { component: 'kubelet' });
    const first = rec.event(pod, 'Warning', 'BackOff', 'again');
    const repeat = rec.event(pod, 'Warning', 'BackOff', 'again');
    const others = Array.from({ length: 1000 }, (_, i) => rec.event({ ...pod, metadata: { name: `p${i}`, namespace: 'default', uid: `x${i}` } }, 'Normal', 'Started', 'm'));
    await new Promise((r) => setTimeout(r, 10));
    // The repeat waits for its create; 998 others wait for the API; two were dropped.
    expect(seen.filter((m) => m === 'PATCH')).toHaveLength(0);
    while (held.length) {
      for (const release of held.splice(0)) release();
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all([first, repeat, ...others]);
    const list = (await createClient(server).resource(RESOURCES.events).list({ namespace: 'default' })).items as Event[];
    expect(list).toHaveLength(999);
    expect(list.find((e) => e.involvedObject.name === 'web')!.count).toBe(2);
    expect(seen.indexOf('PATCH')).toBeGreaterThan(seen.indexOf('POST'));
  });
});
