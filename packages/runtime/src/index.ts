export type * from './types.js';
export type {
  ContainerManager,
  ContainerStatsProvider,
  ImageService,
  PodSandboxManager,
  RuntimeService,
  RuntimeVersioner,
  Streaming,
} from './services.js';
export {
  RuntimeError,
  RuntimeReason,
  isRuntimeAlreadyExists,
  isRuntimeError,
  isRuntimeFailedPrecondition,
  isRuntimeInvalid,
  isRuntimeNotFound,
  isRuntimeUnimplemented,
  reasonOf,
  runtimeAlreadyExists,
  runtimeFailedPrecondition,
  runtimeInternal,
  runtimeInvalid,
  runtimeNotFound,
  runtimeUnimplemented,
} from './errors.js';
export type { RuntimeErrorCode } from './errors.js';
export {
  ContainerAnnotation,
  PodLabel,
  containerAnnotations,
  containerIdentityOf,
  containerLabels,
  matchesLabels,
  podIdentityOf,
  podLabels,
} from './labels.js';
export type { ContainerIdentity, PodIdentity } from './labels.js';
export {
  CriLogWriter,
  MAX_LOG_LINE,
  filterLogEntries,
  formatCriLogLine,
  formatCriTimestamp,
  limitLogEntries,
  parseCriLogLine,
  parseCriTimestamp,
  readCriLogFile,
  readLogFile,
  renderLogEntry,
} from './cri-log.js';
export type { LogFileFormat } from './cri-log.js';
export { podSandboxStatsFromContainers, selectContainers, selectPodSandboxes, sumPodSandboxStats } from './listing.js';
export { RUNTIME_CONTRACT_VERSION, loadRuntimePlugin } from './registry.js';
export type { LoadRuntimePluginOptions, RuntimeContext, RuntimeFactory, RuntimeOptions, RuntimePlugin } from './registry.js';
export { Runtime, RuntimeRegistry } from './tokens.js';
export { RuntimeModule } from './module.js';
