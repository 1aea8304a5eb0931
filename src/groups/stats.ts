/**
 * What a group counts: its calls, failovers, hedges and resumed streams, its latency, its last
 * minutes, and each member's recent latency (for the `fastest` strategy). Bounded whatever the
 * traffic.
 */
import type { ErrorCode } from '../model/errors.js';
import { LatencyHistogram, type LastError } from '../observe/stats.js';
import { GroupSeries, type GroupSeriesPoints } from './series.js';

/** How much a new sample moves a member's recent latency (an exponential moving average). */
const EWMA_WEIGHT = 0.3;

/**
 * How long a member's recent latency counts, ms. Older, it is forgotten: the member is ranked as
 * not measured (first, so it is measured again) and its next sample starts afresh. Without this
 * one slow answer or one failure (ranked as the member's whole timeout) would keep the fastest
 * member out of `fastest`'s first place for good, as it would never be asked again to show it
 * is fast.
 */
const RECENT_LATENCY_MS = 60_000;

/** A member's recent latency, ms: whole answers, and first tokens of streams. */
export interface RecentLatency {
  request: number | undefined;
  firstToken: number | undefined;
  /** When each kind was last sampled (the runtime's clock). */
  at: { request: number; firstToken: number };
}

/** One group's counters. */
export class GroupStats {
  readonly requests = { total: 0, succeeded: 0, failed: 0 };
  hedges = 0;
  resumedStreams = 0;
  /** USD its calls paid, across members: answers and billed failed streams. */
  costUsd = 0;
  readonly latency = new LatencyHistogram();
  lastError: LastError | null = null;
  private readonly recent = new Map<string, RecentLatency>();
  private readonly series = new GroupSeries();
  private failoverCount = 0;

  /** @param now the clock the last minutes are counted on (the runtime's). */
  constructor(private readonly now: () => number = () => Date.now()) {}

  /** Times a call moved on from a failed member to the next. */
  get failovers(): number {
    return this.failoverCount;
  }

  /** A call moved on from a failed member to the next (counted for the last minutes too). */
  failedOver(): void {
    this.failoverCount++;
    this.series.count('failovers', this.now());
  }

  /** The last minutes, a point per second, up to now. */
  points(): GroupSeriesPoints {
    return this.series.points(this.now());
  }

  /** A call answered after `ms`. */
  succeeded(ms: number, now = this.now()): void {
    this.requests.succeeded++;
    this.latency.record(ms);
    this.series.count('succeeded', now);
  }

  /** A member's answer or failed stream cost `usd` (undefined: a member without prices). */
  paid(usd: number | undefined): void {
    if (usd !== undefined) this.costUsd += usd;
  }

  /** A call failed. */
  failed(code: ErrorCode, message: string, at: number): void {
    this.requests.failed++;
    this.lastError = { code, message, at };
    this.series.count('failed', at);
  }

  /** Records a member's answer time, or its first token's for a stream. */
  sample(client: string, kind: 'request' | 'firstToken', ms: number, now = this.now()): void {
    let recent = this.recent.get(client);
    if (recent === undefined) {
      recent = { request: undefined, firstToken: undefined, at: { request: 0, firstToken: 0 } };
      this.recent.set(client, recent);
    }
    const before = now - recent.at[kind] > RECENT_LATENCY_MS ? undefined : recent[kind];
    recent[kind] = before === undefined ? ms : before + EWMA_WEIGHT * (ms - before);
    recent.at[kind] = now;
  }

  /**
   * A member's recent latency of `kind`; undefined until it has answered once, and again once
   * its last sample is older than {@link RECENT_LATENCY_MS}.
   */
  recentLatency(
    client: string,
    kind: 'request' | 'firstToken',
    now = this.now(),
  ): number | undefined {
    const recent = this.recent.get(client);
    if (recent === undefined || now - recent.at[kind] > RECENT_LATENCY_MS) return undefined;
    return recent[kind];
  }

  /** Forgets a member that left the group. */
  forget(client: string): void {
    this.recent.delete(client);
  }
}
