export { Kubelet } from './kubelet.js';
export type { KubeletDeps, KubeletOptions } from './kubelet.js';
export { KubeletModule } from './module.js';
export { KubeletApi, KubeletInstance, KubeletModuleOptions, NodeStreaming } from './tokens.js';
export type { KubeletEvents, PodRef, ProbeType } from './events.js';
export { kubeletApiFromClient } from './api-client.js';
export type { NodeApi, ObjectLookup, PodDeleter, PodSource, PodSourceHandler, PodStatusWriter } from './api-client.js';
export { KubeletStreamingServer } from './streaming.js';
export type { ContainerLocator, ContainerTarget, StreamIO, StreamLogOptions } from './streaming.js';
export { startKubeletServer } from './server.js';
export type { KubeletServerOptions, RunningKubeletServer } from './server.js';
export { PodWorkers } from './pod-workers.js';
export type { PodSyncer, PodWorkerState } from './pod-workers.js';
export { StatusManager } from './status/status-manager.js';
export { getPhase } from './status/phase.js';
export type { PodPhase } from './status/phase.js';
export { KUBELET_CONDITIONS, containersReadyCondition, initializedCondition, podConditions, readyCondition, readyToStartContainersCondition } from './status/conditions.js';
export { generatePodStatus } from './status/generate.js';
export type { StartError, StatusInputs } from './status/generate.js';
export { computePodActions, shouldContainerBeRestarted } from './runtime-manager/pod-actions.js';
export type { ContainerToKill, KillReason, PodActions, ProbeResult, ProbeResultsView } from './runtime-manager/pod-actions.js';
export { containerHash } from './runtime-manager/observed.js';
export type { ContainerRunState, ObservedContainer, ObservedPod, ObservedSandbox } from './runtime-manager/observed.js';
export { MIN_GRACE_SECONDS, goDuration } from './runtime-manager/runtime-manager.js';
export { Backoff, BACKOFF_INITIAL_MS, BACKOFF_MAX_MS } from './backoff.js';
export { DefaultHandlerRunner } from './prober/handlers.js';
export type { HandlerOutcome, HandlerRunner, HandlerTarget } from './prober/handlers.js';
export { VolumeManager } from './volumes.js';
export type { VolumePaths, VolumeSetup } from './volumes.js';
export { LEASE_DURATION_SECONDS, NODE_LEASE_NAMESPACE, defaultCapacity, nodeArch, nodeOs } from './node.js';
export {
  CONFIG_HASH_ANNOTATION, CONFIG_SEEN_ANNOTATION, CONFIG_SOURCE_ANNOTATION, MIRROR_ANNOTATION,
  isMirrorPod, isStaticPod, mirrorPodOf, staticPodFromManifest,
} from './static-pods.js';
export type { ManifestParser } from './static-pods.js';
