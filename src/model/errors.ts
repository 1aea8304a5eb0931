/**
 * Every error the runtime throws is an {@link LlmActorsError} with a stable {@link ErrorCode}.
 */

/** The stable codes of {@link LlmActorsError}. Documented in docs/api.md. */
export const ErrorCodes = {
  INVALID_CONFIG: 'INVALID_CONFIG',
  INVALID_REQUEST: 'INVALID_REQUEST',
  UNKNOWN_CLIENT: 'UNKNOWN_CLIENT',
  FUSE_OPEN: 'FUSE_OPEN',
  QUEUE_FULL: 'QUEUE_FULL',
  TIMEOUT: 'TIMEOUT',
  ABORTED: 'ABORTED',
  PROVIDER_ERROR: 'PROVIDER_ERROR',
  NETWORK_ERROR: 'NETWORK_ERROR',
  BAD_RESPONSE: 'BAD_RESPONSE',
  CLIENT_RESTARTED: 'CLIENT_RESTARTED',
  CLIENT_FAILED: 'CLIENT_FAILED',
  RUNTIME_STOPPED: 'RUNTIME_STOPPED',
  BUDGET_EXCEEDED: 'BUDGET_EXCEEDED',
  RATE_LIMITED: 'RATE_LIMITED',
} as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Extra facts an error carries, depending on its code. */
export interface LlmActorsErrorDetails {
  /** The client the error belongs to, when there is one. */
  client?: string;
  /** FUSE_OPEN: epoch ms when the fuse lets a probe through. */
  retryAt?: number | null;
  /** PROVIDER_ERROR: the upstream HTTP status (null when the backend gave none). */
  status?: number | null;
  /** BUDGET_EXCEEDED: epoch ms when the budget starts again (the next UTC midnight). */
  resetAt?: number;
  /** Whether trying the same request again may succeed. */
  retryable?: boolean;
  /** PROVIDER_ERROR: a short excerpt of the upstream body, secrets removed. */
  body?: string;
  /** Delay the upstream asked for (Retry-After), or RATE_LIMITED's wait, in ms. */
  retryAfterMs?: number;
  /** PROVIDER_ERROR: the provider's own error fields, when its body had them (secrets removed). */
  providerError?: ProviderErrorFields;
  /** A group call's error: the members it tried (see docs/groups.md). */
  route?: Route;
  /** The underlying error. */
  cause?: unknown;
}

/** One member tried by a group call. */
export interface RouteAttempt {
  /** The member client. */
  client: string;
  /**
   * How it failed; absent for the member that answered. A member skipped without a request
   * (fuse open, failed, restarting) has its code and `ms: 0`; a hedge's loser has `ABORTED`.
   */
  code?: ErrorCode;
  /** Time spent on it, ms (on the runtime's clock). */
  ms: number;
  /** What it paid, USD: the answer's cost, or a failed stream's billed usage (priced members). */
  costUsd?: number;
}

/** What a group call tried. */
export interface Route {
  /** The group's name. */
  group: string;
  attempts: RouteAttempt[];
}

/** What a provider said of its own error (OpenAI-style `error.code`, `type`, `param`, `message`). */
export interface ProviderErrorFields {
  code?: string;
  type?: string;
  param?: string;
  message?: string;
}

/** A brand that survives two copies of this package in one process (see {@link isLlmActorsError}). */
const BRAND = Symbol.for('llm-actors.error');

const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'FUSE_OPEN',
  'QUEUE_FULL',
  'TIMEOUT',
  'NETWORK_ERROR',
  'CLIENT_RESTARTED',
  'RATE_LIMITED',
]);

/**
 * The one error class of the runtime.
 *
 * @example
 * ```ts
 * try { await runtime.request('gpt', messages); }
 * catch (e) { if (isLlmActorsError(e) && e.code === 'FUSE_OPEN') wait(e.retryAt); }
 * ```
 */
export class LlmActorsError extends Error {
  /** The stable code; switch on this, never on the message. */
  readonly code: ErrorCode;
  /** The client the error belongs to, when there is one. */
  readonly client: string | undefined;
  /** FUSE_OPEN: epoch ms when the fuse lets a probe through. */
  readonly retryAt: number | null | undefined;
  /** PROVIDER_ERROR: the upstream HTTP status, null when the backend gave none. */
  readonly status: number | null | undefined;
  /** BUDGET_EXCEEDED: epoch ms when the budget starts again (the next UTC midnight). */
  readonly resetAt: number | undefined;
  /** Whether trying the same request again may succeed. */
  readonly retryable: boolean;
  /** PROVIDER_ERROR: a short excerpt of the upstream body, secrets removed. */
  readonly body: string | undefined;
  /** Delay the upstream asked for (Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;
  /** PROVIDER_ERROR: the provider's own error fields, when its body had them (secrets removed). */
  readonly providerError: ProviderErrorFields | undefined;
  /** A group call's error: the members it tried. */
  readonly route: Route | undefined;
  declare readonly [BRAND]: true;

  constructor(code: ErrorCode, message: string, details: LlmActorsErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'LlmActorsError';
    this.code = code;
    this.client = details.client;
    this.retryAt = details.retryAt;
    this.status = details.status;
    this.resetAt = details.resetAt;
    this.retryable = details.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.body = details.body;
    this.retryAfterMs = details.retryAfterMs;
    this.providerError = details.providerError;
    this.route = details.route;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * This error with `message` and `details` in place of its own, every other field kept as it is
   * (its cause: this error's own cause, or this error).
   */
  rephrased(message: string, details: LlmActorsErrorDetails): LlmActorsError {
    return new LlmActorsError(this.code, message, {
      client: this.client,
      retryAt: this.retryAt,
      status: this.status,
      resetAt: this.resetAt,
      retryable: this.retryable,
      body: this.body,
      retryAfterMs: this.retryAfterMs,
      providerError: this.providerError,
      route: this.route,
      cause: this.cause ?? this,
      ...details,
    });
  }

  /** A plain JSON view (for logs, history and HTTP bodies). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      client: this.client,
      retryAt: this.retryAt,
      status: this.status,
      resetAt: this.resetAt,
      retryable: this.retryable,
      body: this.body,
      retryAfterMs: this.retryAfterMs,
      providerError: this.providerError,
      route: this.route,
    };
  }
}

/**
 * True when `e` is an {@link LlmActorsError}, optionally with the given code. Works across
 * duplicate installs of the package, where `instanceof` does not.
 *
 * @example
 * ```ts
 * if (isLlmActorsError(e, 'TIMEOUT')) retryLater();
 * ```
 */
export function isLlmActorsError(e: unknown, code?: ErrorCode): e is LlmActorsError {
  if (typeof e !== 'object' || e === null || (e as Record<symbol, unknown>)[BRAND] !== true) {
    return false;
  }
  return code === undefined || (e as LlmActorsError).code === code;
}
