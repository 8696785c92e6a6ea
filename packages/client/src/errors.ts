import { StatusError, type Status, type StatusReason } from '@peapod/api-types';

/**
 * Turns a non-2xx answer into a StatusError. A `Status` body is taken as the server wrote it; any
 * other body (a proxy's HTML page, plain text, nothing) gets a Status synthesized from the HTTP
 * code, as client-go's `NewGenericServerResponse` does, keeping the body text in the message.
 */
export function statusErrorFromResponse(code: number, body: unknown, retryAfterSeconds?: number): StatusError {
  if (isStatus(body)) {
    const { kind: _k, apiVersion: _a, metadata: _m, status: _s, ...rest } = body;
    const details = retryAfterSeconds !== undefined && rest.details?.retryAfterSeconds === undefined
      ? { ...rest.details, retryAfterSeconds }
      : rest.details;
    return new StatusError({ ...rest, code: rest.code ?? code, ...(details ? { details } : {}) });
  }
  const [reason, message] = GENERIC[code] ?? (code >= 500 ? GENERIC[500] : GENERIC[400]);
  const text = typeof body === 'string' ? body.trim() : body === undefined ? '' : JSON.stringify(body);
  return new StatusError({
    code,
    reason,
    message: text ? `${message} (${text.slice(0, 500)})` : message,
    ...(retryAfterSeconds !== undefined ? { details: { retryAfterSeconds } } : {}),
  });
}

export const isStatus = (body: unknown): body is Status =>
  typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'Status';

/** Reason and message per HTTP code for answers without a Status body (apimachinery's wording). */
const GENERIC: Record<number, [StatusReason, string]> = {
  400: ['BadRequest', 'the server rejected our request for an unknown reason'],
  401: ['Unauthorized', 'the server has asked for the client to provide credentials'],
  403: ['Forbidden', 'the server does not allow access to the requested resource'],
  404: ['NotFound', 'the server could not find the requested resource'],
  405: ['MethodNotAllowed', 'the server does not allow this method on the requested resource'],
  406: ['NotAcceptable', 'the server was unable to respond with a content type that the client supports'],
  409: ['Conflict', 'the server reported a conflict'],
  410: ['Expired', 'the server reports that the resource is gone'],
  413: ['RequestEntityTooLarge', 'the server has rejected the request because it is too large'],
  415: ['UnsupportedMediaType', 'the server was unable to handle the media type requested'],
  422: ['Invalid', 'the server rejected our request due to an error in our request'],
  429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
  500: ['InternalError', 'an error on the server has prevented the request from succeeding'],
  503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
  504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
};

/**
 * Thrown from a reconcile function to say "retrying will not help" (controller-runtime's
 * TerminalError): `runWorkers` logs it and forgets the key instead of requeueing it.
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
}
export const isTerminalError = (err: unknown): err is TerminalError => err instanceof TerminalError;
