import type { Container, ObjectMeta, PodSpec } from '@peapod/api-types';

/**
 * The Pod Security Standards as checks (k8s.io/pod-security-admission `policy`): each check reads a
 * pod's metadata and spec and reports a reason and a detail in Kubernetes' words. `minor` is the
 * policy version (`v1.<minor>`; `latest` is Infinity) for the few checks that changed over time.
 */

export type Level = 'privileged' | 'baseline' | 'restricted';

/** A failed check. */
export interface Violation {
  reason: string;
  detail: string;
}

type PodCheck = (meta: ObjectMeta, spec: PodSpec, minor: number) => Violation | undefined;

interface Check {
  id: string;
  level: Exclude<Level, 'privileged'>;
  /** First policy version that has the check. */
  since: number;
  /** The baseline check this restricted check replaces at the restricted level. */
  overrides?: string;
  run: PodCheck;
}

const quote = (items: readonly string[]) => items.map((i) => `"${i}"`).join(', ');
const plural = (one: string, many: string, n: number) => (n === 1 ? one : many);
const sorted = (s: Set<string>) => [...s].sort();
const containersNamed = (names: readonly string[]) => `${plural('container', 'containers', names.length)} ${quote(names)}`;

/** Init, regular, then ephemeral containers, as the upstream visitor walks them. */
function containers(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...((spec.ephemeralContainers ?? []) as Container[])];
}

/** Pods in a user namespace (`hostUsers: false`) are let off the root and /proc checks from v1.35. */
const userNamespaced = (spec: PodSpec, minor: number) => minor >= 35 && spec.hostUsers === false;
const windows = (spec: PodSpec, minor: number) => minor >= 25 && spec.os?.name === 'windows';

/** "pod and containers "a", "b"": the setters joined as Kubernetes words them. */
function setters(pod: boolean, bad: readonly string[]): string[] {
  return [...(pod ? ['pod'] : []), ...(bad.length ? [containersNamed(bad)] : [])];
}

const hostProcess: PodCheck = (_m, spec) => {
  const bad = containers(spec).filter((c) => c.securityContext?.windowsOptions?.hostProcess === true).map((c) => c.name);
  const who = setters(spec.securityContext?.windowsOptions?.hostProcess === true, bad);
  return who.length ? { reason: 'hostProcess', detail: `${who.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` } : undefined;
};

const hostNamespaces: PodCheck = (_m, spec) => {
  const set = [spec.hostNetwork && 'hostNetwork=true', spec.hostPID && 'hostPID=true', spec.hostIPC && 'hostIPC=true'].filter((x): x is string => !!x);
  return set.length ? { reason: 'host namespaces', detail: set.join(', ') } : undefined;
};

const privileged: PodCheck = (_m, spec) => {
  const bad = containers(spec).filter((c) => c.securityContext?.privileged === true).map((c) => c.name);
  return bad.length ? { reason: 'privileged', detail: `${containersNamed(bad)} must not set securityContext.privileged=true` } : undefined;
};

const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

const capabilitiesBaseline: PodCheck = (_m, spec) => {
  const bad: string[] = [];
  const caps = new Set<string>();
  for (const c of containers(spec)) {
    const extra = (c.securityContext?.capabilities?.add ?? []).filter((a) => !BASELINE_CAPABILITIES.has(a));
    if (!extra.length) continue;
    bad.push(c.name);
    for (const a of extra) caps.add(a);
  }
  return bad.length ? { reason: 'non-default capabilities', detail: `${containersNamed(bad)} must not include ${quote(sorted(caps))} in securityContext.capabilities.add` } : undefined;
};

const hostPathVolumes: PodCheck = (_m, spec) => {
  const bad = (spec.volumes ?? []).filter((v) => v.hostPath).map((v) => v.name);
  return bad.length ? { reason: 'hostPath volumes', detail: `${plural('volume', 'volumes', bad.length)} ${quote(bad)}` } : undefined;
};

const hostPorts: PodCheck = (_m, spec) => {
  const bad: string[] = [];
  const ports = new Set<string>();
  for (const c of containers(spec)) {
    const used = (c.ports ?? []).filter((p) => p.hostPort).map((p) => String(p.hostPort));
    if (!used.length) continue;
    bad.push(c.name);
    for (const p of used) ports.add(p);
  }
  return bad.length ? { reason: 'hostPort', detail: `${containersNamed(bad)} ${plural('uses', 'use', bad.length)} ${plural('hostPort', 'hostPorts', ports.size)} ${sorted(ports).join(', ')}` } : undefined;
};

const hostProbes: PodCheck = (_m, spec) => {
  const bad = new Set<string>();
  const hosts = new Set<string>();
  for (const c of containers(spec)) {
    const handlers = [c.livenessProbe, c.readinessProbe, c.startupProbe, c.lifecycle?.postStart, c.lifecycle?.preStop];
    for (const h of handlers) {
      for (const host of [h?.httpGet?.host, h?.tcpSocket?.host]) {
        if (!host) continue;
        bad.add(c.name);
        hosts.add(host);
      }
    }
  }
  return bad.size ? { reason: 'probe or lifecycle host', detail: `${containersNamed(sorted(bad))} ${plural('uses', 'use', bad.size)} ${plural('probe or lifecycle host', 'probe or lifecycle hosts', hosts.size)} ${quote(sorted(hosts))}` } : undefined;
};

const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';
const appArmor: PodCheck = (meta, spec) => {
  const okType = (t: string | undefined) => t === 'RuntimeDefault' || t === 'Localhost';
  const values = new Set<string>();
  const pod = spec.securityContext?.appArmorProfile !== undefined && !okType(spec.securityContext.appArmorProfile.type);
  if (pod) values.add(spec.securityContext!.appArmorProfile!.type ?? '');
  const bad: string[] = [];
  for (const c of containers(spec)) {
    const p = c.securityContext?.appArmorProfile;
    if (p === undefined || okType(p.type)) continue;
    bad.push(c.name);
    values.add(p.type ?? '');
  }
  const annotations = Object.entries(meta.annotations ?? {})
    .filter(([k, v]) => k.startsWith(APPARMOR_ANNOTATION) && !(v === '' || v === 'runtime/default' || v.startsWith('localhost/')))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`).sort();
  const who = setters(pod, bad);
  if (annotations.length) who.push(plural('annotation', 'annotations', annotations.length));
  if (!who.length) return undefined;
  const list = [...sorted(values), ...annotations];
  return { reason: plural('forbidden AppArmor profile', 'forbidden AppArmor profiles', list.length), detail: `${who.join(' and ')} must not set AppArmor profile type to ${quote(list)}` };
};

const seLinux: PodCheck = (_m, spec, minor) => {
  const allowed = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', ...(minor >= 31 ? ['container_engine_t'] : [])]);
  const types = new Set<string>();
  let user = false;
  let role = false;
  const ok = (o: { type?: string; user?: string; role?: string } | undefined) => {
    if (!o) return true;
    let valid = true;
    if (!allowed.has(o.type ?? '')) { valid = false; types.add(o.type ?? ''); }
    if (o.user) { valid = false; user = true; }
    if (o.role) { valid = false; role = true; }
    return valid;
  };
  const pod = !ok(spec.securityContext?.seLinuxOptions);
  const bad = containers(spec).filter((c) => !ok(c.securityContext?.seLinuxOptions)).map((c) => c.name);
  const who = setters(pod, bad);
  if (!who.length) return undefined;
  const what = [...(types.size ? [`${plural('type', 'types', types.size)} ${quote(sorted(types))}`] : []), ...(user ? ['user may not be set'] : []), ...(role ? ['role may not be set'] : [])];
  return { reason: 'seLinuxOptions', detail: `${who.join(' and ')} set forbidden securityContext.seLinuxOptions: ${what.join('; ')}` };
};

const procMount: PodCheck = (_m, spec, minor) => {
  if (userNamespaced(spec, minor)) return undefined;
  return procMountStrict(_m, spec, minor);
};
const procMountStrict: PodCheck = (_m, spec) => {
  const bad: string[] = [];
  const types = new Set<string>();
  for (const c of containers(spec)) {
    const t = c.securityContext?.procMount;
    if (t === undefined || t === 'Default') continue;
    bad.push(c.name);
    types.add(t);
  }
  return bad.length ? { reason: 'procMount', detail: `${containersNamed(bad)} must not set securityContext.procMount to ${quote(sorted(types))}` } : undefined;
};

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION = 'container.seccomp.security.alpha.kubernetes.io/';
const seccompOk = (t: string | undefined) => t === 'RuntimeDefault' || t === 'Localhost';

/** Before v1.19 seccomp was set by annotations; from v1.19 by the securityContext fields. */
const seccompBaseline: PodCheck = (meta, spec, minor) => {
  if (minor < 19) {
    const a = meta.annotations ?? {};
    const okValue = (v: string) => v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
    const bad = new Set<string>();
    for (const key of [SECCOMP_POD_ANNOTATION, ...containers(spec).map((c) => SECCOMP_CONTAINER_ANNOTATION + c.name)]) {
      if (a[key] !== undefined && !okValue(a[key])) bad.add(`${key}=${JSON.stringify(a[key])}`);
    }
    return bad.size ? { reason: 'seccompProfile', detail: `forbidden ${plural('annotation', 'annotations', bad.size)} ${sorted(bad).join(', ')}` } : undefined;
  }
  return seccomp(spec, false);
};
const seccompRestricted: PodCheck = (_m, spec, minor) => (windows(spec, minor) ? undefined : seccomp(spec, true));

function seccomp(spec: PodSpec, required: boolean): Violation | undefined {
  const values = new Set<string>();
  const podProfile = spec.securityContext?.seccompProfile;
  const pod = podProfile !== undefined && !seccompOk(podProfile.type);
  if (pod) values.add(podProfile!.type ?? '');
  const podSet = podProfile !== undefined && !pod;
  const bad: string[] = [];
  const unset: string[] = [];
  for (const c of containers(spec)) {
    const p = c.securityContext?.seccompProfile;
    if (p === undefined) { if (!podSet) unset.push(c.name); continue; }
    if (seccompOk(p.type)) continue;
    bad.push(c.name);
    values.add(p.type ?? '');
  }
  const who = setters(pod, bad);
  if (who.length) return { reason: 'seccompProfile', detail: `${who.join(' and ')} must not set securityContext.seccompProfile.type to ${quote(sorted(values))}` };
  if (required && unset.length) return { reason: 'seccompProfile', detail: `pod or ${containersNamed(unset)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` };
  return undefined;
}

const SAFE_SYSCTLS: Array<[number, string[]]> = [
  [0, ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start']],
  [27, ['net.ipv4.ip_local_reserved_ports']],
  [29, ['net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']],
  [32, ['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']],
  [37, ['net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat']],
];
const sysctls: PodCheck = (_m, spec, minor) => {
  const safe = new Set(SAFE_SYSCTLS.filter(([since]) => minor >= since).flatMap(([, names]) => names));
  const bad = (spec.securityContext?.sysctls ?? []).map((s) => s.name).filter((n) => !safe.has(n));
  return bad.length ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : undefined;
};

const allowPrivilegeEscalation: PodCheck = (_m, spec, minor) => {
  if (windows(spec, minor)) return undefined;
  const bad = containers(spec).filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map((c) => c.name);
  return bad.length ? { reason: 'allowPrivilegeEscalation != false', detail: `${containersNamed(bad)} must set securityContext.allowPrivilegeEscalation=false` } : undefined;
};

const capabilitiesRestricted: PodCheck = (_m, spec, minor) => {
  if (windows(spec, minor)) return undefined;
  const noDrop: string[] = [];
  const adding: string[] = [];
  const caps = new Set<string>();
  for (const c of containers(spec)) {
    const cap = c.securityContext?.capabilities;
    if (!cap?.drop?.includes('ALL')) noDrop.push(c.name);
    const extra = (cap?.add ?? []).filter((a) => a !== 'NET_BIND_SERVICE');
    if (!extra.length) continue;
    adding.push(c.name);
    for (const a of extra) caps.add(a);
  }
  const details = [
    ...(noDrop.length ? [`${containersNamed(noDrop)} must set securityContext.capabilities.drop=["ALL"]`] : []),
    ...(adding.length ? [`${containersNamed(adding)} must not include ${quote(sorted(caps))} in securityContext.capabilities.add`] : []),
  ];
  return details.length ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
};

const ALLOWED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret'];
/** Inline volume sources Kubernetes names in the message; any other is "unknown". */
const NAMED_VOLUMES = ['hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos'];
const restrictedVolumes: PodCheck = (_m, spec) => {
  const bad: string[] = [];
  const types = new Set<string>();
  for (const v of spec.volumes ?? []) {
    const src = v as Record<string, unknown>;
    if (ALLOWED_VOLUMES.some((k) => src[k] != null)) continue;
    bad.push(v.name);
    types.add(NAMED_VOLUMES.find((k) => src[k] != null) ?? 'unknown');
  }
  return bad.length ? { reason: 'restricted volume types', detail: `${plural('volume', 'volumes', bad.length)} ${quote(bad)} ${plural('uses', 'use', bad.length)} ${plural('restricted volume type', 'restricted volume types', types.size)} ${quote(sorted(types))}` } : undefined;
};

const runAsNonRoot: PodCheck = (_m, spec, minor) => {
  if (userNamespaced(spec, minor)) return undefined;
  const podValue = spec.securityContext?.runAsNonRoot;
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of containers(spec)) {
    const v = c.securityContext?.runAsNonRoot;
    if (v === false) explicit.push(c.name);
    else if (v === undefined && podValue !== true) implicit.push(c.name);
  }
  const who = setters(podValue === false, explicit);
  if (who.length) return { reason: 'runAsNonRoot != true', detail: `${who.join(' and ')} must not set securityContext.runAsNonRoot=false` };
  if (implicit.length) return { reason: 'runAsNonRoot != true', detail: `pod or ${containersNamed(implicit)} must set securityContext.runAsNonRoot=true` };
  return undefined;
};

const runAsUser: PodCheck = (_m, spec, minor) => {
  if (userNamespaced(spec, minor)) return undefined;
  const who = setters(spec.securityContext?.runAsUser === 0, containers(spec).filter((c) => c.securityContext?.runAsUser === 0).map((c) => c.name));
  return who.length ? { reason: 'runAsUser=0', detail: `${who.join(' and ')} must not set runAsUser=0` } : undefined;
};

/** Every check, baseline ones first, each level sorted by id (the order of Kubernetes' messages). */
const CHECKS: readonly Check[] = [
  { id: 'appArmorProfile', level: 'baseline', since: 0, run: appArmor },
  { id: 'capabilities_baseline', level: 'baseline', since: 0, run: capabilitiesBaseline },
  { id: 'hostNamespaces', level: 'baseline', since: 0, run: hostNamespaces },
  { id: 'hostPathVolumes', level: 'baseline', since: 0, run: hostPathVolumes },
  { id: 'hostPorts', level: 'baseline', since: 0, run: hostPorts },
  { id: 'hostProbesAndHostLifecycle', level: 'baseline', since: 34, run: hostProbes },
  { id: 'privileged', level: 'baseline', since: 0, run: privileged },
  { id: 'procMount', level: 'baseline', since: 0, run: procMount },
  { id: 'seLinuxOptions', level: 'baseline', since: 0, run: seLinux },
  { id: 'seccompProfile_baseline', level: 'baseline', since: 0, run: seccompBaseline },
  { id: 'sysctls', level: 'baseline', since: 0, run: sysctls },
  { id: 'windowsHostProcess', level: 'baseline', since: 0, run: hostProcess },
  { id: 'allowPrivilegeEscalation', level: 'restricted', since: 8, run: allowPrivilegeEscalation },
  { id: 'capabilities_restricted', level: 'restricted', since: 22, overrides: 'capabilities_baseline', run: capabilitiesRestricted },
  { id: 'procMount_restricted', level: 'restricted', since: 35, overrides: 'procMount', run: procMountStrict },
  { id: 'restrictedVolumes', level: 'restricted', since: 0, overrides: 'hostPathVolumes', run: restrictedVolumes },
  { id: 'runAsNonRoot', level: 'restricted', since: 0, run: runAsNonRoot },
  { id: 'runAsUser', level: 'restricted', since: 23, run: runAsUser },
  { id: 'seccompProfile_restricted', level: 'restricted', since: 19, overrides: 'seccompProfile_baseline', run: seccompRestricted },
];

/** The violations of a pod(-like) object against one level and version, in Kubernetes' order. */
export function evaluatePod(level: Level, minor: number, meta: ObjectMeta, spec: PodSpec): Violation[] {
  if (level === 'privileged') return [];
  const active = CHECKS.filter((c) => minor >= c.since && (c.level === 'baseline' || level === 'restricted'));
  const replaced = new Set(active.map((c) => c.overrides).filter((id): id is string => id !== undefined));
  const out: Violation[] = [];
  for (const c of active) {
    if (replaced.has(c.id)) continue;
    const v = c.run(meta, spec, minor);
    if (v) out.push(v);
  }
  return out;
}

/** `reason (detail), reason (detail)`, as `AggregateCheckResult.ForbiddenDetail`. */
export const forbiddenDetail = (vs: readonly Violation[]) => vs.map((v) => (v.detail ? `${v.reason} (${v.detail})` : v.reason)).join(', ');
/** The reasons alone, as `AggregateCheckResult.ForbiddenReason`. */
export const forbiddenReason = (vs: readonly Violation[]) => vs.map((v) => v.reason).join(', ');
