/**
 * The runtime's own failures, one constructor each, so every place that raises one says it the
 * same way.
 */
import { LlmActorsError } from './errors.js';

/**
 * FUSE_OPEN: fail fast; `cause` is the last provider error when retries were cut short.
 * `retryAfterMs` is the time left until the probe, on the runtime's clock (`now`), so that
 * whoever passes the error on (gateway, adapters) need not read clocks of its own.
 */
export function fuseOpen(
  client: string,
  retryAt: number | null,
  now: number,
  cause?: LlmActorsError,
): LlmActorsError {
  const until = retryAt === null ? '' : ` until ${new Date(retryAt).toISOString()}`;
  const last = cause ? ` (last error: ${cause.message})` : '';
  return new LlmActorsError('FUSE_OPEN', `${client}: the fuse is open${until}${last}`, {
    client,
    retryAt,
    ...(retryAt === null ? {} : { retryAfterMs: Math.max(0, retryAt - now) }),
    cause,
  });
}

/** TIMEOUT: the request's deadline passed. */
export function timedOut(client: string, ms: number, while_ = ''): LlmActorsError {
  return new LlmActorsError('TIMEOUT', `${client}: no answer within ${ms} ms${while_}`, { client });
}

/** ABORTED: the caller's signal aborted. */
export function aborted(client: string): LlmActorsError {
  return new LlmActorsError('ABORTED', `${client}: the request was aborted`, {
    client,
    retryable: false,
  });
}

/** CLIENT_RESTARTED: the actor crashed (or is restarting) while the request was pending. */
export function restarted(client: string, cause?: unknown): LlmActorsError {
  return new LlmActorsError(
    'CLIENT_RESTARTED',
    `${client}: the client actor crashed while the request was in flight`,
    { client, cause },
  );
}

/** CLIENT_FAILED: the supervisor gave up on the client. */
export function clientFailed(client: string, reason: string | null): LlmActorsError {
  return new LlmActorsError(
    'CLIENT_FAILED',
    `${client}: the supervisor gave up on this client (${reason}); runtime.restart('${client}') brings it back`,
    { client, retryable: false },
  );
}

/** RUNTIME_STOPPED: the runtime is stopping, or stopped before an answer. */
export function runtimeStopped(client?: string): LlmActorsError {
  return new LlmActorsError(
    'RUNTIME_STOPPED',
    client ? `${client}: the runtime stopped before an answer` : 'the runtime is stopped',
    { client, retryable: false },
  );
}

/** BAD_RESPONSE: the provider answered 2xx with something that is not a usable answer. */
export function badResponse(client: string, why: string, cause?: unknown): LlmActorsError {
  return new LlmActorsError('BAD_RESPONSE', `${client}: unusable answer: ${why}`, {
    client,
    retryable: false,
    cause,
  });
}

/**
 * BAD_RESPONSE: an answer (or one stream event) grew past a configured limit; the connection
 * was dropped and no more of it was read.
 */
export function tooLarge(
  client: string,
  what: string,
  limit: 'maxResponseBytes' | 'maxEventBytes',
  bytes: number,
): LlmActorsError {
  return badResponse(
    client,
    `${what} is larger than ${limit} (${bytes} bytes); the connection was dropped`,
  );
}

/** QUEUE_FULL: every slot is taken and `queued` requests already wait (maxQueue). */
export function queueFull(client: string, queued: number): LlmActorsError {
  return new LlmActorsError(
    'QUEUE_FULL',
    `${client}: ${queued} requests already wait for a slot (maxQueue)`,
    { client },
  );
}

/** INVALID_REQUEST: the caller's input; `message` names the field and the reason. */
export function invalidRequest(message: string, client?: string): LlmActorsError {
  return new LlmActorsError('INVALID_REQUEST', message, { client, retryable: false });
}

/** INVALID_CONFIG: `message` names the field and the reason. */
export function invalidConfig(message: string, client?: string): LlmActorsError {
  return new LlmActorsError('INVALID_CONFIG', message, { client, retryable: false });
}

/** UNKNOWN_CLIENT: no client of that name (`why` says more when it was known once). */
export function unknownClient(message: string, client?: string): LlmActorsError {
  return new LlmActorsError('UNKNOWN_CLIENT', message, { client, retryable: false });
}

/**
 * NETWORK_ERROR from `clearCache`: the cache store could not be reached (Redis down or not
 * answering, a SQLite fault), so the answers may still be there. Retryable: clear again later.
 */
export function cacheNotCleared(client: string, cause: unknown): LlmActorsError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new LlmActorsError('NETWORK_ERROR', `${client}: the cache could not be cleared: ${why}`, {
    client,
    cause,
  });
}

/**
 * BUDGET_EXCEEDED: the client has spent its daily `what` (`spent` of `limit`); not retryable
 * before `resetAt`, the next UTC midnight (`retryAfterMs` counts down to it from `now`).
 */
export function budgetExceeded(
  client: string,
  what: 'usdPerDay' | 'tokensPerDay',
  spent: number,
  limit: number,
  resetAt: number,
  now: number,
): LlmActorsError {
  return new LlmActorsError(
    'BUDGET_EXCEEDED',
    `${client}: the daily budget is spent (${what}: ${spent} of ${limit}) until ${new Date(resetAt).toISOString()}`,
    { client, resetAt, retryAfterMs: Math.max(0, resetAt - now), retryable: false },
  );
}

/**
 * RATE_LIMITED: the client's budget (`rateLimit`) or a provider's 429 that named a time (the
 * client is parked) keeps the request back for `waitMs`, past its deadline — or, not `late`, a
 * group's attempt that does not wait at all. Retryable then.
 */
export function rateLimited(
  client: string,
  waitMs: number,
  parked: boolean,
  late = true,
): LlmActorsError {
  const why = parked
    ? 'the provider asked for a pause (429) that ends'
    : 'the rateLimit budget frees up';
  const then = late ? "after the request's deadline" : 'and a group does not wait for it';
  return new LlmActorsError(
    'RATE_LIMITED',
    `${client}: ${why} in ${Math.ceil(waitMs)} ms, ${then}`,
    { client, retryAfterMs: Math.ceil(waitMs) },
  );
}

/** TIMEOUT of one attempt: no headers (a stream: no first delta) within firstTokenTimeoutMs. */
export function firstTokenTimeout(client: string, ms: number, stream: boolean): LlmActorsError {
  const what = stream ? 'first delta' : 'response headers';
  return new LlmActorsError(
    'TIMEOUT',
    `${client}: no ${what} within ${ms} ms of the attempt's start (firstTokenTimeoutMs)`,
    { client },
  );
}

/** NETWORK_ERROR of one attempt: the body fell silent for idleTimeoutMs. */
export function idleTimeout(client: string, ms: number): LlmActorsError {
  return new LlmActorsError(
    'NETWORK_ERROR',
    `${client}: the answer fell silent for ${ms} ms mid-way (idleTimeoutMs)`,
    { client, retryable: true },
  );
}
