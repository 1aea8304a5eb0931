/**
 * The route of one group call as it is made, and how it rides on the answer or the error.
 */
import { LlmActorsError, type ErrorCode, type Route, type RouteAttempt } from '../model/errors.js';
import type { Completion } from '../model/request.js';

/** The members one group call tried, in order. */
export class RouteLog {
  readonly attempts: RouteAttempt[] = [];

  constructor(readonly group: string) {}

  /** A member tried: `code` when it failed (or was skipped, with `ms` 0). */
  add(client: string, code: ErrorCode | undefined, ms: number): void {
    this.attempts.push(code === undefined ? { client, ms } : { client, code, ms });
  }

  /** The route as the caller sees it (a copy). */
  route(): Route {
    return { group: this.group, attempts: this.attempts.map((a) => ({ ...a })) };
  }

  /**
   * The answering member's completion, with the route. The completion is this call's own (the
   * member made it for this caller) and the log is complete once the call has ended: neither is
   * copied.
   */
  answer(completion: Completion): Completion {
    completion.route = { group: this.group, attempts: this.attempts };
    return completion;
  }

  /**
   * The error a group call ends with: the member's own (code, client, status and provider
   * fields kept, so a caller and the gateway see what the provider meant), with the route, and
   * with the members that failed named in the message when there were several.
   */
  error(error: LlmActorsError): LlmActorsError {
    const tried = this.attempts.filter((a) => a.code !== undefined);
    const message =
      tried.length > 1
        ? `${this.group}: tried ${tried.map((a) => `${a.client} (${a.code})`).join(', ')}; last: ${error.message}`
        : error.message;
    return new LlmActorsError(error.code, message, {
      client: error.client,
      retryAt: error.retryAt,
      status: error.status,
      retryable: error.retryable,
      body: error.body,
      retryAfterMs: error.retryAfterMs,
      providerError: error.providerError,
      route: this.route(),
      cause: error.cause ?? error,
    });
  }
}
