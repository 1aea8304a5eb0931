/**
 * The health snapshot of a client: plain JSON, safe to log or serve (no secrets in it).
 */
import type { FuseSnapshot } from '../policy/fuse.js';
import type { LastCause, LastError, LatencyPercentiles } from './stats.js';
import type { CacheStats } from '../cache/counters.js';
import type { ProviderName } from '../config/types.js';
import type { Usage } from '../model/request.js';
import type { BudgetHealth } from './budget.js';

/** A client's lifecycle status. */
export type ClientStatus = 'running' | 'restarting' | 'failed' | 'stopped';

/** One client's health. */
export interface ClientHealth {
  /** Tells a client's health from a group's in `runtime.health()`. */
  kind: 'client';
  name: string;
  provider: ProviderName;
  model: string;
  status: ClientStatus;
  fuse: FuseSnapshot;
  requests: {
    total: number;
    succeeded: number;
    failed: number;
    rejected: number;
    /** Of `failed` and `rejected`, the caller's own faults (INVALID_REQUEST, a provider's 4xx). */
    callerFaults: number;
    /** Upstream calls under way. */
    inFlight: number;
    /** Upstream calls waiting for a concurrency slot. */
    queued: number;
  };
  cache: CacheStats;
  latencyMs: LatencyPercentiles;
  /** Tokens paid for upstream (cache hits cost none). */
  usage: Usage;
  /** How many times the actor was restarted. */
  restarts: number;
  lastError: LastError | null;
  /** The provider's last failure (what melts the fuse), apart from rejections and caller faults. */
  lastCause: LastCause | null;
  /** When the current incarnation started, epoch ms. */
  startedAt: number;
  /**
   * Until when (epoch ms) the client is parked — a provider's 429 that named a time, or its own
   * `rateLimit` while requests wait for its budget — or null when it is not parked.
   */
  parkedUntil: number | null;
  /** Stream events skipped because they were not JSON. */
  stream: { skippedEvents: number };
  /**
   * For a client that shares a Redis cache, fuse, budget or rate limit with its fleet: whether
   * each one is up now. While one is down the client goes on alone (cache misses, a local fuse).
   */
  fleet?: {
    cache?: 'up' | 'down';
    fuse?: 'up' | 'down';
    budget?: 'up' | 'down';
    rate?: 'up' | 'down';
  };
  /** USD paid upstream so far, for a client with `pricing`. */
  cost?: { usd: number };
  /** Today's spending against the client's `budget`, when it has one. */
  budget?: BudgetHealth;
}

/** True for a client's health among `runtime.health()`'s, which lists groups too. */
export function isClientHealth(health: { kind: string }): health is ClientHealth {
  return health.kind === 'client';
}

/** What health reads of a client's running incarnation. */
export interface LiveHealth {
  fuse: FuseSnapshot;
  /** Upstream calls under way. */
  inFlight: number;
  /** Upstream calls waiting for a concurrency slot or for the rate limit. */
  queued: number;
  /** Until when the client is parked (epoch ms), or null. */
  parkedUntil: number | null;
  /** Whether the Redis connections shared with the fleet are up, when there are any. */
  fleet: ClientHealth['fleet'];
}
