import {
  RESOURCES, controllerRef, deepEqual, isNotFound, labelSelectorFromObject,
  type Job, type JobCondition, type JobStatus, type Pod, type PodFailurePolicyRule,
} from '@peapod/api-types';
import { splitKey, type ReconcileResult } from '@peapod/client';
import { claim } from './claim.js';
import { recorderFor, type ControllerContext } from './context.js';
import { QueueController } from './controller.js';
import { Expectations } from './expectations.js';
import { podOwnerHandler } from './pod-events.js';
import { compareForDeletion } from './replicaset.js';
import { claimCandidates, isPodReady, omitZero, podFromTemplate, removeFinalizer, rfc3339, setCondition, timeOf } from './pod-util.js';

export const JOB_GVK = { apiVersion: 'batch/v1', kind: 'Job' } as const;
/** Holds a Job's finished pods until their outcome is counted in the Job's status. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
/** Retry delays after failures: 10 s doubling, capped at 6 minutes (Kubernetes' DefaultJobPodFailureBackOff / MaxJobPodFailureBackOff). */
export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 360_000;

const MSG = {
  backoff: ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
  deadline: ['DeadlineExceeded', 'Job was active longer than specified deadline'],
  completions: ['CompletionsReached', 'Reached expected number of succeeded pods'],
} as const;

type Outcome = 'succeeded' | 'failed' | 'ignored';
interface Backoff { failures: number; lastFailure: number }

const isFinishedCondition = (c: JobCondition) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True';
const conditionOf = (job: Job, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
const indexOf = (pod: Pod): number | undefined => {
  const v = pod.metadata.annotations?.[JOB_COMPLETION_INDEX] ?? pod.metadata.labels?.[JOB_COMPLETION_INDEX];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
};

/** `1,3-5` <-> a set of indexes (the completedIndexes format). */
export function parseIndexes(s: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) out.add(i);
  }
  return out;
}
export function formatIndexes(set: Iterable<number>): string {
  const xs = [...set].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length; i++) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(j > i ? `${xs[i]}-${xs[j]}` : String(xs[i]));
    i = j;
  }
  return parts.join(',');
}

/**
 * Whether a pod failed, as the Job controller counts it: phase Failed, or (unless the Job only
 * replaces pods once they fail) deleted before it succeeded.
 */
function isPodFailed(pod: Pod, job: Job): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (job.spec?.podFailurePolicy || job.spec?.podReplacementPolicy === 'Failed') return false;
  return !!pod.metadata.deletionTimestamp && pod.status?.phase !== 'Succeeded';
}

/** The first podFailurePolicy rule a failed pod matches, with Kubernetes' message for FailJob. */
export function matchPodFailurePolicy(job: Job, pod: Pod): { rule: PodFailurePolicyRule; index: number; message: string } | undefined {
  const rules = job.spec?.podFailurePolicy?.rules ?? [];
  const where = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (const [index, rule] of rules.entries()) {
    const codes = rule.onExitCodes;
    if (codes) {
      const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
      for (const cs of statuses) {
        if (codes.containerName && codes.containerName !== cs.name) continue;
        const code = cs.state?.terminated?.exitCode;
        if (code === undefined || code === 0) continue;
        if ((codes.operator === 'In') === codes.values.includes(code)) {
          return { rule, index, message: `Container ${cs.name} for pod ${where} failed with exit code ${code} matching ${rule.action} rule at index ${index}` };
        }
      }
    }
    for (const pattern of rule.onPodConditions ?? []) {
      if (pod.status?.conditions?.some((c) => c.type === pattern.type && c.status === (pattern.status ?? 'True'))) {
        return { rule, index, message: `Pod ${where} has condition ${pattern.type} matching ${rule.action} rule at index ${index}` };
      }
    }
  }
  return undefined;
}

/** When a pod finished: the latest container finish time, else the last condition change. */
const finishedAt = (pod: Pod, fallback: number): number => Math.max(
  0,
  ...[...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].map((c) => timeOf(c.state?.terminated?.finishedAt)),
  ...(pod.status?.conditions ?? []).map((c) => timeOf(c.lastTransitionTime)),
) || fallback;

/**
 * Runs Jobs to completion (Kubernetes' Job controller): keeps up to `parallelism` pods running
 * until `completions` succeed (NonIndexed) or every index in [0, completions) succeeded
 * (Indexed: `batch.kubernetes.io/job-completion-index` annotation and label, JOB_COMPLETION_INDEX
 * env, hostname `<job>-<index>`). Failed pods are replaced after an exponential backoff (10 s
 * doubling to 6 min) until `backoffLimit` failures; `podFailurePolicy` rules may fail the Job at
 * once, ignore a failure or count it; `activeDeadlineSeconds` bounds the run; `suspend` removes
 * the active pods. Every pod carries the `batch.kubernetes.io/job-tracking` finalizer until its
 * outcome is recorded (through `status.uncountedTerminatedPods`), so no outcome is lost or
 * counted twice. A finishing Job first gets `SuccessCriteriaMet` or `FailureTarget`, and
 * `Complete` or `Failed` once none of its pods is still running.
 */
export class JobController extends QueueController {
  private readonly jobs;
  private readonly pods;
  private readonly expectations: Expectations;
  private readonly backoff = new Map<string, Backoff>();
  /**
   * UIDs of pods whose outcome this process already moved into a Job's counters, per Job: the pod
   * cache may still show such a pod with its finalizer for a moment, and it must not count twice.
   */
  private readonly counted = new Map<string, Set<string>>();
  /** UIDs of pods this controller deleted (suspension, surplus, a finishing Job): their end is not a failure. */
  private readonly removed = new Set<string>();
  private readonly recorder;

  constructor(ctx: ControllerContext) {
    super('job', ctx);
    this.expectations = new Expectations(ctx.clock);
    this.recorder = recorderFor(ctx, 'job-controller');
    this.jobs = this.watch(RESOURCES.jobs, {
      onAdd: (j) => this.enqueue(j),
      onUpdate: (_o, j) => this.enqueue(j),
      onDelete: (j) => {
        const key = `${j.metadata.namespace}/${j.metadata.name}`;
        this.expectations.delete(key);
        this.backoff.delete(key);
        for (const uid of this.counted.get(key) ?? []) this.removed.delete(uid);
        this.counted.delete(key);
        this.enqueue(j);
      },
    });
    this.pods = this.watch(RESOURCES.pods, podOwnerHandler('Job', (k) => this.queue.add(k), (pod) => {
      for (const j of this.jobs.lister.list(pod.metadata.namespace)) if (this.selector(j).matches(pod.metadata.labels)) this.enqueue(j);
    }, this.expectations));
  }

  /** The Job's selector, or the one Kubernetes generates for it (its controller-uid label). */
  private selector(job: Job) {
    return labelSelectorFromObject(job.spec?.selector ?? { matchLabels: { [CONTROLLER_UID_LABEL]: job.metadata.uid! } });
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.jobs.lister.get(namespace, name);
    if (!cached) return;
    const podClient = this.ctx.client.resource(RESOURCES.pods);
    const pods = await claim(cached, controllerRef(cached, JOB_GVK), this.selector(cached), claimCandidates(this.pods, namespace, cached.metadata.uid), podClient);
    if (cached.status?.conditions?.some(isFinishedCondition)) {
      await this.removeFinalizers(pods.filter((p) => p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)));
      return;
    }
    if (!this.expectations.satisfied(key)) return;

    const now = this.ctx.clock.now();
    let job = cached;
    const counted = this.counted.get(key) ?? new Set<string>();
    this.counted.set(key, counted);
    const status: JobStatus = structuredClone(job.status ?? {});
    const uncounted = {
      succeeded: new Set(status.uncountedTerminatedPods?.succeeded ?? []),
      failed: new Set(status.uncountedTerminatedPods?.failed ?? []),
    };
    const ending = conditionOf(job, 'FailureTarget') ?? conditionOf(job, 'SuccessCriteriaMet');

    // 1. Record newly finished pods as uncounted before their finalizers go.
    let failJob: string | undefined;
    const fresh = pods
      .filter((p) => p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) && !counted.has(p.metadata.uid!) && !uncounted.succeeded.has(p.metadata.uid!) && !uncounted.failed.has(p.metadata.uid!))
      .filter((p) => p.status?.phase === 'Succeeded' || isPodFailed(p, job))
      .sort((a, b) => finishedAt(a, now) - finishedAt(b, now));
    const record = this.backoff.get(key) ?? { failures: 0, lastFailure: 0 };
    const completed = parseIndexes(status.completedIndexes);
    const ignored = new Set<string>();
    for (const p of fresh) {
      const outcome = this.outcome(job, p);
      if (outcome === 'succeeded') {
        record.failures = 0;
        uncounted.succeeded.add(p.metadata.uid!);
      } else if (outcome === 'failed') {
        record.failures++;
        record.lastFailure = finishedAt(p, now);
        uncounted.failed.add(p.metadata.uid!);
        const match = matchPodFailurePolicy(job, p);
        if (match?.rule.action === 'FailJob') failJob ??= match.message;
      } else {
        // Ignored (podFailurePolicy, or removed by the controller): neither counted nor backed off; the finalizer still goes.
        ignored.add(p.metadata.uid!);
        uncounted.failed.add(p.metadata.uid!);
      }
    }
    this.backoff.set(key, record);
    if (fresh.length) {
      status.uncountedTerminatedPods = { succeeded: [...uncounted.succeeded], failed: [...uncounted.failed] };
      job = await this.writeStatus(job, status);
    }

    // 2. Remove the finalizers of recorded pods, then 3. move them into the counters.
    const recorded = pods.filter((p) => (uncounted.succeeded.has(p.metadata.uid!) || uncounted.failed.has(p.metadata.uid!)));
    await this.removeFinalizers(recorded.filter((p) => p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)));
    if (uncounted.succeeded.size || uncounted.failed.size) {
      const byUid = new Map(recorded.map((p) => [p.metadata.uid!, p]));
      for (const uid of uncounted.succeeded) {
        status.succeeded = (status.succeeded ?? 0) + 1;
        const i = byUid.get(uid) && indexOf(byUid.get(uid)!);
        if (job.spec?.completionMode === 'Indexed' && i !== undefined && i < (job.spec.completions ?? 0)) completed.add(i);
      }
      for (const uid of uncounted.failed) if (!ignored.has(uid)) status.failed = (status.failed ?? 0) + 1;
      status.uncountedTerminatedPods = {};
      if (job.spec?.completionMode === 'Indexed') status.completedIndexes = formatIndexes(completed);
    }

    const unfinished = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    const active = unfinished.filter((p) => !p.metadata.deletionTimestamp);
    const terminating = unfinished.filter((p) => p.metadata.deletionTimestamp);
    const nowIso = rfc3339(now);
    const cond = (type: string, reason: string, message: string, s = 'True'): JobCondition =>
      ({ type, status: s, reason, message, lastProbeTime: nowIso, lastTransitionTime: nowIso });
    let requeueAfter: number | undefined;

    // Decide whether the Job has reached its end.
    let target = ending;
    if (!target) {
      const spec = job.spec!;
      const restarts = spec.template.spec?.restartPolicy === 'OnFailure'
        ? active.reduce((n, p) => n + [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].reduce((m, c) => m + (c.restartCount ?? 0), 0), 0)
        : 0;
      const limit = spec.backoffLimit ?? 6;
      const succeeded = status.succeeded ?? 0;
      const deadlineAt = spec.activeDeadlineSeconds !== undefined && status.startTime && !spec.suspend
        ? timeOf(status.startTime) + spec.activeDeadlineSeconds * 1000 : undefined;
      const done = spec.completionMode === 'Indexed'
        ? completed.size >= (spec.completions ?? 0)
        : spec.completions !== undefined ? succeeded >= spec.completions : succeeded > 0 && active.length === 0;
      if (failJob) target = cond('FailureTarget', 'PodFailurePolicy', failJob);
      else if ((status.failed ?? 0) > limit || (restarts > 0 && (limit === 0 || restarts >= limit))) target = cond('FailureTarget', ...MSG.backoff);
      else if (deadlineAt !== undefined && now >= deadlineAt) target = cond('FailureTarget', ...MSG.deadline);
      else if (done) target = cond('SuccessCriteriaMet', ...MSG.completions);
      else if (deadlineAt !== undefined) requeueAfter = deadlineAt - now;
      if (target) {
        status.conditions = setCondition(status.conditions, target);
        if (target.type === 'FailureTarget') this.recorder.event(job, 'Warning', target.reason!, target.message!);
      }
    }

    if (target) {
      // Finishing: stop what runs, then declare the end once nothing is left running.
      await this.deletePods(key, job, active);
      if (active.length === 0 && terminating.length === 0) {
        const failed = target.type === 'FailureTarget';
        status.conditions = setCondition(status.conditions, cond(failed ? 'Failed' : 'Complete', target.reason!, target.message!));
        if (!failed) status.completionTime = nowIso;
        if (!failed) this.recorder.event(job, 'Normal', 'Completed', 'Job completed');
      }
      status.active = 0;
    } else if (job.spec?.suspend) {
      await this.deletePods(key, job, active);
      if (!conditionOf(job, 'Suspended')) {
        status.conditions = setCondition(status.conditions, cond('Suspended', 'JobSuspended', 'Job suspended'));
        this.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
      }
      delete status.startTime;
      status.active = 0;
    } else {
      if (conditionOf(job, 'Suspended')) {
        status.conditions = setCondition(status.conditions, cond('Suspended', 'JobResumed', 'Job resumed', 'False'));
        this.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
      }
      status.startTime ??= nowIso;
      const wait = this.backoffRemaining(record, now);
      const counted = job.spec?.podReplacementPolicy === 'Failed' ? [...active, ...terminating] : active;
      const result = await this.managePods(key, job, active, counted.length, completed, status.succeeded ?? 0, wait);
      if (result) requeueAfter = Math.min(requeueAfter ?? Infinity, result);
      status.active = active.length;
    }
    status.ready = active.filter(isPodReady).length;
    status.terminating = terminating.length;
    await this.writeStatus(job, status);
    for (const uid of [...uncounted.succeeded, ...uncounted.failed]) counted.add(uid);
    return requeueAfter !== undefined && Number.isFinite(requeueAfter) ? { requeueAfter } : undefined;
  }

  private outcome(job: Job, pod: Pod): Outcome {
    if (pod.status?.phase === 'Succeeded') return 'succeeded';
    if (this.removed.has(pod.metadata.uid!) && pod.status?.phase !== 'Failed') return 'ignored';
    return matchPodFailurePolicy(job, pod)?.rule.action === 'Ignore' ? 'ignored' : 'failed';
  }

  private backoffRemaining(r: Backoff, now: number): number {
    if (r.failures === 0) return 0;
    const delay = Math.min(BACKOFF_BASE_MS * 2 ** (r.failures - 1), BACKOFF_MAX_MS);
    return Math.max(0, r.lastFailure + delay - now);
  }

  /** Creates or deletes pods towards the wanted number; returns a delay to come back after, if backing off. */
  private async managePods(key: string, job: Job, active: Pod[], counted: number, completed: Set<number>, succeeded: number, backoffMs: number): Promise<number | undefined> {
    const spec = job.spec!;
    const parallelism = spec.parallelism ?? 1;
    if (spec.completionMode === 'Indexed') {
      const completions = spec.completions ?? 0;
      const seen = new Set<number>();
      const surplus: Pod[] = [];
      for (const p of [...active].sort((a, b) => compareForDeletion(b, a))) {
        const i = indexOf(p);
        if (i === undefined || i >= completions || completed.has(i) || seen.has(i)) surplus.push(p);
        else seen.add(i);
      }
      const keep = active.length - surplus.length;
      const extra = [...active].filter((p) => !surplus.includes(p)).sort(compareForDeletion).slice(0, Math.max(0, keep - parallelism));
      if (surplus.length + extra.length) { await this.deletePods(key, job, [...surplus, ...extra]); return; }
      const want: number[] = [];
      for (let i = 0; i < completions && want.length < parallelism - counted; i++) if (!completed.has(i) && !seen.has(i)) want.push(i);
      if (!want.length) return;
      if (backoffMs > 0) return backoffMs;
      await this.createPods(key, job, want);
      return;
    }
    const wantActive = spec.completions === undefined
      ? (succeeded > 0 ? 0 : parallelism)
      : Math.max(0, Math.min(parallelism, spec.completions - succeeded));
    if (active.length > wantActive) {
      await this.deletePods(key, job, [...active].sort(compareForDeletion).slice(0, active.length - wantActive));
      return;
    }
    const n = wantActive - counted;
    if (n <= 0) return;
    if (backoffMs > 0) return backoffMs;
    await this.createPods(key, job, Array.from({ length: n }, () => undefined));
  }

  private async createPods(key: string, job: Job, indexes: (number | undefined)[]): Promise<void> {
    this.expectations.expectCreations(key, indexes.length);
    const ref = controllerRef(job, JOB_GVK);
    const name = job.metadata.name!;
    const results = await Promise.allSettled(indexes.map((i) => {
      const idx: Record<string, string> = i === undefined ? {} : { [JOB_COMPLETION_INDEX]: String(i) };
      const pod = podFromTemplate(job.spec?.template, ref, {
        generateName: i === undefined ? `${name}-` : `${name}-${i}-`,
        namespace: job.metadata.namespace,
        labels: { [CONTROLLER_UID_LABEL]: job.metadata.uid!, [JOB_NAME_LABEL]: name, 'controller-uid': job.metadata.uid!, 'job-name': name, ...idx },
        annotations: idx,
        finalizers: [JOB_TRACKING_FINALIZER],
      });
      if (i !== undefined) {
        pod.spec.hostname ??= `${name}-${i}`;
        const env = { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']` } } };
        for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
          if (!c.env?.some((e) => e.name === env.name)) c.env = [...(c.env ?? []), env];
        }
      }
      return this.ctx.client.resource(RESOURCES.pods).create(pod);
    }));
    let failure: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') this.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
      else { this.expectations.creationObserved(key); failure ??= r.reason; }
    }
    if (failure) {
      this.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${String((failure as Error).message ?? failure)}`);
      throw failure;
    }
  }

  private async deletePods(key: string, job: Job, pods: Pod[]): Promise<void> {
    if (!pods.length) return;
    this.expectations.expectDeletions(key, pods.map((p) => p.metadata.uid!));
    await Promise.all(pods.map(async (p) => {
      this.removed.add(p.metadata.uid!);
      try {
        await this.ctx.client.resource(RESOURCES.pods).delete(p.metadata.name!, { namespace: p.metadata.namespace, preconditions: { uid: p.metadata.uid } });
        this.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
      } catch (err) {
        this.expectations.deletionObserved(key, p.metadata.uid!);
        if (!isNotFound(err)) throw err;
      }
    }));
  }

  private async removeFinalizers(pods: Pod[]): Promise<void> {
    const client = this.ctx.client.resource(RESOURCES.pods);
    await Promise.all(pods.map((p) => removeFinalizer(client, p, JOB_TRACKING_FINALIZER)));
  }

  /**
   * An update, not a patch: the counters are only correct relative to the status they were
   * computed from, so a write from a stale cache must fail with a conflict (and be retried).
   */
  private async writeStatus(job: Job, status: JobStatus): Promise<Job> {
    const next = omitZero(status, ['ready', 'terminating']);
    if (deepEqual(next, job.status)) return job;
    return this.ctx.client.resource(RESOURCES.jobs).updateStatus({ ...job, status: next });
  }
}
