/**
 * One client's cache: a Keyv namespace of its own over memory, SQLite or Redis. It stores the
 * normalized Completion and checks every entry it reads; an entry that fails the check is
 * deleted and counted as a miss. A store fault never fails a request: it is a miss (or an
 * unsaved answer), logged (repeats rate-limited) and counted. While Redis is known to be down
 * or stalled it is not even asked: the operation is skipped at once and counted as such.
 */
import { createHash } from 'node:crypto';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import type { Logger } from 'pino';
import { DEFAULTS } from '../config/defaults.js';
import type { CacheConfig } from '../config/types.js';
import { SingleFlight, type PeerAnswers } from '../fleet/single-flight.js';
import { isRedisSkipped, type RedisLink } from '../fleet/redis.js';
import { isCachedCompletion, type CachedCompletion } from '../model/answer.js';
import { systemClock, type Clock } from '../model/clock.js';
import { RepeatLimiter } from '../model/log-limit.js';
import type { CacheCounters } from './counters.js';
import { isExpired, safeDeserializer, storedEntry, type StoredEntry } from './entry.js';
import { Front } from './front.js';
import { openStore, type OpenedStore } from './store.js';

/** The namespace of a client: a digest, so no name can reach into another's keys. */
export function cacheNamespace(client: string): string {
  return `llma-${createHash('sha256').update(client).digest('hex').slice(0, 16)}`;
}

/** What a clear did: every answer is gone, or the store could not be cleared (and why). */
export type ClearOutcome = { cleared: true } | { cleared: false; error: unknown };

/** A client's cache. */
export class ClientCache {
  readonly persistent: boolean;
  /**
   * The fleet lock a miss takes before calling upstream (a redis store with `singleFlight`);
   * its waiters are served from this cache.
   */
  readonly singleFlight: SingleFlight<CachedCompletion> | undefined;
  /** Answers whose write is under way, by key: served until the store has them. */
  private readonly writing = new Map<string, CachedCompletion>();
  /** The writes under way; close() waits for them. */
  private readonly writes = new Set<Promise<void>>();
  /** The in-process store, read directly on the hot path (memory caches only). */
  private readonly memory: KeyvStoreAdapter | undefined;
  private readonly prefix: string;
  /** Recent answers of a persistent store, kept in memory in front of it. */
  private readonly front: Front | undefined;
  private readonly ttlMs: number | undefined;
  /** The Redis connection of a redis store. */
  private readonly redis: RedisLink | undefined;
  /** Fault lines: one per kind, then a count per window (a down store fails every operation). */
  private readonly log: RepeatLimiter;

  private constructor(
    private readonly keyv: Keyv,
    config: CacheConfig,
    logger: Logger,
    private readonly stats: CacheCounters,
    private readonly opened: OpenedStore,
    clock: Clock,
  ) {
    const redis = (this.redis = opened.redis);
    this.log = new RepeatLimiter(logger);
    this.persistent = config.store !== 'memory';
    const frontEntries = config.frontEntries ?? DEFAULTS.frontEntries;
    this.front =
      this.persistent && frontEntries > 0 ? new Front(frontEntries, config.ttlMs) : undefined;
    this.ttlMs = config.ttlMs;
    this.memory = this.persistent ? undefined : (keyv.opts.store as KeyvStoreAdapter);
    this.prefix = `${keyv.namespace}:`;
    this.singleFlight =
      redis !== undefined && config.singleFlight !== false
        ? new SingleFlight(redis, keyv.namespace!, this.peerAnswers(), clock)
        : undefined;
    // Every fault also rejects the operation that met it, where it is counted; this listener
    // only keeps an emitted 'error' from becoming an uncaught exception.
    keyv.on('error', (error: unknown) => logger.debug({ err: error }, 'cache store error event'));
  }

  /**
   * Opens the cache of `client` as `config` says. `stats` outlives the cache (a restart opens
   * a new cache but keeps counting). `clock` is the runtime's: the fleet lock waits on it.
   */
  static async open(
    client: string,
    config: CacheConfig,
    logger: Logger,
    stats: CacheCounters,
    clock: Clock = systemClock,
  ): Promise<ClientCache> {
    const opened = await openStore(config, logger);
    const persistent = config.store !== 'memory';
    const keyv = new Keyv({
      store: opened.store,
      namespace: cacheNamespace(client),
      ttl: config.ttlMs,
      throwOnErrors: true,
      // In memory the entries are kept as objects: no JSON round trip on every hit and write.
      ...(persistent ? {} : { serialize: undefined, deserialize: undefined }),
    });
    if (persistent) keyv.deserialize = safeDeserializer(keyv.deserialize);
    return new ClientCache(keyv, config, logger, stats, opened, clock);
  }

  /**
   * The cached answer for `key`, or undefined — synchronously for a memory cache, whose store
   * is read directly (the same `namespace:key` entry Keyv writes, with its `expires`), sparing
   * every hit Keyv's asynchronous get; a promise otherwise.
   */
  lookup(key: string): CachedCompletion | undefined | Promise<CachedCompletion | undefined> {
    const memory = this.directMemory();
    if (memory === undefined) {
      const recent = this.front?.get(key);
      return recent === undefined ? this.get(key) : this.hit(recent);
    }
    const writing = this.writing.get(key);
    if (writing !== undefined) return this.hit(writing);
    const entry = memory.get(this.prefix + key) as unknown as StoredEntry | undefined;
    if (entry === undefined || isExpired(entry)) {
      this.stats.misses++;
      return undefined;
    }
    if (!isCachedCompletion(entry.value)) return this.get(key);
    return this.hit(entry.value);
  }

  /** The cached answer for `key`, or undefined. */
  async get(key: string): Promise<CachedCompletion | undefined> {
    const writing = this.writing.get(key);
    if (writing !== undefined) return this.hit(writing);
    let value: unknown;
    try {
      value = await this.bounded(() => this.keyv.get(key));
    } catch (error) {
      // A store fault, not a bad entry (those come back as unreadable): nothing to drop.
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
      this.log.write('warn', { key }, 'dropped a cache entry that failed validation');
      await this.drop(key);
      return undefined;
    }
    this.front?.remember(key, value);
    return this.hit(value);
  }

  /**
   * Stores an answer in a memory cache at once (the same `namespace:key` entry Keyv would
   * write) and returns true; returns false for any other store, to be written with
   * {@link set}.
   */
  store(key: string, value: CachedCompletion): boolean {
    const memory = this.directMemory();
    if (memory === undefined) return false;
    void memory.set(this.prefix + key, storedEntry(value, this.ttlMs));
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
    this.front?.remember(key, value);
    this.writing.set(key, value);
    const write = this.write(key, value);
    this.writes.add(write);
    await write;
    this.writes.delete(write);
  }

  /**
   * Drops every answer of this client, those being written included, and says whether the
   * store could be cleared; never throws (a store fault is reported, not raised).
   */
  async clear(): Promise<ClearOutcome> {
    this.front?.clear();
    this.writing.clear();
    await Promise.allSettled(this.writes);
    try {
      await (this.opened.clear ?? (() => this.keyv.clear()))();
      return { cleared: true };
    } catch (error) {
      this.fault('clear', error);
      return { cleared: false, error };
    }
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
    this.log.flush();
  }

  /** For a redis store: whether Redis answers now. */
  get redisUp(): boolean | undefined {
    return this.redis?.up;
  }

  /**
   * The memory store when Keyv still reads and writes it, so it can be used directly; undefined
   * for a persistent store.
   */
  private directMemory(): KeyvStoreAdapter | undefined {
    const memory = this.memory;
    return memory === undefined || this.keyv.opts.store !== memory ? undefined : memory;
  }

  /** How the fleet lock's waiters see answers other processes stored here. */
  private peerAnswers(): PeerAnswers<CachedCompletion> {
    return {
      // Read without counting a miss: the waiter looks again and again.
      read: async (key) => {
        try {
          const value: unknown = await this.bounded(() => this.keyv.get(key));
          return isCachedCompletion(value) ? value : undefined;
        } catch {
          return undefined;
        }
      },
      served: (key, value) => {
        this.stats.hits++;
        this.front?.remember(key, value);
      },
    };
  }

  /**
   * A store operation; when the store is Redis, bounded in time and skipped while Redis is
   * down or stalled (see `RedisLink.run`).
   */
  private bounded<T>(operation: () => Promise<T>): Promise<T> {
    return this.redis === undefined ? operation() : this.redis.run(operation);
  }

  private hit(value: CachedCompletion): CachedCompletion {
    this.stats.hits++;
    return value;
  }

  private async write(key: string, value: CachedCompletion): Promise<void> {
    try {
      await this.bounded(() => this.keyv.set(key, value));
    } catch (error) {
      this.fault('set', error);
    } finally {
      if (this.writing.get(key) === value) this.writing.delete(key);
    }
  }

  private async drop(key: string): Promise<void> {
    try {
      await this.bounded(() => this.keyv.delete(key));
    } catch (error) {
      this.fault('delete', error);
    }
  }

  private fault(op: string, error: unknown): void {
    if (isRedisSkipped(error)) {
      this.stats.skipped++;
      return;
    }
    this.stats.errors++;
    this.log.write('warn', { op, err: error }, 'cache store fault; going on without the cache');
  }
}
