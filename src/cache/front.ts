/**
 * The front of a persistent cache: recent answers kept in process memory, so a repeated
 * question costs no SQLite or Redis round trip. It honours the cache's ttl, so it never serves
 * an answer the store behind it would already have expired.
 */
import { LRUCache } from 'lru-cache';
import type { CachedCompletion } from '../model/answer.js';
import { isExpired, storedEntry, type StoredEntry } from './entry.js';

/** Recent answers of a persistent store, with their expiry. */
export class Front {
  private readonly lru: LRUCache<string, StoredEntry<CachedCompletion>>;

  /** A front of at most `max` answers, each kept for `ttlMs` (none: until evicted). */
  constructor(
    max: number,
    private readonly ttlMs: number | undefined,
  ) {
    this.lru = new LRUCache({ max });
  }

  /** The answer for `key` while it has not expired, or undefined. */
  get(key: string): CachedCompletion | undefined {
    const recent = this.lru.get(key);
    return recent === undefined || isExpired(recent) ? undefined : recent.value;
  }

  /** Keeps an answer just read from or written to the store. */
  remember(key: string, value: CachedCompletion): void {
    this.lru.set(key, storedEntry(value, this.ttlMs));
  }

  /** Forgets every answer. */
  clear(): void {
    this.lru.clear();
  }
}
