import type {
  Container, ContainerPort, EphemeralContainer, HTTPGetAction, Lifecycle, Namespace, Node, PersistentVolumeClaim,
  PersistentVolumeClaimSpec, Pod, PodSpec, PodTemplate, PodTemplateSpec, Probe, ResourceRequirements, Secret, Volume,
} from './core/v1.js';
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from './apps/v1.js';
import type { CronJob, Job, JobSpec } from './batch/v1.js';
import type { ResourceInfo } from './resource.js';

/**
 * Defaulting as Kubernetes' API server applies it after decoding (the `SetDefaults_*` functions
 * of each API group). Each defaulter fills unset fields in place and returns the same object;
 * applying one twice changes nothing. Values that Kubernetes sets in admission rather than
 * defaulting (serviceAccountName `default`, priority, default tolerations) are in
 * `admitPodDefaults`, and strategy-time fields (namespace finalizers, Job selectors, QoS class,
 * generation) are left to the API server.
 */

/** Default mode of configMap/secret/downwardAPI/projected volume files: 0644. */
const DEFAULT_FILE_MODE = 0o644;

/** `Always` for `:latest` or untagged images, `IfNotPresent` for other tags and digests. */
export const defaultImagePullPolicy = (image: string | undefined): 'Always' | 'IfNotPresent' => {
  const ref = image ?? '';
  if (ref.includes('@')) return 'IfNotPresent';
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const tag = colon > slash ? ref.slice(colon + 1) : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
};

const defaultHTTPGet = (h: HTTPGetAction | undefined) => {
  if (!h) return;
  h.path ??= '/';
  h.scheme ??= 'HTTP';
};

const defaultProbe = (p: Probe | undefined) => {
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  defaultHTTPGet(p.httpGet);
  if (p.grpc) p.grpc.service ??= '';
};

const defaultLifecycle = (l: Lifecycle | undefined) => {
  defaultHTTPGet(l?.postStart?.httpGet);
  defaultHTTPGet(l?.preStop?.httpGet);
};

const defaultPorts = (ports: ContainerPort[] | undefined) => {
  for (const p of ports ?? []) p.protocol ??= 'TCP';
};

const defaultFieldRefs = (c: Container | EphemeralContainer) => {
  for (const e of c.env ?? []) if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
};

const defaultContainer = (c: Container | EphemeralContainer) => {
  c.imagePullPolicy ??= defaultImagePullPolicy(c.image);
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  defaultPorts(c.ports);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultLifecycle(c.lifecycle);
  defaultFieldRefs(c);
};

/** Whether a volume names any source (every field but `name` is one). */
const hasSource = (v: Volume) => {
  for (const k in v) if (k !== 'name' && v[k as keyof Volume] !== undefined) return true;
  return false;
};

const defaultVolume = (v: Volume) => {
  if (!hasSource(v)) v.emptyDir = {};
  if (v.secret) v.secret.defaultMode ??= DEFAULT_FILE_MODE;
  if (v.configMap) v.configMap.defaultMode ??= DEFAULT_FILE_MODE;
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= DEFAULT_FILE_MODE;
    for (const f of v.downwardAPI.items ?? []) if (f.fieldRef) f.fieldRef.apiVersion ??= 'v1';
  }
  if (v.projected) {
    v.projected.defaultMode ??= DEFAULT_FILE_MODE;
    for (const s of v.projected.sources ?? []) {
      if (s.serviceAccountToken) s.serviceAccountToken.expirationSeconds ??= 3600;
      for (const f of s.downwardAPI?.items ?? []) if (f.fieldRef) f.fieldRef.apiVersion ??= 'v1';
    }
  }
  if (v.hostPath) v.hostPath.type ??= '';
  if (v.ephemeral?.volumeClaimTemplate) defaultPVCSpec(v.ephemeral.volumeClaimTemplate.spec);
};

/** SetDefaults_PodSpec plus the per-container/volume defaults: what pods and pod templates share. */
export const defaultPodSpec = (spec: PodSpec): PodSpec => {
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.restartPolicy ??= 'Always';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ??= 'default-scheduler';
  // serviceAccount is the deprecated alias of serviceAccountName; conversion keeps them equal.
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  else if (spec.serviceAccountName && spec.serviceAccount !== spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c);
  for (const v of spec.volumes ?? []) defaultVolume(v);
  return spec;
};

/** Requests default to limits for each resource that has a limit and no request. */
const requestsFromLimits = (r: ResourceRequirements | undefined) => {
  if (!r?.limits) return;
  for (const [name, q] of Object.entries(r.limits)) {
    r.requests ??= {};
    r.requests[name] ??= q;
  }
};

/** With hostNetwork, a port's hostPort defaults to its containerPort. */
const hostNetworkPorts = (cs: Container[] | undefined) => {
  for (const c of cs ?? []) for (const p of c.ports ?? []) p.hostPort ??= p.containerPort;
};

/** SetDefaults_Pod: the pod spec defaults plus those that only pods (not templates) get. */
export const defaultPod = (pod: Pod): Pod => {
  const spec = pod.spec;
  if (!spec) return pod;
  defaultPodSpec(spec);
  for (const c of spec.initContainers ?? []) requestsFromLimits(c.resources);
  for (const c of spec.containers ?? []) requestsFromLimits(c.resources);
  requestsFromLimits(spec.resources);
  spec.enableServiceLinks ??= true;
  if (spec.hostNetwork) {
    hostNetworkPorts(spec.containers);
    hostNetworkPorts(spec.initContainers);
  }
  return pod;
};

const defaultTemplate = (t: PodTemplateSpec | undefined) => {
  if (t?.spec) defaultPodSpec(t.spec);
};

/**
 * What Kubernetes' admission plugins add to a new pod when nothing else is configured:
 * ServiceAccount (`serviceAccountName: default`), Priority (priority 0, preemptionPolicy
 * PreemptLowerPriority, when no priority class applies) and DefaultTolerationSeconds
 * (tolerate `not-ready`/`unreachable` NoExecute taints for 300 s). Run after `defaultPod`.
 */
export const admitPodDefaults = (pod: Pod): Pod => {
  const spec = pod.spec;
  if (!spec) return pod;
  spec.serviceAccountName ||= 'default';
  spec.serviceAccount = spec.serviceAccountName;
  if (!spec.priorityClassName) spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  const tolerations = (spec.tolerations ??= []);
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const covered = tolerations.some((t) => (!t.key || t.key === key) && (!t.effect || t.effect === 'NoExecute'));
    if (!covered) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  return pod;
};

export const defaultPodTemplate = (t: PodTemplate): PodTemplate => {
  defaultTemplate(t.template);
  return t;
};

export const defaultNode = (node: Node): Node => {
  if (node.status?.capacity && !node.status.allocatable) node.status.allocatable = { ...node.status.capacity };
  return node;
};

/** Namespaces carry their own name as the `kubernetes.io/metadata.name` label; phase starts Active. */
export const defaultNamespace = (ns: Namespace): Namespace => {
  if (ns.metadata.name) (ns.metadata.labels ??= {})['kubernetes.io/metadata.name'] = ns.metadata.name;
  (ns.status ??= {}).phase ??= 'Active';
  return ns;
};

/**
 * Secret type defaults to Opaque. `stringData` is write-only: as Kubernetes' conversion does, its
 * entries are base64-encoded into `data` (overriding keys there) and the field is dropped.
 */
export const defaultSecret = (s: Secret): Secret => {
  s.type ??= 'Opaque';
  if (s.stringData) {
    const data = (s.data ??= {});
    for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(v, 'utf8').toString('base64');
    delete s.stringData;
  }
  return s;
};

const defaultPVCSpec = (spec: PersistentVolumeClaimSpec | undefined) => {
  if (spec) spec.volumeMode ??= 'Filesystem';
};

export const defaultPersistentVolumeClaim = (pvc: PersistentVolumeClaim): PersistentVolumeClaim => {
  defaultPVCSpec(pvc.spec);
  (pvc.status ??= {}).phase ??= 'Pending';
  return pvc;
};

export const defaultReplicaSet = (rs: ReplicaSet): ReplicaSet => {
  if (!rs.spec) return rs;
  rs.spec.replicas ??= 1;
  defaultTemplate(rs.spec.template);
  return rs;
};

export const defaultDeployment = (d: Deployment): Deployment => {
  const spec = d.spec;
  if (!spec) return d;
  spec.replicas ??= 1;
  const strategy = (spec.strategy ??= {});
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec.template);
  return d;
};

export const defaultStatefulSet = (s: StatefulSet): StatefulSet => {
  const spec = s.spec;
  if (!spec) return s;
  spec.replicas ??= 1;
  spec.podManagementPolicy ??= 'OrderedReady';
  const us = (spec.updateStrategy ??= {});
  us.type ??= 'RollingUpdate';
  if (us.type === 'RollingUpdate') (us.rollingUpdate ??= {}).partition ??= 0;
  spec.revisionHistoryLimit ??= 10;
  const retention = (spec.persistentVolumeClaimRetentionPolicy ??= {});
  retention.whenDeleted ??= 'Retain';
  retention.whenScaled ??= 'Retain';
  for (const pvc of spec.volumeClaimTemplates ?? []) defaultPVCSpec(pvc.spec);
  defaultTemplate(spec.template);
  return s;
};

export const defaultDaemonSet = (ds: DaemonSet): DaemonSet => {
  const spec = ds.spec;
  if (!spec) return ds;
  const us = (spec.updateStrategy ??= {});
  us.type ??= 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = (us.rollingUpdate ??= {});
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec.template);
  return ds;
};

const defaultJobSpec = (spec: JobSpec) => {
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
  spec.parallelism ??= 1;
  // With per-index backoff the global limit is effectively unlimited.
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  for (const rule of spec.podFailurePolicy?.rules ?? []) for (const c of rule.onPodConditions ?? []) c.status ??= 'True';
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  defaultTemplate(spec.template);
};

/** A Job without labels takes its pod template's labels. */
export const defaultJob = (job: Job): Job => {
  if (!job.spec) return job;
  defaultJobSpec(job.spec);
  const labels = job.spec.template.metadata?.labels;
  if (labels && Object.keys(job.metadata.labels ?? {}).length === 0) job.metadata.labels = { ...labels };
  return job;
};

export const defaultCronJob = (cj: CronJob): CronJob => {
  const spec = cj.spec;
  if (!spec) return cj;
  spec.concurrencyPolicy ??= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  if (spec.jobTemplate.spec) defaultJobSpec(spec.jobTemplate.spec);
  return cj;
};

type Defaulter = (obj: never) => unknown;
const DEFAULTERS: Record<string, Defaulter> = {
  '/Pod': defaultPod,
  '/PodTemplate': defaultPodTemplate,
  '/Node': defaultNode,
  '/Namespace': defaultNamespace,
  '/Secret': defaultSecret,
  '/PersistentVolumeClaim': defaultPersistentVolumeClaim,
  'apps/ReplicaSet': defaultReplicaSet,
  'apps/Deployment': defaultDeployment,
  'apps/StatefulSet': defaultStatefulSet,
  'apps/DaemonSet': defaultDaemonSet,
  'batch/Job': defaultJob,
  'batch/CronJob': defaultCronJob,
};

/**
 * The API server's entry point: defaults a decoded object of the given resource in place and
 * returns it. Kinds without defaults are returned unchanged.
 */
export const applyDefaults = <T>(info: Pick<ResourceInfo, 'group' | 'kind'>, obj: T): T => {
  DEFAULTERS[`${info.group}/${info.kind}`]?.(obj as never);
  return obj;
};
