import { createRequire } from 'node:module';
import {
  RESOURCES, controllerOf, controllerRef, deepEqual, isAlreadyExists, isNotFound, type CronJob, type CronJobStatus, type Job,
} from '@peapod/api-types';
import { splitKey, type ReconcileResult } from '@peapod/client';
import type { CronExpressionParser as Parser } from 'cron-parser';
import { recorderFor, type ControllerContext } from './context.js';
import { QueueController } from './controller.js';
import { patchStatus, rfc3339, timeOf } from './pod-util.js';

export const CRONJOB_GVK = { apiVersion: 'batch/v1', kind: 'CronJob' } as const;
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** More missed start times than this and Kubernetes reports them rather than counting on. */
const MAX_MISSED = 100;

/** cron-parser (with luxon, ~1.5 MB of heap) is loaded by the first CronJob, not with the controllers. */
let parser: typeof Parser | undefined;
const cron = () => (parser ??= (createRequire(import.meta.url)('cron-parser') as { CronExpressionParser: typeof Parser }).CronExpressionParser);

const finished = (j: Job) => j.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type;

/**
 * The most recent schedule time in (`after`, `now`] and the next one after `now` (Kubernetes'
 * `mostRecentScheduleTime` / `nextScheduleTime`), in the CronJob's time zone. `missed` counts
 * the times skipped in between, capped just above MAX_MISSED.
 */
export function scheduleTimes(schedule: string, timeZone: string | undefined, after: number, now: number): { mostRecent?: number; next: number; missed: number } {
  const it = cron().parse(schedule, { currentDate: new Date(after), tz: timeZone });
  let mostRecent: number | undefined;
  let missed = 0;
  for (;;) {
    const t = it.next().toDate().getTime();
    if (t > now) return { mostRecent, next: t, missed };
    if (mostRecent !== undefined) missed++;
    mostRecent = t;
    if (missed > MAX_MISSED) {
      // Too many to walk: only the last time up to now and the next one matter.
      const around = () => cron().parse(schedule, { currentDate: new Date(now + 1), tz: timeZone });
      return { mostRecent: around().prev().toDate().getTime(), next: around().next().toDate().getTime(), missed };
    }
  }
}

/**
 * CronJobs (Kubernetes' CronJob controller v2): creates a Job named `<cronjob>-<minutes since
 * epoch>` for the latest due schedule time, in `timeZone` when set, unless it is older than
 * `startingDeadlineSeconds`; `concurrencyPolicy` Forbid skips while a Job runs, Replace deletes
 * the running ones first; keeps `status.active`, `lastScheduleTime`, `lastSuccessfulTime`, and
 * only the newest `successfulJobsHistoryLimit`/`failedJobsHistoryLimit` finished Jobs. Comes
 * back at the next schedule time; `suspend` stops new runs.
 */
export class CronJobController extends QueueController {
  private readonly cronjobs;
  private readonly jobs;
  private readonly recorder;

  constructor(ctx: ControllerContext) {
    super('cronjob', ctx);
    this.recorder = recorderFor(ctx, 'cronjob-controller');
    this.cronjobs = this.watch(RESOURCES.cronjobs, {
      onAdd: (cj) => this.enqueue(cj),
      onUpdate: (_o, cj) => this.enqueue(cj),
    });
    const onJob = (j: Job) => {
      const ref = controllerOf(j);
      if (ref?.kind === 'CronJob') this.queue.add(`${j.metadata.namespace}/${ref.name}`);
    };
    this.jobs = this.watch(RESOURCES.jobs, { onAdd: onJob, onUpdate: (_o, j) => onJob(j), onDelete: onJob });
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cj = this.cronjobs.lister.get(namespace, name);
    if (!cj) return;
    const spec = cj.spec!;
    const now = this.ctx.clock.now();
    const jobs = this.jobs.lister.list(namespace).filter((j) => controllerOf(j)?.uid === cj.metadata.uid);
    const status: CronJobStatus = structuredClone(cj.status ?? {});
    const running = jobs.filter((j) => !finished(j) && !j.metadata.deletionTimestamp);
    status.active = running.map((j) => ({ kind: 'Job', apiVersion: 'batch/v1', name: j.metadata.name, namespace, uid: j.metadata.uid }));
    const lastSuccess = Math.max(0, ...jobs.filter((j) => finished(j) === 'Complete').map((j) => timeOf(j.status?.completionTime)));
    if (lastSuccess > timeOf(status.lastSuccessfulTime)) status.lastSuccessfulTime = rfc3339(lastSuccess);
    await this.cleanupHistory(cj, jobs);

    let requeueAfter: number | undefined;
    if (!cj.metadata.deletionTimestamp && !spec.suspend) {
      let times;
      try {
        const deadline = spec.startingDeadlineSeconds;
        const earliest = Math.max(timeOf(cj.status?.lastScheduleTime) || timeOf(cj.metadata.creationTimestamp), deadline !== undefined ? now - deadline * 1000 : 0);
        times = scheduleTimes(spec.schedule, spec.timeZone, earliest, now);
      } catch (err) {
        this.recorder.event(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${spec.schedule} : ${(err as Error).message}`);
        return this.writeStatus(cj, status);
      }
      // A little past the next time, so the clock is surely there when the key comes back.
      requeueAfter = times.next - now + 100;
      if (times.missed > MAX_MISSED) this.recorder.event(cj, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${times.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
      const due = times.mostRecent;
      if (due !== undefined && timeOf(status.lastScheduleTime) < due) {
        if (spec.concurrencyPolicy === 'Forbid' && running.length) {
          this.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
        } else {
          if (spec.concurrencyPolicy === 'Replace') {
            for (const j of running) await this.deleteJob(cj, j, 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
            status.active = [];
          }
          const job = await this.createJob(cj, due);
          if (job && !status.active.some((a) => a.uid === job.metadata.uid)) {
            status.active.push({ kind: 'Job', apiVersion: 'batch/v1', name: job.metadata.name, namespace, uid: job.metadata.uid });
          }
          status.lastScheduleTime = rfc3339(due);
        }
      }
    }
    await this.writeStatus(cj, status);
    return requeueAfter !== undefined ? { requeueAfter } : undefined;
  }

  private async createJob(cj: CronJob, scheduled: number): Promise<Job | undefined> {
    const t = cj.spec!.jobTemplate;
    const job: Job = {
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: {
        name: `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`,
        namespace: cj.metadata.namespace,
        labels: t.metadata?.labels,
        annotations: { ...t.metadata?.annotations, [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339(scheduled) },
        ownerReferences: [controllerRef(cj, CRONJOB_GVK)],
      },
      // Same schema as Job.spec; the emitted declarations name it twice, hence the cast.
      spec: structuredClone(t.spec!) as Job['spec'],
    };
    try {
      const created = await this.ctx.client.resource(RESOURCES.jobs).create(job);
      this.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
      return created;
    } catch (err) {
      // Already created for this time (e.g. before a restart): not a second run.
      if (isAlreadyExists(err)) return undefined;
      this.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
      throw err;
    }
  }

  private async cleanupHistory(cj: CronJob, jobs: Job[]): Promise<void> {
    const limits = { Complete: cj.spec?.successfulJobsHistoryLimit ?? 3, Failed: cj.spec?.failedJobsHistoryLimit ?? 1 };
    for (const kind of ['Complete', 'Failed'] as const) {
      const done = jobs.filter((j) => finished(j) === kind && !j.metadata.deletionTimestamp)
        .sort((a, b) => timeOf(a.status?.startTime ?? a.metadata.creationTimestamp) - timeOf(b.status?.startTime ?? b.metadata.creationTimestamp));
      for (const j of done.slice(0, Math.max(0, done.length - limits[kind]))) await this.deleteJob(cj, j, 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
    }
  }

  private async deleteJob(cj: CronJob, job: Job, reason: string, message: string): Promise<void> {
    try {
      await this.ctx.client.resource(RESOURCES.jobs).delete(job.metadata.name!, { namespace: job.metadata.namespace, propagationPolicy: 'Background' });
      this.recorder.event(cj, 'Normal', reason, message);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async writeStatus(cj: CronJob, status: CronJobStatus): Promise<void> {
    const next = { ...status, active: status.active?.length ? status.active : undefined };
    if (deepEqual(next, cj.status ?? {})) return;
    await patchStatus(this.ctx.client.resource(RESOURCES.cronjobs), cj, next).catch((err) => { if (!isNotFound(err)) throw err; });
  }
}
