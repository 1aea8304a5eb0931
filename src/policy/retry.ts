/**
 * How long to wait before the next attempt.
 */
import type { RetryConfig } from '../config/types.js';

/**
 * The provider's Retry-After (capped by `maxDelayMs`) when it gave one; otherwise full jitter
 * over an exponential backoff: a uniform draw in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))),
 * n the attempts made so far.
 */
export function retryDelay(
  retry: RetryConfig,
  attempts: number,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, retry.maxDelayMs);
  const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempts - 1));
  return Math.floor(random() * backoff);
}
