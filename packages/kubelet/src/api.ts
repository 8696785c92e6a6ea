// TEMPORARY: structural stand-ins until @peapod/api-types lands its Pod/Node schemas; replaced by re-exports.
export interface ObjectMeta {
  name?: string; namespace?: string; uid?: string; resourceVersion?: string; generation?: number;
  labels?: Record<string, string>; annotations?: Record<string, string>;
  deletionTimestamp?: string; deletionGracePeriodSeconds?: number; creationTimestamp?: string;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
}
export interface ExecAction { command?: string[] }
export interface HTTPGetAction { path?: string; port: number | string; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] }
export interface TCPSocketAction { port: number | string; host?: string }
export interface GRPCAction { port: number; service?: string }
export interface Probe {
  exec?: ExecAction; httpGet?: HTTPGetAction; tcpSocket?: TCPSocketAction; grpc?: GRPCAction;
  initialDelaySeconds?: number; timeoutSeconds?: number; periodSeconds?: number; successThreshold?: number; failureThreshold?: number;
  terminationGracePeriodSeconds?: number;
}
export interface LifecycleHandler { exec?: ExecAction; httpGet?: HTTPGetAction; tcpSocket?: TCPSocketAction; sleep?: { seconds: number } }
export interface Container {
  name: string; image?: string; command?: string[]; args?: string[]; workingDir?: string;
  env?: unknown[]; ports?: { containerPort: number; name?: string; protocol?: string }[];
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  livenessProbe?: Probe; readinessProbe?: Probe; startupProbe?: Probe;
  lifecycle?: { postStart?: LifecycleHandler; preStop?: LifecycleHandler };
  restartPolicy?: string; imagePullPolicy?: string; tty?: boolean; stdin?: boolean;
}
export interface EphemeralContainer extends Container { targetContainerName?: string }
export interface Volume { name: string; [k: string]: unknown }
export interface PodSpec {
  containers: Container[]; initContainers?: Container[]; ephemeralContainers?: EphemeralContainer[];
  restartPolicy?: string; terminationGracePeriodSeconds?: number; activeDeadlineSeconds?: number;
  nodeName?: string; nodeSelector?: Record<string, string>; os?: { name: string }; readinessGates?: { conditionType: string }[];
  volumes?: Volume[]; hostname?: string; hostNetwork?: boolean;
}
export interface ContainerStateWaiting { reason?: string; message?: string }
export interface ContainerStateRunning { startedAt?: string }
export interface ContainerStateTerminated { exitCode: number; signal?: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string; containerID?: string }
export interface ContainerState { waiting?: ContainerStateWaiting; running?: ContainerStateRunning; terminated?: ContainerStateTerminated }
export interface ContainerStatus {
  name: string; state?: ContainerState; lastState?: ContainerState; ready: boolean; restartCount: number;
  image: string; imageID: string; containerID?: string; started?: boolean;
}
export interface PodCondition { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; lastProbeTime?: string; observedGeneration?: number }
export interface PodStatus {
  phase?: string; conditions?: PodCondition[]; message?: string; reason?: string;
  hostIP?: string; hostIPs?: { ip: string }[]; podIP?: string; podIPs?: { ip: string }[]; startTime?: string;
  initContainerStatuses?: ContainerStatus[]; containerStatuses?: ContainerStatus[]; ephemeralContainerStatuses?: ContainerStatus[];
  qosClass?: string; observedGeneration?: number;
}
export interface Pod { apiVersion?: string; kind?: string; metadata: ObjectMeta; spec?: PodSpec; status?: PodStatus }
