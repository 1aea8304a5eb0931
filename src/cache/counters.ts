/**
 * A client's cache counters and their health view. The counters belong to the client's registry
 * entry, not to one cache, so they keep counting across restarts.
 */

/** The cache part of a health snapshot. */
export interface CacheStats {
  hits: number;
  misses: number;
  hitRate: number;
  /** Entries read that failed validation and were dropped. */
  invalid: number;
  /** Store faults (the request went on without the cache). */
  errors: number;
  /**
   * Store operations not even tried because Redis was known to be down or stalled (the request
   * went on without the cache, at once).
   */
  skipped: number;
}

/** The counters a cache keeps; owned by the client so they survive restarts. */
export interface CacheCounters {
  hits: number;
  misses: number;
  invalid: number;
  errors: number;
  skipped: number;
}

/** A new set of zeroed counters. */
export function newCacheCounters(): CacheCounters {
  return { hits: 0, misses: 0, invalid: 0, errors: 0, skipped: 0 };
}

/** The health view of a client's cache counters. */
export function cacheStats(counters: CacheCounters): CacheStats {
  const { hits, misses, invalid, errors, skipped } = counters;
  const lookups = hits + misses;
  return { hits, misses, hitRate: lookups === 0 ? 0 : hits / lookups, invalid, errors, skipped };
}
