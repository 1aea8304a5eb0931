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
      const delay = retryDelay(retry, attempts, error.retryAfterMs, random, isBusy(error));
      return delay >= timeLeft ? STOP : delay;
    },
  };
}

/**
 * The provider's Retry-After (capped by `maxDelayMs`) when it gave one; otherwise a jittered
 * exponential backoff b = min(maxDelayMs, baseDelayMs * 2^(n-1)), n the attempts made so far:
 * full jitter, a uniform draw in [0, b), except after a provider that said it is busy (`busy`:
 * a 429, a 503 or a 529), where the draw is in [b/2, b). Full jitter can come back within milliseconds,
 * which to a provider shedding load is hammering — and so can a busy provider's Retry-After of
 * 0 (or a date already past): after one, the wait is at least b/2 too.
 */
export function retryDelay(
  retry: RetryConfig,
  attempts: number,
  retryAfterMs: number | undefined,
  random: () => number,
  busy = false,
): number {
  const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempts - 1));
  if (retryAfterMs !== undefined) {
    const named = Math.min(retryAfterMs, retry.maxDelayMs);
    return busy ? Math.max(named, Math.floor(backoff / 2)) : named;
  }
  return busy ? Math.floor(backoff / 2 + (random() * backoff) / 2) : Math.floor(random() * backoff);
}

/** A provider that answered 429, 503 or Anthropic's 529 (overloaded): it is shedding load. */
function isBusy(error: LlmActorsError): boolean {
  const status = error.status;
  return error.code === 'PROVIDER_ERROR' && (status === 429 || status === 503 || status === 529);
}

/**
 * `policy`, waiting out a park: a retry never goes while its client is parked (it would only
 * meet another 429), and stops when the park ends past the time left.
 */
export function honouringPark(
  policy: RetryPolicy,
  parkedUntil: () => number | null,
  now: () => number,
): RetryPolicy {
  return {
    next(error, attempts, timeLeft) {
      const delay = policy.next(error, attempts, timeLeft);
      const until = delay === STOP ? null : parkedUntil();
      if (until === null) return delay;
      const wait = until - now();
      if (wait <= delay) return delay;
      return wait >= timeLeft ? STOP : wait;
    },
  };
}
