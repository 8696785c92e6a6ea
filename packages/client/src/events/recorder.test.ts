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
    const rec = new EventRecorder(client, clock, 'default-scheduler');
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
