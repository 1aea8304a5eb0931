/**
 * What a store holds for one answer, and reading it without trusting it: a persistent store
 * can hold anything (another version's entries, a hand-edited row, a torn write).
 */
import type Keyv from 'keyv';
import type { CachedCompletion } from '../model/answer.js';

/**
 * Keyv's entry, as it sits in the memory store: the value and its expiry. `expires` is epoch ms
 * on the wall clock because Keyv stamps and checks it with `Date.now()`; the cache's own reads
 * of it must agree with Keyv's.
 */
export interface StoredEntry<T = unknown> {
  value: T;
  expires?: number | undefined;
}

/** Whether a stored entry has outlived its ttl. */
export function isExpired(entry: StoredEntry): boolean {
  return typeof entry.expires === 'number' && Date.now() > entry.expires;
}

/** The entry Keyv would write for `value` with `ttlMs` (none: it never expires). */
export function storedEntry(
  value: CachedCompletion,
  ttlMs: number | undefined,
): StoredEntry<CachedCompletion> {
  return { value, expires: ttlMs === undefined ? undefined : Date.now() + ttlMs };
}

/** What an entry that cannot be read as a Keyv entry turns into: it fails validation. */
const UNREADABLE = Symbol('unreadable cache entry');

/**
 * Keyv's deserializer made total: a stored value that is not JSON, or not a `{ value }` entry,
 * becomes an entry holding {@link UNREADABLE} (invalid, dropped) instead of a throw that would
 * look like a store fault.
 */
export function safeDeserializer(parse: Keyv['deserialize']): Keyv['deserialize'] {
  const unreadable = { value: UNREADABLE };
  return (async (data: string) => {
    try {
      const entry: unknown = await parse?.(data);
      if (typeof entry === 'object' && entry !== null && 'value' in entry) return entry;
    } catch {
      // falls through: unreadable
    }
    return unreadable;
  }) as Keyv['deserialize'];
}
