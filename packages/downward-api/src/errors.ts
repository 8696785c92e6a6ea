/**
 * Failures the kubelet reports on a pod, carrying the reason string users see, as kubelet's
 * `sync_result.go` does. `cause` keeps the underlying error (often a NotFound `StatusError`).
 * Bad input to the atomic writer (an unsafe path) is a `StatusError` instead; see atomic-writer.ts.
 */
export class DownwardApiError extends Error {
  override readonly name: string = 'DownwardApiError';
  constructor(
    /** `CreateContainerConfigError` (container waiting reason) or `FailedMount` (event reason). */
    readonly reason: 'CreateContainerConfigError' | 'FailedMount',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The container cannot be created: its env could not be resolved. The kubelet puts the container
 * in `waiting` with this reason and message and retries on the next sync.
 */
export const createContainerConfigError = (message: string, cause?: unknown) =>
  new DownwardApiError('CreateContainerConfigError', message, { cause });

/**
 * A volume could not be set up; the message is the one `kubectl describe` shows on the
 * `FailedMount` event, e.g. `MountVolume.SetUp failed for volume "cfg" : configmap "app" not found`.
 */
export const failedMount = (volumeName: string, message: string, cause?: unknown) =>
  new DownwardApiError('FailedMount', `MountVolume.SetUp failed for volume "${volumeName}" : ${message}`, { cause });

export const isCreateContainerConfigError = (err: unknown): err is DownwardApiError =>
  err instanceof DownwardApiError && err.reason === 'CreateContainerConfigError';
export const isFailedMount = (err: unknown): err is DownwardApiError => err instanceof DownwardApiError && err.reason === 'FailedMount';
