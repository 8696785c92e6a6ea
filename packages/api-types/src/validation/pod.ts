import type { FieldError } from '../errors.js';
import type {
  Affinity, Container, ContainerPort, DownwardAPIVolumeFile, EnvVar, EphemeralContainer, HTTPGetAction, LifecycleHandler, NodeSelectorRequirement,
  NodeSelectorTerm, PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceFieldSelector, ResourceRequirements,
  SecurityContext, Toleration, Volume, VolumeMount, ObjectFieldSelector,
} from '../core/v1.js';
import type { LabelSelector, ObjectMeta } from '../meta/v1.js';
import { compareQuantities, type Quantity } from '../quantity.js';
import { quantityOf } from '../helpers.js';
import {
  duplicate, forbidden, inclusiveRange, invalidValue, NON_NEGATIVE, nonNegative, notFound, notSupported, required,
} from './field.js';
import {
  check, isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isEnvVarName, isQualifiedName, isValidLabelValue, isValidPortName,
  isValidPortNum, validateAnnotations, validateLabels,
} from './names.js';

/** Annotation that marks a mirror pod (the API copy of a kubelet's static pod). */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

type Errs = FieldError[];
type ContainerKind = 'init' | 'regular' | 'ephemeral';

/** Field paths a container's env `fieldRef` may read. */
const ENV_FIELD_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
];
/** Field paths a downwardAPI volume file's `fieldRef` may read. */
const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
const RESOURCE_FIELD_PATHS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];
const CPU_DIVISORS = ['1m', '1'];
const MEMORY_DIVISORS = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];
const MAX_INT32 = 2147483647;
const FILE_MODE_MSG = 'must be a number between 0 and 0777 (octal), both inclusive';
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** Which of `keys` are set on `o`, in `keys` order (walks `o`'s few fields rather than probing every key). */
const countSet = (o: object, keys: readonly string[]): string[] => {
  const set: string[] = [];
  for (const k in o) if ((o as Record<string, unknown>)[k] !== undefined && keys.includes(k)) set.push(k);
  return set.length > 1 ? keys.filter((k) => set.includes(k)) : set;
};

/** Rejects absolute paths and `..` elements (validateLocalDescendingPath). */
const localDescendingPath = (errs: Errs, field: string, p: string) => {
  if (p.startsWith('/')) errs.push(invalidValue(field, p, 'must be a relative path'));
  if (p === '..' || p.startsWith('../') || p.endsWith('/..') || p.includes('/../')) errs.push(invalidValue(field, p, "must not contain '..'"));
};

/** The parsed quantity, or undefined after reporting malformed text. */
const quantityAt = (errs: Errs, field: string, text: string): Quantity | undefined => {
  const q = quantityOf(text);
  if (!q) errs.push(invalidValue(field, text, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
  return q ?? undefined;
};
const isNegative = (q: Quantity) => q.num < 0n;

/** `path.field` is a file mode; the path is built only for an error. */
const validateFileMode = (errs: Errs, path: string, field: string, mode: number | undefined) => {
  if (mode !== undefined && (mode < 0 || mode > 0o777)) errs.push(invalidValue(`${path}.${field}`, mode, FILE_MODE_MSG));
};

/** Of mutually exclusive fields (`set`, as `countSet` lists them), every one past the first is Forbidden. */
const forbidExtra = (errs: Errs, path: string, set: readonly string[], detail: string) => {
  for (let i = 1; i < set.length; i++) errs.push(forbidden(`${path}.${set[i]}`, detail));
};

// ---- downward API ----

const LABEL_OR_ANNOTATION_SUBSCRIPT = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/;
const SUBSCRIPT = /^([^[]+)\[(.*)\]$/;
const HUGEPAGES_RESOURCE = /^(limits|requests)\.hugepages-/;

const validateObjectFieldSelector = (errs: Errs, ref: ObjectFieldSelector, allowed: readonly string[], path: string) => {
  if (!ref.apiVersion) errs.push(required(`${path}.apiVersion`));
  if (!ref.fieldPath) {
    errs.push(required(`${path}.fieldPath`));
    return;
  }
  // Allowed paths have no subscript: the common case needs no pattern.
  if (allowed.includes(ref.fieldPath)) return;
  const m = LABEL_OR_ANNOTATION_SUBSCRIPT.exec(ref.fieldPath) ?? SUBSCRIPT.exec(ref.fieldPath);
  if (m) {
    const [, base, key] = m;
    if (base === 'metadata.labels') check(errs, `${path}.fieldPath`, key, isQualifiedName);
    else if (base === 'metadata.annotations') check(errs, `${path}.fieldPath`, key.toLowerCase(), isQualifiedName);
    else errs.push(invalidValue(`${path}.fieldPath`, base, 'does not support subscript'));
  } else {
    errs.push(notSupported(`${path}.fieldPath`, ref.fieldPath, allowed));
  }
};

const validateResourceFieldSelector = (errs: Errs, ref: ResourceFieldSelector, volume: boolean, path: string) => {
  if (volume && !ref.containerName) errs.push(required(`${path}.containerName`));
  if (!ref.resource) {
    errs.push(required(`${path}.resource`));
    return;
  }
  const hugepages = HUGEPAGES_RESOURCE.test(ref.resource);
  if (!hugepages && !RESOURCE_FIELD_PATHS.includes(ref.resource)) {
    errs.push(notSupported(`${path}.resource`, ref.resource, RESOURCE_FIELD_PATHS));
    return;
  }
  const divisor = ref.divisor === undefined ? undefined : quantityAt(errs, `${path}.divisor`, ref.divisor);
  if (!divisor || divisor.num === 0n) return;
  const matches = (allowed: string[]) => allowed.some((d) => compareQuantities(divisor, quantityOf(d)!) === 0);
  if (ref.resource.endsWith('.cpu')) {
    if (!matches(CPU_DIVISORS)) errs.push(invalidValue(`${path}.divisor`, ref.divisor, "only divisor's values 1m and 1 are supported with the cpu resource"));
  } else if (!matches(MEMORY_DIVISORS)) {
    const what = ref.resource.endsWith('.memory') ? 'the memory resource' : ref.resource.endsWith('.ephemeral-storage') ? 'the local ephemeral storage resource' : 'the hugepages resource';
    errs.push(invalidValue(`${path}.divisor`, ref.divisor, `only divisor's values ${MEMORY_DIVISORS.join(', ')} are supported with ${what}`));
  }
};

// ---- volumes ----

const VOLUME_SOURCES = ['hostPath', 'emptyDir', 'secret', 'persistentVolumeClaim', 'nfs', 'configMap', 'downwardAPI', 'projected', 'csi', 'ephemeral', 'image'] as const;

const validateKeyToPaths = (errs: Errs, items: { key: string; path: string; mode?: number }[] | undefined, path: string) => {
  items?.forEach((it, i) => {
    const p = `${path}.items[${i}]`;
    if (!it.key) errs.push(required(`${p}.key`));
    else check(errs, `${p}.key`, it.key, isConfigMapKey);
    if (!it.path) errs.push(required(`${p}.path`));
    else localDescendingPath(errs, `${p}.path`, it.path);
    validateFileMode(errs, p, 'mode', it.mode);
  });
};

const validateVolume = (errs: Errs, v: Volume, path: string) => {
  const set = countSet(v, VOLUME_SOURCES);
  if (set.length === 0) errs.push(required(path, 'must specify a volume type'));
  forbidExtra(errs, path, set, 'may not specify more than 1 volume type');
  if (v.hostPath && !v.hostPath.path) errs.push(required(`${path}.hostPath.path`));
  const sizeLimit = v.emptyDir?.sizeLimit === undefined ? undefined : quantityAt(errs, `${path}.emptyDir.sizeLimit`, v.emptyDir.sizeLimit);
  if (sizeLimit && isNegative(sizeLimit)) errs.push(invalidValue(`${path}.emptyDir.sizeLimit`, v.emptyDir!.sizeLimit, NON_NEGATIVE));
  if (v.configMap) {
    if (!v.configMap.name) errs.push(required(`${path}.configMap.name`));
    validateKeyToPaths(errs, v.configMap.items, `${path}.configMap`);
    validateFileMode(errs, path, 'configMap.defaultMode', v.configMap.defaultMode);
  }
  if (v.secret) {
    if (!v.secret.secretName) errs.push(required(`${path}.secret.secretName`));
    validateKeyToPaths(errs, v.secret.items, `${path}.secret`);
    validateFileMode(errs, path, 'secret.defaultMode', v.secret.defaultMode);
  }
  if (v.persistentVolumeClaim && !v.persistentVolumeClaim.claimName) errs.push(required(`${path}.persistentVolumeClaim.claimName`));
  if (v.nfs) {
    if (!v.nfs.server) errs.push(required(`${path}.nfs.server`));
    if (!v.nfs.path) errs.push(required(`${path}.nfs.path`));
    else if (!v.nfs.path.startsWith('/')) errs.push(invalidValue(`${path}.nfs.path`, v.nfs.path, 'must be an absolute path'));
  }
  if (v.csi && !v.csi.driver) errs.push(required(`${path}.csi.driver`));
  if (v.ephemeral && !v.ephemeral.volumeClaimTemplate) errs.push(required(`${path}.ephemeral.volumeClaimTemplate`));
  if (v.image && !v.image.reference) errs.push(required(`${path}.image.reference`));
  if (v.downwardAPI) {
    validateFileMode(errs, path, 'downwardAPI.defaultMode', v.downwardAPI.defaultMode);
    validateDownwardAPIFiles(errs, v.downwardAPI.items, `${path}.downwardAPI`);
  }
  if (v.projected) {
    validateFileMode(errs, path, 'projected.defaultMode', v.projected.defaultMode);
    v.projected.sources?.forEach((s, i) => {
      const p = `${path}.projected.sources[${i}]`;
      const kinds = countSet(s, ['secret', 'configMap', 'downwardAPI', 'serviceAccountToken']);
      if (kinds.length === 0) errs.push(required(p, 'must specify exactly 1 of: secret, configMap, downwardAPI, serviceAccountToken'));
      forbidExtra(errs, p, kinds, 'may not specify more than 1 volume type per source');
      if (s.secret) validateKeyToPaths(errs, s.secret.items, `${p}.secret`);
      if (s.configMap) validateKeyToPaths(errs, s.configMap.items, `${p}.configMap`);
      if (s.downwardAPI) validateDownwardAPIFiles(errs, s.downwardAPI.items, `${p}.downwardAPI`);
      const t = s.serviceAccountToken;
      if (t) {
        if (!t.path) errs.push(required(`${p}.serviceAccountToken.path`));
        else localDescendingPath(errs, `${p}.serviceAccountToken.path`, t.path);
        if (t.expirationSeconds !== undefined && t.expirationSeconds < 600) {
          errs.push(invalidValue(`${p}.serviceAccountToken.expirationSeconds`, t.expirationSeconds, 'may not specify a duration less than 10 minutes'));
        } else if (t.expirationSeconds !== undefined && t.expirationSeconds > 2 ** 32) {
          errs.push(invalidValue(`${p}.serviceAccountToken.expirationSeconds`, t.expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
        }
      }
    });
  }
};

const validateDownwardAPIFiles = (errs: Errs, items: DownwardAPIVolumeFile[] | undefined, path: string) => {
  items?.forEach((it, i) => {
    const p = `${path}.items[${i}]`;
    if (!it.path) errs.push(required(`${p}.path`));
    else localDescendingPath(errs, `${p}.path`, it.path);
    validateFileMode(errs, p, 'mode', it.mode);
    if (it.fieldRef && it.resourceFieldRef) errs.push(invalidValue(p, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
    else if (it.fieldRef) validateObjectFieldSelector(errs, it.fieldRef, VOLUME_FIELD_PATHS, `${p}.fieldRef`);
    else if (it.resourceFieldRef) validateResourceFieldSelector(errs, it.resourceFieldRef, true, `${p}.resourceFieldRef`);
    else errs.push(required(p, 'one of fieldRef and resourceFieldRef is required'));
  });
};

// ---- containers ----

const validatePortRef = (errs: Errs, field: string, port: number | string) => {
  if (typeof port === 'number') for (const m of isValidPortNum(port)) errs.push(invalidValue(field, port, m));
  else for (const m of isValidPortName(port)) errs.push(invalidValue(field, port, m));
};

const validateHTTPGet = (errs: Errs, h: HTTPGetAction, path: string) => {
  validatePortRef(errs, `${path}.port`, h.port);
  h.httpHeaders?.forEach((hh, i) => {
    if (!/^[-A-Za-z0-9!#$%&'*+.^_`|~]+$/.test(hh.name)) errs.push(invalidValue(`${path}.httpHeaders[${i}].name`, hh.name, 'a valid HTTP header must consist of alphanumeric characters or \'-\' (e.g. \'X-Header-Name\', regex used for validation is \'[-A-Za-z0-9]+\')'));
  });
};

const PROBE_COUNTS = ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const;

type ProbeKind = 'liveness' | 'readiness' | 'startup';

const validateProbe = (errs: Errs, p: Probe, path: string, kind: ProbeKind) => {
  const handlers = countSet(p, ['exec', 'httpGet', 'tcpSocket', 'grpc']);
  if (handlers.length === 0) errs.push(required(path, 'must specify a handler type'));
  forbidExtra(errs, path, handlers, 'may not specify more than 1 handler type');
  if (p.httpGet) validateHTTPGet(errs, p.httpGet, `${path}.httpGet`);
  if (p.tcpSocket) validatePortRef(errs, `${path}.tcpSocket.port`, p.tcpSocket.port);
  if (p.grpc) for (const m of isValidPortNum(p.grpc.port)) errs.push(invalidValue(`${path}.grpc.port`, p.grpc.port, m));
  for (const k of PROBE_COUNTS) nonNegative(errs, path, p[k], k);
  if (p.terminationGracePeriodSeconds !== undefined) {
    if (kind === 'readiness') errs.push(invalidValue(`${path}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
    else if (p.terminationGracePeriodSeconds <= 0) errs.push(invalidValue(`${path}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  if (kind !== 'readiness' && p.successThreshold !== undefined && p.successThreshold !== 1) {
    errs.push(invalidValue(`${path}.successThreshold`, p.successThreshold, 'must be 1'));
  }
};

/** A container's `path.field` probe; init containers other than sidecars may have none (`forbidden`). */
const validateContainerProbe = (errs: Errs, p: Probe | undefined, path: string, field: string, kind: ProbeKind, forbid: boolean) => {
  if (!p) return;
  if (forbid) errs.push(forbidden(`${path}.${field}`, 'may not be set for init containers without restartPolicy=Always'));
  else validateProbe(errs, p, `${path}.${field}`, kind);
};

const validateHandler = (errs: Errs, h: LifecycleHandler, path: string, gracePeriod: number) => {
  const handlers = countSet(h, ['exec', 'httpGet', 'tcpSocket', 'sleep']);
  if (handlers.length === 0) errs.push(required(path, 'must specify a handler type'));
  forbidExtra(errs, path, handlers, 'may not specify more than 1 handler type');
  if (h.httpGet) validateHTTPGet(errs, h.httpGet, `${path}.httpGet`);
  if (h.tcpSocket) validatePortRef(errs, `${path}.tcpSocket.port`, h.tcpSocket.port);
  if (h.sleep && (h.sleep.seconds < 0 || h.sleep.seconds > gracePeriod)) {
    errs.push(invalidValue(`${path}.sleep.seconds`, h.sleep.seconds, `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`));
  }
};

const validateEnv = (errs: Errs, env: EnvVar[] | undefined, path: string) => {
  env?.forEach((e, i) => {
    const p = `${path}[${i}]`;
    if (!e.name) errs.push(required(`${p}.name`));
    else check(errs, `${p}.name`, e.name, isEnvVarName);
    const from = e.valueFrom;
    if (!from) return;
    const sources = countSet(from, ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef']);
    if (e.value) errs.push(invalidValue(`${p}.valueFrom`, '', 'may not be specified when `value` is not empty'));
    if (sources.length === 0) errs.push(invalidValue(`${p}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (sources.length > 1) errs.push(invalidValue(`${p}.valueFrom`, '', 'may not have more than one field specified at a time'));
    if (from.fieldRef) validateObjectFieldSelector(errs, from.fieldRef, ENV_FIELD_PATHS, `${p}.valueFrom.fieldRef`);
    if (from.resourceFieldRef) validateResourceFieldSelector(errs, from.resourceFieldRef, false, `${p}.valueFrom.resourceFieldRef`);
    for (const k of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const ref = from[k];
      if (!ref) continue;
      if (!ref.name) errs.push(required(`${p}.valueFrom.${k}.name`));
      if (!ref.key) errs.push(required(`${p}.valueFrom.${k}.key`));
      else check(errs, `${p}.valueFrom.${k}.key`, ref.key, isConfigMapKey);
    }
  });
};

/** Names and quantities of a resource list (`path[name]`, built only for an error). */
const validateResourceList = (errs: Errs, m: Record<string, string> | undefined, path: string, podLevel: boolean) => {
  for (const name in m) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith('hugepages-') && !name.includes('/')) {
      errs.push(invalidValue(`${path}[${name}]`, name, podLevel ? 'must be a standard resource for pods' : 'must be a standard resource for containers'));
    }
    const q = quantityOf(m[name]);
    if (!q) quantityAt(errs, `${path}[${name}]`, m[name]);
    else if (isNegative(q)) errs.push(invalidValue(`${path}[${name}]`, m[name], NON_NEGATIVE));
  }
};

const validateResources = (errs: Errs, r: ResourceRequirements, path: string, podLevel = false) => {
  validateResourceList(errs, r.limits, `${path}.limits`, podLevel);
  validateResourceList(errs, r.requests, `${path}.requests`, podLevel);
  for (const name in r.requests ?? {}) {
    const lim = r.limits?.[name];
    const req = r.requests![name];
    if (lim === undefined) continue;
    const [rq, lq] = [quantityOf(req), quantityOf(lim)];
    if (rq && lq && compareQuantities(rq, lq) > 0) errs.push(invalidValue(`${path}.requests[${name}]`, req, `must be less than or equal to ${name} limit of ${lim}`));
  }
};

const validateSeccompLike = (errs: Errs, p: { type: string; localhostProfile?: string } | undefined, path: string) => {
  if (!p) return;
  if (p.type === 'Localhost' && !p.localhostProfile) errs.push(required(`${path}.localhostProfile`, 'must be set when seccomp type is Localhost'));
  if (p.type !== 'Localhost' && p.localhostProfile !== undefined) errs.push(invalidValue(`${path}.localhostProfile`, p.localhostProfile, 'can only be set when seccomp type is Localhost'));
};

const validateIds = (errs: Errs, sc: { runAsUser?: number; runAsGroup?: number; fsGroup?: number }, path: string) => {
  for (const k of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
    const v = sc[k];
    if (v !== undefined && (v < 0 || v > MAX_INT32)) errs.push(invalidValue(`${path}.${k}`, v, inclusiveRange(0, MAX_INT32)));
  }
};

const validateContainerSecurityContext = (errs: Errs, sc: SecurityContext, path: string, hostUsers: boolean) => {
  validateIds(errs, sc, path);
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged) errs.push(invalidValue(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    if (sc.capabilities?.add?.includes('CAP_SYS_ADMIN') || sc.capabilities?.add?.includes('SYS_ADMIN')) {
      errs.push(invalidValue(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }
  if (sc.procMount === 'Unmasked' && hostUsers) errs.push(forbidden(`${path}.procMount`, '`hostUsers` must be false to use `Unmasked`'));
  validateSeccompLike(errs, sc.seccompProfile, `${path}.seccompProfile`);
  validateSeccompLike(errs, sc.appArmorProfile, `${path}.appArmorProfile`);
};

const validateMounts = (errs: Errs, c: Container | EphemeralContainer, path: string, volumes: ReadonlySet<string>) => {
  const seen = new Set<string>();
  c.volumeMounts?.forEach((m: VolumeMount, i) => {
    const p = `${path}.volumeMounts[${i}]`;
    if (!m.name) errs.push(required(`${p}.name`));
    else if (!volumes.has(m.name)) errs.push(notFound(`${p}.name`, m.name));
    if (!m.mountPath) errs.push(required(`${p}.mountPath`));
    else if (seen.has(m.mountPath)) errs.push(invalidValue(`${p}.mountPath`, m.mountPath, 'must be unique'));
    seen.add(m.mountPath);
    if (m.subPath) localDescendingPath(errs, `${p}.subPath`, m.subPath);
    if (m.subPathExpr) {
      if (m.subPath) errs.push(invalidValue(`${p}.subPathExpr`, m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      localDescendingPath(errs, `${p}.subPathExpr`, m.subPathExpr);
    }
    if (m.mountPropagation === 'Bidirectional' && !c.securityContext?.privileged) {
      errs.push(forbidden(`${p}.mountPropagation`, 'Bidirectional mount propagation is available only to privileged containers'));
    }
    if (m.recursiveReadOnly !== undefined) {
      if (!['Disabled', 'IfPossible', 'Enabled'].includes(m.recursiveReadOnly)) {
        errs.push(notSupported(`${p}.recursiveReadOnly`, m.recursiveReadOnly, ['Disabled', 'Enabled', 'IfPossible']));
      } else if (m.recursiveReadOnly !== 'Disabled' && !m.readOnly) {
        errs.push(forbidden(`${p}.recursiveReadOnly`, 'may only be specified when readOnly is true'));
      } else if (m.recursiveReadOnly === 'Enabled' && m.mountPropagation && m.mountPropagation !== 'None') {
        errs.push(forbidden(`${p}.recursiveReadOnly`, 'may only be specified when mountPropagation is None or not specified'));
      }
    }
  });
};

interface PodCtx {
  volumes: ReadonlySet<string>;
  gracePeriod: number;
  hostUsers: boolean;
  /** Images are required in pods but not in pod templates. */
  isPod: boolean;
}

const validatePorts = (errs: Errs, ports: ContainerPort[] | undefined, path: string) => {
  const names = new Set<string>();
  ports?.forEach((p, i) => {
    const f = `${path}[${i}]`;
    if (p.name !== undefined) {
      check(errs, `${f}.name`, p.name, isValidPortName);
      if (names.has(p.name)) errs.push(duplicate(`${f}.name`, p.name));
      names.add(p.name);
    }
    if (p.containerPort === 0) errs.push(required(`${f}.containerPort`));
    else for (const m of isValidPortNum(p.containerPort)) errs.push(invalidValue(`${f}.containerPort`, p.containerPort, m));
    if (p.hostPort !== undefined && p.hostPort !== 0) for (const m of isValidPortNum(p.hostPort)) errs.push(invalidValue(`${f}.hostPort`, p.hostPort, m));
  });
};

const EPHEMERAL_FORBIDDEN = ['ports', 'resources', 'lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe', 'resizePolicy', 'restartPolicy'] as const;

const validateContainer = (errs: Errs, c: Container | EphemeralContainer, kind: ContainerKind, path: string, ctx: PodCtx) => {
  if (!c.name) errs.push(required(`${path}.name`));
  else check(errs, `${path}.name`, c.name, isDNS1123Label);
  if (ctx.isPod) {
    if (!c.image) errs.push(required(`${path}.image`));
    else if (c.image.trim() !== c.image) errs.push(invalidValue(`${path}.image`, c.image, 'must not have leading or trailing whitespace'));
  }
  validatePorts(errs, c.ports, `${path}.ports`);
  validateEnv(errs, c.env, `${path}.env`);
  c.envFrom?.forEach((e, i) => {
    const p = `${path}.envFrom[${i}]`;
    const refs = countSet(e, ['configMapRef', 'secretRef']);
    if (refs.length === 0) errs.push(invalidValue(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (refs.length > 1) errs.push(invalidValue(p, '', 'may not have more than one field specified at a time'));
    if (e.prefix) check(errs, `${p}.prefix`, e.prefix, isEnvVarName);
    if (e.configMapRef && !e.configMapRef.name) errs.push(required(`${p}.configMapRef.name`));
    if (e.secretRef && !e.secretRef.name) errs.push(required(`${p}.secretRef.name`));
  });
  validateMounts(errs, c, path, ctx.volumes);
  if (c.resources) validateResources(errs, c.resources, `${path}.resources`);
  if (c.securityContext) validateContainerSecurityContext(errs, c.securityContext, `${path}.securityContext`, ctx.hostUsers);
  c.resizePolicy?.forEach((r, i) => {
    const p = `${path}.resizePolicy[${i}]`;
    if (r.resourceName !== 'cpu' && r.resourceName !== 'memory') errs.push(notSupported(`${p}.resourceName`, r.resourceName, ['cpu', 'memory']));
    if (r.restartPolicy !== 'NotRequired' && r.restartPolicy !== 'RestartContainer') errs.push(notSupported(`${p}.restartPolicy`, r.restartPolicy, ['NotRequired', 'RestartContainer']));
  });

  if (kind === 'ephemeral') {
    for (const k of EPHEMERAL_FORBIDDEN) if (c[k] !== undefined) errs.push(forbidden(`${path}.${k}`, 'cannot be set for an Ephemeral Container'));
    c.volumeMounts?.forEach((m, i) => {
      if (m.subPath) errs.push(forbidden(`${path}.volumeMounts[${i}].subPath`, 'cannot be set for an Ephemeral Container'));
    });
    return;
  }
  const sidecar = kind === 'init' && c.restartPolicy === 'Always';
  if (kind === 'init' && c.restartPolicy !== undefined && c.restartPolicy !== 'Always') errs.push(notSupported(`${path}.restartPolicy`, c.restartPolicy, ['Always']));
  if (kind === 'regular' && c.restartPolicy !== undefined) errs.push(forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'));
  // Init containers other than sidecars run to completion: no probes, no lifecycle hooks.
  const plainInit = kind === 'init' && !sidecar;
  validateContainerProbe(errs, c.livenessProbe, path, 'livenessProbe', 'liveness', plainInit);
  validateContainerProbe(errs, c.readinessProbe, path, 'readinessProbe', 'readiness', plainInit);
  validateContainerProbe(errs, c.startupProbe, path, 'startupProbe', 'startup', plainInit);
  if (c.lifecycle) {
    if (plainInit) errs.push(forbidden(`${path}.lifecycle`, 'may not be set for init containers without restartPolicy=Always'));
    else {
      if (c.lifecycle.postStart) validateHandler(errs, c.lifecycle.postStart, `${path}.lifecycle.postStart`, ctx.gracePeriod);
      if (c.lifecycle.preStop) validateHandler(errs, c.lifecycle.preStop, `${path}.lifecycle.preStop`, ctx.gracePeriod);
    }
  }
};

// ---- scheduling ----

const validateRequirement = (errs: Errs, r: NodeSelectorRequirement, path: string, field: boolean) => {
  const values = r.values ?? [];
  if (field) {
    if (r.key !== 'metadata.name') errs.push(invalidValue(`${path}.key`, r.key, 'not a valid field selector key'));
    if (r.operator !== 'In' && r.operator !== 'NotIn') errs.push(invalidValue(`${path}.operator`, r.operator, 'not a valid selector operator'));
    if (values.length !== 1) errs.push(required(`${path}.values`, 'must be only one value when `operator` is \'In\' or \'NotIn\' for node field selector'));
    return;
  }
  check(errs, `${path}.key`, r.key, isQualifiedName);
  switch (r.operator) {
    case 'In': case 'NotIn':
      if (values.length === 0) errs.push(required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists': case 'DoesNotExist':
      if (values.length > 0) errs.push(forbidden(`${path}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt': case 'Lt':
      if (values.length !== 1) errs.push(required(`${path}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      else if (!/^-?\d+$/.test(values[0])) errs.push(invalidValue(`${path}.values[0]`, values[0], 'must be an integer'));
      break;
  }
};

const validateTerm = (errs: Errs, t: NodeSelectorTerm, path: string) => {
  t.matchExpressions?.forEach((r, i) => validateRequirement(errs, r, `${path}.matchExpressions[${i}]`, false));
  t.matchFields?.forEach((r, i) => validateRequirement(errs, r, `${path}.matchFields[${i}]`, true));
};

/** LabelSelector syntax (ValidateLabelSelector). */
export const validateLabelSelector = (errs: Errs, s: LabelSelector | undefined, path: string) => {
  if (!s) return;
  validateLabels(errs, s.matchLabels, `${path}.matchLabels`);
  s.matchExpressions?.forEach((r, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    check(errs, `${p}.key`, r.key, isQualifiedName);
    const values = r.values ?? [];
    if (r.operator === 'In' || r.operator === 'NotIn') {
      if (values.length === 0) errs.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (r.operator === 'Exists' || r.operator === 'DoesNotExist') {
      if (values.length > 0) errs.push(forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(invalidValue(`${p}.operator`, r.operator, 'not a valid selector operator'));
    }
    values.forEach((v, j) => check(errs, `${p}.values[${j}]`, v, isValidLabelValue));
  });
};

const validateAffinity = (errs: Errs, a: Affinity, path: string) => {
  const na = a.nodeAffinity;
  if (na?.requiredDuringSchedulingIgnoredDuringExecution) {
    const p = `${path}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`;
    const terms = na.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    if (terms.length === 0) errs.push(required(`${p}.nodeSelectorTerms`, 'must have at least one node selector term'));
    terms.forEach((t, i) => validateTerm(errs, t, `${p}.nodeSelectorTerms[${i}]`));
  }
  na?.preferredDuringSchedulingIgnoredDuringExecution?.forEach((t, i) => {
    const p = `${path}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    if (t.weight < 1 || t.weight > 100) errs.push(invalidValue(`${p}.weight`, t.weight, 'must be in the range 1-100'));
    validateTerm(errs, t.preference, `${p}.preference`);
  });
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = a[kind];
    if (!pa) continue;
    const base = `${path}.${kind}`;
    const term = (t: { topologyKey: string; labelSelector?: LabelSelector; namespaceSelector?: LabelSelector }, p: string) => {
      if (!t.topologyKey) errs.push(required(`${p}.topologyKey`, 'can not be empty'));
      else check(errs, `${p}.topologyKey`, t.topologyKey, isQualifiedName);
      validateLabelSelector(errs, t.labelSelector, `${p}.labelSelector`);
      validateLabelSelector(errs, t.namespaceSelector, `${p}.namespaceSelector`);
    };
    pa.requiredDuringSchedulingIgnoredDuringExecution?.forEach((t, i) => term(t, `${base}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`));
    pa.preferredDuringSchedulingIgnoredDuringExecution?.forEach((t, i) => {
      const p = `${base}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      if (t.weight < 1 || t.weight > 100) errs.push(invalidValue(`${p}.weight`, t.weight, 'must be in the range 1-100'));
      term(t.podAffinityTerm, `${p}.podAffinityTerm`);
    });
  }
};

const validateTolerations = (errs: Errs, ts: Toleration[] | undefined, path: string) => {
  ts?.forEach((t, i) => {
    const p = `${path}[${i}]`;
    if (t.key) check(errs, `${p}.key`, t.key, isQualifiedName);
    if (!t.key && t.operator !== 'Exists') {
      errs.push(invalidValue(`${p}.operator`, t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(invalidValue(`${p}.effect`, t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (t.operator === 'Exists') {
      if (t.value) errs.push(invalidValue(`${p}.operator`, t.value, "value must be empty when `operator` is 'Exists'"));
    } else if (t.value) {
      check(errs, `${p}.value`, t.value, isValidLabelValue);
    }
  });
};

const WINDOWS_POD_FORBIDDEN = ['hostPID', 'hostIPC', 'hostUsers', 'shareProcessNamespace'] as const;
const WINDOWS_POD_SC_FORBIDDEN = [
  'seLinuxOptions', 'seccompProfile', 'appArmorProfile', 'fsGroup', 'fsGroupChangePolicy', 'sysctls', 'runAsUser', 'runAsGroup',
  'supplementalGroups', 'supplementalGroupsPolicy', 'seLinuxChangePolicy',
] as const;
const WINDOWS_CONTAINER_SC_FORBIDDEN = [
  'seLinuxOptions', 'seccompProfile', 'appArmorProfile', 'capabilities', 'readOnlyRootFilesystem', 'privileged',
  'allowPrivilegeEscalation', 'procMount', 'runAsUser', 'runAsGroup',
] as const;

const allContainers = (spec: PodSpec): [Container | EphemeralContainer, string][] => [
  ...(spec.initContainers ?? []).map((c, i): [Container, string] => [c, `initContainers[${i}]`]),
  ...(spec.containers ?? []).map((c, i): [Container, string] => [c, `containers[${i}]`]),
  ...(spec.ephemeralContainers ?? []).map((c, i): [EphemeralContainer, string] => [c, `ephemeralContainers[${i}]`]),
];

/** spec.os rules: windows pods may not use Linux-only fields, linux pods may not use windowsOptions. */
const validateOS = (errs: Errs, spec: PodSpec, all: [Container | EphemeralContainer, string][], path: string) => {
  const os = spec.os?.name;
  if (os === undefined) return;
  if (os !== 'linux' && os !== 'windows') {
    errs.push(notSupported(`${path}.os.name`, os, ['linux', 'windows']));
    return;
  }
  const sc: PodSecurityContext = spec.securityContext ?? {};
  if (os === 'windows') {
    const no = (field: string) => errs.push(forbidden(field, 'cannot be set for a windows pod'));
    for (const k of WINDOWS_POD_FORBIDDEN) if (spec[k] !== undefined) no(`${path}.${k}`);
    for (const k of WINDOWS_POD_SC_FORBIDDEN) if (sc[k] !== undefined) no(`${path}.securityContext.${k}`);
    for (const [c, p] of all) {
      for (const k of WINDOWS_CONTAINER_SC_FORBIDDEN) if (c.securityContext?.[k] !== undefined) no(`${path}.${p}.securityContext.${k}`);
    }
  } else {
    const no = (field: string) => errs.push(forbidden(field, 'windows options cannot be set for a linux pod'));
    if (sc.windowsOptions) no(`${path}.securityContext.windowsOptions`);
    for (const [c, p] of all) if (c.securityContext?.windowsOptions) no(`${path}.${p}.securityContext.windowsOptions`);
  }
};

const validateHostProcess = (errs: Errs, spec: PodSpec, all: [Container | EphemeralContainer, string][], path: string) => {
  const podHP = spec.securityContext?.windowsOptions?.hostProcess;
  const flags = all.map(([c]) => c.securityContext?.windowsOptions?.hostProcess ?? podHP ?? false);
  if (!flags.some(Boolean)) return;
  if (!flags.every(Boolean)) errs.push(invalidValue(`${path}.securityContext.windowsOptions.hostProcess`, podHP ?? false, 'If pod contains any hostProcess containers then all containers must be HostProcess'));
  if (!spec.hostNetwork) errs.push(invalidValue(`${path}.hostNetwork`, spec.hostNetwork ?? false, 'hostNetwork must be true if pod contains any hostProcess containers'));
};

export interface PodSpecOptions {
  /** Pods need images; pod templates do not. */
  isPod: boolean;
}

/** ValidatePodSpec: every rule on a pod spec, shared by pods and pod templates. */
export const validatePodSpec = (errs: Errs, spec: PodSpec, path: string, opts: PodSpecOptions) => {
  const volumes = new Set<string>();
  spec.volumes?.forEach((v, i) => {
    const p = `${path}.volumes[${i}]`;
    if (!v.name) errs.push(required(`${p}.name`));
    else {
      check(errs, `${p}.name`, v.name, isDNS1123Label);
      if (volumes.has(v.name)) errs.push(duplicate(`${p}.name`, v.name));
    }
    volumes.add(v.name);
    validateVolume(errs, v, p);
  });
  const hostUsers = spec.hostUsers ?? true;
  const ctx: PodCtx = { volumes, gracePeriod: spec.terminationGracePeriodSeconds ?? 30, hostUsers, isPod: opts.isPod };

  if (!spec.containers || spec.containers.length === 0) errs.push(required(`${path}.containers`));
  const all = allContainers(spec);
  const names = new Set<string>();
  for (const [c, p] of all) {
    if (c.name && names.has(c.name)) errs.push(duplicate(`${path}.${p}.name`, c.name));
    names.add(c.name);
  }
  spec.initContainers?.forEach((c, i) => validateContainer(errs, c, 'init', `${path}.initContainers[${i}]`, ctx));
  spec.containers?.forEach((c, i) => validateContainer(errs, c, 'regular', `${path}.containers[${i}]`, ctx));
  spec.ephemeralContainers?.forEach((c, i) => {
    const p = `${path}.ephemeralContainers[${i}]`;
    validateContainer(errs, c, 'ephemeral', p, ctx);
    const targets = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
    if (c.targetContainerName && !targets.some((t) => t.name === c.targetContainerName)) errs.push(notFound(`${p}.targetContainerName`, c.targetContainerName));
  });

  // Host ports must not collide across the pod's containers.
  const hostPorts = new Set<string>();
  for (const [c, p] of all) {
    c.ports?.forEach((port, j) => {
      if (!port.hostPort) return;
      const key = `${port.hostIP ?? ''}/${port.hostPort}/${port.protocol ?? 'TCP'}`;
      if (hostPorts.has(key)) errs.push(duplicate(`${path}.${p}.ports[${j}].hostPort`, `${port.hostPort}/${port.protocol ?? 'TCP'}`));
      hostPorts.add(key);
    });
  }
  if (spec.hostNetwork) {
    for (const [c, p] of all) {
      c.ports?.forEach((port, j) => {
        if (port.hostPort && port.hostPort !== port.containerPort) {
          errs.push(invalidValue(`${path}.${p}.ports[${j}].hostPort`, port.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    }
  }

  if (spec.activeDeadlineSeconds !== undefined && (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > MAX_INT32)) {
    errs.push(invalidValue(`${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, inclusiveRange(1, MAX_INT32)));
  }
  validateLabels(errs, spec.nodeSelector, `${path}.nodeSelector`);
  if (spec.nodeName) check(errs, `${path}.nodeName`, spec.nodeName, isDNS1123Subdomain);
  if (spec.serviceAccountName) check(errs, `${path}.serviceAccountName`, spec.serviceAccountName, isDNS1123Subdomain);
  if (spec.hostname) check(errs, `${path}.hostname`, spec.hostname, isDNS1123Label);
  if (spec.subdomain) check(errs, `${path}.subdomain`, spec.subdomain, isDNS1123Label);
  if (spec.priorityClassName) check(errs, `${path}.priorityClassName`, spec.priorityClassName, isDNS1123Subdomain);
  if (spec.dnsPolicy === 'None') {
    if (!spec.dnsConfig) errs.push(required(`${path}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
    else if (!spec.dnsConfig.nameservers?.length) errs.push(required(`${path}.dnsConfig.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
  }
  if ((spec.dnsConfig?.nameservers?.length ?? 0) > 3) errs.push(invalidValue(`${path}.dnsConfig.nameservers`, spec.dnsConfig!.nameservers, 'must not have more than 3 nameservers'));
  validateTolerations(errs, spec.tolerations, `${path}.tolerations`);
  if (spec.affinity) validateAffinity(errs, spec.affinity, `${path}.affinity`);

  const spread = new Set<string>();
  spec.topologySpreadConstraints?.forEach((c, i) => {
    const p = `${path}.topologySpreadConstraints[${i}]`;
    if (c.maxSkew <= 0) errs.push(invalidValue(`${p}.maxSkew`, c.maxSkew, 'must be greater than zero'));
    if (!c.topologyKey) errs.push(required(`${p}.topologyKey`, 'can not be empty'));
    else check(errs, `${p}.topologyKey`, c.topologyKey, isQualifiedName);
    if (c.minDomains !== undefined) {
      if (c.minDomains <= 0) errs.push(invalidValue(`${p}.minDomains`, c.minDomains, 'must be greater than zero'));
      else if (c.whenUnsatisfiable !== 'DoNotSchedule') errs.push(invalidValue(`${p}.minDomains`, c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${c.whenUnsatisfiable}`));
    }
    const key = `${c.topologyKey}/${c.whenUnsatisfiable}`;
    if (spread.has(key)) errs.push(duplicate(p, `{${c.topologyKey}, ${c.whenUnsatisfiable}}`));
    spread.add(key);
    validateLabelSelector(errs, c.labelSelector, `${p}.labelSelector`);
  });
  const gates = new Set<string>();
  spec.schedulingGates?.forEach((g, i) => {
    const p = `${path}.schedulingGates[${i}].name`;
    check(errs, p, g.name, isQualifiedName);
    if (gates.has(g.name)) errs.push(duplicate(p, g.name));
    gates.add(g.name);
  });
  spec.readinessGates?.forEach((g, i) => check(errs, `${path}.readinessGates[${i}].conditionType`, g.conditionType, isQualifiedName));

  const sc = spec.securityContext;
  if (sc) {
    validateIds(errs, sc, `${path}.securityContext`);
    sc.supplementalGroups?.forEach((g, i) => {
      if (g < 0 || g > MAX_INT32) errs.push(invalidValue(`${path}.securityContext.supplementalGroups[${i}]`, g, inclusiveRange(0, MAX_INT32)));
    });
    sc.sysctls?.forEach((s, i) => {
      if (!/^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/.test(s.name) || s.name.length > 253) {
        errs.push(invalidValue(`${path}.securityContext.sysctls[${i}].name`, s.name, "must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$"));
      }
    });
    validateSeccompLike(errs, sc.seccompProfile, `${path}.securityContext.seccompProfile`);
    validateSeccompLike(errs, sc.appArmorProfile, `${path}.securityContext.appArmorProfile`);
  }
  if (spec.shareProcessNamespace && spec.hostPID) {
    errs.push(invalidValue(`${path}.shareProcessNamespace`, true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  if (spec.hostUsers === false) {
    for (const k of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
      if (spec[k]) errs.push(forbidden(`${path}.${k}`, 'when `pod.Spec.HostUsers` is false'));
    }
  }
  validateOS(errs, spec, all, path);
  validateHostProcess(errs, spec, all, path);
  for (const name in spec.overhead ?? {}) quantityAt(errs, `${path}.overhead[${name}]`, spec.overhead![name]);
  if (spec.resources) validateResources(errs, spec.resources, `${path}.resources`, true);
};

/** ValidatePodTemplateSpec: labels/annotations of the template and its spec (images optional). */
export const validatePodTemplateSpec = (errs: Errs, t: PodTemplateSpec, path: string) => {
  validateLabels(errs, t.metadata?.labels, `${path}.metadata.labels`);
  validateAnnotations(errs, t.metadata?.annotations, `${path}.metadata.annotations`);
  if (!t.spec) {
    errs.push(required(`${path}.spec`));
    return;
  }
  validatePodSpec(errs, t.spec, `${path}.spec`, { isPod: false });
  if (t.spec.ephemeralContainers?.length) errs.push(forbidden(`${path}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'));
};

/** A mirror pod must name its node. */
export const validateMirrorPod = (errs: Errs, meta: ObjectMeta, spec: PodSpec | undefined) => {
  if (meta.annotations?.[MIRROR_POD_ANNOTATION] !== undefined && !spec?.nodeName) {
    errs.push(invalidValue('metadata.annotations', MIRROR_POD_ANNOTATION, 'must set spec.nodeName if mirror pod annotation is set'));
  }
};

