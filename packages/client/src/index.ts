export type {
  ApiRequest, ApiResponse, DeleteOptions, GetOptions, KubeObject, ListOptions, NamespaceOption, ObjectList, PatchOptions,
  PatchType, PodLogOptions, ResourceClient, WatchEvent, WatchOptions, WriteOptions,
} from './types.js';
export { KubeClient, SharedInformerFactory, Transport } from './tokens.js';
export { ClientModule } from './module.js';
export { createClient, PATCH_CONTENT_TYPES } from './client.js';
export { resourcePath, queryString } from './paths.js';
export { statusErrorFromResponse, isStatus, TerminalError, isTerminalError } from './errors.js';
export { HttpTransport } from './http/transport.js';
export type { HttpTransportOptions } from './http/transport.js';
export { WatchDecoder } from './http/watch-decoder.js';
export { PortBatcher, PortClient } from './port/transport.js';
export type { MessagePortLike, PortCall, PortCallKind, PortCancel, PortReply } from './port/transport.js';
export { loadKubeconfig } from './kubeconfig.js';
export type { LoadedKubeconfig } from './kubeconfig.js';
export { Store, NAMESPACE_INDEX, keyOf, objectKey, splitKey } from './cache/store.js';
export type { IndexFunc, Indexers } from './cache/store.js';
export { SharedInformer } from './cache/informer.js';
export type { InformerDeps, InformerEvents, InformerOptions, Lister, ResourceEventHandler } from './cache/informer.js';
export { InformerFactory } from './cache/factory.js';
export { WorkQueue } from './workqueue/queue.js';
export type { WorkQueueOptions } from './workqueue/queue.js';
export {
  BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter,
} from './workqueue/rate-limiter.js';
export type { DefaultRateLimiterOptions, RateLimiter } from './workqueue/rate-limiter.js';
export { runWorkers } from './workqueue/workers.js';
export type { ReconcileResult, Reconciler } from './workqueue/workers.js';
export { EventRecorder } from './events/recorder.js';
export type { EventRecorderOptions, EventType } from './events/recorder.js';
export {
  AsyncQueue, Channel, STREAM_PROTOCOLS, chooseProtocol, dialPortForward, dialSession, exitCodeOf, exitStatus, kubeletPaths, parseKubeletPath,
  servePortForward, serveSession, sessionQuery, sessionStreams,
} from './remote-command.js';
export type { ContainerLogQuery, ContainerRef, DialOptions, SessionIO, SessionStreams, TerminalSize } from './remote-command.js';
export { LeaderElector, leaderElectionDefaults, leaderIdentity, resolveLeaderElection } from './leader-election.js';
export type { LeaderElectionOptions, LeaderElectionSetting, LeaderElectorEvents, LeaderWork } from './leader-election.js';
export { certificateUser } from './x509.js';
export type { CertificateUser } from './x509.js';
