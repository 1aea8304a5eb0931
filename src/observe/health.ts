/**
 * The health snapshot of a client: plain JSON, safe to log or serve (no secrets in it).
 */
import type { FuseSnapshot } from '../policy/fuse.js';
import type { LastCause, LastError, LatencyPercentiles } from './stats.js';
import type { CacheStats } from '../cache/counters.js';
import type { ProviderName } from '../config/types.js';
import type { Usage } from '../model/request.js';

/** A client's lifecycle status. */
export type ClientStatus = 'running' | 'restarting' | 'failed' | 'stopped';

/** One client's health. */
export interface ClientHealth {
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
   * For a client that shares a Redis cache or fuse with its fleet: whether each connection is
   * up now. While one is down the client goes on alone (cache misses, a local fuse).
   */
  fleet?: { cache?: 'up' | 'down'; fuse?: 'up' | 'down' };
}

/** What health reads of a client's running incarnation. */
export interface LiveHealth {
  fuse: FuseSnapshot;
  /** Upstream calls under way. */
  inFlight: number;
  /** Upstream calls waiting for a concurrency slot. */
  queued: number;
  /** Whether the Redis connections shared with the fleet are up, when there are any. */
  fleet: ClientHealth['fleet'];
}
