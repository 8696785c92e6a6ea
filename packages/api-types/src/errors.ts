import type { Status, StatusCause } from './meta/status.js';

/**
 * Kubernetes API errors. Every failure that reaches a user is a `StatusError` carrying the
 * `Status` body the API server writes (code, reason, message, details with causes); each reason
 * has an `isX(err)` predicate, and `cause` keeps the underlying error.
 * Mirrors apimachinery's `k8s.io/apimachinery/pkg/api/errors`.
 */
export type StatusReason =
  | 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Gone'
  | 'Invalid' | 'MethodNotAllowed' | 'NotAcceptable' | 'UnsupportedMediaType' | 'RequestEntityTooLarge'
  | 'TooManyRequests' | 'Timeout' | 'ServerTimeout' | 'Expired' | 'ServiceUnavailable' | 'InternalError';

/** One field problem, as apimachinery's `field.Error`. `type` is the cause reason users see. */
export interface FieldError {
  type:
    | 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueDuplicate' | 'FieldValueNotSupported'
    | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueTooMany' | 'FieldValueTypeInvalid' | 'FieldValueNotFound'
    | 'InternalError';
  /** Kubernetes field path, e.g. `spec.containers[0].image`. */
  field: string;
  /** The detail after the field, e.g. `Required value` or `Invalid value: "x": must be ...`. */
  message: string;
}

/** Identifies the object an error is about, as in `Status.details`. */
export interface ErrorTarget {
  /** Resource (plural) or kind as Kubernetes prints it: `pods`, `Pod`. */
  kind?: string;
  group?: string;
  name?: string;
  uid?: string;
}

export class StatusError extends Error {
  override readonly name = 'StatusError';
  readonly status: Status;

  constructor(status: Omit<Status, 'kind' | 'apiVersion' | 'metadata' | 'status'>, options?: { cause?: unknown }) {
    super(status.message, options);
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', ...status };
  }

  get code(): number { return this.status.code ?? 500; }
  get reason(): StatusReason { return (this.status.reason ?? 'InternalError') as StatusReason; }
}

const qualified = (t: ErrorTarget) => (t.group ? `${t.kind}.${t.group}` : (t.kind ?? ''));
const details = (t: ErrorTarget, extra?: { causes?: StatusCause[]; retryAfterSeconds?: number }) => ({
  ...(t.name !== undefined ? { name: t.name } : {}),
  ...(t.group ? { group: t.group } : {}),
  ...(t.kind !== undefined ? { kind: t.kind } : {}),
  ...(t.uid !== undefined ? { uid: t.uid } : {}),
  ...extra,
});

export const notFound = (t: ErrorTarget) =>
  new StatusError({ code: 404, reason: 'NotFound', message: `${qualified(t)} "${t.name ?? ''}" not found`, details: details(t) });

export const alreadyExists = (t: ErrorTarget) =>
  new StatusError({ code: 409, reason: 'AlreadyExists', message: `${qualified(t)} "${t.name ?? ''}" already exists`, details: details(t) });

/** 409 Conflict; the default detail is the optimistic-concurrency message kubectl users know. */
export const conflict = (t: ErrorTarget, detail = 'the object has been modified; please apply your changes to the latest version and try again') =>
  new StatusError({ code: 409, reason: 'Conflict', message: `Operation cannot be fulfilled on ${qualified(t)} "${t.name ?? ''}": ${detail}`, details: details(t) });

/** 422 Invalid with every field error as a cause (apimachinery `NewInvalid`). `kind` is the Kind, e.g. `Pod`. */
export const invalid = (t: ErrorTarget, errors: readonly FieldError[]) => {
  const causes = errors.map((e) => ({ reason: e.type, message: e.message, field: e.field }));
  const list = errors.map((e) => `${e.field}: ${e.message}`);
  const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new StatusError({ code: 422, reason: 'Invalid', message: `${qualified(t)} "${t.name ?? ''}" is invalid: ${summary}`, details: details(t, { causes }) });
};

export const gone = (message: string) => new StatusError({ code: 410, reason: 'Expired', message });
/** 410 for a compacted resourceVersion, as watch and list report it. */
export const resourceVersionTooOld = (message = 'too old resource version') => new StatusError({ code: 410, reason: 'Expired', message });
export const badRequest = (message: string, causes?: StatusCause[]) =>
  new StatusError({ code: 400, reason: 'BadRequest', message, ...(causes ? { details: { causes } } : {}) });
export const unauthorized = (message = 'Unauthorized') => new StatusError({ code: 401, reason: 'Unauthorized', message });
export const forbidden = (t: ErrorTarget & { verb?: string; user?: string }, why: string) =>
  new StatusError({
    code: 403,
    reason: 'Forbidden',
    message: `${qualified(t)}${t.name ? ` "${t.name}"` : ''} is forbidden: ${why}`,
    details: details(t),
  });
export const methodNotSupported = (t: ErrorTarget, verb: string) =>
  new StatusError({ code: 405, reason: 'MethodNotAllowed', message: `${verb} is not supported on resources of kind "${qualified(t)}"`, details: details(t) });
export const notAcceptable = (message: string) => new StatusError({ code: 406, reason: 'NotAcceptable', message });
export const unsupportedMediaType = (contentType: string) =>
  new StatusError({ code: 415, reason: 'UnsupportedMediaType', message: `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/merge-patch+json, application/json-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got ${contentType})` });
export const requestEntityTooLarge = (message = 'the request body is too large') => new StatusError({ code: 413, reason: 'RequestEntityTooLarge', message });
export const tooManyRequests = (message: string, retryAfterSeconds: number, t: ErrorTarget = {}) =>
  new StatusError({ code: 429, reason: 'TooManyRequests', message, details: details(t, { retryAfterSeconds }) });
export const timeout = (message: string, retryAfterSeconds = 1) =>
  new StatusError({ code: 504, reason: 'Timeout', message, details: { retryAfterSeconds } });
export const serviceUnavailable = (message: string) => new StatusError({ code: 503, reason: 'ServiceUnavailable', message });
/** 500: a broken invariant (a bug), never used for bad input. */
export const internalError = (err: unknown) =>
  new StatusError({ code: 500, reason: 'InternalError', message: `Internal error occurred: ${err instanceof Error ? err.message : String(err)}` }, { cause: err });

export const isStatusError = (err: unknown): err is StatusError => err instanceof StatusError;
const has = (reason: StatusReason) => (err: unknown): err is StatusError => isStatusError(err) && err.reason === reason;
export const isNotFound = has('NotFound');
export const isAlreadyExists = has('AlreadyExists');
export const isConflict = has('Conflict');
export const isInvalid = has('Invalid');
/** 410: a compacted or expired resourceVersion (reason `Expired` or `Gone`). */
export const isGone = (err: unknown): err is StatusError => isStatusError(err) && err.code === 410;
export const isForbidden = has('Forbidden');
export const isUnauthorized = has('Unauthorized');
export const isBadRequest = has('BadRequest');
export const isTooManyRequests = has('TooManyRequests');
export const isRequestEntityTooLarge = has('RequestEntityTooLarge');
export const isTimeout = (err: unknown): err is StatusError => isStatusError(err) && (err.reason === 'Timeout' || err.reason === 'ServerTimeout');
export const isInternalError = has('InternalError');

/** Wraps anything thrown into a StatusError, treating non-StatusErrors as internal errors (bugs). */
export const toStatusError = (err: unknown): StatusError => (isStatusError(err) ? err : internalError(err));
