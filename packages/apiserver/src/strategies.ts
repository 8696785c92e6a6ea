import { forbidden, isPodTerminal, podQOSClass } from '@peapod/api-types';
import type { Obj } from './obj.js';

/**
 * Per-resource rules the generic REST layer applies (kube-apiserver's RESTCreateStrategy,
 * RESTUpdateStrategy and RESTGracefulDeleteStrategy). Hooks mutate the object they are given,
 * which is always a fresh copy owned by the request.
 */
export interface Strategy {
  /** Status is server-owned: reset on create (unless `keepStatusOnCreate`) and kept on main-resource updates. */
  statusSubresource: boolean;
  keepStatusOnCreate?: boolean;
  /** metadata.generation is 1 on create and bumped on every spec change. */
  tracksGeneration: boolean;
  prepareForCreate?(obj: Obj, now: string): void;
  prepareForUpdate?(obj: Obj, old: Obj): void;
  /** On a `status` subresource update, after spec and system metadata were carried over. */
  prepareForStatusUpdate?(obj: Obj, old: Obj): void;
  /** Graceful deletion: the grace period for this delete, or undefined when deletion is immediate. */
  gracePeriod?(obj: Obj, requested: number | undefined): number | undefined;
  /** Throws to refuse deleting this object. */
  checkDelete?(obj: Obj): void;
  /** Applied when deletion begins but the object must stay (finalizers or grace). */
  markDeleting?(obj: Obj): void;
  /** Whether something beyond metadata.finalizers holds deletion (the namespace's spec.finalizers). */
  holdsDeletion?(obj: Obj): boolean;
}

const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
/** The finalizer the namespace lifecycle loop removes once a namespace is empty. */
export const NAMESPACE_FINALIZER = 'kubernetes';

const PODS: Strategy = {
  statusSubresource: true,
  tracksGeneration: true,
  prepareForCreate(pod) {
    pod.status = { phase: 'Pending', qosClass: podQOSClass(pod as Parameters<typeof podQOSClass>[0]) };
  },
  prepareForStatusUpdate(pod, old) {
    // QoS is set at creation; a status writer that leaves it out (older kubelets did) keeps it.
    if (!pod.status?.qosClass && old.status?.qosClass) pod.status = { ...pod.status, qosClass: old.status.qosClass };
  },
  gracePeriod(pod, requested) {
    if (!pod.spec?.nodeName || isPodTerminal(pod as Parameters<typeof isPodTerminal>[0])) return 0;
    const grace = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    // A negative request means "as soon as possible", which Kubernetes turns into 1 second.
    return grace < 0 ? 1 : grace;
  },
};

const NAMESPACES: Strategy = {
  statusSubresource: true,
  tracksGeneration: false,
  prepareForCreate(ns) {
    ns.status = { phase: 'Active' };
    const finalizers: string[] = ns.spec?.finalizers ?? [];
    ns.spec = { ...ns.spec, finalizers: finalizers.includes(NAMESPACE_FINALIZER) ? finalizers : [...finalizers, NAMESPACE_FINALIZER] };
  },
  prepareForUpdate(ns, old) {
    // spec.finalizers changes only through the finalize subresource.
    ns.spec = { ...ns.spec, finalizers: old.spec?.finalizers ?? [] };
  },
  checkDelete(ns) {
    if (PROTECTED_NAMESPACES.has(ns.metadata.name)) throw forbidden({ kind: 'namespaces', name: ns.metadata.name }, 'this namespace may not be deleted');
  },
  markDeleting(ns) {
    ns.status = { ...ns.status, phase: 'Terminating' };
  },
  holdsDeletion: (ns) => (ns.spec?.finalizers ?? []).length > 0,
};

const WORKLOAD: Strategy = { statusSubresource: true, tracksGeneration: true };
const NODES: Strategy = { statusSubresource: true, keepStatusOnCreate: true, tracksGeneration: false };

const JOB_UID_LABEL = 'batch.kubernetes.io/controller-uid';
/**
 * Jobs get the selector Kubernetes generates (unless `spec.manualSelector`): the Job's uid as the
 * `batch.kubernetes.io/controller-uid` label on the selector and the pod template, plus the job-name
 * labels (and their legacy unprefixed twins), so `kubectl logs job/x` finds exactly its pods.
 */
const JOBS: Strategy = {
  ...WORKLOAD,
  prepareForCreate(job) {
    const spec = job.spec as { manualSelector?: boolean; selector?: unknown; template?: { metadata?: { labels?: Record<string, string> } } } | undefined;
    if (!spec || spec.manualSelector === true) return;
    const { uid = '', name = '' } = job.metadata;
    spec.template ??= {};
    spec.template.metadata ??= {};
    spec.template.metadata.labels = { ...spec.template.metadata.labels, [JOB_UID_LABEL]: uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
    spec.selector = { matchLabels: { [JOB_UID_LABEL]: uid } };
  },
};
const PLAIN: Strategy = { statusSubresource: false, tracksGeneration: false };
const PLAIN_WITH_STATUS: Strategy = { statusSubresource: true, tracksGeneration: false };

export function strategyFor(group: string, plural: string, subresources: readonly string[]): Strategy {
  if (group === '' && plural === 'pods') return PODS;
  if (group === '' && plural === 'namespaces') return NAMESPACES;
  if (group === '' && plural === 'nodes') return NODES;
  if (group === 'batch' && plural === 'jobs') return JOBS;
  if (['apps', 'batch', 'policy'].includes(group)) return subresources.includes('status') ? WORKLOAD : PLAIN;
  return subresources.includes('status') ? PLAIN_WITH_STATUS : PLAIN;
}
