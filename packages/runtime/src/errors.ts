/**
 * Runtime errors. Two things travel on each: a `code` saying what kind of failure it is (the gRPC
 * codes CRI runtimes answer with, so callers can branch on "not found" vs "bad config"), and a
 * `reason`, the string users see in the container's waiting state or the pod's events, as the
 * kubelet's `sync_result.go`/`images/types.go` name them. Adapters throw these and only these;
 * anything else reaching the kubelet is a bug in the adapter.
 */

export type RuntimeErrorCode =
  /** The sandbox, container, image or exec target does not exist (or no longer does). */
  | 'NotFound'
  /** The request contradicts what already exists (a second container with the same name in a sandbox). */
  | 'AlreadyExists'
  /** The request is malformed or asks for something this runtime cannot honour at all. */
  | 'InvalidArgument'
  /** The object is in the wrong state for the call (start a container that is not Created). */
  | 'FailedPrecondition'
  /** The runtime does not implement the call (see `RuntimeFeatures`). */
  | 'Unimplemented'
  | 'DeadlineExceeded'
  /** The runtime (or registry) cannot be reached now; retrying may help. */
  | 'Unavailable'
  /** A failure inside the runtime. */
  | 'Internal';

/** Reasons the kubelet shows; adapters pick the one matching the call that failed. */
export const RuntimeReason = {
  /** pullImage failed (the kubelet turns repeats into ImagePullBackOff). */
  ErrImagePull: 'ErrImagePull',
  /** imageStatus failed. */
  ImageInspectError: 'ImageInspectError',
  /** imagePullPolicy Never and the image is absent. */
  ErrImageNeverPull: 'ErrImageNeverPull',
  InvalidImageName: 'InvalidImageName',
  RegistryUnavailable: 'RegistryUnavailable',
  /** The container's config cannot be turned into a runnable container (missing command, bad mount). */
  CreateContainerConfigError: 'CreateContainerConfigError',
  /** createContainer failed for another reason. */
  CreateContainerError: 'CreateContainerError',
  /** startContainer failed (executable not found, chdir failed, sandbox tool failed). */
  RunContainerError: 'RunContainerError',
  /** stopContainer could not kill the container. */
  KillContainerError: 'KillContainerError',
  CreatePodSandboxError: 'CreatePodSandboxError',
  ConfigPodSandboxError: 'ConfigPodSandboxError',
  KillPodSandboxError: 'KillPodSandboxError',
  /** exec could not run the command (not its non-zero exit, which is a result). */
  ExecError: 'ExecError',
} as const;
export type RuntimeReason = (typeof RuntimeReason)[keyof typeof RuntimeReason];

export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';

  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    /** The reason users see; absent for errors that never reach a container status (NotFound on a status poll). */
    readonly reason?: RuntimeReason,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

type What = 'sandbox' | 'container' | 'image' | 'exec session';

export const runtimeNotFound = (what: What, id: string, reason?: RuntimeReason) =>
  new RuntimeError('NotFound', `${what} "${id}" not found`, reason);

export const runtimeAlreadyExists = (what: What, name: string, reason?: RuntimeReason) =>
  new RuntimeError('AlreadyExists', `${what} "${name}" already exists`, reason);

export const runtimeInvalid = (message: string, reason?: RuntimeReason) => new RuntimeError('InvalidArgument', message, reason);

export const runtimeFailedPrecondition = (message: string, reason?: RuntimeReason) =>
  new RuntimeError('FailedPrecondition', message, reason);

export const runtimeUnimplemented = (what: string) => new RuntimeError('Unimplemented', `${what} is not implemented by this runtime`);

export const runtimeInternal = (message: string, reason?: RuntimeReason, cause?: unknown) =>
  new RuntimeError('Internal', message, reason, { cause });

export const isRuntimeError = (err: unknown): err is RuntimeError => err instanceof RuntimeError;
const hasCode = (code: RuntimeErrorCode) => (err: unknown): err is RuntimeError => isRuntimeError(err) && err.code === code;
export const isRuntimeNotFound = hasCode('NotFound');
export const isRuntimeAlreadyExists = hasCode('AlreadyExists');
export const isRuntimeInvalid = hasCode('InvalidArgument');
export const isRuntimeFailedPrecondition = hasCode('FailedPrecondition');
export const isRuntimeUnimplemented = hasCode('Unimplemented');

/** The reason to show for a failed call: the error's own, else `fallback` (the reason of the step that failed). */
export const reasonOf = (err: unknown, fallback: RuntimeReason): RuntimeReason =>
  (isRuntimeError(err) && err.reason) || fallback;
