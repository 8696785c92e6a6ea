import { z } from 'zod';
import { def, int32, int64, intOrString, listOf, mapOf, microTime, quantity, time } from '../schema.js';
import { LabelSelectorSchema, ObjectMetaSchema } from '../meta/v1.js';

// core/v1. Field names, types and list semantics follow Kubernetes' OpenAPI; fields added after
// v1.27 (sidecar restartPolicy, resizePolicy, sleep hooks, hostIPs, resize, observedGeneration,
// newer ContainerStatus fields, image volumes, AppArmor) are included. Volume sources: the ones a
// single-machine cluster can serve (emptyDir, hostPath, configMap, secret, downwardAPI, projected,
// persistentVolumeClaim, ephemeral, image) plus nfs and csi; other sources are unknown fields.

export const SleepActionSchema = def('io.k8s.api.core.v1.SleepAction', {
  seconds: int64,
});
export type SleepAction = z.infer<typeof SleepActionSchema>;

export const ContainerResizePolicySchema = def('io.k8s.api.core.v1.ContainerResizePolicy', {
  resourceName: z.string(),
  restartPolicy: z.string(),
});
export type ContainerResizePolicy = z.infer<typeof ContainerResizePolicySchema>;

export const AppArmorProfileSchema = def('io.k8s.api.core.v1.AppArmorProfile', {
  localhostProfile: z.string().optional(),
  type: z.enum(['Localhost', 'RuntimeDefault', 'Unconfined']),
});
export type AppArmorProfile = z.infer<typeof AppArmorProfileSchema>;

export const HostIPSchema = def('io.k8s.api.core.v1.HostIP', {
  ip: z.string(),
});
export type HostIP = z.infer<typeof HostIPSchema>;

export const VolumeMountStatusSchema = def('io.k8s.api.core.v1.VolumeMountStatus', {
  mountPath: z.string(),
  name: z.string(),
  readOnly: z.boolean().optional(),
  recursiveReadOnly: z.string().optional(),
});
export type VolumeMountStatus = z.infer<typeof VolumeMountStatusSchema>;

export const LinuxContainerUserSchema = def('io.k8s.api.core.v1.LinuxContainerUser', {
  gid: int64,
  supplementalGroups: listOf(int64, { listType: 'atomic' }).optional(),
  uid: int64,
});

export const ContainerUserSchema = def('io.k8s.api.core.v1.ContainerUser', {
  linux: LinuxContainerUserSchema.optional(),
});
export type ContainerUser = z.infer<typeof ContainerUserSchema>;

export const ImageVolumeSourceSchema = def('io.k8s.api.core.v1.ImageVolumeSource', {
  pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  reference: z.string().optional(),
});
export type ImageVolumeSource = z.infer<typeof ImageVolumeSourceSchema>;

export const NodeSelectorRequirementSchema = def('io.k8s.api.core.v1.NodeSelectorRequirement', {
  key: z.string(),
  operator: z.enum(['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn']),
  values: z.array(z.string()).optional(),
});
export type NodeSelectorRequirement = z.infer<typeof NodeSelectorRequirementSchema>;

export const NodeSelectorTermSchema = def('io.k8s.api.core.v1.NodeSelectorTerm', {
  matchExpressions: z.array(NodeSelectorRequirementSchema).optional(),
  matchFields: z.array(NodeSelectorRequirementSchema).optional(),
}, { structType: 'atomic' });
export type NodeSelectorTerm = z.infer<typeof NodeSelectorTermSchema>;

export const PreferredSchedulingTermSchema = def('io.k8s.api.core.v1.PreferredSchedulingTerm', {
  preference: NodeSelectorTermSchema,
  weight: int32,
});
export type PreferredSchedulingTerm = z.infer<typeof PreferredSchedulingTermSchema>;

export const NodeSelectorSchema = def('io.k8s.api.core.v1.NodeSelector', {
  nodeSelectorTerms: z.array(NodeSelectorTermSchema),
}, { structType: 'atomic' });
export type NodeSelector = z.infer<typeof NodeSelectorSchema>;

export const NodeAffinitySchema = def('io.k8s.api.core.v1.NodeAffinity', {
  preferredDuringSchedulingIgnoredDuringExecution: z.array(PreferredSchedulingTermSchema).optional(),
  requiredDuringSchedulingIgnoredDuringExecution: NodeSelectorSchema.optional(),
});
export type NodeAffinity = z.infer<typeof NodeAffinitySchema>;

export const PodAffinityTermSchema = def('io.k8s.api.core.v1.PodAffinityTerm', {
  labelSelector: LabelSelectorSchema.optional(),
  namespaceSelector: LabelSelectorSchema.optional(),
  namespaces: z.array(z.string()).optional(),
  topologyKey: z.string(),
  matchLabelKeys: listOf(z.string(), { listType: 'atomic' }).optional(),
  mismatchLabelKeys: listOf(z.string(), { listType: 'atomic' }).optional(),
});
export type PodAffinityTerm = z.infer<typeof PodAffinityTermSchema>;

export const WeightedPodAffinityTermSchema = def('io.k8s.api.core.v1.WeightedPodAffinityTerm', {
  podAffinityTerm: PodAffinityTermSchema,
  weight: int32,
});
export type WeightedPodAffinityTerm = z.infer<typeof WeightedPodAffinityTermSchema>;

export const PodAffinitySchema = def('io.k8s.api.core.v1.PodAffinity', {
  preferredDuringSchedulingIgnoredDuringExecution: z.array(WeightedPodAffinityTermSchema).optional(),
  requiredDuringSchedulingIgnoredDuringExecution: z.array(PodAffinityTermSchema).optional(),
});
export type PodAffinity = z.infer<typeof PodAffinitySchema>;

export const PodAntiAffinitySchema = def('io.k8s.api.core.v1.PodAntiAffinity', {
  preferredDuringSchedulingIgnoredDuringExecution: z.array(WeightedPodAffinityTermSchema).optional(),
  requiredDuringSchedulingIgnoredDuringExecution: z.array(PodAffinityTermSchema).optional(),
});
export type PodAntiAffinity = z.infer<typeof PodAntiAffinitySchema>;

export const AffinitySchema = def('io.k8s.api.core.v1.Affinity', {
  nodeAffinity: NodeAffinitySchema.optional(),
  podAffinity: PodAffinitySchema.optional(),
  podAntiAffinity: PodAntiAffinitySchema.optional(),
});
export type Affinity = z.infer<typeof AffinitySchema>;

export const ConfigMapKeySelectorSchema = def('io.k8s.api.core.v1.ConfigMapKeySelector', {
  key: z.string(),
  name: z.string().optional(),
  optional: z.boolean().optional(),
}, { structType: 'atomic' });
export type ConfigMapKeySelector = z.infer<typeof ConfigMapKeySelectorSchema>;

export const ObjectFieldSelectorSchema = def('io.k8s.api.core.v1.ObjectFieldSelector', {
  apiVersion: z.string().optional(),
  fieldPath: z.string(),
}, { structType: 'atomic' });
export type ObjectFieldSelector = z.infer<typeof ObjectFieldSelectorSchema>;

export const ResourceFieldSelectorSchema = def('io.k8s.api.core.v1.ResourceFieldSelector', {
  containerName: z.string().optional(),
  divisor: quantity.optional(),
  resource: z.string(),
}, { structType: 'atomic' });
export type ResourceFieldSelector = z.infer<typeof ResourceFieldSelectorSchema>;

export const SecretKeySelectorSchema = def('io.k8s.api.core.v1.SecretKeySelector', {
  key: z.string(),
  name: z.string().optional(),
  optional: z.boolean().optional(),
}, { structType: 'atomic' });
export type SecretKeySelector = z.infer<typeof SecretKeySelectorSchema>;

export const EnvVarSourceSchema = def('io.k8s.api.core.v1.EnvVarSource', {
  configMapKeyRef: ConfigMapKeySelectorSchema.optional(),
  fieldRef: ObjectFieldSelectorSchema.optional(),
  resourceFieldRef: ResourceFieldSelectorSchema.optional(),
  secretKeyRef: SecretKeySelectorSchema.optional(),
});
export type EnvVarSource = z.infer<typeof EnvVarSourceSchema>;

export const EnvVarSchema = def('io.k8s.api.core.v1.EnvVar', {
  name: z.string(),
  value: z.string().optional(),
  valueFrom: EnvVarSourceSchema.optional(),
});
export type EnvVar = z.infer<typeof EnvVarSchema>;

export const ConfigMapEnvSourceSchema = def('io.k8s.api.core.v1.ConfigMapEnvSource', {
  name: z.string().optional(),
  optional: z.boolean().optional(),
});
export type ConfigMapEnvSource = z.infer<typeof ConfigMapEnvSourceSchema>;

export const SecretEnvSourceSchema = def('io.k8s.api.core.v1.SecretEnvSource', {
  name: z.string().optional(),
  optional: z.boolean().optional(),
});
export type SecretEnvSource = z.infer<typeof SecretEnvSourceSchema>;

export const EnvFromSourceSchema = def('io.k8s.api.core.v1.EnvFromSource', {
  configMapRef: ConfigMapEnvSourceSchema.optional(),
  prefix: z.string().optional(),
  secretRef: SecretEnvSourceSchema.optional(),
});
export type EnvFromSource = z.infer<typeof EnvFromSourceSchema>;

export const ExecActionSchema = def('io.k8s.api.core.v1.ExecAction', {
  command: z.array(z.string()).optional(),
});
export type ExecAction = z.infer<typeof ExecActionSchema>;

export const HTTPHeaderSchema = def('io.k8s.api.core.v1.HTTPHeader', {
  name: z.string(),
  value: z.string(),
});
export type HTTPHeader = z.infer<typeof HTTPHeaderSchema>;

export const HTTPGetActionSchema = def('io.k8s.api.core.v1.HTTPGetAction', {
  host: z.string().optional(),
  httpHeaders: z.array(HTTPHeaderSchema).optional(),
  path: z.string().optional(),
  port: intOrString,
  scheme: z.enum(['HTTP', 'HTTPS']).optional(),
});
export type HTTPGetAction = z.infer<typeof HTTPGetActionSchema>;

export const TCPSocketActionSchema = def('io.k8s.api.core.v1.TCPSocketAction', {
  host: z.string().optional(),
  port: intOrString,
});
export type TCPSocketAction = z.infer<typeof TCPSocketActionSchema>;

export const LifecycleHandlerSchema = def('io.k8s.api.core.v1.LifecycleHandler', {
  exec: ExecActionSchema.optional(),
  httpGet: HTTPGetActionSchema.optional(),
  tcpSocket: TCPSocketActionSchema.optional(),
  sleep: SleepActionSchema.optional(),
});
export type LifecycleHandler = z.infer<typeof LifecycleHandlerSchema>;

export const LifecycleSchema = def('io.k8s.api.core.v1.Lifecycle', {
  postStart: LifecycleHandlerSchema.optional(),
  preStop: LifecycleHandlerSchema.optional(),
});
export type Lifecycle = z.infer<typeof LifecycleSchema>;

export const GRPCActionSchema = def('io.k8s.api.core.v1.GRPCAction', {
  port: int32,
  service: z.string().optional(),
});
export type GRPCAction = z.infer<typeof GRPCActionSchema>;

export const ProbeSchema = def('io.k8s.api.core.v1.Probe', {
  exec: ExecActionSchema.optional(),
  failureThreshold: int32.optional(),
  grpc: GRPCActionSchema.optional(),
  httpGet: HTTPGetActionSchema.optional(),
  initialDelaySeconds: int32.optional(),
  periodSeconds: int32.optional(),
  successThreshold: int32.optional(),
  tcpSocket: TCPSocketActionSchema.optional(),
  terminationGracePeriodSeconds: int64.optional(),
  timeoutSeconds: int32.optional(),
});
export type Probe = z.infer<typeof ProbeSchema>;

export const ContainerPortSchema = def('io.k8s.api.core.v1.ContainerPort', {
  containerPort: int32,
  hostIP: z.string().optional(),
  hostPort: int32.optional(),
  name: z.string().optional(),
  protocol: z.enum(['SCTP', 'TCP', 'UDP']).optional(),
});
export type ContainerPort = z.infer<typeof ContainerPortSchema>;

export const ResourceClaimSchema = def('io.k8s.api.core.v1.ResourceClaim', {
  name: z.string(),
});
export type ResourceClaim = z.infer<typeof ResourceClaimSchema>;

export const ResourceRequirementsSchema = def('io.k8s.api.core.v1.ResourceRequirements', {
  claims: listOf(ResourceClaimSchema, { listType: 'map', listMapKeys: ['name'] }).optional(),
  limits: mapOf(quantity).optional(),
  requests: mapOf(quantity).optional(),
});
export type ResourceRequirements = z.infer<typeof ResourceRequirementsSchema>;

export const CapabilitiesSchema = def('io.k8s.api.core.v1.Capabilities', {
  add: z.array(z.string()).optional(),
  drop: z.array(z.string()).optional(),
});
export type Capabilities = z.infer<typeof CapabilitiesSchema>;

export const SELinuxOptionsSchema = def('io.k8s.api.core.v1.SELinuxOptions', {
  level: z.string().optional(),
  role: z.string().optional(),
  type: z.string().optional(),
  user: z.string().optional(),
});
export type SELinuxOptions = z.infer<typeof SELinuxOptionsSchema>;

export const SeccompProfileSchema = def('io.k8s.api.core.v1.SeccompProfile', {
  localhostProfile: z.string().optional(),
  type: z.enum(['Localhost', 'RuntimeDefault', 'Unconfined']),
});
export type SeccompProfile = z.infer<typeof SeccompProfileSchema>;

export const WindowsSecurityContextOptionsSchema = def('io.k8s.api.core.v1.WindowsSecurityContextOptions', {
  gmsaCredentialSpec: z.string().optional(),
  gmsaCredentialSpecName: z.string().optional(),
  hostProcess: z.boolean().optional(),
  runAsUserName: z.string().optional(),
});
export type WindowsSecurityContextOptions = z.infer<typeof WindowsSecurityContextOptionsSchema>;

export const SecurityContextSchema = def('io.k8s.api.core.v1.SecurityContext', {
  allowPrivilegeEscalation: z.boolean().optional(),
  capabilities: CapabilitiesSchema.optional(),
  privileged: z.boolean().optional(),
  procMount: z.enum(['Default', 'Unmasked']).optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  runAsGroup: int64.optional(),
  runAsNonRoot: z.boolean().optional(),
  runAsUser: int64.optional(),
  seLinuxOptions: SELinuxOptionsSchema.optional(),
  seccompProfile: SeccompProfileSchema.optional(),
  windowsOptions: WindowsSecurityContextOptionsSchema.optional(),
  appArmorProfile: AppArmorProfileSchema.optional(),
});
export type SecurityContext = z.infer<typeof SecurityContextSchema>;

export const VolumeDeviceSchema = def('io.k8s.api.core.v1.VolumeDevice', {
  devicePath: z.string(),
  name: z.string(),
});
export type VolumeDevice = z.infer<typeof VolumeDeviceSchema>;

export const VolumeMountSchema = def('io.k8s.api.core.v1.VolumeMount', {
  mountPath: z.string(),
  mountPropagation: z.enum(['Bidirectional', 'HostToContainer', 'None']).optional(),
  name: z.string(),
  readOnly: z.boolean().optional(),
  subPath: z.string().optional(),
  subPathExpr: z.string().optional(),
  recursiveReadOnly: z.string().optional(),
});
export type VolumeMount = z.infer<typeof VolumeMountSchema>;

/** The fields Container and EphemeralContainer share (the API defines them twice with one shape). */
const containerFields = {
  args: z.array(z.string()).optional(),
  command: z.array(z.string()).optional(),
  env: listOf(EnvVarSchema, { patchMergeKey: 'name', patchStrategy: 'merge' }).optional(),
  envFrom: z.array(EnvFromSourceSchema).optional(),
  image: z.string().optional(),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  lifecycle: LifecycleSchema.optional(),
  livenessProbe: ProbeSchema.optional(),
  name: z.string(),
  ports: listOf(ContainerPortSchema, { listType: 'map', listMapKeys: ['containerPort',  'protocol'], patchMergeKey: 'containerPort', patchStrategy: 'merge' }).optional(),
  readinessProbe: ProbeSchema.optional(),
  resources: ResourceRequirementsSchema.optional(),
  securityContext: SecurityContextSchema.optional(),
  startupProbe: ProbeSchema.optional(),
  stdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  terminationMessagePath: z.string().optional(),
  terminationMessagePolicy: z.enum(['FallbackToLogsOnError', 'File']).optional(),
  tty: z.boolean().optional(),
  volumeDevices: listOf(VolumeDeviceSchema, { patchMergeKey: 'devicePath', patchStrategy: 'merge' }).optional(),
  volumeMounts: listOf(VolumeMountSchema, { patchMergeKey: 'mountPath', patchStrategy: 'merge' }).optional(),
  workingDir: z.string().optional(),
  resizePolicy: listOf(ContainerResizePolicySchema, { listType: 'atomic' }).optional(),
  /** `Always` on an init container makes it a sidecar (restartable init container). */
  restartPolicy: z.string().optional(),
};

export const ContainerSchema = def('io.k8s.api.core.v1.Container', containerFields);
export type Container = z.infer<typeof ContainerSchema>;

export const PodDNSConfigOptionSchema = def('io.k8s.api.core.v1.PodDNSConfigOption', {
  name: z.string().optional(),
  value: z.string().optional(),
});
export type PodDNSConfigOption = z.infer<typeof PodDNSConfigOptionSchema>;

export const PodDNSConfigSchema = def('io.k8s.api.core.v1.PodDNSConfig', {
  nameservers: z.array(z.string()).optional(),
  options: z.array(PodDNSConfigOptionSchema).optional(),
  searches: z.array(z.string()).optional(),
});
export type PodDNSConfig = z.infer<typeof PodDNSConfigSchema>;

export const EphemeralContainerSchema = def('io.k8s.api.core.v1.EphemeralContainer', {
  ...containerFields,
  targetContainerName: z.string().optional(),
});
export type EphemeralContainer = z.infer<typeof EphemeralContainerSchema>;

export const HostAliasSchema = def('io.k8s.api.core.v1.HostAlias', {
  hostnames: z.array(z.string()).optional(),
  ip: z.string().optional(),
});
export type HostAlias = z.infer<typeof HostAliasSchema>;

export const LocalObjectReferenceSchema = def('io.k8s.api.core.v1.LocalObjectReference', {
  name: z.string().optional(),
}, { structType: 'atomic' });
export type LocalObjectReference = z.infer<typeof LocalObjectReferenceSchema>;

export const PodOSSchema = def('io.k8s.api.core.v1.PodOS', {
  name: z.string(),
});
export type PodOS = z.infer<typeof PodOSSchema>;

export const PodReadinessGateSchema = def('io.k8s.api.core.v1.PodReadinessGate', {
  conditionType: z.string(),
});
export type PodReadinessGate = z.infer<typeof PodReadinessGateSchema>;

export const ClaimSourceSchema = def('io.k8s.api.core.v1.ClaimSource', {
  resourceClaimName: z.string().optional(),
  resourceClaimTemplateName: z.string().optional(),
});
export type ClaimSource = z.infer<typeof ClaimSourceSchema>;

export const PodResourceClaimSchema = def('io.k8s.api.core.v1.PodResourceClaim', {
  name: z.string(),
  source: ClaimSourceSchema.optional(),
});
export type PodResourceClaim = z.infer<typeof PodResourceClaimSchema>;

export const PodSchedulingGateSchema = def('io.k8s.api.core.v1.PodSchedulingGate', {
  name: z.string(),
});
export type PodSchedulingGate = z.infer<typeof PodSchedulingGateSchema>;

export const SysctlSchema = def('io.k8s.api.core.v1.Sysctl', {
  name: z.string(),
  value: z.string(),
});
export type Sysctl = z.infer<typeof SysctlSchema>;

export const PodSecurityContextSchema = def('io.k8s.api.core.v1.PodSecurityContext', {
  fsGroup: int64.optional(),
  fsGroupChangePolicy: z.enum(['Always', 'OnRootMismatch']).optional(),
  runAsGroup: int64.optional(),
  runAsNonRoot: z.boolean().optional(),
  runAsUser: int64.optional(),
  seLinuxOptions: SELinuxOptionsSchema.optional(),
  seccompProfile: SeccompProfileSchema.optional(),
  supplementalGroups: z.array(int64).optional(),
  sysctls: z.array(SysctlSchema).optional(),
  windowsOptions: WindowsSecurityContextOptionsSchema.optional(),
  appArmorProfile: AppArmorProfileSchema.optional(),
  seLinuxChangePolicy: z.string().optional(),
  supplementalGroupsPolicy: z.string().optional(),
});
export type PodSecurityContext = z.infer<typeof PodSecurityContextSchema>;

export const TolerationSchema = def('io.k8s.api.core.v1.Toleration', {
  effect: z.enum(['', 'NoExecute', 'NoSchedule', 'PreferNoSchedule']).optional(),
  key: z.string().optional(),
  operator: z.enum(['', 'Equal', 'Exists']).optional(),
  tolerationSeconds: int64.optional(),
  value: z.string().optional(),
});
export type Toleration = z.infer<typeof TolerationSchema>;

export const TopologySpreadConstraintSchema = def('io.k8s.api.core.v1.TopologySpreadConstraint', {
  labelSelector: LabelSelectorSchema.optional(),
  matchLabelKeys: listOf(z.string(), { listType: 'atomic' }).optional(),
  maxSkew: int32,
  minDomains: int32.optional(),
  nodeAffinityPolicy: z.enum(['Honor', 'Ignore']).optional(),
  nodeTaintsPolicy: z.enum(['Honor', 'Ignore']).optional(),
  topologyKey: z.string(),
  whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']),
});
export type TopologySpreadConstraint = z.infer<typeof TopologySpreadConstraintSchema>;

export const KeyToPathSchema = def('io.k8s.api.core.v1.KeyToPath', {
  key: z.string(),
  mode: int32.optional(),
  path: z.string(),
});
export type KeyToPath = z.infer<typeof KeyToPathSchema>;

export const ConfigMapVolumeSourceSchema = def('io.k8s.api.core.v1.ConfigMapVolumeSource', {
  defaultMode: int32.optional(),
  items: z.array(KeyToPathSchema).optional(),
  name: z.string().optional(),
  optional: z.boolean().optional(),
});
export type ConfigMapVolumeSource = z.infer<typeof ConfigMapVolumeSourceSchema>;

export const CSIVolumeSourceSchema = def('io.k8s.api.core.v1.CSIVolumeSource', {
  driver: z.string(),
  fsType: z.string().optional(),
  nodePublishSecretRef: LocalObjectReferenceSchema.optional(),
  readOnly: z.boolean().optional(),
  volumeAttributes: mapOf(z.string()).optional(),
});
export type CSIVolumeSource = z.infer<typeof CSIVolumeSourceSchema>;

export const DownwardAPIVolumeFileSchema = def('io.k8s.api.core.v1.DownwardAPIVolumeFile', {
  fieldRef: ObjectFieldSelectorSchema.optional(),
  mode: int32.optional(),
  path: z.string(),
  resourceFieldRef: ResourceFieldSelectorSchema.optional(),
});
export type DownwardAPIVolumeFile = z.infer<typeof DownwardAPIVolumeFileSchema>;

export const DownwardAPIVolumeSourceSchema = def('io.k8s.api.core.v1.DownwardAPIVolumeSource', {
  defaultMode: int32.optional(),
  items: z.array(DownwardAPIVolumeFileSchema).optional(),
});
export type DownwardAPIVolumeSource = z.infer<typeof DownwardAPIVolumeSourceSchema>;

export const EmptyDirVolumeSourceSchema = def('io.k8s.api.core.v1.EmptyDirVolumeSource', {
  medium: z.string().optional(),
  sizeLimit: quantity.optional(),
});
export type EmptyDirVolumeSource = z.infer<typeof EmptyDirVolumeSourceSchema>;

export const TypedLocalObjectReferenceSchema = def('io.k8s.api.core.v1.TypedLocalObjectReference', {
  apiGroup: z.string().optional(),
  kind: z.string(),
  name: z.string(),
}, { structType: 'atomic' });
export type TypedLocalObjectReference = z.infer<typeof TypedLocalObjectReferenceSchema>;

export const TypedObjectReferenceSchema = def('io.k8s.api.core.v1.TypedObjectReference', {
  apiGroup: z.string().optional(),
  kind: z.string(),
  name: z.string(),
  namespace: z.string().optional(),
});
export type TypedObjectReference = z.infer<typeof TypedObjectReferenceSchema>;

export const PersistentVolumeClaimSpecSchema = def('io.k8s.api.core.v1.PersistentVolumeClaimSpec', {
  accessModes: z.array(z.string()).optional(),
  dataSource: TypedLocalObjectReferenceSchema.optional(),
  dataSourceRef: TypedObjectReferenceSchema.optional(),
  resources: ResourceRequirementsSchema.optional(),
  selector: LabelSelectorSchema.optional(),
  storageClassName: z.string().optional(),
  volumeMode: z.enum(['Block', 'Filesystem']).optional(),
  volumeName: z.string().optional(),
});
export type PersistentVolumeClaimSpec = z.infer<typeof PersistentVolumeClaimSpecSchema>;

export const PersistentVolumeClaimTemplateSchema = def('io.k8s.api.core.v1.PersistentVolumeClaimTemplate', {
  metadata: ObjectMetaSchema.optional(),
  spec: PersistentVolumeClaimSpecSchema,
});
export type PersistentVolumeClaimTemplate = z.infer<typeof PersistentVolumeClaimTemplateSchema>;

export const EphemeralVolumeSourceSchema = def('io.k8s.api.core.v1.EphemeralVolumeSource', {
  volumeClaimTemplate: PersistentVolumeClaimTemplateSchema.optional(),
});
export type EphemeralVolumeSource = z.infer<typeof EphemeralVolumeSourceSchema>;

export const HostPathVolumeSourceSchema = def('io.k8s.api.core.v1.HostPathVolumeSource', {
  path: z.string(),
  type: z.enum(['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket']).optional(),
});
export type HostPathVolumeSource = z.infer<typeof HostPathVolumeSourceSchema>;

export const NFSVolumeSourceSchema = def('io.k8s.api.core.v1.NFSVolumeSource', {
  path: z.string(),
  readOnly: z.boolean().optional(),
  server: z.string(),
});
export type NFSVolumeSource = z.infer<typeof NFSVolumeSourceSchema>;

export const PersistentVolumeClaimVolumeSourceSchema = def('io.k8s.api.core.v1.PersistentVolumeClaimVolumeSource', {
  claimName: z.string(),
  readOnly: z.boolean().optional(),
});
export type PersistentVolumeClaimVolumeSource = z.infer<typeof PersistentVolumeClaimVolumeSourceSchema>;

export const ConfigMapProjectionSchema = def('io.k8s.api.core.v1.ConfigMapProjection', {
  items: z.array(KeyToPathSchema).optional(),
  name: z.string().optional(),
  optional: z.boolean().optional(),
});
export type ConfigMapProjection = z.infer<typeof ConfigMapProjectionSchema>;

export const DownwardAPIProjectionSchema = def('io.k8s.api.core.v1.DownwardAPIProjection', {
  items: z.array(DownwardAPIVolumeFileSchema).optional(),
});
export type DownwardAPIProjection = z.infer<typeof DownwardAPIProjectionSchema>;

export const SecretProjectionSchema = def('io.k8s.api.core.v1.SecretProjection', {
  items: z.array(KeyToPathSchema).optional(),
  name: z.string().optional(),
  optional: z.boolean().optional(),
});
export type SecretProjection = z.infer<typeof SecretProjectionSchema>;

export const ServiceAccountTokenProjectionSchema = def('io.k8s.api.core.v1.ServiceAccountTokenProjection', {
  audience: z.string().optional(),
  expirationSeconds: int64.optional(),
  path: z.string(),
});
export type ServiceAccountTokenProjection = z.infer<typeof ServiceAccountTokenProjectionSchema>;

export const VolumeProjectionSchema = def('io.k8s.api.core.v1.VolumeProjection', {
  configMap: ConfigMapProjectionSchema.optional(),
  downwardAPI: DownwardAPIProjectionSchema.optional(),
  secret: SecretProjectionSchema.optional(),
  serviceAccountToken: ServiceAccountTokenProjectionSchema.optional(),
});
export type VolumeProjection = z.infer<typeof VolumeProjectionSchema>;

export const ProjectedVolumeSourceSchema = def('io.k8s.api.core.v1.ProjectedVolumeSource', {
  defaultMode: int32.optional(),
  sources: z.array(VolumeProjectionSchema).optional(),
});
export type ProjectedVolumeSource = z.infer<typeof ProjectedVolumeSourceSchema>;

export const SecretVolumeSourceSchema = def('io.k8s.api.core.v1.SecretVolumeSource', {
  defaultMode: int32.optional(),
  items: z.array(KeyToPathSchema).optional(),
  optional: z.boolean().optional(),
  secretName: z.string().optional(),
});
export type SecretVolumeSource = z.infer<typeof SecretVolumeSourceSchema>;

export const VolumeSchema = def('io.k8s.api.core.v1.Volume', {
  configMap: ConfigMapVolumeSourceSchema.optional(),
  csi: CSIVolumeSourceSchema.optional(),
  downwardAPI: DownwardAPIVolumeSourceSchema.optional(),
  emptyDir: EmptyDirVolumeSourceSchema.optional(),
  ephemeral: EphemeralVolumeSourceSchema.optional(),
  hostPath: HostPathVolumeSourceSchema.optional(),
  name: z.string(),
  nfs: NFSVolumeSourceSchema.optional(),
  persistentVolumeClaim: PersistentVolumeClaimVolumeSourceSchema.optional(),
  projected: ProjectedVolumeSourceSchema.optional(),
  secret: SecretVolumeSourceSchema.optional(),
  image: ImageVolumeSourceSchema.optional(),
});
export type Volume = z.infer<typeof VolumeSchema>;

export const PodSpecSchema = def('io.k8s.api.core.v1.PodSpec', {
  activeDeadlineSeconds: int64.optional(),
  affinity: AffinitySchema.optional(),
  automountServiceAccountToken: z.boolean().optional(),
  containers: listOf(ContainerSchema, { patchMergeKey: 'name', patchStrategy: 'merge' }),
  dnsConfig: PodDNSConfigSchema.optional(),
  dnsPolicy: z.enum(['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']).optional(),
  enableServiceLinks: z.boolean().optional(),
  ephemeralContainers: listOf(EphemeralContainerSchema, { patchMergeKey: 'name', patchStrategy: 'merge' }).optional(),
  hostAliases: listOf(HostAliasSchema, { patchMergeKey: 'ip', patchStrategy: 'merge' }).optional(),
  hostIPC: z.boolean().optional(),
  hostNetwork: z.boolean().optional(),
  hostPID: z.boolean().optional(),
  hostUsers: z.boolean().optional(),
  hostname: z.string().optional(),
  imagePullSecrets: listOf(LocalObjectReferenceSchema, { patchMergeKey: 'name', patchStrategy: 'merge' }).optional(),
  initContainers: listOf(ContainerSchema, { patchMergeKey: 'name', patchStrategy: 'merge' }).optional(),
  nodeName: z.string().optional(),
  nodeSelector: mapOf(z.string(), { mapType: 'atomic' }).optional(),
  os: PodOSSchema.optional(),
  overhead: mapOf(quantity).optional(),
  preemptionPolicy: z.enum(['Never', 'PreemptLowerPriority']).optional(),
  priority: int32.optional(),
  priorityClassName: z.string().optional(),
  readinessGates: z.array(PodReadinessGateSchema).optional(),
  resourceClaims: listOf(PodResourceClaimSchema, { listType: 'map', listMapKeys: ['name'], patchMergeKey: 'name', patchStrategy: 'merge,retainKeys' }).optional(),
  restartPolicy: z.enum(['Always', 'Never', 'OnFailure']).optional(),
  runtimeClassName: z.string().optional(),
  schedulerName: z.string().optional(),
  schedulingGates: listOf(PodSchedulingGateSchema, { listType: 'map', listMapKeys: ['name'], patchMergeKey: 'name', patchStrategy: 'merge' }).optional(),
  securityContext: PodSecurityContextSchema.optional(),
  serviceAccount: z.string().optional(),
  serviceAccountName: z.string().optional(),
  setHostnameAsFQDN: z.boolean().optional(),
  shareProcessNamespace: z.boolean().optional(),
  subdomain: z.string().optional(),
  terminationGracePeriodSeconds: int64.optional(),
  tolerations: z.array(TolerationSchema).optional(),
  topologySpreadConstraints: listOf(TopologySpreadConstraintSchema, { listType: 'map', listMapKeys: ['topologyKey',  'whenUnsatisfiable'], patchMergeKey: 'topologyKey', patchStrategy: 'merge' }).optional(),
  volumes: listOf(VolumeSchema, { patchMergeKey: 'name', patchStrategy: 'merge,retainKeys' }).optional(),
  /** Pod-level resources (PodLevelResources). */
  resources: ResourceRequirementsSchema.optional(),
});
export type PodSpec = z.infer<typeof PodSpecSchema>;

export const PodConditionSchema = def('io.k8s.api.core.v1.PodCondition', {
  lastProbeTime: time.optional(),
  lastTransitionTime: time.optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  status: z.string(),
  type: z.string(),
  observedGeneration: int64.optional(),
});
export type PodCondition = z.infer<typeof PodConditionSchema>;

export const ContainerStateRunningSchema = def('io.k8s.api.core.v1.ContainerStateRunning', {
  startedAt: time.optional(),
});
export type ContainerStateRunning = z.infer<typeof ContainerStateRunningSchema>;

export const ContainerStateTerminatedSchema = def('io.k8s.api.core.v1.ContainerStateTerminated', {
  containerID: z.string().optional(),
  exitCode: int32,
  finishedAt: time.optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  signal: int32.optional(),
  startedAt: time.optional(),
});
export type ContainerStateTerminated = z.infer<typeof ContainerStateTerminatedSchema>;

export const ContainerStateWaitingSchema = def('io.k8s.api.core.v1.ContainerStateWaiting', {
  message: z.string().optional(),
  reason: z.string().optional(),
});
export type ContainerStateWaiting = z.infer<typeof ContainerStateWaitingSchema>;

export const ContainerStateSchema = def('io.k8s.api.core.v1.ContainerState', {
  running: ContainerStateRunningSchema.optional(),
  terminated: ContainerStateTerminatedSchema.optional(),
  waiting: ContainerStateWaitingSchema.optional(),
});
export type ContainerState = z.infer<typeof ContainerStateSchema>;

export const ContainerStatusSchema = def('io.k8s.api.core.v1.ContainerStatus', {
  containerID: z.string().optional(),
  image: z.string(),
  imageID: z.string(),
  lastState: ContainerStateSchema.optional(),
  name: z.string(),
  ready: z.boolean(),
  restartCount: int32,
  started: z.boolean().optional(),
  state: ContainerStateSchema.optional(),
  allocatedResources: mapOf(quantity).optional(),
  resources: ResourceRequirementsSchema.optional(),
  volumeMounts: listOf(VolumeMountStatusSchema, { listType: 'atomic', patchMergeKey: 'mountPath', patchStrategy: 'merge' }).optional(),
  user: ContainerUserSchema.optional(),
  stopSignal: z.string().optional(),
});
export type ContainerStatus = z.infer<typeof ContainerStatusSchema>;

export const PodIPSchema = def('io.k8s.api.core.v1.PodIP', {
  ip: z.string().optional(),
});
export type PodIP = z.infer<typeof PodIPSchema>;

export const PodStatusSchema = def('io.k8s.api.core.v1.PodStatus', {
  conditions: listOf(PodConditionSchema, { patchMergeKey: 'type', patchStrategy: 'merge' }).optional(),
  containerStatuses: z.array(ContainerStatusSchema).optional(),
  ephemeralContainerStatuses: z.array(ContainerStatusSchema).optional(),
  hostIP: z.string().optional(),
  initContainerStatuses: z.array(ContainerStatusSchema).optional(),
  message: z.string().optional(),
  nominatedNodeName: z.string().optional(),
  phase: z.enum(['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown']).optional(),
  podIP: z.string().optional(),
  podIPs: listOf(PodIPSchema, { patchMergeKey: 'ip', patchStrategy: 'merge' }).optional(),
  qosClass: z.enum(['BestEffort', 'Burstable', 'Guaranteed']).optional(),
  reason: z.string().optional(),
  startTime: time.optional(),
  hostIPs: listOf(HostIPSchema, { listType: 'atomic', patchMergeKey: 'ip', patchStrategy: 'merge' }).optional(),
  /** In-place resize progress: `Proposed`, `InProgress`, `Deferred`, `Infeasible` (deprecated for conditions in 1.33). */
  resize: z.string().optional(),
  observedGeneration: int64.optional(),
});
export type PodStatus = z.infer<typeof PodStatusSchema>;

export const PodSchema = def('io.k8s.api.core.v1.Pod', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: PodSpecSchema.optional(),
  status: PodStatusSchema.optional(),
}, { gvk: { group: '', version: 'v1', kind: 'Pod' } });
export type Pod = z.infer<typeof PodSchema>;

export const ConfigMapNodeConfigSourceSchema = def('io.k8s.api.core.v1.ConfigMapNodeConfigSource', {
  kubeletConfigKey: z.string(),
  name: z.string(),
  namespace: z.string(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
});
export type ConfigMapNodeConfigSource = z.infer<typeof ConfigMapNodeConfigSourceSchema>;

export const NodeConfigSourceSchema = def('io.k8s.api.core.v1.NodeConfigSource', {
  configMap: ConfigMapNodeConfigSourceSchema.optional(),
});
export type NodeConfigSource = z.infer<typeof NodeConfigSourceSchema>;

export const TaintSchema = def('io.k8s.api.core.v1.Taint', {
  effect: z.enum(['NoExecute', 'NoSchedule', 'PreferNoSchedule']),
  key: z.string(),
  timeAdded: time.optional(),
  value: z.string().optional(),
});
export type Taint = z.infer<typeof TaintSchema>;

export const NodeSpecSchema = def('io.k8s.api.core.v1.NodeSpec', {
  configSource: NodeConfigSourceSchema.optional(),
  externalID: z.string().optional(),
  podCIDR: z.string().optional(),
  podCIDRs: listOf(z.string(), { patchStrategy: 'merge' }).optional(),
  providerID: z.string().optional(),
  taints: z.array(TaintSchema).optional(),
  unschedulable: z.boolean().optional(),
});
export type NodeSpec = z.infer<typeof NodeSpecSchema>;

export const NodeAddressSchema = def('io.k8s.api.core.v1.NodeAddress', {
  address: z.string(),
  type: z.string(),
});
export type NodeAddress = z.infer<typeof NodeAddressSchema>;

export const NodeConditionSchema = def('io.k8s.api.core.v1.NodeCondition', {
  lastHeartbeatTime: time.optional(),
  lastTransitionTime: time.optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  status: z.string(),
  type: z.string(),
});
export type NodeCondition = z.infer<typeof NodeConditionSchema>;

export const NodeConfigStatusSchema = def('io.k8s.api.core.v1.NodeConfigStatus', {
  active: NodeConfigSourceSchema.optional(),
  assigned: NodeConfigSourceSchema.optional(),
  error: z.string().optional(),
  lastKnownGood: NodeConfigSourceSchema.optional(),
});
export type NodeConfigStatus = z.infer<typeof NodeConfigStatusSchema>;

export const DaemonEndpointSchema = def('io.k8s.api.core.v1.DaemonEndpoint', {
  Port: int32,
});
export type DaemonEndpoint = z.infer<typeof DaemonEndpointSchema>;

export const NodeDaemonEndpointsSchema = def('io.k8s.api.core.v1.NodeDaemonEndpoints', {
  kubeletEndpoint: DaemonEndpointSchema.optional(),
});
export type NodeDaemonEndpoints = z.infer<typeof NodeDaemonEndpointsSchema>;

export const ContainerImageSchema = def('io.k8s.api.core.v1.ContainerImage', {
  names: z.array(z.string()).optional(),
  sizeBytes: int64.optional(),
});
export type ContainerImage = z.infer<typeof ContainerImageSchema>;

export const NodeSystemInfoSchema = def('io.k8s.api.core.v1.NodeSystemInfo', {
  architecture: z.string(),
  bootID: z.string(),
  containerRuntimeVersion: z.string(),
  kernelVersion: z.string(),
  kubeProxyVersion: z.string(),
  kubeletVersion: z.string(),
  machineID: z.string(),
  operatingSystem: z.string(),
  osImage: z.string(),
  systemUUID: z.string(),
});
export type NodeSystemInfo = z.infer<typeof NodeSystemInfoSchema>;

export const AttachedVolumeSchema = def('io.k8s.api.core.v1.AttachedVolume', {
  devicePath: z.string(),
  name: z.string(),
});
export type AttachedVolume = z.infer<typeof AttachedVolumeSchema>;

export const NodeStatusSchema = def('io.k8s.api.core.v1.NodeStatus', {
  addresses: listOf(NodeAddressSchema, { patchMergeKey: 'type', patchStrategy: 'merge' }).optional(),
  allocatable: mapOf(quantity).optional(),
  capacity: mapOf(quantity).optional(),
  conditions: listOf(NodeConditionSchema, { patchMergeKey: 'type', patchStrategy: 'merge' }).optional(),
  config: NodeConfigStatusSchema.optional(),
  daemonEndpoints: NodeDaemonEndpointsSchema.optional(),
  images: z.array(ContainerImageSchema).optional(),
  nodeInfo: NodeSystemInfoSchema.optional(),
  phase: z.string().optional(),
  volumesAttached: z.array(AttachedVolumeSchema).optional(),
  volumesInUse: z.array(z.string()).optional(),
});
export type NodeStatus = z.infer<typeof NodeStatusSchema>;

export const NodeSchema = def('io.k8s.api.core.v1.Node', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: NodeSpecSchema.optional(),
  status: NodeStatusSchema.optional(),
}, { gvk: { group: '', version: 'v1', kind: 'Node' } });
export type Node = z.infer<typeof NodeSchema>;

export const NamespaceSpecSchema = def('io.k8s.api.core.v1.NamespaceSpec', {
  finalizers: z.array(z.string()).optional(),
});
export type NamespaceSpec = z.infer<typeof NamespaceSpecSchema>;

export const NamespaceConditionSchema = def('io.k8s.api.core.v1.NamespaceCondition', {
  lastTransitionTime: time.optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  status: z.string(),
  type: z.string(),
});
export type NamespaceCondition = z.infer<typeof NamespaceConditionSchema>;

export const NamespaceStatusSchema = def('io.k8s.api.core.v1.NamespaceStatus', {
  conditions: listOf(NamespaceConditionSchema, { patchMergeKey: 'type', patchStrategy: 'merge' }).optional(),
  phase: z.enum(['Active', 'Terminating']).optional(),
});
export type NamespaceStatus = z.infer<typeof NamespaceStatusSchema>;

export const NamespaceSchema = def('io.k8s.api.core.v1.Namespace', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: NamespaceSpecSchema.optional(),
  status: NamespaceStatusSchema.optional(),
}, { gvk: { group: '', version: 'v1', kind: 'Namespace' } });
export type Namespace = z.infer<typeof NamespaceSchema>;

export const ConfigMapSchema = def('io.k8s.api.core.v1.ConfigMap', {
  apiVersion: z.string().optional(),
  binaryData: mapOf(z.string()).optional(),
  data: mapOf(z.string()).optional(),
  immutable: z.boolean().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
}, { gvk: { group: '', version: 'v1', kind: 'ConfigMap' } });
export type ConfigMap = z.infer<typeof ConfigMapSchema>;

export const SecretSchema = def('io.k8s.api.core.v1.Secret', {
  apiVersion: z.string().optional(),
  data: mapOf(z.string()).optional(),
  immutable: z.boolean().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  stringData: mapOf(z.string()).optional(),
  type: z.string().optional(),
}, { gvk: { group: '', version: 'v1', kind: 'Secret' } });
export type Secret = z.infer<typeof SecretSchema>;

export const ObjectReferenceSchema = def('io.k8s.api.core.v1.ObjectReference', {
  apiVersion: z.string().optional(),
  fieldPath: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  resourceVersion: z.string().optional(),
  uid: z.string().optional(),
}, { structType: 'atomic' });
export type ObjectReference = z.infer<typeof ObjectReferenceSchema>;

export const EventSeriesSchema = def('io.k8s.api.core.v1.EventSeries', {
  count: int32.optional(),
  lastObservedTime: microTime.optional(),
});
export type EventSeries = z.infer<typeof EventSeriesSchema>;

export const EventSourceSchema = def('io.k8s.api.core.v1.EventSource', {
  component: z.string().optional(),
  host: z.string().optional(),
});
export type EventSource = z.infer<typeof EventSourceSchema>;

export const EventSchema = def('io.k8s.api.core.v1.Event', {
  action: z.string().optional(),
  apiVersion: z.string().optional(),
  count: int32.optional(),
  eventTime: microTime.optional(),
  firstTimestamp: time.optional(),
  involvedObject: ObjectReferenceSchema,
  kind: z.string().optional(),
  lastTimestamp: time.optional(),
  message: z.string().optional(),
  metadata: ObjectMetaSchema,
  reason: z.string().optional(),
  related: ObjectReferenceSchema.optional(),
  reportingComponent: z.string().optional(),
  reportingInstance: z.string().optional(),
  series: EventSeriesSchema.optional(),
  source: EventSourceSchema.optional(),
  type: z.string().optional(),
}, { gvk: { group: '', version: 'v1', kind: 'Event' } });
export type Event = z.infer<typeof EventSchema>;

export const BindingSchema = def('io.k8s.api.core.v1.Binding', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  target: ObjectReferenceSchema,
}, { gvk: { group: '', version: 'v1', kind: 'Binding' } });
export type Binding = z.infer<typeof BindingSchema>;

export const PodTemplateSpecSchema = def('io.k8s.api.core.v1.PodTemplateSpec', {
  metadata: ObjectMetaSchema.optional(),
  spec: PodSpecSchema.optional(),
});
export type PodTemplateSpec = z.infer<typeof PodTemplateSpecSchema>;

export const PodTemplateSchema = def('io.k8s.api.core.v1.PodTemplate', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  template: PodTemplateSpecSchema.optional(),
}, { gvk: { group: '', version: 'v1', kind: 'PodTemplate' } });
export type PodTemplate = z.infer<typeof PodTemplateSchema>;

export const ServiceAccountSchema = def('io.k8s.api.core.v1.ServiceAccount', {
  apiVersion: z.string().optional(),
  automountServiceAccountToken: z.boolean().optional(),
  imagePullSecrets: z.array(LocalObjectReferenceSchema).optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  secrets: listOf(ObjectReferenceSchema, { patchMergeKey: 'name', patchStrategy: 'merge' }).optional(),
}, { gvk: { group: '', version: 'v1', kind: 'ServiceAccount' } });
export type ServiceAccount = z.infer<typeof ServiceAccountSchema>;

export const PersistentVolumeClaimConditionSchema = def('io.k8s.api.core.v1.PersistentVolumeClaimCondition', {
  lastProbeTime: time.optional(),
  lastTransitionTime: time.optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  status: z.string(),
  type: z.string(),
});
export type PersistentVolumeClaimCondition = z.infer<typeof PersistentVolumeClaimConditionSchema>;

export const PersistentVolumeClaimStatusSchema = def('io.k8s.api.core.v1.PersistentVolumeClaimStatus', {
  accessModes: z.array(z.string()).optional(),
  allocatedResources: mapOf(quantity).optional(),
  capacity: mapOf(quantity).optional(),
  conditions: listOf(PersistentVolumeClaimConditionSchema, { patchMergeKey: 'type', patchStrategy: 'merge' }).optional(),
  phase: z.string().optional(),
  resizeStatus: z.string().optional(),
});
export type PersistentVolumeClaimStatus = z.infer<typeof PersistentVolumeClaimStatusSchema>;

export const PersistentVolumeClaimSchema = def('io.k8s.api.core.v1.PersistentVolumeClaim', {
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: PersistentVolumeClaimSpecSchema.optional(),
  status: PersistentVolumeClaimStatusSchema.optional(),
}, { gvk: { group: '', version: 'v1', kind: 'PersistentVolumeClaim' } });
export type PersistentVolumeClaim = z.infer<typeof PersistentVolumeClaimSchema>;
