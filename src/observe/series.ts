/**
 * The last minutes of a client, one point per second: requests split into cache hits, misses,
 * errors and caller faults, tokens and USD paid, and the p50/p99 latency of hits apart from misses.
 * A fixed ring of columns, so its memory is the same whatever the traffic: about 20 KB per
 * client for the default five minutes.
 */
import { LatencyHistogram } from './latency.js';

/** The columns of a point, in the order {@link SeriesPoints} lists them. */
const COUNTS = ['hits', 'misses', 'errors', 'callerFaults', 'tokens', 'costUsd'] as const;
const LATENCIES = ['hitP50', 'hitP99', 'missP50', 'missP99'] as const;

/**
 * A client's last seconds, oldest first, one entry per second in every array. A latency is
 * null in a second that had no request of its kind.
 */
export interface SeriesPoints {
  /** Epoch ms of the first point; point `i` covers `[start + i * 1000, start + (i + 1) * 1000)`. */
  start: number;
  /** Requests answered from the cache. */
  hits: number[];
  /** Requests answered upstream (single-flight joiners included). */
  misses: number[];
  /** Requests that failed or were refused, save the caller's own faults. */
  errors: number[];
  /** Requests that failed through the caller's fault (an invalid request, a provider's 4xx). */
  callerFaults: number[];
  /** Tokens paid upstream, answered or not (a cut stream's included). */
  tokens: number[];
  /** USD paid upstream, for a client with `pricing` (zeros without one). */
  costUsd: number[];
  hitP50: (number | null)[];
  hitP99: (number | null)[];
  missP50: (number | null)[];
  missP99: (number | null)[];
}

type Column = (typeof COUNTS)[number] | (typeof LATENCIES)[number];

/** A bounded per-second ring of one client's traffic. */
export class RecentSeries {
  private readonly columns = {} as Record<Column, Float64Array>;
  private readonly hitLatency = new LatencyHistogram();
  private readonly missLatency = new LatencyHistogram();
  /** The epoch second the current slot counts; -1 before the first record. */
  private second = -1;

  /** @param seconds how many seconds the ring keeps. */
  constructor(private readonly seconds = 300) {
    for (const name of [...COUNTS, ...LATENCIES]) {
      this.columns[name] = new Float64Array(seconds).fill(name in LATENCY_SET ? NaN : 0);
    }
  }

  /** A request answered at `at` (epoch ms) in `latencyMs`. */
  answered(cacheHit: boolean, latencyMs: number, at: number): void {
    const slot = this.slot(at);
    // Named columns, not looked up by key: this runs on every request, hits included.
    if (cacheHit) {
      this.columns.hits[slot]!++;
      this.hitLatency.record(latencyMs);
    } else {
      this.columns.misses[slot]!++;
      this.missLatency.record(latencyMs);
    }
  }

  /** `tokens` and `costUsd` (0 without a price table) paid upstream at `at`. */
  paid(tokens: number, costUsd: number, at: number): void {
    const slot = this.slot(at);
    this.columns.tokens[slot]! += tokens;
    this.columns.costUsd[slot]! += costUsd;
  }

  /** A request failed at `at`; `callerFault` when the caller caused it. */
  failed(callerFault: boolean, at: number): void {
    const slot = this.slot(at);
    if (callerFault) this.columns.callerFaults[slot]!++;
    else this.columns.errors[slot]!++;
  }

  /** The ring as of `now` (epoch ms): the last `seconds` seconds, the current one included. */
  points(now: number): SeriesPoints {
    const last = Math.floor(now / 1000);
    this.slot(now);
    const first = last - this.seconds + 1;
    const out = { start: first * 1000 } as SeriesPoints;
    for (const name of COUNTS) out[name] = this.read(name, first, last).map((v) => v ?? 0);
    for (const name of LATENCIES) {
      const values = this.read(name, first, last);
      // The current second is still counting: its percentiles are read live.
      if (this.second === last && values.length > 0) values[values.length - 1] = this.live(name);
      out[name] = values;
    }
    return out;
  }

  private read(name: Column, first: number, last: number): (number | null)[] {
    const column = this.columns[name];
    const values: (number | null)[] = [];
    for (let s = first; s <= last; s++) {
      const recorded = s <= this.second && s > this.second - this.seconds;
      const v = recorded ? column[s % this.seconds]! : name in LATENCY_SET ? NaN : 0;
      values.push(Number.isNaN(v) ? null : v);
    }
    return values;
  }

  private live(name: (typeof LATENCIES)[number]): number | null {
    const histogram = name.startsWith('hit') ? this.hitLatency : this.missLatency;
    if (histogram.count === 0) return null;
    return histogram.quantile(name.endsWith('50') ? 0.5 : 0.99);
  }

  /** The slot of `at`'s second, moving the ring on (and closing the seconds passed) first. */
  private slot(at: number): number {
    const s = Math.floor(at / 1000);
    // A clock that stepped back counts into the current second rather than rewriting history.
    if (s > this.second) this.advance(s);
    return this.second % this.seconds;
  }

  private advance(s: number): void {
    if (this.second >= 0) this.close(this.second % this.seconds);
    const from = Math.max(this.second + 1, s - this.seconds + 1);
    for (let t = from; t <= s; t++) {
      for (const [name, column] of Object.entries(this.columns)) {
        column[t % this.seconds] = name in LATENCY_SET ? NaN : 0;
      }
    }
    this.second = s;
  }

  /** Writes the closing second's percentiles and empties the histograms for the next. */
  private close(slot: number): void {
    for (const name of LATENCIES) {
      const value = this.live(name);
      this.columns[name][slot] = value === null ? NaN : value;
    }
    this.hitLatency.reset();
    this.missLatency.reset();
  }
}

const LATENCY_SET: Readonly<Record<string, true>> = Object.fromEntries(
  LATENCIES.map((name) => [name, true]),
);
