/**
 * The fleet-wide fuse: one Redis channel per client name. When a process's fuse for that
 * client opens, it announces for how long; when its probe succeeds, it announces the close.
 * Every other process applies the news to its own fuse. A process's own announcements come
 * back to it and are ignored by their origin id.
 *
 * Redis down or stalled: announcements are dropped, the fuse goes on locally, `up` says so,
 * and the subscription is renewed once the connection is back.
 */
import { nanoid } from 'nanoid';
import type { Logger } from 'pino';
import type { Fuse, FuseSnapshot, FuseState } from '../policy/fuse.js';
import { connectRedis, type RedisLink } from './redis.js';

/** The channel prefix; the client name follows. */
export const FUSE_CHANNEL = 'llm-actors:fuse:';

interface FuseNews {
  v: 1;
  origin: string;
  state: 'open' | 'closed';
  /** For `open`: how long from now, ms. */
  durationMs?: number;
}

/** One client's link to the fleet's fuse channel. */
export class FuseLink {
  /** This process's id in announcements (one per link). */
  readonly origin = nanoid();
  private readonly channel: string;
  private readonly publisher: RedisLink;
  private readonly subscriber: RedisLink;
  private subscribed = false;
  private closed = false;

  constructor(
    client: string,
    url: string,
    private readonly fuse: () => Fuse | undefined,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {
    this.channel = FUSE_CHANNEL + client;
    this.publisher = connectRedis(url, logger, 'fuse publisher');
    this.subscriber = connectRedis(url, logger, 'fuse subscriber');
    this.subscriber.client.on('ready', () => void this.subscribe());
  }

  /** Whether fuse news can flow both ways now. */
  get up(): boolean {
    return this.publisher.up && this.subscriber.up && this.subscribed;
  }

  private async subscribe(): Promise<void> {
    if (this.subscribed || this.closed) return;
    try {
      await this.subscriber.client.subscribe(this.channel, (message) => this.receive(message));
      this.subscribed = true;
    } catch (error) {
      this.logger.debug({ err: { message: (error as Error).message } }, 'fuse subscribe failed');
    }
  }

  private receive(message: string): void {
    let news: FuseNews;
    try {
      news = JSON.parse(message) as FuseNews;
    } catch {
      return;
    }
    if (news?.v !== 1 || news.origin === this.origin) return;
    const fuse = this.fuse();
    if (fuse === undefined) return;
    if (news.state === 'open' && typeof news.durationMs === 'number' && news.durationMs > 0) {
      fuse.remoteOpen(news.durationMs);
    } else if (news.state === 'closed') {
      fuse.remoteClose();
    }
  }

  /**
   * Announces a change of this process's own fuse: any opening (with the time left until its
   * probe), and a close that followed a probe.
   */
  announce(snapshot: FuseSnapshot, previous: FuseState): void {
    let news: FuseNews;
    if (snapshot.state === 'open' && snapshot.retryAt !== null) {
      news = {
        v: 1,
        origin: this.origin,
        state: 'open',
        durationMs: snapshot.retryAt - this.now(),
      };
    } else if (snapshot.state === 'closed' && previous === 'half_open') {
      news = { v: 1, origin: this.origin, state: 'closed' };
    } else {
      return;
    }
    // Through run(): a stalled Redis is noticed (and skipped) here as in the cache.
    const message = JSON.stringify(news);
    this.publisher
      .run((client) => client.publish(this.channel, message))
      .catch((error: Error) => {
        this.logger.debug({ err: { message: error.message } }, 'fuse news not sent');
      });
  }

  /** Leaves the channel and closes both connections. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.publisher.close(), this.subscriber.close()]);
  }
}
