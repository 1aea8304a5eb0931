/**
 * One client's cache: a Keyv namespace of its own over memory, SQLite or Redis. It stores the
 * normalized Completion and checks every entry it reads; an entry that fails the check is
 * deleted and counted as a miss. A store fault never fails a request: it is a miss (or an
 * unsaved answer), logged and counted.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { DEFAULTS, type CacheConfig } from '../config.js';
import type { Completion, FinishReason } from '../request.js';

/** What a cache holds for one request: the Completion without its per-call fields. */
export type CachedCompletion = Omit<Completion, 'client' | 'cacheHit' | 'latencyMs' | 'raw'>;

/** The cache part of a health snapshot. */
export interface CacheStats {
  hits: number;
  misses: number;
  hitRate: number;
  /** Entries read that failed validation and were dropped. */
  invalid: number;
  /** Store faults (the request went on without the cache). */
  errors: number;
}

const FINISH_REASONS: ReadonlySet<string> = new Set<FinishReason>([
  'stop',
  'length',
  'content_filter',
  'tool_calls',
  'error',
  'other',
]);

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** True when `value` is a well-formed cached completion. */
export function isCachedCompletion(value: unknown): value is CachedCompletion {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  const usage = c.usage as Record<string, unknown> | null | undefined;
  if (
    typeof c.text !== 'string' ||
    typeof c.model !== 'string' ||
    typeof c.finishReason !== 'string' ||
    !FINISH_REASONS.has(c.finishReason) ||
    typeof usage !== 'object' ||
    usage === null ||
    !isCount(usage.promptTokens) ||
    !isCount(usage.completionTokens) ||
    !isCount(usage.totalTokens)
  ) {
    return false;
  }
  if (c.choices === undefined) return true;
  return (
    Array.isArray(c.choices) &&
    c.choices.every(
      (choice: unknown) =>
        typeof choice === 'object' &&
        choice !== null &&
        typeof (choice as Record<string, unknown>).text === 'string' &&
        FINISH_REASONS.has((choice as Record<string, unknown>).finishReason as string),
    )
  );
}

/** The counters a cache keeps; owned by the client so they survive restarts. */
export interface CacheCounters {
  hits: number;
  misses: number;
  invalid: number;
  errors: number;
}

/** A new set of zeroed counters. */
export function newCacheCounters(): CacheCounters {
  return { hits: 0, misses: 0, invalid: 0, errors: 0 };
}

/** The health view of a client's cache counters. */
export function cacheStats(counters: CacheCounters): CacheStats {
  const { hits, misses, invalid, errors } = counters;
  const lookups = hits + misses;
  return { hits, misses, hitRate: lookups === 0 ? 0 : hits / lookups, invalid, errors };
}

/** The namespace of a client: a digest, so no name can reach into another's keys. */
export function cacheNamespace(client: string): string {
  return `llma-${createHash('sha256').update(client).digest('hex').slice(0, 16)}`;
}

async function sqliteStore(path: string): Promise<KeyvStoreAdapter> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'a', 0o600);
  await handle.close();
  await chmod(path, 0o600);
  const { default: KeyvSqlite } = await import('@keyv/sqlite');
  const store = new KeyvSqlite({
    uri: `sqlite://${path}`,
    table: 'llm_actors_cache',
    busyTimeout: 5_000,
  });
  await store.query('PRAGMA journal_mode=WAL');
  await store.query('PRAGMA synchronous=NORMAL');
  return store as unknown as KeyvStoreAdapter;
}

async function redisStore(url: string): Promise<KeyvStoreAdapter> {
  const { default: KeyvRedis } = await import('@keyv/redis');
  return new KeyvRedis(url, { throwOnConnectError: false }) as unknown as KeyvStoreAdapter;
}

/** Opens the store a cache config names. */
async function openStore(config: CacheConfig): Promise<KeyvStoreAdapter | LRUCache<string, any>> {
  switch (config.store) {
    case 'memory':
      return new LRUCache<string, any>({ max: config.maxEntries ?? DEFAULTS.memoryEntries });
    case 'sqlite':
      return sqliteStore(config.path ?? DEFAULTS.cachePath);
    case 'redis':
      return redisStore(config.url ?? '');
    default:
      throw new Error(`unknown cache store ${String(config.store satisfies never)}`);
  }
}

/** A client's cache. */
export class ClientCache {
  readonly persistent: boolean;
  private readonly keyv: Keyv;
  private readonly logger: Logger;
  private readonly stats: CacheCounters;

  private constructor(keyv: Keyv, persistent: boolean, logger: Logger, stats: CacheCounters) {
    this.keyv = keyv;
    this.persistent = persistent;
    this.logger = logger;
    this.stats = stats;
    // Every fault also rejects the operation that met it, where it is counted; this listener
    // only keeps an emitted 'error' from becoming an uncaught exception.
    keyv.on('error', (error: unknown) => logger.debug({ err: error }, 'cache store error event'));
  }

  /**
   * Opens the cache of `client` as `config` says. `stats` outlives the cache (a restart opens
   * a new cache but keeps counting).
   */
  static async open(
    client: string,
    config: CacheConfig,
    logger: Logger,
    stats: CacheCounters,
  ): Promise<ClientCache> {
    const store = await openStore(config);
    const keyv = new Keyv({
      store: store as KeyvStoreAdapter,
      namespace: cacheNamespace(client),
      ttl: config.ttlMs,
      throwOnErrors: true,
    });
    return new ClientCache(keyv, config.store !== 'memory', logger, stats);
  }

  /** The cached answer for `key`, or undefined. */
  async get(key: string): Promise<CachedCompletion | undefined> {
    let value: unknown;
    try {
      value = await this.keyv.get(key);
    } catch (error) {
      this.fault('get', error);
      this.stats.misses++;
      await this.drop(key);
      return undefined;
    }
    if (value === undefined) {
      this.stats.misses++;
      return undefined;
    }
    if (!isCachedCompletion(value)) {
      this.stats.invalid++;
      this.stats.misses++;
      this.logger.warn({ key }, 'dropped a cache entry that failed validation');
      await this.drop(key);
      return undefined;
    }
    this.stats.hits++;
    return value;
  }

  /** Stores an answer; a store fault is logged, never thrown. */
  async set(key: string, value: CachedCompletion): Promise<void> {
    try {
      await this.keyv.set(key, value);
    } catch (error) {
      this.fault('set', error);
    }
  }

  /** Drops every answer of this client. */
  async clear(): Promise<void> {
    await this.keyv.clear();
  }

  /** Closes the store's connection. */
  async close(): Promise<void> {
    try {
      await this.keyv.disconnect();
    } catch (error) {
      this.fault('close', error);
    }
  }

  private async drop(key: string): Promise<void> {
    try {
      await this.keyv.delete(key);
    } catch (error) {
      this.fault('delete', error);
    }
  }

  private fault(op: string, error: unknown): void {
    this.stats.errors++;
    this.logger.warn({ op, err: error }, 'cache store fault; going on without the cache');
  }
}
