/**
 * A client's counters and its latency histogram. Owned by the client entry, so they count
 * across restarts of its actor; bounded in memory whatever the traffic.
 */
import type { ErrorCode } from '../model/errors.js';
import type { Usage } from '../model/request.js';

/** Latency percentiles, in ms. */
export interface LatencyPercentiles {
  p50: number;
  p95: number;
  p99: number;
}

// Log-scaled buckets: 8 per doubling (about 9 % apart) from 1 µs to ~4.6 hours.
const SUB_BUCKETS = 8;
const MIN_MS = 0.001;
const BUCKETS = SUB_BUCKETS * 34;

/**
 * A fixed-size log-bucket histogram: constant memory, percentiles within one bucket (~9 %).
 */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;

  /** Records one latency in ms. */
  record(ms: number): void {
    const index =
      ms <= MIN_MS
        ? 0
        : Math.min(BUCKETS - 1, Math.floor(Math.log2(ms / MIN_MS) * SUB_BUCKETS) + 1);
    this.counts[index]!++;
    this.total++;
  }

  /** The upper bound of the bucket holding quantile `q` (0-1); 0 with no samples. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return i === 0 ? MIN_MS : round(MIN_MS * 2 ** (i / SUB_BUCKETS));
    }
    return round(MIN_MS * 2 ** ((BUCKETS - 1) / SUB_BUCKETS));
  }

  /** p50, p95 and p99. */
  percentiles(): LatencyPercentiles {
    return { p50: this.quantile(0.5), p95: this.quantile(0.95), p99: this.quantile(0.99) };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The last error of a client, as health shows it. */
export interface LastError {
  code: ErrorCode;
  message: string;
  at: number;
}

/** Request counters: `total = succeeded + failed + rejected` once nothing is pending. */
export interface RequestCounters {
  total: number;
  succeeded: number;
  failed: number;
  rejected: number;
}

/** Everything a client counts. */
export class ClientStats {
  readonly requests: RequestCounters = { total: 0, succeeded: 0, failed: 0, rejected: 0 };
  readonly usage: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  readonly latency = new LatencyHistogram();
  /** USD paid upstream, for a client with a price table. */
  costUsd = 0;
  /** Stream events skipped because they were not JSON (the stream went on without them). */
  readonly stream = { skippedEvents: 0 };
  lastError: LastError | null = null;

  /**
   * A request answered; `usage` only when it was paid for upstream (not a cache hit), `costUsd`
   * when the client has a price table.
   */
  succeeded(latencyMs: number, usage: Usage | undefined, costUsd?: number): void {
    this.requests.succeeded++;
    this.latency.record(latencyMs);
    if (usage) this.paid(usage, costUsd);
  }

  /** Usage (and its cost) paid upstream, answered or not. */
  paid(usage: Usage, costUsd: number | undefined): void {
    if (costUsd !== undefined) this.costUsd += costUsd;
    this.usage.promptTokens += usage.promptTokens;
    this.usage.completionTokens += usage.completionTokens;
    this.usage.totalTokens += usage.totalTokens;
  }

  /** A request failed (`rejected`: refused before any upstream attempt). */
  failed(code: ErrorCode, message: string, at: number, rejected: boolean): void {
    if (rejected) this.requests.rejected++;
    else this.requests.failed++;
    this.lastError = { code, message, at };
  }
}
