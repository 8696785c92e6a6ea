import type { Authorizer } from './auth.js';
import type { ApiHandler, HandlerRequest, HandlerResponse } from './handler.js';
import { parseRequestInfo } from './request-info.js';

/**
 * Authorization plus the handler: what both the HTTP server (after authentication, rate limiting
 * and decoding) and the in-process transport call, so both paths enforce the same rules.
 */
export class ApiCore {
  constructor(readonly handler: ApiHandler, private readonly authorizer: Authorizer) {}

  async serve(req: HandlerRequest): Promise<HandlerResponse> {
    const info = req.info ?? parseRequestInfo(req.method, req.path, req.query);
    await this.authorizer.authorize(req.user, info, req.query, req.body);
    return this.handler.handle(req.info ? req : { ...req, info });
  }
}
