import { isConflict, isNotFound, isTooManyRequests, type Status } from '@peapod/api-types';
import { describe, expect, it } from 'vitest';
import { statusErrorFromResponse } from './errors.js';

describe('statusErrorFromResponse', () => {
  it('keeps the Status body the server wrote', () => {
    const body: Status = {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 409, reason: 'Conflict',
      message: 'Operation cannot be fulfilled on pods "web": the object has been modified', details: { name: 'web', kind: 'pods' },
    };
    const err = statusErrorFromResponse(409, body);
    expect(isConflict(err)).toBe(true);
    expect(err.message).toBe(body.message);
    expect(err.status).toEqual(body);
  });

  it('synthesizes a Status from the HTTP code when the body is not one', () => {
    const err = statusErrorFromResponse(404, '<html>nope</html>');
    expect(isNotFound(err)).toBe(true);
    expect(err.code).toBe(404);
    expect(err.message).toBe('the server could not find the requested resource (<html>nope</html>)');
    expect(statusErrorFromResponse(502, undefined).reason).toBe('InternalError');
    expect(statusErrorFromResponse(418, undefined).reason).toBe('BadRequest');
  });

  it('carries Retry-After into details.retryAfterSeconds', () => {
    const err = statusErrorFromResponse(429, 'slow down', 3);
    expect(isTooManyRequests(err)).toBe(true);
    expect(err.status.details?.retryAfterSeconds).toBe(3);
  });
});
