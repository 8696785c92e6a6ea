import { isIPv4, isIPv6 } from 'node:net';
import type { Container, ObjectFieldSelector, Pod, ResourceFieldSelector } from '@peapod/api-types';
import { badRequest, compareQuantities, quantityDivide } from '@peapod/api-types';
import type { ResourceList } from './types.js';

/**
 * Field paths and resource selectors, valued as the kubelet values them for env vars
 * (`podFieldSelectorRuntimeValue`) and for volume files (`fieldpath.ExtractFieldPathAsString`).
 * API validation is the real gate; what it would refuse is refused here too, with a 400 Status
 * whose message names the path, because a half-validated object must never reach a container.
 */

// ---- Go's strconv.Quote, so label files match Kubernetes byte for byte -------------------------

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const SHORT_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

/** Go's `strconv.Quote`: printable runes kept, others escaped as `\n`, `\x1b`, `\u00a0`, `\U0001f600`. */
export const goQuote = (s: string): string => {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    // A lone UTF-16 surrogate reaches a container as U+FFFD once encoded as UTF-8.
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\uFFFD';
    else if (ch === ' ' || (cp > 0x20 && cp < 0x7f) || (cp > 0x7f && PRINTABLE.test(ch))) out += ch;
    else if (SHORT_ESCAPES[ch]) out += SHORT_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
};

/**
 * A whole labels or annotations map in Kubernetes' file format: one `key="quoted value"` line per
 * entry, sorted by key (byte order), joined by newlines, without a trailing newline.
 */
export const formatMap = (m: Readonly<Record<string, string>> | undefined): string =>
  Object.keys(m ?? {})
    .sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))))
    .map((k) => `${k}=${goQuote(m![k])}`)
    .join('\n');

// ---- label and annotation keys ------------------------------------------------------------------

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** apimachinery's `IsQualifiedName`: `[prefix/]name`, prefix a DNS subdomain, name at most 63 chars. */
export const isQualifiedName = (key: string): boolean => {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && NAME.test(name);
};

/** `metadata.labels['k']` → `['metadata.labels', 'k']` (fieldpath.SplitMaybeSubscriptedPath). */
const splitSubscript = (fieldPath: string): [string, string] | undefined => {
  if (!fieldPath.endsWith("']")) return undefined;
  const open = fieldPath.indexOf("['");
  if (open <= 0) return undefined;
  return [fieldPath.slice(0, open), fieldPath.slice(open + 2, -2)];
};

/** Values every consumer shares: metadata fields, and one label or annotation by key. */
const metadataValue = (pod: Pod, fieldPath: string, wholeMaps: boolean): string | undefined => {
  const sub = splitSubscript(fieldPath);
  if (sub) {
    const [path, key] = sub;
    if (path !== 'metadata.labels' && path !== 'metadata.annotations') {
      throw badRequest(`fieldPath ${JSON.stringify(fieldPath)} does not support subscript`);
    }
    // Annotation keys are checked case-insensitively, label keys as written (as apimachinery does).
    if (!isQualifiedName(path === 'metadata.annotations' ? key.toLowerCase() : key)) {
      throw badRequest(`invalid key subscript in ${fieldPath}: must be a qualified name ([prefix/]name)`);
    }
    return (path === 'metadata.labels' ? pod.metadata.labels : pod.metadata.annotations)?.[key] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name': return pod.metadata.name ?? '';
    case 'metadata.namespace': return pod.metadata.namespace ?? '';
    case 'metadata.uid': return pod.metadata.uid ?? '';
    case 'metadata.labels': return wholeMaps ? formatMap(pod.metadata.labels) : undefined;
    case 'metadata.annotations': return wholeMaps ? formatMap(pod.metadata.annotations) : undefined;
    default: return undefined;
  }
};

/**
 * Orders pod IPs as the kubelet's `sortPodIPs`: the first IP of the node's primary family (that of
 * the first host IP, IPv4 when unknown), then the first of the other family.
 */
const sortPodIPs = (podIPs: readonly string[], hostIPs: readonly string[]): string[] => {
  const [primary, secondary] = hostIPs.length > 0 && isIPv6(hostIPs[0]) ? [isIPv6, isIPv4] : [isIPv4, isIPv6];
  return [podIPs.find((ip) => primary(ip)), podIPs.find((ip) => secondary(ip))].filter((ip): ip is string => ip !== undefined);
};

export interface PodAddresses {
  /** Pod IPs from the sandbox; default `status.podIPs` (or `status.podIP`). */
  podIPs?: readonly string[];
  /** Node IPs, primary first; default `status.hostIPs` (or `status.hostIP`). */
  hostIPs?: readonly string[];
}

/**
 * An env var's `fieldRef` value. Env allows one label or annotation by key, never the whole
 * maps; it adds the node, service account and IP fields that volumes do not offer.
 */
export const envFieldValue = (pod: Pod, selector: ObjectFieldSelector, addresses: PodAddresses = {}): string => {
  const { fieldPath } = selector;
  if (selector.apiVersion && selector.apiVersion !== 'v1') throw badRequest(`unsupported pod version: ${selector.apiVersion}`);
  const hostIPs = addresses.hostIPs ?? pod.status?.hostIPs?.map((h) => h.ip) ?? (pod.status?.hostIP ? [pod.status.hostIP] : []);
  const podIPs = sortPodIPs(
    addresses.podIPs ?? pod.status?.podIPs?.flatMap((p) => (p.ip ? [p.ip] : [])) ?? (pod.status?.podIP ? [pod.status.podIP] : []),
    hostIPs,
  );
  const hostIPsOrFail = () => {
    if (hostIPs.length === 0) throw badRequest('host IP unknown; the node reports no addresses');
    return hostIPs;
  };
  switch (fieldPath) {
    case 'spec.nodeName':
    case 'spec.host': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP': return hostIPsOrFail()[0];
    case 'status.hostIPs': return hostIPsOrFail().join(',');
    case 'status.podIP': return podIPs[0] ?? '';
    case 'status.podIPs': return podIPs.join(',');
  }
  const value = metadataValue(pod, fieldPath, false);
  if (value === undefined) throw badRequest(`field label not supported: ${fieldPath}`);
  return value;
};

/**
 * A downward API volume file's `fieldRef` value: name, namespace, uid, and labels or annotations,
 * whole (in the `key="value"` format) or one by key.
 */
export const volumeFieldValue = (pod: Pod, selector: ObjectFieldSelector): string => {
  const value = metadataValue(pod, selector.fieldPath, true);
  if (value === undefined) throw badRequest(`unsupported fieldPath: ${selector.fieldPath}`);
  return value;
};

// ---- resources ----------------------------------------------------------------------------------

const isZeroQuantity = (q: string | undefined) => q === undefined || compareQuantities(q, '0') === 0;

/**
 * ceil(value / divisor) as the kubelet's `convertResourceToString` computes it: a missing, zero or
 * negative value gives "0"; a missing or zero divisor means 1 (the API default).
 */
const divideRoundingUp = (value: string | undefined, divisor: string | undefined): string => {
  if (value === undefined || compareQuantities(value, '0') <= 0) return '0';
  if (isZeroQuantity(divisor)) return String(quantityDivide(value, '1'));
  return compareQuantities(divisor!, '0') < 0 ? '0' : String(quantityDivide(value, divisor!));
};

/** Resources whose missing or zero limit falls back to the node's allocatable amount. */
const DEFAULTED_LIMITS = ['cpu', 'memory', 'ephemeral-storage'] as const;
/** Pod-level limits (PodLevelResources) stand in for node allocatable for these. */
const POD_LEVEL_RESOURCES = ['cpu', 'memory'] as const;

/**
 * The limits the downward API reports for a container: its own, else (if set) the pod-level
 * limit, else the node's allocatable amount (kubelet's `defaultPodLimitsForDownwardAPI` and
 * `MergeContainerResourceLimits`).
 */
export const effectiveLimits = (pod: Pod, container: Container, nodeAllocatable: ResourceList = {}): Record<string, string> => {
  const fallback: Record<string, string> = { ...nodeAllocatable };
  for (const r of POD_LEVEL_RESOURCES) {
    const podLimit = pod.spec?.resources?.limits?.[r];
    if (!isZeroQuantity(podLimit) && fallback[r] !== undefined) fallback[r] = podLimit!;
  }
  const limits: Record<string, string> = { ...container.resources?.limits };
  for (const r of DEFAULTED_LIMITS) {
    if (isZeroQuantity(limits[r]) && fallback[r] !== undefined) limits[r] = fallback[r];
  }
  return limits;
};

const RESOURCE = /^(limits|requests)\.(cpu|memory|ephemeral-storage|hugepages-.+)$/;

/**
 * A `resourceFieldRef` value for a container whose limits are already defaulted: the quantity
 * divided by the divisor, rounded up (`250m` cpu with divisor `1` gives `1`).
 */
export const resourceValue = (selector: ResourceFieldSelector, limits: ResourceList, requests: ResourceList = {}): string => {
  const m = RESOURCE.exec(selector.resource);
  if (!m) throw badRequest(`Unsupported container resource : ${selector.resource}`);
  const [, kind, name] = m;
  return divideRoundingUp((kind === 'limits' ? limits : requests)[name], selector.divisor);
};

/** Finds a container by name among regular, then init containers (kubelet's `findContainerInPod`). */
export const findContainer = (pod: Pod, name: string): Container => {
  const found = pod.spec?.containers.find((c) => c.name === name) ?? pod.spec?.initContainers?.find((c) => c.name === name);
  if (!found) throw badRequest(`container ${name} not found`);
  return found;
};
