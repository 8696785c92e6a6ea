import { forbidden, invalid, type ObjectMeta, type PodSpec } from '@peapod/api-types';
import type { Logger } from '@peapod/core';
import type { Store } from '@peapod/store';
import { isDeepStrictEqual } from 'node:util';
import type { Obj } from '../obj.js';
import { listPrefix, type ResourceRegistry, type ServedResource } from '../registry.js';
import { evaluatePod, forbiddenDetail, forbiddenReason, type Violation } from './checks.js';
import { compareLevels, policyFromLabels, policyString, sameLevelVersion, type LevelVersion, type NamespacePolicy } from './policy.js';

/** Pod subresources that cannot change what the checks read (upstream `ignoredPodSubresources`). */
const IGNORED_POD_SUBRESOURCES = new Set(['exec', 'attach', 'binding', 'eviction', 'log', 'portforward', 'proxy', 'status']);

/** Where each workload kind keeps its pod template (upstream `DefaultPodSpecExtractor`). */
const TEMPLATE_PATHS: Record<string, readonly string[]> = {
  '/podtemplates': ['template'],
  '/replicationcontrollers': ['spec', 'template'],
  'apps/replicasets': ['spec', 'template'],
  'apps/deployments': ['spec', 'template'],
  'apps/daemonsets': ['spec', 'template'],
  'apps/statefulsets': ['spec', 'template'],
  'batch/jobs': ['spec', 'template'],
  'batch/cronjobs': ['spec', 'jobTemplate', 'spec', 'template'],
};

/**
 * Reads namespaces as admission sees them: from a watched cache where one exists, as upstream's
 * namespace lister (a namespace created a moment ago falls through to storage).
 */
export interface NamespaceReader {
  get(name: string): Promise<Obj | undefined>;
}

/** Audit annotation keys Kubernetes records on the request's audit event. */
export const AUDIT_VIOLATIONS = 'pod-security.kubernetes.io/audit-violations';
export const ENFORCE_POLICY = 'pod-security.kubernetes.io/enforce-policy';

/** Upstream's bound on the existing pods checked when a namespace's enforce level is tightened. */
const MAX_PODS_TO_CHECK = 3000;

/**
 * Pod Security admission (KEP-2579, the built-in `PodSecurity` plugin): namespaces name a policy in
 * `pod-security.kubernetes.io/<mode>[-version]` labels. Pods are rejected (403) when they violate
 * the `enforce` level; pods and workload templates get a `Warning` for the `warn` level and an
 * audit record (a log line with the audit annotation) for the `audit` level. Namespace writes must
 * carry valid labels, and tightening `enforce` warns about existing pods that would violate it.
 * There is no exemption configuration: like a cluster without one, no namespace (kube-system
 * included) and no pod (mirror pods included) is exempt, and unlabeled namespaces are privileged.
 */
export class PodSecurityAdmission {
  /** Parsed policies by namespace object: the reader serves the same (immutable) object until the namespace changes. */
  private readonly policies = new WeakMap<Obj, { policy: NamespacePolicy; errors: string }>();

  constructor(
    private readonly store: Store,
    private readonly registry: ResourceRegistry,
    private readonly logger: Logger,
    private readonly namespaces: NamespaceReader,
  ) {}

  /**
   * Validates a create (`old` undefined) or update of `obj` after the object's own validation.
   * Throws a Status error to reject; appends `Warning` header texts to `warnings`.
   */
  async validate(r: ServedResource, obj: Obj, old: Obj | undefined, subresource: string | undefined, warnings: string[]): Promise<void> {
    const { group, plural } = r.info;
    if (group === '' && plural === 'namespaces') {
      if (!subresource) await this.validateNamespace(obj, old, warnings);
      return;
    }
    if (group === '' && plural === 'pods') {
      if (subresource && IGNORED_POD_SUBRESOURCES.has(subresource)) return;
      if (old && !significantPodUpdate(obj, old)) return;
      await this.evaluate(r, obj, obj.metadata as ObjectMeta, obj.spec as PodSpec, true, warnings);
      return;
    }
    const path = TEMPLATE_PATHS[`${group}/${plural}`];
    if (!path || subresource) return;
    const template = path.reduce<Obj | undefined>((o, k) => o?.[k] as Obj | undefined, obj);
    if (!template) return;
    await this.evaluate(r, obj, (template.metadata ?? {}) as ObjectMeta, (template.spec ?? {}) as PodSpec, false, warnings);
  }

  private async policyOf(namespace: string): Promise<{ policy: NamespacePolicy; errors: string }> {
    const ns = await this.namespaces.get(namespace);
    let out = ns && this.policies.get(ns);
    if (!out) {
      const { policy, errors } = policyFromLabels(ns?.metadata.labels);
      out = { policy, errors: errors.map((e) => `${e.field}: ${e.message}`).join(', ') };
      if (ns) this.policies.set(ns, out);
    }
    return out;
  }

  /** Upstream `EvaluatePod`: enforce (pods only), then audit, then warn unless already rejected. */
  private async evaluate(r: ServedResource, obj: Obj, meta: ObjectMeta, spec: PodSpec, enforce: boolean, warnings: string[]): Promise<void> {
    const namespace = obj.metadata.namespace as string;
    const { policy, errors } = await this.policyOf(namespace);
    if (!errors && policy.warn.level === 'privileged' && policy.audit.level === 'privileged' && (!enforce || policy.enforce.level === 'privileged')) return;
    const cache = new Map<string, Violation[]>();
    const name = obj.metadata.name as string;
    if (errors) this.logger.warn('failed to parse PodSecurity namespace labels', { namespace, err: errors });
    const audit = violations(cache, policy.audit, meta, spec);
    if (audit.length) {
      this.logger.info('PodSecurity audit', {
        namespace, resource: r.info.plural, name,
        ...(enforce ? { [ENFORCE_POLICY]: policyString(policy.enforce) } : {}),
        [AUDIT_VIOLATIONS]: `would violate PodSecurity "${policyString(policy.audit)}": ${forbiddenDetail(audit)}`,
      });
    }
    if (enforce) {
      const denied = violations(cache, policy.enforce, meta, spec);
      if (denied.length) {
        throw forbidden({ kind: r.info.plural, group: r.info.group || undefined, name }, `violates PodSecurity "${policyString(policy.enforce)}": ${forbiddenDetail(denied)}`);
      }
    }
    const warn = violations(cache, policy.warn, meta, spec);
    // A write retried by its compare-and-swap loop is admitted again; its warning is sent once.
    const text = `would violate PodSecurity "${policyString(policy.warn)}": ${forbiddenDetail(warn)}`;
    if (warn.length && !warnings.includes(text)) warnings.push(text);
  }

  /** Upstream `ValidateNamespace`: labels must parse; a tighter enforce level dry-runs existing pods. */
  private async validateNamespace(ns: Obj, old: Obj | undefined, warnings: string[]): Promise<void> {
    const { policy, errors } = policyFromLabels(ns.metadata.labels);
    const name = ns.metadata.name as string;
    if (!old) {
      if (errors.length) throw invalid({ kind: 'Namespace', name }, errors);
      return;
    }
    const before = policyFromLabels(old.metadata.labels);
    if (errors.length && !isDeepStrictEqual(errors, before.errors)) throw invalid({ kind: 'Namespace', name }, errors);
    const next = policy.enforce;
    const prev = before.policy.enforce;
    if (sameLevelVersion(next, prev) || next.level === 'privileged') return;
    if (next.minor === prev.minor && compareLevels(next.level, prev.level) <= 0) return;
    for (const w of await this.checkExistingPods(name, next)) if (!warnings.includes(w)) warnings.push(w);
  }

  /** Upstream `EvaluatePodsInNamespace`: one warning per distinct violation, naming the first pod and how many share it. */
  private async checkExistingPods(namespace: string, lv: LevelVersion): Promise<string[]> {
    const pods = this.registry.mustGet('', 'pods');
    const { items } = await this.store.list<Obj>(listPrefix(pods, namespace));
    // One pod per controller first, so that the bounded check sees as many distinct templates as it can.
    const seen = new Set<string>();
    const first: Obj[] = [];
    const rest: Obj[] = [];
    for (const p of items) {
      const owner = (p.metadata.ownerReferences as Array<{ uid: string; controller?: boolean }> | undefined)?.find((o) => o.controller);
      if (owner && seen.has(owner.uid)) rest.push(p);
      else { if (owner) seen.add(owner.uid); first.push(p); }
    }
    const checked = [...first, ...rest].slice(0, MAX_PODS_TO_CHECK);
    const byReason = new Map<string, { pod: string; count: number }>();
    for (const p of checked) {
      const vs = evaluatePod(lv.level, lv.minor, p.metadata as ObjectMeta, p.spec as PodSpec);
      if (!vs.length) continue;
      const reason = forbiddenReason(vs);
      const c = byReason.get(reason);
      if (!c) byReason.set(reason, { pod: p.metadata.name, count: 1 });
      else { c.count++; if (p.metadata.name < c.pod) c.pod = p.metadata.name; }
    }
    const out: string[] = [];
    if (checked.length < items.length) out.push(`new PodSecurity enforce level only checked against the first ${checked.length} of ${items.length} existing pods`);
    if (byReason.size) out.push(`existing pods in namespace "${namespace}" violate the new PodSecurity enforce level "${policyString(lv)}"`);
    const perPod = [...byReason].map(([reason, { pod, count }]) =>
      `${pod}${count === 2 ? ' (and 1 other pod)' : count > 2 ? ` (and ${count - 1} other pods)` : ''}: ${reason}`);
    return [...out, ...perPod.sort()];
  }
}

/**
 * The pod's violations of one level and version, evaluated once per request for each (a module
 * function rather than a closure, so that pods in namespaces without a policy allocate no closure
 * context for it).
 */
function violations(cache: Map<string, Violation[]>, lv: LevelVersion, meta: ObjectMeta, spec: PodSpec): Violation[] {
  const key = policyString(lv);
  let vs = cache.get(key);
  if (!vs) cache.set(key, (vs = evaluatePod(lv.level, lv.minor, meta, spec)));
  return vs;
}

/**
 * Upstream `isSignificantPodUpdate`: after creation only images, seccomp annotations and new
 * ephemeral containers can change what the checks see, so other updates are always allowed.
 */
function significantPodUpdate(pod: Obj, old: Obj): boolean {
  const a = (pod.metadata.annotations ?? {}) as Record<string, string>;
  const b = (old.metadata.annotations ?? {}) as Record<string, string>;
  if (a['seccomp.security.alpha.kubernetes.io/pod'] !== b['seccomp.security.alpha.kubernetes.io/pod']) return true;
  type C = { name: string; image?: string };
  const changed = (c: C, o: C) => c.image !== o.image || a[`container.seccomp.security.alpha.kubernetes.io/${c.name}`] !== b[`container.seccomp.security.alpha.kubernetes.io/${o.name}`];
  for (const field of ['containers', 'initContainers']) {
    const now = (pod.spec?.[field] ?? []) as C[];
    const before = (old.spec?.[field] ?? []) as C[];
    if (now.length !== before.length || now.some((c, i) => changed(c, before[i]!))) return true;
  }
  const oldEphemeral = (old.spec?.ephemeralContainers ?? []) as C[];
  return ((pod.spec?.ephemeralContainers ?? []) as C[]).some((c) => {
    const o = oldEphemeral.find((e) => e.name === c.name);
    return !o || changed(c, o);
  });
}
