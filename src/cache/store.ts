/**
 * Opening the Keyv store a cache config names: an in-process LRU, a SQLite file, or Redis.
 */
import type { KeyvStoreAdapter } from 'keyv';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { DEFAULTS } from '../config/defaults.js';
import type { CacheConfig } from '../config/types.js';
import { connectRedis, type RedisLink } from '../fleet/redis.js';
import { sqliteStore } from './sqlite-store.js';

/** An open store, with the Redis connection under it for a redis store. */
export interface OpenedStore {
  store: KeyvStoreAdapter;
  redis?: RedisLink;
  /**
   * A redis store's clear, which says whether it cleared: @keyv/redis's own `clear()` swallows
   * every fault (it only emits it), so a clear that never reached Redis would look done.
   */
  clear?: () => Promise<void>;
}

/** Keys deleted per round trip of a redis clear. */
const CLEAR_BATCH = 1_000;

/** Opens the store a cache config names. */
export async function openStore(config: CacheConfig, logger: Logger): Promise<OpenedStore> {
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

/**
 * The Redis store, on a connection of ours that skips commands at once while Redis is down or
 * stalled (the request goes on as a miss) instead of queueing them until it is back; every
 * operation goes through `RedisLink.run` (see `ClientCache`), which bounds it in time.
 */
async function redisStore(url: string, logger: Logger): Promise<OpenedStore> {
  const { default: KeyvRedis } = await import('@keyv/redis');
  const redis = connectRedis(url, logger, 'cache');
  const store = new KeyvRedis(redis.client as never, {
    throwOnConnectError: false,
    throwOnErrors: true,
  });
  // The pattern @keyv/redis writes and clears; its namespace is set by Keyv after this.
  const clear = async () => {
    const match = `${store.namespace ?? ''}${store.keyPrefixSeparator}*`;
    let cursor = '0';
    do {
      const page = await redis.run((client) =>
        client.scan(cursor, { MATCH: match, COUNT: CLEAR_BATCH }),
      );
      if (page.keys.length > 0) await redis.run((client) => client.unlink(page.keys));
      cursor = String(page.cursor);
    } while (cursor !== '0');
  };
  return { store: store as unknown as KeyvStoreAdapter, redis, clear };
}
