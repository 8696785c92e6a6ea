import { RESOURCES, type CronJob, type Job } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { podTemplate, settle, startCluster, until, type TestCluster } from '../test/cluster.js';
import { CronJobController, scheduleTimes } from './cronjob.js';

let c: TestCluster;
beforeEach(async () => {
  c = await startCluster();
  c.run(new CronJobController(c.ctx));
});
afterEach(async () => { await c.close(); });

const T0 = Date.UTC(2025, 0, 1);
const cron = (name: string, spec: Partial<NonNullable<CronJob['spec']>> = {}): CronJob => ({
  apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace: 'default' },
  spec: {
    schedule: '*/1 * * * *',
    jobTemplate: { spec: { template: { ...podTemplate({ app: name }), spec: { ...podTemplate({}).spec, restartPolicy: 'Never' } } } },
    ...spec,
  },
});
const jobNames = async () => (await c.client.resource(RESOURCES.jobs).list({ namespace: 'default' })).items.filter((j) => !j.metadata.deletionTimestamp).map((j) => j.metadata.name!).sort();
const complete = async (name: string) => {
  const jobs = c.client.resource(RESOURCES.jobs);
  const j = await jobs.get(name, { namespace: 'default' });
  const at = new Date(c.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  await jobs.updateStatus({ ...j, status: { ...j.status, startTime: at, completionTime: at, succeeded: 1, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: at }] } } as Job);
};
const minute = (ms: number) => Math.floor(ms / 60_000);

describe('CronJob controller', () => {
  it('creates a Job per schedule time; Forbid skips while one runs; history is limited', async () => {
    await c.client.resource(RESOURCES.cronjobs).create(cron('tick', { concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 1 }));
    await settle();
    expect(await jobNames()).toEqual([]);
    await c.clock.advance(61_000);
    const first = `tick-${minute(T0 + 60_000)}`;
    await until(async () => (await jobNames()).includes(first), 'first job');
    const job = await c.client.resource(RESOURCES.jobs).get(first, { namespace: 'default' });
    expect(job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe('2025-01-01T00:01:00Z');
    expect(job.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'tick', controller: true });
    const cj = await until(async () => { const x = await c.client.resource(RESOURCES.cronjobs).get('tick', { namespace: 'default' }); return x.status?.active?.length === 1 && x; }, 'active');
    expect(cj.status?.lastScheduleTime).toBe('2025-01-01T00:01:00Z');

    await c.clock.advance(61_000);
    await settle();
    expect(await jobNames()).toEqual([first]);

    await complete(first);
    // The run Forbid held back (00:02) starts as soon as the first is done.
    const second = `tick-${minute(T0 + 120_000)}`;
    await until(async () => (await jobNames()).includes(second), 'held-back run');
    await complete(second);
    // Only the newest successful Job is kept.
    await until(async () => { const n = await jobNames(); return n.length === 1 && n[0] === second; }, 'history trimmed');
  });

  it('Replace deletes the running Job before starting the next', async () => {
    await c.client.resource(RESOURCES.cronjobs).create(cron('swap', { concurrencyPolicy: 'Replace' }));
    await c.clock.advance(61_000);
    await until(async () => (await jobNames()).length === 1, 'first');
    await c.clock.advance(61_000);
    await until(async () => { const n = await jobNames(); return n.length === 1 && n[0] === `swap-${minute(T0 + 120_000)}`; }, 'replaced');
  });

  it('honours timeZone and suspend', async () => {
    await c.client.resource(RESOURCES.cronjobs).create(cron('tokyo', { schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' }));
    await c.client.resource(RESOURCES.cronjobs).create(cron('paused', { suspend: true }));
    await c.clock.advance(23 * 3_600_000);
    await settle();
    expect(await jobNames()).toEqual([]);
    await c.clock.advance(3_601_000);
    // 09:00 in Tokyo is 00:00 UTC.
    await until(async () => (await jobNames()).includes(`tokyo-${minute(T0 + 24 * 3_600_000)}`), 'Tokyo morning');
    expect((await jobNames()).some((n) => n.startsWith('paused'))).toBe(false);
  });

  it('computes the most recent and next schedule times', () => {
    const r = scheduleTimes('*/5 * * * *', undefined, T0, T0 + 12 * 60_000);
    expect(r).toEqual({ mostRecent: T0 + 10 * 60_000, next: T0 + 15 * 60_000, missed: 1 });
    expect(scheduleTimes('0 * * * *', 'UTC', T0, T0 + 30 * 60_000).mostRecent).toBeUndefined();
  });
});
