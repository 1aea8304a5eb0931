/**
 * A client's daily spending shared by its fleet: one Redis hash per client and UTC day, with
 * the USD (HINCRBYFLOAT) and tokens (HINCRBY) every process has paid, expiring a day after the
 * day it counts. Redis down or stalled: the spending is not added (each process still counts
 * its own) and a read gives nothing, so the process decides on what it has seen itself.
 */
import type { Logger } from 'pino';
import { DAY_MS, type Spent } from '../config/budget.js';
import { RepeatLimiter } from '../model/log-limit.js';
import { connectRedis, isRedisSkipped, type RedisLink } from './redis.js';

/** The key prefix; the client name and the UTC date follow. */
export const BUDGET_KEY = 'llm-actors:budget:';

/** A key outlives its day by this much, so late readers near midnight still find it. */
const KEEP_SECONDS = (2 * DAY_MS) / 1000;

/** One client's link to its fleet's spending. */
export class BudgetLink {
  private readonly link: RedisLink;
  private readonly log: RepeatLimiter;

  constructor(
    private readonly client: string,
    url: string,
    logger: Logger,
  ) {
    this.link = connectRedis(url, logger, 'budget');
    this.log = new RepeatLimiter(logger);
  }

  /** Whether the fleet's spending can be read and added to now. */
  get up(): boolean {
    return this.link.up;
  }

  /** The key of `day` (a UTC day number), named by its date for whoever reads Redis by hand. */
  key(day: number): string {
    return `${BUDGET_KEY}${this.client}:${new Date(day * DAY_MS).toISOString().slice(0, 10)}`;
  }

  /** The fleet's spending on `day`, or undefined when Redis cannot tell now. */
  async read(day: number): Promise<Spent | undefined> {
    try {
      const [usd, tokens] = await this.link.run((c) => c.hmGet(this.key(day), ['usd', 'tokens']));
      return { usd: Number(usd ?? 0) || 0, tokens: Number(tokens ?? 0) || 0 };
    } catch (error) {
      this.fault(error, 'budget not read from redis');
      return undefined;
    }
  }

  /** Adds what this process paid on `day` (in the background). */
  add(day: number, spent: Spent): void {
    const key = this.key(day);
    this.link
      .run((c) =>
        c
          .multi()
          .hIncrByFloat(key, 'usd', spent.usd)
          .hIncrBy(key, 'tokens', spent.tokens)
          .expire(key, KEEP_SECONDS)
          .exec(),
      )
      .catch((error: unknown) => this.fault(error, 'spending not added to redis'));
  }

  /** Closes the connection. */
  close(): Promise<void> {
    this.log.flush();
    return this.link.close();
  }

  private fault(error: unknown, msg: string): void {
    // A skip is the link being down, already logged by the link itself.
    if (isRedisSkipped(error)) return;
    this.log.write('warn', { client: this.client, err: { message: String(error) } }, msg);
  }
}
