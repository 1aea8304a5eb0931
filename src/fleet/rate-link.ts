/**
 * A rate budget shared by a fleet: the same two token buckets as a process's own budget, kept
 * in one Redis hash per client (name, base URL and model) and changed only by a Lua script, so
 * that every take is atomic across processes. The buckets refill on Redis's own clock (`TIME`),
 * the one clock every process of the fleet shares, whatever the machines' clocks say.
 *
 * Redis down or not answering: the process keeps the budget alone (its local buckets) until it
 * answers again — degrade, never block.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { RateLimitConfig } from '../config/rate-limit.js';
import type { Clock } from '../model/clock.js';
import { LocalBudget, type RateBudget } from '../policy/rate-budget.js';
import { connectRedis, type RedisLink } from './redis.js';

/** The key prefix; a digest of the client's name, base URL and model follows. */
export const RATE_KEY = 'llm-actors:rate:';

/**
 * ARGV: requests per minute, tokens per minute (0: not counted), requests and tokens to take,
 * and `take` (all or nothing; answers the ms to wait, 0 when taken) or `adjust` (always).
 * Levels are stored with their time; a full bucket lets anything through (see LocalBudget).
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local s = redis.call('HMGET', KEYS[1], 'r', 't', 'at')
local rc, tc = tonumber(ARGV[1]), tonumber(ARGV[2])
local nr, nt = tonumber(ARGV[3]), tonumber(ARGV[4])
local at = tonumber(s[3]) or now
local dt = math.max(0, now - at)
local r = math.min(rc, (tonumber(s[1]) or rc) + dt * rc / 60000)
local k = math.min(tc, (tonumber(s[2]) or tc) + dt * tc / 60000)
local function wait(level, cap, n)
  if cap <= 0 then return 0 end
  local needed = math.min(n, cap)
  if level >= needed then return 0 end
  return math.ceil((needed - level) * 60000 / cap)
end
local w = 0
if ARGV[5] == 'take' then w = math.max(wait(r, rc, nr), wait(k, tc, nt)) end
if w == 0 then
  r = math.min(rc, r - nr)
  k = math.min(tc, k - nt)
end
redis.call('HSET', KEYS[1], 'r', string.format('%.3f', r), 't', string.format('%.3f', k),
  'at', string.format('%.0f', math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], 120000)
return w
`;

/** The Redis key of a client's shared budget. */
export function rateKey(client: string, baseUrl: string, model: string): string {
  const digest = createHash('sha256').update(`${client}\n${baseUrl}\n${model}`).digest('hex');
  return RATE_KEY + digest.slice(0, 16);
}

/** A client's budget in Redis, with its local budget standing in while Redis is away. */
export class SharedBudget implements RateBudget {
  private readonly link: RedisLink;
  private readonly local: LocalBudget;
  private readonly limits: [string, string];

  constructor(
    private readonly key: string,
    config: RateLimitConfig & { shared: { url: string } },
    clock: Pick<Clock, 'now'>,
    logger: Logger,
  ) {
    this.link = connectRedis(config.shared.url, logger, 'rate limit');
    this.local = new LocalBudget(config, clock);
    this.limits = [String(config.requestsPerMinute ?? 0), String(config.tokensPerMinute ?? 0)];
  }

  /** Whether the fleet's budget can be asked now. */
  get up(): boolean {
    return this.link.up;
  }

  take(tokens: number): number | Promise<number> {
    if (!this.link.up) return this.local.take(tokens);
    return this.run('take', 1, tokens).then(
      (wait) => wait,
      () => this.local.take(tokens),
    );
  }

  adjust(requests: number, tokens: number): void {
    if (!this.link.up) {
      this.local.adjust(requests, tokens);
      return;
    }
    this.run('adjust', requests, tokens).catch(() => this.local.adjust(requests, tokens));
  }

  /** Closes the connection. */
  close(): Promise<void> {
    return this.link.close();
  }

  private async run(mode: 'take' | 'adjust', requests: number, tokens: number): Promise<number> {
    const reply = await this.link.run((client) =>
      client.eval(SCRIPT, {
        keys: [this.key],
        arguments: [...this.limits, String(requests), String(Math.round(tokens)), mode],
      }),
    );
    return Number(reply);
  }
}
