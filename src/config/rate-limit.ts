/**
 * A client's admission budget: how many requests and tokens it may send upstream per minute,
 * alone or shared with every process of a fleet through Redis.
 */
import { z } from 'zod';
import { sharedRedis } from './fields.js';

/** The `rateLimit` of a client. */
export interface RateLimitConfig {
  /** Upstream requests per minute (a retry counts as one more). */
  requestsPerMinute?: number;
  /**
   * Tokens per minute: each request is charged an estimate before it is sent (a quarter of its
   * messages' characters, 765 per image, plus its `maxTokens`) and settled with the real usage
   * once answered.
   */
  tokensPerMinute?: number;
  /**
   * One budget for every process whose client has the same name, base URL and model, kept in
   * Redis at `url`. Redis down or not answering: each process keeps the budget alone meanwhile.
   */
  shared?: { url: string };
}

const perMinute = () => z.number().int().min(1).max(1_000_000_000);

/** The zod schema of {@link RateLimitConfig}. */
export const rateLimitSchema = z
  .strictObject({
    requestsPerMinute: perMinute().optional(),
    tokensPerMinute: perMinute().optional(),
    shared: sharedRedis(),
  })
  .refine((c) => c.requestsPerMinute !== undefined || c.tokensPerMinute !== undefined, {
    error: 'expected requestsPerMinute or tokensPerMinute (or both)',
  });
