import { RuntimeError, runtimeInternal, type RuntimeReason } from '@peapod/runtime';

/** What dockerode rejects with for an Engine API error answer. */
interface EngineError {
  statusCode?: number;
  json?: { message?: string } | null;
  reason?: string;
  message?: string;
}

export const engineStatus = (err: unknown): number | undefined => (err as EngineError | undefined)?.statusCode;

export function engineMessage(err: unknown): string {
  const e = err as EngineError | undefined;
  return e?.json?.message ?? e?.message ?? String(err);
}

/**
 * Maps an Engine API error to the contract's: 404 NotFound, 304 (already started) and 409 (a
 * state conflict: not running, in use) FailedPrecondition or AlreadyExists (a name taken), 400
 * InvalidArgument, anything else Internal; `reason` is the step's kubelet reason.
 */
export function fromEngine(err: unknown, what: string, reason?: RuntimeReason): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const status = engineStatus(err);
  const message = `${what}: ${engineMessage(err)}`;
  switch (status) {
    case 404: return new RuntimeError('NotFound', message, reason, { cause: err });
    case 304: return new RuntimeError('FailedPrecondition', message, reason, { cause: err });
    case 409: return new RuntimeError(/already in use/.test(message) ? 'AlreadyExists' : 'FailedPrecondition', message, reason, { cause: err });
    case 400: return new RuntimeError('InvalidArgument', message, reason, { cause: err });
    case undefined: return new RuntimeError('Unavailable', message, reason, { cause: err });
    default: return runtimeInternal(message, reason, err);
  }
}
