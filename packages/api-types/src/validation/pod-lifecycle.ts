import type { FieldError } from '../errors.js';
import type { Container, ContainerStatus, Pod, PodSpec, Toleration } from '../core/v1.js';
import { deepEqual, podQOSClass } from '../helpers.js';
import { forbidden, IMMUTABLE, inclusiveRange, invalidValue, duplicate } from './field.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { check, isDNS1123Subdomain, isQualifiedName } from './names.js';
import { MIRROR_POD_ANNOTATION, validateMirrorPod, validatePodSpec } from './pod.js';

type Errs = FieldError[];
const MAX_INT32 = 2147483647;

const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,' +
  '`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** ValidatePodCreate: metadata, the full spec, no ephemeral containers, mirror pods name their node. */
export const validatePod = (pod: Pod): Errs => {
  const errs: Errs = [];
  validateObjectMeta(errs, pod.metadata, true);
  validateMirrorPod(errs, pod.metadata, pod.spec);
  if (!pod.spec) {
    errs.push({ type: 'FieldValueRequired', field: 'spec', message: 'Required value' });
    return errs;
  }
  validatePodSpec(errs, pod.spec, 'spec', { isPod: true });
  if (pod.spec.ephemeralContainers?.length) errs.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  return errs;
};

/** The mirror-pod annotation may be neither added, removed nor changed by an update. */
const validateMirrorAnnotationUpdate = (errs: Errs, next: Pod, old: Pod) => {
  const n = next.metadata.annotations?.[MIRROR_POD_ANNOTATION];
  const o = old.metadata.annotations?.[MIRROR_POD_ANNOTATION];
  const field = `metadata.annotations[${MIRROR_POD_ANNOTATION}]`;
  if (n !== undefined && n !== o) errs.push(invalidValue(field, n, IMMUTABLE));
  else if (n === undefined && o !== undefined) errs.push(forbidden(field, IMMUTABLE));
};

const sameToleration = (a: Toleration, b: Toleration) =>
  (a.key ?? '') === (b.key ?? '') && (a.operator ?? 'Equal') === (b.operator ?? 'Equal') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');

/**
 * ValidatePodUpdate: metadata update rules, then the spec may change only in images,
 * activeDeadlineSeconds (set, or lowered), tolerations (additions), terminationGracePeriodSeconds
 * (negative to 1) and schedulingGates (removals); a gated pod may also add nodeSelector entries
 * and change affinity. Anything else is `spec: Forbidden: pod updates may not change ...`.
 */
export const validatePodUpdate = (next: Pod, old: Pod): Errs => {
  const errs: Errs = [];
  validateObjectMetaUpdate(errs, next.metadata, old.metadata);
  validateObjectMeta(errs, next.metadata, true);
  validateMirrorPod(errs, next.metadata, next.spec);
  validateMirrorAnnotationUpdate(errs, next, old);
  const ns = next.spec;
  const os = old.spec;
  if (!ns) {
    errs.push({ type: 'FieldValueRequired', field: 'spec', message: 'Required value' });
    return errs;
  }
  if (!os) return errs;
  validatePodSpec(errs, ns, 'spec', { isPod: true });

  if (ns.activeDeadlineSeconds !== undefined) {
    if (ns.activeDeadlineSeconds < 0 || ns.activeDeadlineSeconds > MAX_INT32) {
      errs.push(invalidValue('spec.activeDeadlineSeconds', ns.activeDeadlineSeconds, inclusiveRange(0, MAX_INT32)));
      return errs;
    }
    if (os.activeDeadlineSeconds !== undefined && os.activeDeadlineSeconds < ns.activeDeadlineSeconds) {
      errs.push(invalidValue('spec.activeDeadlineSeconds', ns.activeDeadlineSeconds, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (os.activeDeadlineSeconds !== undefined) {
    errs.push(invalidValue('spec.activeDeadlineSeconds', undefined, 'must not update from a positive integer to nil value'));
  }

  for (const t of os.tolerations ?? []) {
    if (!(ns.tolerations ?? []).some((n) => sameToleration(n, t))) {
      errs.push(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }
  const oldGates = new Set((os.schedulingGates ?? []).map((g) => g.name));
  for (const g of ns.schedulingGates ?? []) {
    if (!oldGates.has(g.name)) errs.push(forbidden('spec.schedulingGates', `only deletion is allowed, but found new scheduling gate '${g.name}'`));
  }
  const gated = oldGates.size > 0;
  if (gated) {
    for (const [k, v] of Object.entries(os.nodeSelector ?? {})) {
      if (ns.nodeSelector?.[k] !== v) {
        errs.push(invalidValue('spec.nodeSelector', ns.nodeSelector, 'only additions to spec.nodeSelector are allowed (no mutations or deletions)'));
        break;
      }
    }
  }

  // The old spec with every allowed change taken from the new one must equal the new spec.
  const mutable: PodSpec = {
    ...os,
    containers: (os.containers ?? []).map((c, i) => ({ ...c, image: ns.containers?.[i]?.image })),
    initContainers: os.initContainers?.map((c, i) => ({ ...c, image: ns.initContainers?.[i]?.image })),
    activeDeadlineSeconds: ns.activeDeadlineSeconds,
    tolerations: ns.tolerations,
    schedulingGates: ns.schedulingGates,
    terminationGracePeriodSeconds:
      (os.terminationGracePeriodSeconds ?? 0) < 0 && ns.terminationGracePeriodSeconds === 1 ? 1 : os.terminationGracePeriodSeconds,
    ...(gated ? { nodeSelector: ns.nodeSelector, affinity: ns.affinity } : {}),
  };
  if (!deepEqual(mutable, ns)) errs.push(forbidden('spec', POD_UPDATE_FORBIDDEN));
  return errs;
};

/** Containers that stopped for good may not start again unless the restart policy allows it. */
const validateStateTransition = (errs: Errs, next: ContainerStatus[] | undefined, old: ContainerStatus[] | undefined, path: string, policy: string, sidecars: ReadonlySet<string>) => {
  if (policy === 'Always') return;
  old?.forEach((o, i) => {
    const term = o.state?.terminated;
    if (!term || sidecars.has(o.name)) return;
    if (term.exitCode !== 0 && policy === 'OnFailure') return;
    if (next?.some((n) => n.name === o.name && !n.state?.terminated)) {
      errs.push(forbidden(`${path}[${i}].state`, 'may not be transitioned to non-terminated state'));
    }
  });
};

const IP = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$|^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/;

const validateIPs = (errs: Errs, ips: { ip?: string }[] | undefined, path: string) => {
  const seen = new Set<string>();
  ips?.forEach((x, i) => {
    const ip = x.ip ?? '';
    if (!IP.test(ip)) errs.push(invalidValue(`${path}[${i}].ip`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    if (seen.has(ip)) errs.push(duplicate(`${path}[${i}].ip`, ip));
    seen.add(ip);
  });
};

/**
 * ValidatePodStatusUpdate (the `status` subresource): metadata update rules; spec.nodeName and
 * status.qosClass do not change; terminated containers stay terminated unless the pod's restart
 * policy (or being a sidecar) allows a restart; IPs well formed.
 */
export const validatePodStatusUpdate = (next: Pod, old: Pod): Errs => {
  const errs: Errs = [];
  validateObjectMetaUpdate(errs, next.metadata, old.metadata);
  validateMirrorAnnotationUpdate(errs, next, old);
  if ((next.spec?.nodeName ?? '') !== (old.spec?.nodeName ?? '')) errs.push(forbidden('status.nodeName', 'may not be changed directly'));
  const s = next.status ?? {};
  const o = old.status ?? {};
  if (o.qosClass !== undefined && s.qosClass !== o.qosClass) errs.push(invalidValue('status.qosClass', s.qosClass, IMMUTABLE));
  if (s.nominatedNodeName && s.nominatedNodeName !== o.nominatedNodeName) check(errs, 'status.nominatedNodeName', s.nominatedNodeName, isDNS1123Subdomain);
  s.conditions?.forEach((c, i) => check(errs, `status.conditions[${i}].type`, c.type, isQualifiedName));
  const policy = old.spec?.restartPolicy ?? 'Always';
  const sidecars = new Set((old.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  validateStateTransition(errs, s.containerStatuses, o.containerStatuses, 'status.containerStatuses', policy, new Set());
  validateStateTransition(errs, s.initContainerStatuses, o.initContainerStatuses, 'status.initContainerStatuses', policy, sidecars);
  // Ephemeral containers are never restarted.
  validateStateTransition(errs, s.ephemeralContainerStatuses, o.ephemeralContainerStatuses, 'status.ephemeralContainerStatuses', 'Never', new Set());
  validateIPs(errs, s.podIPs, 'status.podIPs');
  validateIPs(errs, s.hostIPs, 'status.hostIPs');
  if (s.podIPs?.length && s.podIP && s.podIPs[0].ip !== s.podIP) errs.push(invalidValue('status.podIPs[0].ip', s.podIPs[0].ip, 'must be equal to status.podIP'));
  return errs;
};

/**
 * ValidatePodEphemeralContainersUpdate (the `ephemeralcontainers` subresource): existing
 * ephemeral containers may be neither changed nor removed, static pods take none, and new ones
 * follow the ephemeral-container rules. Only `spec.ephemeralContainers` of `next` is considered.
 */
export const validateEphemeralContainersUpdate = (next: Pod, old: Pod): Errs => {
  const errs: Errs = [];
  validateObjectMetaUpdate(errs, next.metadata, old.metadata);
  if (old.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) {
    errs.push(forbidden('spec.ephemeralContainers', 'static pods do not support ephemeral containers'));
    return errs;
  }
  const nextEC = next.spec?.ephemeralContainers ?? [];
  for (const o of old.spec?.ephemeralContainers ?? []) {
    const i = nextEC.findIndex((n) => n.name === o.name);
    if (i < 0) errs.push(forbidden('spec.ephemeralContainers', `existing ephemeral containers "${o.name}" may not be removed`));
    else if (!deepEqual(nextEC[i], o)) errs.push(forbidden(`spec.ephemeralContainers[${i}]`, `existing ephemeral containers "${o.name}" may not be changed`));
  }
  if (old.spec) validatePodSpec(errs, { ...old.spec, ephemeralContainers: nextEC }, 'spec', { isPod: true });
  return errs;
};

const RESIZABLE = new Set(['cpu', 'memory']);

/**
 * The `pods/resize` subresource: only cpu and memory requests/limits of regular containers and
 * sidecars may change, and the pod's QoS class must stay what it was.
 */
export const validatePodResize = (next: Pod, old: Pod): Errs => {
  const errs: Errs = [];
  validateObjectMetaUpdate(errs, next.metadata, old.metadata);
  const ns = next.spec;
  const os = old.spec;
  if (!ns || !os) return errs;
  if (old.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) {
    errs.push(forbidden('spec', 'static pods cannot be resized'));
    return errs;
  }
  const onlyCpuMemoryChanged = (n: Record<string, string> | undefined, o: Record<string, string> | undefined) =>
    [...new Set([...Object.keys(n ?? {}), ...Object.keys(o ?? {})])].every((k) => RESIZABLE.has(k) || n?.[k] === o?.[k]);
  const withResources = (olds: Container[] | undefined, news: Container[] | undefined, path: string, resizable: (c: Container) => boolean) => olds?.map((c, i) => {
    const n = news?.[i];
    if (!n || !resizable(c)) return c;
    if (!onlyCpuMemoryChanged(n.resources?.requests, c.resources?.requests) || !onlyCpuMemoryChanged(n.resources?.limits, c.resources?.limits)) {
      errs.push(forbidden(`${path}[${i}].resources`, 'only cpu and memory resources are mutable'));
    }
    return { ...c, resources: n.resources };
  });
  const mutable: PodSpec = {
    ...os,
    containers: withResources(os.containers, ns.containers, 'spec.containers', () => true) ?? [],
    initContainers: withResources(os.initContainers, ns.initContainers, 'spec.initContainers', (c) => c.restartPolicy === 'Always'),
  };
  if (!deepEqual(mutable, ns)) errs.push(forbidden('spec', 'only cpu and memory resources are mutable'));
  else validatePodSpec(errs, ns, 'spec', { isPod: true });
  const before = podQOSClass(old);
  if (podQOSClass(next) !== before) errs.push(forbidden('spec.containers[*].resources', `Pod QOS Class may not change as a result of resizing (was ${before})`));
  return errs;
};
