/**
 * A client's counters, its latency histogram and its last minutes. Owned by the client entry,
 * so they count across restarts of its actor; bounded in memory whatever the traffic.
 */
import type { ErrorCode, LlmActorsError } from '../model/errors.js';
import type { Usage } from '../model/request.js';
import { fuseOutcome } from '../policy/classify.js';
import { LatencyHistogram } from './latency.js';
import { RecentSeries, type SeriesPoints } from './series.js';
import { isRetryableStatus } from '../policy/classify.js';

export { LatencyHistogram, type LatencyPercentiles } from './latency.js';

/** The last error of a client, as health shows it. */
export interface LastError {
  code: ErrorCode;
  message: string;
  at: number;
  /** PROVIDER_ERROR: the upstream HTTP status, when it gave one. */
  status?: number;
  /** Present when the caller caused it (see {@link RequestCounters.callerFaults}). */
  callerFault?: true;
}

/**
 * The last failure of the provider itself (unreachable, timed out, a 5xx or 429, an unreadable
 * answer): what melted the fuse, kept apart from the rejections (FUSE_OPEN, QUEUE_FULL) and the
 * caller's faults that `lastError` may show since.
 */
export type LastCause = LastError;

/** Request counters: `total = succeeded + failed + rejected` once nothing is pending. */
export interface RequestCounters {
  total: number;
  succeeded: number;
  failed: number;
  rejected: number;
  /**
   * Of `failed` and `rejected`, those the caller caused: INVALID_REQUEST, or a provider's 4xx
   * other than 408, 409 and 429 (a bad parameter, a wrong key, an unknown model).
   */
  callerFaults: number;
}

/** Everything a client counts. */
export class ClientStats {
  readonly requests: RequestCounters = {
    total: 0,
    succeeded: 0,
    failed: 0,
    rejected: 0,
    callerFaults: 0,
  };
  readonly usage: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  readonly latency = new LatencyHistogram();
  /** USD paid upstream, for a client with a price table. */
  costUsd = 0;
  /** Stream events skipped because they were not JSON (the stream went on without them). */
  readonly stream = { skippedEvents: 0 };
  private readonly recent = new RecentSeries();
  lastError: LastError | null = null;
  lastCause: LastCause | null = null;

  /** @param now the clock the last minutes are counted on (the runtime's). */
  constructor(private readonly now: () => number = () => Date.now()) {}

  /** The last minutes, a point per second, up to now. */
  series(): SeriesPoints {
    return this.recent.points(this.now());
  }

  /**
   * A request answered; `usage` only when it was paid for upstream (not a cache hit), `costUsd`
   * when the client has a price table.
   */
  succeeded(
    latencyMs: number,
    usage: Usage | undefined,
    cacheHit: boolean,
    costUsd?: number,
  ): void {
    this.requests.succeeded++;
    this.latency.record(latencyMs);
    // One reading of the clock per request, for both of its points in the last minutes.
    const at = this.now();
    if (usage) this.paid(usage, costUsd, at);
    this.recent.answered(cacheHit, latencyMs, at);
  }

  /** Usage (and its cost) paid upstream, answered or not. */
  paid(usage: Usage, costUsd: number | undefined, at = this.now()): void {
    if (costUsd !== undefined) this.costUsd += costUsd;
    this.usage.promptTokens += usage.promptTokens;
    this.usage.completionTokens += usage.completionTokens;
    this.usage.totalTokens += usage.totalTokens;
    this.recent.paid(usage.totalTokens, costUsd ?? 0, at);
  }

  /** A request failed at `at` (`rejected`: refused before any upstream attempt). */
  failed(error: LlmActorsError, at: number, rejected: boolean): void {
    const callerFault = isCallerFault(error);
    if (rejected) this.requests.rejected++;
    else this.requests.failed++;
    if (callerFault) this.requests.callerFaults++;
    this.lastError = lastErrorOf(error, at);
    if (callerFault) this.lastError.callerFault = true;
    const cause = providerCause(error);
    if (cause !== undefined) this.lastCause = lastErrorOf(cause, at);
    this.recent.failed(callerFault, at);
  }
}

function lastErrorOf(error: LlmActorsError, at: number): LastError {
  const last: LastError = { code: error.code, message: error.message, at };
  if (typeof error.status === 'number') last.status = error.status;
  return last;
}

/** The caller's own doing: the provider is healthy, the request was wrong. */
function isCallerFault(error: LlmActorsError): boolean {
  if (error.code === 'INVALID_REQUEST') return true;
  const status = error.status;
  // A 4xx a retry cannot cure (as the official SDKs see them): the request, not the provider.
  return (
    error.code === 'PROVIDER_ERROR' &&
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    !isRetryableStatus(status)
  );
}

/**
 * The provider's failure behind `error`: itself when it counts against the provider's fuse, or
 * the provider error a FUSE_OPEN carries when it cut a request's retries short.
 */
function providerCause(error: LlmActorsError): LlmActorsError | undefined {
  if (fuseOutcome(error) === 'failure') return error;
  const cause = error.cause as LlmActorsError | undefined;
  if (error.code === 'FUSE_OPEN' && cause?.code !== undefined && fuseOutcome(cause) === 'failure') {
    return cause;
  }
  return undefined;
}
