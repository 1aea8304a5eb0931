/**
 * One client's cache: a Keyv namespace of its own over memory, SQLite or Redis. It stores the
 * normalized Completion and checks every entry it reads; an entry that fails the check is
 * deleted and counted as a miss. A store fault never fails a request: it is a miss (or an
 * unsaved answer), logged and counted.
 */
import { createHash } from 'node:crypto';
import { nanoid } from 'nanoid';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import type { Logger } from 'pino';
import { DEFAULTS, type CacheConfig } from '../config/types.js';
import type { RedisLink } from '../fleet/redis.js';
import { isCachedCompletion, type CachedCompletion } from '../model/answer.js';
import type { CacheCounters } from './counters.js';
import { isExpired, safeDeserializer, storedEntry, type StoredEntry } from './entry.js';
import { Front } from './front.js';
import { openStore } from './store.js';

// Their importers know them as part of the cache's surface.
export { cacheStats, newCacheCounters, type CacheCounters, type CacheStats } from './counters.js';

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

/** A client's cache. */
export class ClientCache {
  readonly persistent: boolean;
  /** Whether misses take the fleet lock (redis with `singleFlight`). */
  readonly sharedFlights: boolean;
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

  private constructor(
    private readonly keyv: Keyv,
    config: CacheConfig,
    private readonly logger: Logger,
    private readonly stats: CacheCounters,
    /** The Redis connection of a redis store. */
    private readonly redis: RedisLink | undefined,
  ) {
    this.persistent = config.store !== 'memory';
    const frontEntries = config.frontEntries ?? DEFAULTS.frontEntries;
    this.front =
      this.persistent && frontEntries > 0 ? new Front(frontEntries, config.ttlMs) : undefined;
    this.ttlMs = config.ttlMs;
    this.memory = this.persistent ? undefined : (keyv.opts.store as KeyvStoreAdapter);
    this.prefix = `${keyv.namespace}:`;
    this.sharedFlights = redis !== undefined && config.singleFlight !== false;
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
    return new ClientCache(keyv, config, logger, stats, redis);
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
      value = await this.bounded(this.keyv.get(key));
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
      this.logger.warn({ key }, 'dropped a cache entry that failed validation');
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
   * The memory store when Keyv still reads and writes it, so it can be used directly; undefined
   * for a persistent store.
   */
  private directMemory(): KeyvStoreAdapter | undefined {
    const memory = this.memory;
    return memory === undefined || this.keyv.opts.store !== memory ? undefined : memory;
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

  private peerHit(key: string, answer: CachedCompletion): { hit: CachedCompletion } {
    this.front?.remember(key, answer);
    return { hit: this.hit(answer) };
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

  /** A store operation, bounded in time when the store is Redis (see `RedisLink.run`). */
  private bounded<T>(operation: Promise<T>): Promise<T> {
    return this.redis === undefined ? operation : this.redis.run(operation);
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
