/**
 * llm-actors errors as the AI SDK's `APICallError`, the error its retry understands.
 */
import { APICallError } from '@ai-sdk/provider';
import { isLlmActorsError } from '../../model/errors.js';

/**
 * An llm-actors error as an `APICallError`: retryable or not as the runtime decided, with the
 * fuse's retry time as `retry-after-ms`, the original error as `cause` and its code in
 * `data.code`. Anything else passes through as it is.
 */
export function apiCallError(error: unknown, client: string): unknown {
  if (!isLlmActorsError(error)) return error;
  const retryAfterMs = error.retryAfterMs;
  return new APICallError({
    message: error.message,
    url: `llm-actors://${client}`,
    requestBodyValues: { client },
    statusCode: error.status ?? undefined,
    responseHeaders:
      retryAfterMs === undefined
        ? undefined
        : { 'retry-after-ms': String(Math.ceil(retryAfterMs)) },
    responseBody: error.body,
    isRetryable: error.retryable,
    cause: error,
    data: { code: error.code, client },
  });
}
