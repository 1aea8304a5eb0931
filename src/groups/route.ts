/**
 * The route of one group call as it is made, and how it rides on the answer or the error.
 */
import type { ErrorCode, LlmActorsError, Route, RouteAttempt } from '../model/errors.js';
import type { Completion } from '../model/request.js';

/** The members one group call tried, in order. */
export class RouteLog {
  readonly attempts: RouteAttempt[] = [];

  constructor(readonly group: string) {}

  /**
   * A member tried: `code` when it failed (or was skipped, with `ms` 0); `costUsd` when it paid
   * something (its answer, or the usage a failed stream reported) and has a price table.
   */
  add(client: string, code: ErrorCode | undefined, ms: number, costUsd?: number): void {
    const attempt: RouteAttempt = code === undefined ? { client, ms } : { client, code, ms };
    if (costUsd !== undefined) attempt.costUsd = costUsd;
    this.attempts.push(attempt);
  }

  /** What the call paid across its members, USD; undefined when none of them has a price. */
  costUsd(): number | undefined {
    let total: number | undefined;
    for (const a of this.attempts) if (a.costUsd !== undefined) total = (total ?? 0) + a.costUsd;
    return total;
  }

  /** The route as the caller sees it (a copy). */
  route(): Route {
    return { group: this.group, attempts: this.attempts.map((a) => ({ ...a })) };
  }

  /**
   * The answering member's completion, with the route; its `costUsd` is what the whole call
   * paid (the answer and every failed attempt that was billed), so that the callers' costs add
   * up to the members' `health.cost`.
   */
  answer(completion: Completion): Completion {
    // The completion is this call's own (the member made it for this caller) and the log is
    // complete once the call has ended: neither is copied.
    completion.route = { group: this.group, attempts: this.attempts };
    const costUsd = this.costUsd();
    if (costUsd !== undefined) completion.costUsd = costUsd;
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
    return error.rephrased(message, { route: this.route() });
  }
}
