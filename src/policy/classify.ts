/**
 * Turning what went wrong in an attempt into a typed error, and deciding what it means for
 * retry and for the fuse.
 */
import { inspect } from 'node:util';
import { LlmActorsError, isLlmActorsError, type ProviderErrorFields } from '../model/errors.js';
import type { FuseOutcome } from './fuse.js';
import { containsSecret, scrub } from '../model/redact.js';
import {
  QUOTA_CODE,
  headerValue,
  MAX_RETRY_AFTER_MS,
  rateLimitResetMs,
  secondsOrDateMs,
} from './rate-limit-headers.js';

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EPROTO',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
]);

/**
 * TLS failures: Node's own codes (ERR_TLS_*), OpenSSL's (ERR_SSL_*, ERR_OSSL_*) and the names
 * of X.509 verification errors (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE…).
 */
const TLS_PREFIX = /^(?:ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|CRL_|UNABLE_TO_|ERROR_IN_C)/;
const TLS_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
]);

/** True when `code` (and, for the vague EPROTO, `message`) says the TLS layer failed. */
export function isTlsFailure(code: string, message: string): boolean {
  if (code === 'EPROTO') return /\b(?:ssl|tls)\b/i.test(message);
  return TLS_PREFIX.test(code) || TLS_CODES.has(code);
}

const BODY_EXCERPT = 500;

/** Statuses a retry may cure (as the official SDKs do: 408, 409, 429 and 5xx). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Statuses that melt the fuse: the provider is overloaded or broken, not the caller. */
function isFailureStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Reads `retry-after-ms` or `retry-after` (seconds or an HTTP date) into ms. */
export function retryAfterMs(
  headers: Record<string, string | string[] | undefined>,
  now: number,
): number | undefined {
  const ms = headerValue(headers['retry-after-ms']);
  if (ms !== undefined) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headerValue(headers['retry-after']);
  return after === undefined ? undefined : secondsOrDateMs(after, now);
}

/** The PROVIDER_ERROR of an HTTP answer that is not 2xx. */
export function httpError(
  client: string,
  provider: string,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  secrets: readonly string[],
  now: number,
): LlmActorsError {
  // Scrub before cutting: a key straddling the cut would otherwise leak its first half.
  const excerpt = scrub(body, secrets).slice(0, BODY_EXCERPT);
  const shouldRetry = headerValue(headers['x-should-retry']);
  const fields = providerFields(body, secrets);
  // A spent quota does not come back by waiting a few seconds (it parks the client instead).
  const quota = isQuota(status, fields);
  const retryable = quota
    ? false
    : shouldRetry === 'true'
      ? true
      : shouldRetry === 'false'
        ? false
        : isRetryableStatus(status);
  const wait =
    retryAfterMs(headers, now) ?? (status === 429 ? rateLimitResetMs(headers, now) : undefined);
  return new LlmActorsError(
    'PROVIDER_ERROR',
    `${client}: ${provider} answered HTTP ${status}${fields?.message ? `: ${fields.message}` : ''}`,
    {
      client,
      status,
      retryable,
      body: excerpt,
      retryAfterMs: wait === undefined ? undefined : Math.min(wait, MAX_RETRY_AFTER_MS),
      ...(fields === undefined ? {} : { providerError: fields }),
    },
  );
}

/**
 * The provider's own error fields of an error body (OpenAI's `{ error: { message, type, code,
 * param } }`, Anthropic's `{ error: { type, message } }`, or a bare `{ error: "..." }` /
 * `{ message }`), scrubbed; undefined when the body is not such JSON.
 */
function providerFields(body: string, secrets: readonly string[]): ProviderErrorFields | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const top = parsed as { error?: unknown; message?: unknown };
  const error = top.error;
  const fields: ProviderErrorFields = {};
  const text = (value: unknown, max: number) =>
    typeof value === 'string' ? scrub(value, secrets).slice(0, max) : undefined;
  if (typeof error === 'string') fields.message = text(error, 200);
  else if (typeof error === 'object' && error !== null) {
    const e = error as Record<string, unknown>;
    fields.message = text(e.message, 200);
    fields.type = text(e.type, 100);
    fields.code = text(typeof e.code === 'number' ? String(e.code) : e.code, 100);
    fields.param = text(e.param, 100);
  } else fields.message = text(top.message, 200);
  for (const key of Object.keys(fields) as (keyof ProviderErrorFields)[]) {
    if (fields[key] === undefined) delete fields[key];
  }
  return Object.keys(fields).length === 0 ? undefined : fields;
}

/**
 * The cause to keep on a typed error: the original, unless a secret appears anywhere in it (its
 * message, stack, own properties or nested causes, as `util.inspect` shows them), in which case
 * a plain Error with the scrubbed message and stack.
 */
export function safeCause(error: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return error;
  if (typeof error === 'string') return scrub(error, secrets);
  if (typeof error !== 'object' || error === null) return error;
  const shown = inspect(error, { depth: 8, breakLength: Infinity });
  if (!containsSecret(shown, secrets)) return error;
  const e = error as { name?: unknown; message?: unknown; stack?: unknown };
  const copy = new Error(scrub(String(e.message ?? shown), secrets));
  copy.name = typeof e.name === 'string' ? e.name : 'Error';
  copy.stack = scrub(typeof e.stack === 'string' ? e.stack : copy.message, secrets);
  return copy;
}

/**
 * Turns anything thrown during an attempt into an LlmActorsError. When the attempt's signal was
 * aborted, the abort reason (TIMEOUT, ABORTED, CLIENT_RESTARTED) wins over what the transport
 * threw about it.
 */
export function classify(
  error: unknown,
  signal: { readonly aborted: boolean; readonly reason: unknown },
  client: string,
  secrets: readonly string[],
): LlmActorsError {
  if (signal.aborted && isLlmActorsError(signal.reason)) return signal.reason;
  if (isLlmActorsError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    status?: unknown;
    statusCode?: unknown;
    retryable?: unknown;
    message?: unknown;
    cause?: { code?: unknown };
  };
  const message = scrub(typeof e.message === 'string' ? e.message : String(error), secrets);
  const code = typeof e.code === 'string' ? e.code : e.cause?.code;
  // A certificate or handshake failure does not heal between attempts: not retried.
  if (typeof code === 'string' && isTlsFailure(code, message)) {
    return new LlmActorsError('NETWORK_ERROR', `${client}: TLS failure (${code}): ${message}`, {
      client,
      retryable: false,
      cause: safeCause(error, secrets),
    });
  }
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    return new LlmActorsError('NETWORK_ERROR', `${client}: ${code}: ${message}`, {
      client,
      retryable: true,
      cause: safeCause(error, secrets),
    });
  }
  const status =
    typeof e.status === 'number'
      ? e.status
      : typeof e.statusCode === 'number'
        ? e.statusCode
        : null;
  const retryable =
    typeof e.retryable === 'boolean'
      ? e.retryable
      : status === null
        ? true
        : isRetryableStatus(status);
  return new LlmActorsError('PROVIDER_ERROR', `${client}: ${message}`, {
    client,
    status,
    retryable,
    cause: safeCause(error, secrets),
  });
}

/** What an error means to the fuse. */
export function fuseOutcome(error: LlmActorsError): FuseOutcome {
  switch (error.code) {
    case 'NETWORK_ERROR':
    case 'TIMEOUT':
    case 'BAD_RESPONSE':
      return 'failure';
    case 'PROVIDER_ERROR':
      // A 429 that says when to come back (or that the quota is spent) parks the client: the
      // provider is well, only busy with us. One that names no wait (Retry-After: 0, a date
      // past) parks nothing, and counts like a 429 without a time.
      if ((parkMs(error) ?? 0) > 0) return 'neutral';
      return error.status == null || isFailureStatus(error.status) ? 'failure' : 'success';
    default:
      return 'neutral';
  }
}

/** How long a spent quota parks a client at least, ms. */
const QUOTA_PARK_MS = 60_000;

/** A 429 for a spent quota (OpenAI `insufficient_quota`): not retried, parks the client. */
function isQuotaError(error: LlmActorsError): boolean {
  return isQuota(error.status, error.providerError);
}

function isQuota(status: number | null | undefined, fields: ProviderErrorFields | undefined) {
  return status === 429 && (fields?.code === QUOTA_CODE || fields?.type === QUOTA_CODE);
}

/**
 * How long a failure parks its client, ms: a 429 that names a time, that time; a quota 429,
 * {@link QUOTA_PARK_MS} or the named time if longer; anything else, undefined (no park).
 */
export function parkMs(error: LlmActorsError): number | undefined {
  if (error.code !== 'PROVIDER_ERROR' || error.status !== 429) return undefined;
  if (isQuotaError(error)) return Math.max(QUOTA_PARK_MS, error.retryAfterMs ?? 0);
  return error.retryAfterMs;
}
