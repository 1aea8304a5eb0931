/**
 * One member's attempt within a group call: one request (one upstream attempt, no retries) with
 * its own cancellation under the call's, reporting to the call that made it.
 */
import type { StreamSink } from '../client/flight.js';
import type { StreamChunk } from '../model/chat.js';
import { isLlmActorsError, type LlmActorsError } from '../model/errors.js';
import { restarted } from '../model/failures.js';
import type { ChatMessage, Completion, RequestOptions } from '../model/request.js';
import { Cancellation } from '../policy/cancellation.js';
import type { Clock } from '../model/clock.js';
import type { GroupContext } from './context.js';
import type { RouteLog } from './route.js';

/** A member's attempt. */
export interface Attempt {
  readonly client: string;
  readonly startedAt: number;
  /** Its own cancellation: the call aborts it when it drops it or is cancelled itself. */
  readonly cancel: Cancellation;
  /** Its outcome no longer matters: it lost a hedge, or the call has ended. */
  dropped: boolean;
  /** What a failed stream of it was billed, USD (a priced member that reported usage). */
  costUsd?: number;
}

/** Where an attempt reports. */
export interface AttemptOwner {
  answered(attempt: Attempt, completion: Completion): void;
  failed(attempt: Attempt, error: LlmActorsError): void;
  /** A streamed attempt's delta; false when the caller is behind. */
  delta(attempt: Attempt, chunk: StreamChunk): boolean;
  /** A streamed attempt waits for the caller to read: `drain` resumes it. */
  drain(attempt: Attempt, drain: () => void): void;
}

/** What one attempt sends. */
export interface AttemptRequest {
  messages: ChatMessage[];
  options: RequestOptions | undefined;
  /** This attempt's own deadline: the member's timeout, or the group's when that is nearer. */
  deadline: number;
  stream: boolean;
}

/** Starts `client`'s attempt; its outcome goes to `owner`. */
export function startAttempt(
  ctx: GroupContext,
  client: string,
  request: AttemptRequest,
  owner: AttemptOwner,
): Attempt {
  const cancel = new Cancellation();
  const attempt: Attempt = { client, startedAt: ctx.clock.now(), cancel, dropped: false };
  const sink: StreamSink | undefined = request.stream
    ? {
        delta: (chunk) => owner.delta(attempt, chunk),
        onDrain: (drain) => owner.drain(attempt, drain),
        onCancel: (stop) => cancel.onAbort(stop),
        paid: (_usage, costUsd) => {
          attempt.costUsd = addUsd(attempt.costUsd, costUsd);
          ctx.stats.paid(costUsd);
        },
      }
    : undefined;
  ctx.call(client, request.messages, request.options, sink, cancel, request.deadline).then(
    (completion) => owner.answered(attempt, completion),
    (error: unknown) => owner.failed(attempt, typed(client, error)),
  );
  return attempt;
}

/**
 * An attempt made before a {@link GroupCall} took the call over (on the direct path), started
 * at `startedAt`; `costUsd`: what its failed stream was billed.
 */
export function pastAttempt(client: string, startedAt: number, costUsd?: number): Attempt {
  const attempt: Attempt = { client, startedAt, cancel: new Cancellation(), dropped: false };
  if (costUsd !== undefined) attempt.costUsd = costUsd;
  return attempt;
}

/** The runtime rejects only with typed errors; anything else is a fault of the member. */
export function typed(client: string, error: unknown): LlmActorsError {
  return isLlmActorsError(error) ? error : restarted(client, error);
}

/** `more` added to `sum`, either of them unknown (a member without a price table). */
export function addUsd(sum: number | undefined, more: number | undefined): number | undefined {
  return more === undefined ? sum : (sum ?? 0) + more;
}

/**
 * Cancels every attempt of `running` but `keep` (neutral for their fuses: ABORTED, as the route
 * says); `running` is left with `keep` alone, if it was there.
 */
export function dropAttempts(
  running: Attempt[],
  keep: Attempt | undefined,
  route: RouteLog,
  clock: Clock,
): void {
  if (running.length === 0 || (running.length === 1 && running[0] === keep)) return;
  const now = clock.now();
  for (const a of running.splice(0)) {
    if (a === keep) {
      running.push(a);
      continue;
    }
    a.dropped = true;
    route.add(a.client, 'ABORTED', now - a.startedAt, a.costUsd);
    a.cancel.abort(undefined);
  }
}
