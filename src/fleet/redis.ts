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
  /** True while connected, ready, and answering. */
  readonly up: boolean;
  /**
   * Awaits a command for at most {@link COMMAND_TIMEOUT_MS}. node-redis times out only the
   * commands it has not written yet; a stalled Redis (paused, partitioned) keeps the socket up
   * and never answers the written ones, so the bound is ours. A command left unanswered marks
   * the link down until the next one is answered.
   */
  run<T>(command: Promise<T>): Promise<T>;
  /** Closes the connection (pending commands fail). */
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 1_000;
const MAX_RECONNECT_DELAY_MS = 2_000;
/** A command unanswered after this long fails (see {@link RedisLink.run}). */
export const COMMAND_TIMEOUT_MS = 500;
/** How long a graceful close may wait for replies before the socket is destroyed. */
const CLOSE_TIMEOUT_MS = 500;

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
  let stalled = false;
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
      return up && !stalled && client.isReady;
    },
    run<T>(command: Promise<T>): Promise<T> {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          if (!stalled) logger.warn({ redis: role }, 'redis stopped answering');
          stalled = true;
          reject(new Error(`redis did not answer within ${COMMAND_TIMEOUT_MS} ms`));
        }, COMMAND_TIMEOUT_MS);
      });
      command.catch(() => undefined);
      return Promise.race([command, late]).then(
        (value) => {
          clearTimeout(timer);
          stalled = false;
          return value;
        },
        (error: unknown) => {
          clearTimeout(timer);
          throw error;
        },
      );
    },
    async close() {
      closed = true;
      up = false;
      if (!client.isOpen) return client.destroy();
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS);
      });
      const outcome = await Promise.race([client.close().catch(() => 'failed' as const), gaveUp]);
      clearTimeout(timer);
      if (outcome !== undefined) client.destroy();
    },
  };
}
