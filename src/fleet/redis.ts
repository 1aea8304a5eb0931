/**
 * Redis connections for what a fleet shares (the cache, single-flight locks, fuse news). Built
 * to degrade, never to hang or to slow a request down: while the connection is down or known to
 * be stalled, commands are not sent at all (skipped, at once); a command left unanswered marks
 * the link stalled; a PING in the background tells when Redis answers again. The client
 * reconnects by itself with a capped backoff, and closing never waits on a Redis that does not
 * answer: its socket is destroyed.
 */
import type { Logger } from 'pino';
import { createClient, type RedisClientType } from '@redis/client';
import { RepeatLimiter } from '../model/log-limit.js';

/** A Redis connection and whether it can serve commands now. */
export interface RedisLink {
  readonly client: RedisClientType;
  /** True while connected, ready, and answering. */
  readonly up: boolean;
  /**
   * Sends `command` and awaits it for at most {@link COMMAND_TIMEOUT_MS} — or, while the link
   * is not {@link up}, rejects at once with a {@link RedisSkipped} without sending anything.
   * node-redis times out only the commands it has not written yet; a stalled Redis (paused,
   * partitioned) keeps the socket up and never answers the written ones, so the bound is ours.
   * A command left unanswered marks the link stalled until a background PING is answered.
   *
   * @example
   * const value = await link.run((client) => client.get(key));
   * @throws {@link RedisSkipped} when the link is down or stalled; the command's own error, or
   * a timeout, otherwise.
   */
  run<T>(command: (client: RedisClientType) => Promise<T>): Promise<T>;
  /** Closes the connection: lets answered commands land, destroys the socket if they do not. */
  close(): Promise<void>;
}

/** A command that was not sent: the link was down or stalled. */
export class RedisSkipped extends Error {
  /** Brand: a skip is counted apart from a fault. */
  readonly skipped = true;
  constructor(role: string) {
    super(`redis (${role}) is down or not answering: skipped`);
    this.name = 'RedisSkipped';
  }
}

/** Whether `error` is a {@link RedisSkipped}. */
export function isRedisSkipped(error: unknown): error is RedisSkipped {
  return error instanceof RedisSkipped;
}

const CONNECT_TIMEOUT_MS = 1_000;
const MAX_RECONNECT_DELAY_MS = 2_000;
/**
 * A command unanswered after this long fails and marks the link stalled (see
 * {@link RedisLink.run}). Well under a request's deadline: a stall costs the requests already
 * waiting on Redis at most this, and the ones after it nothing.
 */
export const COMMAND_TIMEOUT_MS = 200;
/** How often a stalled link sends its PING (one at a time) to learn that Redis is back, ms. */
export const HEARTBEAT_MS = 250;
/** How long a close waits for the commands under way before the socket is destroyed. */
const CLOSE_TIMEOUT_MS = 500;

/**
 * Opens a connection to `url` without waiting for it: the first commands are skipped while it
 * connects, exactly as they would be while Redis is down. State changes are logged once each
 * (a link that flaps: once per {@link RepeatLimiter} window, with a count).
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
  return new Link(client, new RepeatLimiter(logger), role);
}

/** One Redis connection, its state, and the heartbeat of a stalled one. */
class Link implements RedisLink {
  private connected = false;
  private stalled = false;
  private closed = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private pinging = false;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly fields: { redis: string };

  constructor(
    readonly client: RedisClientType,
    private readonly log: RepeatLimiter,
    private readonly role: string,
  ) {
    this.fields = { redis: role };
    client.on('ready', () => {
      if (!this.connected) log.write('info', this.fields, 'redis connected');
      this.connected = true;
    });
    client.on('error', (error: Error) => {
      if (this.connected) this.warn('redis connection lost', error);
      this.connected = false;
    });
    client.on('end', () => {
      this.connected = false;
    });
    client.connect().catch((error: Error) => {
      if (!this.closed) this.warn('redis unreachable', error);
    });
  }

  get up(): boolean {
    return this.connected && !this.stalled && !this.closed && this.client.isReady;
  }

  run<T>(command: (client: RedisClientType) => Promise<T>): Promise<T> {
    if (!this.up) return Promise.reject(new RedisSkipped(this.role));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.markStalled();
        reject(new Error(`redis did not answer within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      timer.unref();
    });
    const sent = command(this.client);
    sent.catch(() => undefined);
    this.pending.add(sent);
    return Promise.race([sent, late]).finally(() => {
      clearTimeout(timer);
      this.pending.delete(sent);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.log.flush();
    // node-redis's own close() waits for every reply with no bound, and leaves the client
    // in a state where destroy() throws: the wait is ours, and then the socket is destroyed.
    if (!this.stalled && this.client.isReady && this.pending.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      });
      await Promise.race([Promise.allSettled(this.pending), gaveUp]);
      clearTimeout(timer);
    }
    if (this.client.isOpen) this.client.destroy();
  }

  private warn(message: string, error: Error): void {
    this.log.write('warn', { ...this.fields, err: { message: error.message } }, message);
  }

  private markStalled(): void {
    if (this.stalled || this.closed) return;
    this.stalled = true;
    this.log.write(
      'warn',
      this.fields,
      'redis stopped answering; skipping it until it answers again',
    );
    this.heartbeat = setInterval(() => this.check(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** One PING at a time: a stalled Redis answers it after the commands queued before it. */
  private check(): void {
    if (this.pinging || this.closed || !this.client.isReady) return;
    this.pinging = true;
    this.client
      .ping()
      .then(
        () => this.answered(),
        () => undefined,
      )
      .finally(() => (this.pinging = false));
  }

  private answered(): void {
    if (!this.stalled) return;
    this.stalled = false;
    clearInterval(this.heartbeat);
    this.log.write('info', this.fields, 'redis answers again');
  }
}
