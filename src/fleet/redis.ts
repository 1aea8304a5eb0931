/**
 * Redis connections for what a fleet shares (the cache, single-flight locks, fuse news). Built
 * to degrade, never to hang: commands fail at once while the connection is down (no offline
 * queue), connecting times out, and the client reconnects by itself with a capped backoff.
 */
import type { Logger } from 'pino';
import { createClient, type RedisClientType } from '@redis/client';

/** A Redis connection and whether it can serve commands now. */
export interface RedisLink {
  readonly client: RedisClientType;
  /** True while connected and ready. */
  readonly up: boolean;
  /** Closes the connection (pending commands fail). */
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 1_000;
const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * Opens a connection to `url` without waiting for it: the first commands may fail while it
 * connects, exactly as they would while Redis is down. State changes are logged once each.
 */
export function connectRedis(url: string, logger: Logger, role: string): RedisLink {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries: number) =>
        Math.min(50 * 2 ** Math.min(retries, 10), MAX_RECONNECT_DELAY_MS),
    },
  }) as RedisClientType;
  let up = false;
  let closed = false;
  client.on('ready', () => {
    if (!up) logger.info({ redis: role }, 'redis connected');
    up = true;
  });
  client.on('error', (error: Error) => {
    if (up) logger.warn({ redis: role, err: { message: error.message } }, 'redis connection lost');
    up = false;
  });
  client.on('end', () => {
    up = false;
  });
  client.connect().catch((error: Error) => {
    if (!closed) logger.warn({ redis: role, err: { message: error.message } }, 'redis unreachable');
  });
  return {
    client,
    get up() {
      return up && client.isReady;
    },
    async close() {
      closed = true;
      up = false;
      if (client.isOpen) await client.close().catch(() => client.destroy());
      else client.destroy();
    },
  };
}
