/**
 * The CRI runtime.v1 messages as @grpc/proto-loader hands them to TypeScript with the options
 * `CriClient` loads the proto with (camelCase fields, enums as their names, int64 as numbers,
 * defaults filled in). Only what Peapod reads or writes is typed; field names follow the proto.
 */
export type CriNamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type CriContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
export type CriSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
type StringMap = Record<string, string>;

export interface CriPodSandboxMetadata { name: string; uid: string; namespace: string; attempt: number }
export interface CriContainerMetadata { name: string; attempt: number }
export interface CriImageSpec { image: string; annotations?: StringMap; runtimeHandler?: string }
export interface CriInt64Value { value: number }

export interface CriPodSandbox {
  id: string;
  metadata: CriPodSandboxMetadata;
  state: CriSandboxState;
  createdAt: number;
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}

export interface CriPodSandboxStatus extends CriPodSandbox {
  network?: { ip: string; additionalIps: { ip: string }[] } | null;
  linux?: { namespaces?: { options?: { network: CriNamespaceMode; pid: CriNamespaceMode; ipc: CriNamespaceMode; targetId: string } | null } | null } | null;
}

export interface CriContainer {
  id: string;
  podSandboxId: string;
  metadata: CriContainerMetadata;
  image: CriImageSpec;
  imageRef: string;
  state: CriContainerState;
  createdAt: number;
  labels: StringMap;
  annotations: StringMap;
}

export interface CriMount { containerPath: string; hostPath: string; readonly: boolean; selinuxRelabel: boolean; propagation: string }

export interface CriContainerStatus {
  id: string;
  metadata: CriContainerMetadata;
  state: CriContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image: CriImageSpec;
  imageRef: string;
  reason: string;
  message: string;
  labels: StringMap;
  annotations: StringMap;
  mounts: CriMount[];
  logPath: string;
  resources?: { linux?: { cpuPeriod: number; cpuQuota: number; cpuShares: number; memoryLimitInBytes: number; oomScoreAdj: number; cpusetCpus: string; cpusetMems: string } | null } | null;
}

export interface CriImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  uid?: CriInt64Value | null;
  username: string;
  pinned: boolean;
}

export interface CriUsage {
  timestamp: number;
}
export interface CriContainerStats {
  attributes: { id: string; metadata: CriContainerMetadata; labels: StringMap; annotations: StringMap };
  cpu?: (CriUsage & { usageCoreNanoSeconds?: CriInt64Value | null; usageNanoCores?: CriInt64Value | null }) | null;
  memory?: (CriUsage & { workingSetBytes?: CriInt64Value | null; rssBytes?: CriInt64Value | null; usageBytes?: CriInt64Value | null }) | null;
}

export interface CriRuntimeCondition { type: string; status: boolean; reason: string; message: string }
