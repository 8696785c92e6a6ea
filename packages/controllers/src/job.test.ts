import { RESOURCES, type Job, type Pod } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { podTemplate, setPodPhase, settle, startCluster, until, type TestCluster } from '../test/cluster.js';
import { JOB_TRACKING_FINALIZER, JobController, formatIndexes, parseIndexes } from './job.js';

let c: TestCluster;
beforeEach(async () => {
  c = await startCluster();
  c.run(new JobController(c.ctx));
});
afterEach(async () => { await c.close(); });

const job = (name: string, spec: Partial<NonNullable<Job['spec']>> = {}): Job => ({
  apiVersion: 'batch/v1', kind: 'Job',
  metadata: { name, namespace: 'default' },
  spec: { template: { ...podTemplate({ app: name }), spec: { ...podTemplate({}).spec, restartPolicy: 'Never' } }, ...spec },
});
const jobs = () => c.client.resource(RESOURCES.jobs);
const get = (name: string) => jobs().get(name, { namespace: 'default' });
const podsOf = async (name: string): Promise<Pod[]> => (await c.client.resource(RESOURCES.pods).list({ namespace: 'default', labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
const running = async (name: string) => (await podsOf(name)).filter((p) => !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''));
const conds = (j: Job) => Object.fromEntries((j.status?.conditions ?? []).filter((x) => x.status === 'True').map((x) => [x.type, x.reason]));

describe('Job controller', () => {
  it('runs completions with at most parallelism pods and completes with SuccessCriteriaMet then Complete', async () => {
    await jobs().create(job('batch', { completions: 3, parallelism: 2 }));
    let maxActive = 0;
    for (let done = 0; done < 3; done++) {
      const [p] = await until(async () => { const r = await running('batch'); maxActive = Math.max(maxActive, r.length); return r.length > 0 && r; }, 'a running pod');
      expect(p.metadata.finalizers).toContain(JOB_TRACKING_FINALIZER);
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: 'batch', controller: true });
      await setPodPhase(c.client, p, 'Succeeded');
      await until(async () => (await get('batch')).status?.succeeded === done + 1, `succeeded ${done + 1}`);
    }
    const j = await until(async () => { const x = await get('batch'); return conds(x).Complete && x; }, 'Complete');
    expect(maxActive).toBe(2);
    expect(conds(j)).toEqual({ SuccessCriteriaMet: 'CompletionsReached', Complete: 'CompletionsReached' });
    expect(j.status).toMatchObject({ succeeded: 3, completionTime: expect.any(String), startTime: expect.any(String) });
    expect(j.status?.conditions?.find((x) => x.type === 'Complete')?.message).toBe('Reached expected number of succeeded pods');
    await until(async () => (await podsOf('batch')).every((p) => !p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)), 'finalizers removed');
  });

  it('Indexed: one pod per index with the index annotation, label, env and hostname; completedIndexes', async () => {
    await jobs().create(job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    const pods = await until(async () => { const r = await running('idx'); return r.length === 3 && r; }, '3 pods');
    const byIndex = new Map(pods.map((p) => [p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'], p]));
    expect([...byIndex.keys()].sort()).toEqual(['0', '1', '2']);
    const p1 = byIndex.get('1')!;
    expect(p1.metadata.name).toMatch(/^idx-1-/);
    expect(p1.metadata.labels?.['batch.kubernetes.io/job-completion-index']).toBe('1');
    expect(p1.spec?.hostname).toBe('idx-1');
    expect(p1.spec?.containers[0].env).toContainEqual({ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } });
    await setPodPhase(c.client, byIndex.get('0')!, 'Succeeded');
    await setPodPhase(c.client, byIndex.get('2')!, 'Succeeded');
    await until(async () => (await get('idx')).status?.completedIndexes === '0,2', 'completedIndexes 0,2');
    await setPodPhase(c.client, p1, 'Failed', { now: c.clock.now() });
    await until(async () => (await get('idx')).status?.failed === 1, 'failure counted');
    await settle();
    expect(await running('idx')).toHaveLength(0);
    await c.clock.advance(10_000);
    const [again] = await until(async () => { const r = await running('idx'); return r.length === 1 && r; }, 'index 1 retried');
    expect(again.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).toBe('1');
    await setPodPhase(c.client, again, 'Succeeded');
    const j = await until(async () => { const x = await get('idx'); return conds(x).Complete && x; }, 'Complete');
    expect(j.status).toMatchObject({ completedIndexes: '0-2', succeeded: 3, failed: 1 });
  });

  it('retries failed pods after 10 s, 20 s, ... and fails with BackoffLimitExceeded past backoffLimit', async () => {
    await jobs().create(job('flaky', { backoffLimit: 2 }));
    const delays = [10_000, 20_000];
    for (const delay of delays) {
      const [p] = await until(async () => { const r = await running('flaky'); return r.length === 1 && r; }, 'a pod');
      await setPodPhase(c.client, p, 'Failed', { now: c.clock.now() });
      await until(async () => (await get('flaky')).status?.uncountedTerminatedPods !== undefined && (await running('flaky')).length === 0, 'failure seen');
      await c.clock.advance(delay - 1_000);
      await settle();
      expect(await running('flaky')).toHaveLength(0);
      await c.clock.advance(1_000);
    }
    const [last] = await until(async () => { const r = await running('flaky'); return r.length === 1 && r; }, 'third pod');
    await setPodPhase(c.client, last, 'Failed', { now: c.clock.now() });
    const j = await until(async () => { const x = await get('flaky'); return conds(x).Failed && x; }, 'Failed');
    expect(conds(j)).toEqual({ FailureTarget: 'BackoffLimitExceeded', Failed: 'BackoffLimitExceeded' });
    expect(j.status?.conditions?.find((x) => x.type === 'Failed')?.message).toBe('Job has reached the specified backoff limit');
    expect(j.status?.failed).toBe(3);
  });

  it('podFailurePolicy: FailJob on an exit code fails the Job at once; Ignore on a condition does not count', async () => {
    await jobs().create(job('policy', {
      backoffLimit: 6,
      podFailurePolicy: { rules: [
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        { action: 'FailJob', onExitCodes: { containerName: 'app', operator: 'In', values: [42] }, onPodConditions: [] },
      ] },
    }));
    const [p] = await until(async () => { const r = await running('policy'); return r.length === 1 && r; }, 'a pod');
    await setPodPhase(c.client, p, 'Failed', { conditions: [{ type: 'DisruptionTarget', status: 'True' }], now: c.clock.now() });
    // Ignored: replaced at once (no backoff) and not counted.
    const [p2] = await until(async () => { const r = await running('policy'); return r.length === 1 && r[0].metadata.uid !== p.metadata.uid && r; }, 'replacement');
    expect((await get('policy')).status?.failed).toBeUndefined();
    await setPodPhase(c.client, p2, 'Failed', { exitCode: 42, now: c.clock.now() });
    const j = await until(async () => { const x = await get('policy'); return conds(x).Failed && x; }, 'Failed');
    expect(conds(j)).toEqual({ FailureTarget: 'PodFailurePolicy', Failed: 'PodFailurePolicy' });
    expect(j.status?.conditions?.find((x) => x.type === 'Failed')?.message)
      .toBe(`Container app for pod default/${p2.metadata.name} failed with exit code 42 matching FailJob rule at index 1`);
  });

  it('activeDeadlineSeconds fails the Job and removes its running pods', async () => {
    await jobs().create(job('slow', { activeDeadlineSeconds: 30, parallelism: 2, completions: 2 }));
    await until(async () => (await running('slow')).length === 2, '2 pods');
    await c.clock.advance(31_000);
    const j = await until(async () => { const x = await get('slow'); return conds(x).Failed && x; }, 'Failed');
    expect(conds(j).Failed).toBe('DeadlineExceeded');
    expect(j.status?.conditions?.find((x) => x.type === 'Failed')?.message).toBe('Job was active longer than specified deadline');
    expect(await running('slow')).toHaveLength(0);
    expect(j.status?.failed).toBeUndefined();
  });

  it('suspend removes active pods without counting failures; resume starts them again', async () => {
    await jobs().create(job('sus', { parallelism: 2, completions: 4 }));
    await until(async () => (await running('sus')).length === 2, '2 pods');
    await jobs().patch('sus', 'merge', { spec: { suspend: true } }, { namespace: 'default' });
    const j = await until(async () => { const x = await get('sus'); return conds(x).Suspended && (x.status?.active ?? 0) === 0 && x; }, 'suspended');
    expect(conds(j).Suspended).toBe('JobSuspended');
    expect(await running('sus')).toHaveLength(0);
    await until(async () => (await podsOf('sus')).every((p) => !p.metadata.finalizers?.length), 'finalizers released');
    expect(j.status?.failed).toBeUndefined();
    await jobs().patch('sus', 'merge', { spec: { suspend: false } }, { namespace: 'default' });
    await until(async () => (await running('sus')).length === 2, 'resumed');
    const resumed = await until(async () => { const x = await get('sus'); return x.status?.active === 2 && x; }, 'resumed status');
    expect(resumed.status?.conditions?.find((x) => x.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'JobResumed' });
    expect(resumed.status?.failed).toBeUndefined();
  });

  it('a Job whose pod has a sidecar completes once the pod succeeds (main container done)', async () => {
    const j = job('side');
    j.spec!.template.spec!.initContainers = [{ name: 'logshipper', image: 'busybox', restartPolicy: 'Always' }];
    await jobs().create(j);
    const [p] = await until(async () => { const r = await running('side'); return r.length === 1 && r; }, 'pod');
    await setPodPhase(c.client, p, 'Succeeded', { containerName: 'app' });
    await until(async () => conds(await get('side')).Complete, 'Complete');
  });

  it('formats completed indexes as Kubernetes does', () => {
    expect(formatIndexes([5, 0, 1, 2, 7, 8])).toBe('0-2,5,7-8');
    expect([...parseIndexes('0-2,5')]).toEqual([0, 1, 2, 5]);
  });
});
