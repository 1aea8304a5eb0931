/**
 * llm-actors errors as the Ax error classes whose retry and failover Ax already knows, and the
 * errors the service raises itself for what it cannot serve.
 */
import {
  AxAIServiceAbortedError,
  AxAIServiceAuthenticationError,
  AxAIServiceError,
  AxAIServiceNetworkError,
  AxAIServiceResponseError,
  AxAIServiceStatusError,
  AxAIServiceTimeoutError,
} from '@ax-llm/ax';
import { isLlmActorsError, LlmActorsError, type ErrorCode } from '../../model/errors.js';

// Mistakes of the caller or its setup: no retry, no failover can help.
const CALLER_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_REQUEST',
  'INVALID_CONFIG',
  'UNKNOWN_CLIENT',
  'RUNTIME_STOPPED',
]);

/**
 * The Ax error for an llm-actors error, chosen so that Ax retries exactly what llm-actors calls
 * retryable: AxGen retries only 5xx status errors, network errors, timeouts and cut streams, so
 * a retryable error becomes one of those (a retryable 408/409/429, or a fuse, queue or crash
 * error, becomes a 503; the real status stays on `cause`). The llm-actors error is `cause`; its
 * message, already scrubbed of secrets, is the message. Anything else passes through as it is.
 */
export function toAxError(e: unknown, client: string, timeoutMs: number | undefined): unknown {
  if (!isLlmActorsError(e)) return e;
  const url = `llm-actors://${encodeURIComponent(client)}`;
  const context = { llmActors: e.toJSON() };
  const status = typeof e.status === 'number' ? e.status : undefined;
  const statusError = (s: number) =>
    new AxAIServiceStatusError(s, e.code, url, undefined, e.body, context, undefined, false);
  let message = `${e.code}: ${e.message}`;
  let error: AxAIServiceError;
  if (e.code === 'ABORTED') {
    error = new AxAIServiceAbortedError(url, e.message, undefined, context, false);
  } else if (e.retryable) {
    if (e.code === 'TIMEOUT') {
      // Only a deadline set through Ax is known here (the client's default is not): no guess.
      error = new AxAIServiceTimeoutError(
        url,
        timeoutMs ?? 0,
        undefined,
        { ...context, timeoutMs },
        false,
      );
    } else if (e.code === 'NETWORK_ERROR') {
      error = new AxAIServiceNetworkError(e, url, undefined, undefined, context, false);
    } else if (status !== undefined && status >= 500 && status < 600) {
      error = statusError(status);
    } else {
      message += ' (retryable: surfaced to Ax as HTTP 503)';
      error = statusError(503);
    }
  } else if (e.code === 'PROVIDER_ERROR' && (status === 401 || status === 403)) {
    error = new AxAIServiceAuthenticationError(url, undefined, e.body, context, false);
  } else if (e.code === 'PROVIDER_ERROR' && status !== undefined && status < 500) {
    error = statusError(status);
  } else if (CALLER_CODES.has(e.code)) {
    error = new AxAIServiceError(message, url, undefined, undefined, context, false);
  } else {
    // BAD_RESPONSE, CLIENT_FAILED, a non-retryable 5xx: this provider cannot answer it, though
    // another might (AxBalancer fails over on a response error; AxGen does not retry it).
    error = new AxAIServiceResponseError(message, url, undefined, context, false);
  }
  error.message = message;
  error.stack = error.toString();
  Object.defineProperty(error, 'cause', { value: e, writable: true, configurable: true });
  return error;
}

/** An INVALID_REQUEST error for what Ax asked of `client`: a mistake, never retried. */
export function invalid(client: string, message: string): LlmActorsError {
  return new LlmActorsError('INVALID_REQUEST', `${client}: ${message}`, {
    client,
    retryable: false,
  });
}

/** The Ax error for a service `client` does not offer (`what`: embeddings, speech…). */
export function unsupported(client: string, what: string): AxAIServiceError {
  return toAxError(
    invalid(client, `${what}: not supported; llm-actors clients serve chat completions only`),
    client,
    undefined,
  ) as AxAIServiceError;
}
