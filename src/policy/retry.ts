/**
 * Whether and when to try again: the whole decision in one place.
 */
import type { RetryConfig } from '../config/types.js';
import type { LlmActorsError } from '../model/errors.js';

/** {@link RetryPolicy.next}'s answer when there is no next attempt. */
export const STOP = -1;

/** Decides the next attempt of one client. */
export interface RetryPolicy {
  /**
   * The delay before attempt `attempts + 1` after `error`, or {@link STOP}: the error is not
   * retryable, the fuse opened, the attempts are used up, or the wait would reach past the
   * time left.
   */
  next(error: LlmActorsError, attempts: number, timeLeft: number): number;
}

/** The policy of a client's `retry` config (`false`: one attempt only). */
export function retryPolicy(retry: RetryConfig | false, random: () => number): RetryPolicy {
  if (!retry) return { next: () => STOP };
  return {
    next(error, attempts, timeLeft) {
      if (!error.retryable || error.code === 'FUSE_OPEN' || attempts >= retry.maxAttempts) {
        return STOP;
      }
      const delay = retryDelay(retry, attempts, error.retryAfterMs, random);
      return delay >= timeLeft ? STOP : delay;
    },
  };
}

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
