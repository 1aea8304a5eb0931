/**
 * Latency percentiles from a histogram of fixed size, whatever the number of requests.
 */

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

  /** How many latencies were recorded (since the last {@link LatencyHistogram.reset}). */
  get count(): number {
    return this.total;
  }

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

  /** Forgets every latency recorded. */
  reset(): void {
    if (this.total === 0) return;
    this.counts.fill(0);
    this.total = 0;
  }

  /** p50, p95 and p99. */
  percentiles(): LatencyPercentiles {
    return { p50: this.quantile(0.5), p95: this.quantile(0.95), p99: this.quantile(0.99) };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
