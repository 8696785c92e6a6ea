import { RESOURCES, isNotFound, type Job } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { podTemplate, settle, startCluster, until, type TestCluster } from '../test/cluster.js';
import { TTLAfterFinishedController } from './ttl-after-finished.js';

let c: TestCluster;
beforeEach(async () => {
  c = await startCluster();
  c.run(new TTLAfterFinishedController(c.ctx));
});
afterEach(async () => { await c.close(); });

describe('ttl-after-finished controller', () => {
  it('deletes a finished Job ttlSecondsAfterFinished after it finished, not before', async () => {
    const jobs = c.client.resource(RESOURCES.jobs);
    const j = await jobs.create({
      metadata: { name: 'short', namespace: 'default' },
      spec: { ttlSecondsAfterFinished: 30, template: { ...podTemplate({ app: 'short' }), spec: { ...podTemplate({}).spec, restartPolicy: 'Never' } } },
    } as Job);
    const at = new Date(c.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await jobs.updateStatus({ ...j, status: { startTime: at, completionTime: at, succeeded: 1, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: at }] } });
    // Deleted in the foreground: the Job stays (deletionTimestamp set) until the garbage collector has removed its pods.
    const exists = () => jobs.get('short', { namespace: 'default' }).then((x) => !x.metadata.deletionTimestamp, (e) => { if (isNotFound(e)) return false; throw e; });
    await c.clock.advance(29_000);
    await settle();
    expect(await exists()).toBe(true);
    await c.clock.advance(2_000);
    await until(async () => !(await exists()), 'deleted');
  });
});
