/**
 * What a member's failure means to its group: another member could fix it (fail over), the
 * request itself is at fault (it comes back), or the request is too long for this model (the
 * group's `onContextOverflow` members may take it). The table is in docs/groups.md.
 */
import type { ErrorCode, LlmActorsError } from '../model/errors.js';
import { logOf, type GroupContext } from './context.js';

/** What a group does after a member's failure. */
export type FailoverAction = 'failover' | 'return' | 'overflow';

/**
 * Codes another member could fix: a member out of its rate limit or its daily budget is one to
 * skip too (BUDGET_EXCEEDED is not retryable on that member, but another has its own).
 */
const FAILS_OVER: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'FUSE_OPEN',
  'QUEUE_FULL',
  'RATE_LIMITED',
  'BUDGET_EXCEEDED',
  'TIMEOUT',
  'NETWORK_ERROR',
  'BAD_RESPONSE',
  'CLIENT_RESTARTED',
  'CLIENT_FAILED',
]);

/**
 * OpenAI's code, and the words others use for it: OpenAI-compatible servers and vLLM ("maximum
 * context length"), Anthropic ("prompt is too long", "input length and `max_tokens` exceed
 * context limit"), Ollama ("the input length exceeds the context length"), llama.cpp ("exceeds
 * the available context size", `exceed_context_size_error`).
 */
const OVERFLOW_TEXT =
  /context_length_exceeded|maximum context length|prompt is too long|exceeds? (the )?(available )?context (length|size|limit)|exceed_context_size_error/i;

/** True when a provider refused the request as longer than the model's context. */
export function isContextOverflow(error: LlmActorsError): boolean {
  if (error.code !== 'PROVIDER_ERROR') return false;
  const fields = error.providerError;
  if (fields?.code === 'context_length_exceeded') return true;
  return OVERFLOW_TEXT.test(fields?.message ?? '') || OVERFLOW_TEXT.test(error.body ?? '');
}

/**
 * The group's move after `error`. A provider's 408, 429 and 5xx fail over whatever their
 * `retryable` says (a quota 429 is not retryable on that member, but another has its own);
 * its other 4xx are the caller's fault and come back, as does a failure with no status that
 * the provider called final.
 */
export function failoverAction(error: LlmActorsError): FailoverAction {
  if (FAILS_OVER.has(error.code)) return 'failover';
  if (error.code !== 'PROVIDER_ERROR') return 'return';
  if (isContextOverflow(error)) return 'overflow';
  const status = error.status;
  if (status === null || status === undefined) return error.retryable ? 'failover' : 'return';
  return status === 408 || status === 429 || status >= 500 ? 'failover' : 'return';
}

/**
 * True when a member refused a prefilled (resumed) request as a caller fault — a 400
 * `invalid_prefill` or any other 4xx: it may still answer the original request cleanly.
 */
export function refusedPrefill(error: LlmActorsError): boolean {
  return (
    error.code === 'INVALID_REQUEST' ||
    (failoverAction(error) !== 'failover' &&
      error.status != null &&
      error.status >= 400 &&
      error.status < 500)
  );
}

/**
 * What a group call does after its member `client` failed with `error` (said in the member's
 * log): `return` too for an overflow with no larger member left (`overflowed`: they were tried).
 * A member failed over ranks as its timeout for `fastest`: answering fast with errors is no merit.
 */
export function moveAfter(
  ctx: GroupContext,
  client: string,
  error: LlmActorsError,
  overflowed: boolean,
  stream: boolean,
): FailoverAction {
  let action = failoverAction(error);
  if (action === 'overflow' && (overflowed || ctx.group.onContextOverflow.length === 0)) {
    action = 'return';
  }
  logOf(ctx, client).debug(
    { group: ctx.group.name, code: error.code, action },
    'group member failed',
  );
  if (action !== 'return') {
    const timeoutMs = ctx.entry(client).spec.config.timeoutMs;
    ctx.stats.sample(client, stream ? 'firstToken' : 'request', timeoutMs);
  }
  return action;
}
