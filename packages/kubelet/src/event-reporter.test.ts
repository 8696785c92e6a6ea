import { describe, expect, it } from 'vitest';
import { RESOURCES, type Event } from '@peapod/api-types';
import { EventRecorder, createClient } from '@peapod/client';
import { FakeApiServer } from '@peapod/client/testing';
import { FakeClock, TypedEmitter } from '@peapod/core';
import type { KubeletEvents } from './events.js';
import { pullDuration, reportKubeletEvents } from './event-reporter.js';

describe('reportKubeletEvents', () => {
  it('records the Events kubectl describe shows for a pod\'s life, and stops when unsubscribed', async () => {
    const server = new FakeApiServer();
    const client = createClient(server);
    const recorder = new EventRecorder(client, new FakeClock(), { component: 'kubelet', host: 'node-1' });
    const events = new TypedEmitter<KubeletEvents>();
    const stop = reportKubeletEvents(events, recorder);
    const ref = { namespace: 'default', name: 'web', uid: 'u1' };
    events.emit('imagePulling', ref, 'app', 'busybox:1.28');
    events.emit('imagePulled', ref, 'app', 'busybox:1.28', { durationMs: 15_981.7, size: 1_048_576 });
    events.emit('imagePulled', ref, 'app', 'busybox:1.28');
    events.emit('containerStarted', ref, 'app', 'c1', 0);
    events.emit('probeFailed', ref, 'app', 'liveness', 'HTTP probe failed with statuscode: 500');
    events.emit('containerBackedOff', ref, 'app', 10_000);
    stop();
    events.emit('containerKilling', ref, 'app', 'Stopping container app');
    await new Promise((r) => setTimeout(r, 50));
    const list = (await client.resource(RESOURCES.events).list({ namespace: 'default' })).items as Event[];
    const seen = list.map((e) => [e.type, e.reason, e.message]).sort();
    expect(seen).toEqual([
      ['Normal', 'Created', 'Created container: app'],
      ['Normal', 'Pulled', 'Container image "busybox:1.28" already present on machine'],
      ['Normal', 'Pulled', 'Successfully pulled image "busybox:1.28" in 15.981s (15.981s including waiting). Image size: 1048576 bytes.'],
      ['Normal', 'Pulling', 'Pulling image "busybox:1.28"'],
      ['Normal', 'Started', 'Started container app'],
      ['Warning', 'BackOff', 'Back-off restarting failed container app in pod web_default(u1)'],
      ['Warning', 'Unhealthy', 'Liveness probe failed: HTTP probe failed with statuscode: 500'],
    ]);
    expect(list.every((e) => e.involvedObject.kind === 'Pod' && e.involvedObject.uid === 'u1' && e.source?.host === 'node-1')).toBe(true);
  });

  it('formats pull durations as Go prints a millisecond-truncated time.Duration', () => {
    expect([0, 523.9, 1000, 15_981, 60_000, 62_500, 3_723_456].map(pullDuration)).toEqual(['0s', '523ms', '1s', '15.981s', '1m0s', '1m2.5s', '1h2m3.456s']);
  });
});
