/**
 * One client's cache: a Keyv namespace of its own over memory, SQLite or Redis. It stores the
 * normalized Completion and checks every entry it reads; an entry that fails the check is
 * deleted and counted as a miss. A store fault never fails a request: it is a miss (or an
 * unsaved answer), logged and counted.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, open } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { nanoid } from 'nanoid';
import { DEFAULTS } from '../config/defaults.js';
import type { CacheConfig } from '../config/types.js';
import { connectRedis, type RedisLink } from '../fleet/redis.js';
import { isCachedCompletion, type CachedCompletion } from '../model/answer.js';

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

/** How often a process waiting for another's answer looks for it in Redis, ms. */
const PEER_POLL_MS = 10;
/** The fleet lock outlives the holder's deadline by this much, ms. */
const LOCK_MARGIN_MS = 1_000;
/** Deletes a lock only if it still holds the token that took it. */
const RELEASE_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** The namespace of a client: a digest, so no name can reach into another's keys. */
export function cacheNamespace(client: string): string {
  return `llma-${createHash('sha256').update(client).digest('hex').slice(0, 16)}`;
}

/** SQLite opens under way, by absolute path: one file is opened by one connection at a time. */
const sqliteOpening = new Map<string, Promise<KeyvStoreAdapter>>();

/**
 * Opens the SQLite store at `path`. Opens of one file are queued in this process: switching a
 * new file to WAL takes an exclusive lock, and SQLite answers SQLITE_BUSY at once (without
 * waiting out busyTimeout) when another connection is opening the same file.
 */
async function sqliteStore(path: string): Promise<KeyvStoreAdapter> {
  const file = resolvePath(path);
  const before = sqliteOpening.get(file) ?? Promise.resolve();
  const opening = before.then(
    () => openSqlite(file),
    () => openSqlite(file),
  );
  sqliteOpening.set(file, opening);
  try {
    return await opening;
  } finally {
    if (sqliteOpening.get(file) === opening) sqliteOpening.delete(file);
  }
}

async function openSqlite(path: string): Promise<KeyvStoreAdapter> {
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
  try {
    await walMode(store);
    await store.query('PRAGMA synchronous=NORMAL');
  } catch (error) {
    await store.disconnect().catch(() => undefined);
    throw error;
  }
  return store as unknown as KeyvStoreAdapter;
}

/** Turns WAL on, retrying a while if another process holds the file (SQLITE_BUSY). */
async function walMode(store: { query: (sql: string) => Promise<unknown> }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await store.query('PRAGMA journal_mode=WAL');
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
    }
  }
}

/**
 * The Redis store, on a connection of ours that fails commands at once while Redis is down (a
 * fault, so the request goes on as a miss) instead of queueing them until it is back.
 */
async function redisStore(url: string, logger: Logger): Promise<Opened> {
  const { default: KeyvRedis } = await import('@keyv/redis');
  const redis = connectRedis(url, logger, 'cache');
  const store = new KeyvRedis(redis.client as never, {
    throwOnConnectError: false,
    throwOnErrors: true,
  });
  return { store: store as unknown as KeyvStoreAdapter, redis };
}

interface Opened {
  store: KeyvStoreAdapter;
  redis?: RedisLink;
}

/**
 * The memory store: an LRU behind the four calls Keyv makes. Keyv passes a ttl number as the
 * third argument of `set`, which LRUCache takes for its options object (and throws on, in strict
 * mode); Keyv already stamps `expires` on every entry and checks it on read, so it is dropped.
 */
function memoryStore(max: number): KeyvStoreAdapter {
  // LRUCache allocates its index for `max` entries up front (milliseconds and hundreds of KiB
  // at the default size): built on the first write, so idle clients and restarts stay cheap.
  let lru: LRUCache<string, string> | undefined;
  const store = {
    get: (key: string) => lru?.get(key),
    set: (key: string, value: string) => {
      lru ??= new LRUCache<string, string>({ max });
      lru.set(key, value);
      return true;
    },
    delete: (key: string) => lru?.delete(key) ?? false,
    clear: () => lru?.clear(),
  };
  return store as unknown as KeyvStoreAdapter;
}

/** Opens the store a cache config names. */
async function openStore(config: CacheConfig, logger: Logger): Promise<Opened> {
  switch (config.store) {
    case 'memory':
      return { store: memoryStore(config.maxEntries ?? DEFAULTS.memoryEntries) };
    case 'sqlite':
      return { store: await sqliteStore(config.path ?? DEFAULTS.cachePath) };
    case 'redis':
      return redisStore(config.url ?? '', logger);
    default:
      throw new Error(`unknown cache store ${String(config.store satisfies never)}`);
  }
}

/** What an entry that cannot be read as a Keyv entry turns into: it fails validation. */
const UNREADABLE = Symbol('unreadable cache entry');

/**
 * Keyv's deserializer made total: a stored value that is not JSON, or not a `{ value }` entry,
 * becomes an entry holding {@link UNREADABLE} (invalid, dropped) instead of a throw that would
 * look like a store fault.
 */
function safeDeserializer(parse: Keyv['deserialize']): Keyv['deserialize'] {
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

/** A client's cache. */
export class ClientCache {
  readonly persistent: boolean;
  private readonly keyv: Keyv;
  private readonly logger: Logger;
  private readonly stats: CacheCounters;
  /** Answers whose write is under way, by key: served until the store has them. */
  private readonly writing = new Map<string, CachedCompletion>();
  /** The writes under way; close() waits for them. */
  private readonly writes = new Set<Promise<void>>();

  /** The in-process store, read directly on the hot path (memory caches only). */
  private readonly memory: KeyvStoreAdapter | undefined;
  private readonly prefix: string;

  /** Recent answers of a persistent store, kept in memory in front of it (with their expiry). */
  private readonly front:
    LRUCache<string, { value: CachedCompletion; expires: number }> | undefined;
  private readonly ttlMs: number | undefined;
  /** The Redis connection of a redis store. */
  private readonly redis: RedisLink | undefined;
  /** Whether misses take the fleet lock (redis with `singleFlight`). */
  readonly sharedFlights: boolean;

  private constructor(
    keyv: Keyv,
    persistent: boolean,
    logger: Logger,
    stats: CacheCounters,
    config: CacheConfig,
    redis: RedisLink | undefined,
  ) {
    this.redis = redis;
    this.sharedFlights = redis !== undefined && config.singleFlight !== false;
    const frontEntries = config.frontEntries ?? DEFAULTS.frontEntries;
    this.front = persistent && frontEntries > 0 ? new LRUCache({ max: frontEntries }) : undefined;
    this.ttlMs = config.ttlMs;
    this.keyv = keyv;
    this.memory = persistent ? undefined : (keyv.opts.store as KeyvStoreAdapter);
    this.prefix = `${keyv.namespace}:`;
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
    const { store, redis } = await openStore(config, logger);
    const persistent = config.store !== 'memory';
    const keyv = new Keyv({
      store,
      namespace: cacheNamespace(client),
      ttl: config.ttlMs,
      throwOnErrors: true,
      // In memory the entries are kept as objects: no JSON round trip on every hit and write.
      ...(persistent ? {} : { serialize: undefined, deserialize: undefined }),
    });
    if (persistent) keyv.deserialize = safeDeserializer(keyv.deserialize);
    return new ClientCache(keyv, persistent, logger, stats, config, redis);
  }

  /**
   * The cached answer for `key`, or undefined — synchronously for a memory cache, whose store
   * is read directly (the same `namespace:key` entry Keyv writes, with its `expires`), sparing
   * every hit Keyv's asynchronous get; a promise otherwise.
   */
  lookup(key: string): CachedCompletion | undefined | Promise<CachedCompletion | undefined> {
    const memory = this.memory;
    if (memory === undefined || this.keyv.opts.store !== memory) {
      const recent = this.front?.get(key);
      if (recent !== undefined && Date.now() <= recent.expires) return this.hit(recent.value);
      return this.get(key);
    }
    const writing = this.writing.get(key);
    if (writing !== undefined) return this.hit(writing);
    const entry = memory.get(this.prefix + key) as unknown as
      { value: unknown; expires?: number } | undefined;
    if (entry === undefined || (typeof entry.expires === 'number' && Date.now() > entry.expires)) {
      this.stats.misses++;
      return undefined;
    }
    if (!isCachedCompletion(entry.value)) return this.get(key);
    this.stats.hits++;
    return entry.value;
  }

  /** The cached answer for `key`, or undefined. */
  async get(key: string): Promise<CachedCompletion | undefined> {
    const writing = this.writing.get(key);
    if (writing !== undefined) return this.hit(writing);
    let value: unknown;
    try {
      value = await this.bounded(this.keyv.get(key));
    } catch (error) {
      // A store fault, not a bad entry (those come back as UNREADABLE): nothing to drop.
      this.fault('get', error);
    }
    if (value === undefined) {
      // A write that began while the store was being read may not have been visible to it.
      const written = this.writing.get(key);
      if (written !== undefined) return this.hit(written);
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
    this.remember(key, value);
    return value;
  }

  /**
   * Stores an answer in a memory cache at once (the same `namespace:key` entry Keyv would
   * write) and returns true; returns false for any other store, to be written with
   * {@link set}.
   */
  store(key: string, value: CachedCompletion): boolean {
    const memory = this.memory;
    if (memory === undefined || this.keyv.opts.store !== memory) return false;
    const expires = this.ttlMs === undefined ? undefined : Date.now() + this.ttlMs;
    void memory.set(this.prefix + key, { value, expires });
    return true;
  }

  /**
   * Stores an answer; a store fault is logged, never thrown. Until the store has it, the
   * answer is served from memory, so a request right after this one (or one whose lookup was
   * under way) hits instead of calling the provider again.
   */
  async set(key: string, value: CachedCompletion): Promise<void> {
    // The cache owns `value` from here on: the actor never hands a stored object to a caller
    // (it copies what it returns), so no defensive clone is needed on the way in or out.
    this.remember(key, value);
    this.writing.set(key, value);
    const write = this.write(key, value);
    this.writes.add(write);
    await write;
    this.writes.delete(write);
  }

  /** Drops every answer of this client, those being written included. */
  async clear(): Promise<void> {
    this.front?.clear();
    this.writing.clear();
    await Promise.allSettled(this.writes);
    await this.bounded(this.keyv.clear());
  }

  /** Lets writes under way land, then closes the store's connection. */
  async close(): Promise<void> {
    await Promise.allSettled(this.writes);
    try {
      if (this.redis) await this.redis.close();
      else await this.keyv.disconnect();
    } catch (error) {
      this.fault('close', error);
    }
  }

  /** For a redis store: whether Redis answers now. */
  get redisUp(): boolean | undefined {
    return this.redis?.up;
  }

  /**
   * Waits for this process's turn to call upstream for `key` (redis `singleFlight`): takes the
   * fleet lock, or — while another process holds it — polls for that process's answer. Ends
   * with the answer (a hit), or with the lock's token (call upstream, then {@link release}),
   * or with no token when Redis cannot be asked (call upstream alone: degrade, never block).
   * Gives up waiting at `deadline` (epoch ms on the wall clock, as Redis lock times are) or when
   * `cancelled()` says so.
   */
  async turn(
    key: string,
    deadline: number,
    cancelled: () => boolean,
  ): Promise<{ hit: CachedCompletion } | { token: string | undefined }> {
    const redis = this.redis!;
    const lock = `llm-actors:lock:${this.prefix}${key}`;
    const token = nanoid();
    for (;;) {
      if (!redis.up) return { token: undefined };
      const ttl = Math.max(1, Math.ceil(deadline - Date.now()) + LOCK_MARGIN_MS);
      try {
        if ((await redis.run(redis.client.set(lock, token, { NX: true, PX: ttl }))) === 'OK') {
          // The previous holder may have stored its answer and let go between our lookup and
          // this lock: look once more before calling upstream.
          const answer = await this.peerAnswer(key);
          if (answer === undefined) return { token };
          await this.release(key, token);
          return this.peerHit(key, answer);
        }
      } catch {
        return { token: undefined };
      }
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, PEER_POLL_MS));
        if (cancelled() || Date.now() >= deadline) return { token: undefined };
        const answer = await this.peerAnswer(key);
        if (answer !== undefined) return this.peerHit(key, answer);
        let held: number;
        try {
          held = await redis.run(redis.client.exists(lock));
        } catch {
          return { token: undefined };
        }
        // The holder failed or died (its lock expired): take a turn ourselves.
        if (held === 0) break;
      }
    }
  }

  /** A store operation, bounded in time when the store is Redis (see `RedisLink.run`). */
  private bounded<T>(operation: Promise<T>): Promise<T> {
    return this.redis === undefined ? operation : this.redis.run(operation);
  }

  private peerHit(key: string, answer: CachedCompletion): { hit: CachedCompletion } {
    this.stats.hits++;
    this.remember(key, answer);
    return { hit: answer };
  }

  /** Gives the fleet lock of `key` back, if it is still this token's. */
  async release(key: string, token: string): Promise<void> {
    try {
      const redis = this.redis!;
      await redis.run(
        redis.client.eval(RELEASE_SCRIPT, {
          keys: [`llm-actors:lock:${this.prefix}${key}`],
          arguments: [token],
        }),
      );
    } catch {
      // The lock expires by itself.
    }
  }

  /** A valid answer another process stored, read without counting a miss. */
  private async peerAnswer(key: string): Promise<CachedCompletion | undefined> {
    try {
      const value: unknown = await this.bounded(this.keyv.get(key));
      return isCachedCompletion(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  private remember(key: string, value: CachedCompletion): void {
    this.front?.set(key, {
      value,
      expires: this.ttlMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + this.ttlMs,
    });
  }

  private hit(value: CachedCompletion): CachedCompletion {
    this.stats.hits++;
    return value;
  }

  private async write(key: string, value: CachedCompletion): Promise<void> {
    try {
      await this.bounded(this.keyv.set(key, value));
    } catch (error) {
      this.fault('set', error);
    } finally {
      if (this.writing.get(key) === value) this.writing.delete(key);
    }
  }

  private async drop(key: string): Promise<void> {
    try {
      await this.bounded(this.keyv.delete(key));
    } catch (error) {
      this.fault('delete', error);
    }
  }

  private fault(op: string, error: unknown): void {
    this.stats.errors++;
    this.logger.warn({ op, err: error }, 'cache store fault; going on without the cache');
  }
}
