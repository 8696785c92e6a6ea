import { RESOURCES, isConflict, isNotFound, type Job } from '@peapod/api-types';
import { splitKey, type ReconcileResult } from '@peapod/client';
import type { ControllerContext } from './context.js';
import { QueueController } from './controller.js';
import { timeOf } from './pod-util.js';

/** When a finished Job finished: its completionTime, or when it got its Complete/Failed condition. */
export function finishedAt(job: Job): number | undefined {
  const c = job.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  if (!c) return undefined;
  return timeOf(job.status?.completionTime) || timeOf(c.lastTransitionTime) || undefined;
}

/**
 * Deletes finished Jobs `ttlSecondsAfterFinished` after they finished (Kubernetes'
 * ttl-after-finished controller), in the foreground so the Job goes after its pods.
 */
export class TTLAfterFinishedController extends QueueController {
  private readonly jobs;

  constructor(ctx: ControllerContext) {
    super('ttl-after-finished', ctx);
    this.jobs = this.watch(RESOURCES.jobs, {
      onAdd: (j) => { if (j.spec?.ttlSecondsAfterFinished !== undefined) this.enqueue(j); },
      onUpdate: (_o, j) => { if (j.spec?.ttlSecondsAfterFinished !== undefined) this.enqueue(j); },
    });
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const job = this.jobs.lister.get(namespace, name);
    const ttl = job?.spec?.ttlSecondsAfterFinished;
    if (!job || ttl === undefined || job.metadata.deletionTimestamp) return;
    const done = finishedAt(job);
    if (done === undefined) return;
    const wait = done + ttl * 1000 - this.ctx.clock.now();
    if (wait > 0) return { requeueAfter: wait };
    try {
      await this.ctx.client.resource(RESOURCES.jobs).delete(name, { namespace, propagationPolicy: 'Foreground', preconditions: { uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion } });
    } catch (err) {
      // Changed since (e.g. its TTL was edited): the update event brings it back.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}
