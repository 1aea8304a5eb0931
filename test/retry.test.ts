import { describe, expect, it } from 'vitest';
import { LlmActorsError, type ErrorCode, type LlmActorsErrorDetails } from '../src/index.js';
import { STOP, retryDelay, retryPolicy } from '../src/policy/retry.js';

const retry = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };

describe('retry delay', () => {
  it('draws full jitter below an exponential backoff', () => {
    expect(retryDelay(retry, 1, undefined, () => 0.999)).toBe(99);
    expect(retryDelay(retry, 2, undefined, () => 0.5)).toBe(100);
    expect(retryDelay(retry, 3, undefined, () => 0.5)).toBe(200);
    expect(retryDelay(retry, 1, undefined, () => 0)).toBe(0);
  });

  it('caps the backoff at maxDelayMs', () => {
    expect(retryDelay(retry, 10, undefined, () => 0.999)).toBe(999);
  });

  it('waits at least half the backoff after a provider that said it is busy (429, 503)', () => {
    expect(retryDelay(retry, 1, undefined, () => 0, true)).toBe(50);
    expect(retryDelay(retry, 1, undefined, () => 0.999, true)).toBe(99);
    expect(retryDelay(retry, 3, undefined, () => 0, true)).toBe(200);
    const policy = retryPolicy(retry, () => 0);
    const busy = (status: number) =>
      new LlmActorsError('PROVIDER_ERROR', 'busy', { status, retryable: true });
    expect(policy.next(busy(429), 1, 10_000)).toBe(50);
    expect(policy.next(busy(503), 1, 10_000)).toBe(50);
    expect(policy.next(busy(500), 1, 10_000)).toBe(0);
  });

  it('honours Retry-After, capped at maxDelayMs, without jitter', () => {
    expect(retryDelay(retry, 1, 250, () => 0)).toBe(250);
    expect(retryDelay(retry, 1, 60_000, () => 0)).toBe(1_000);
  });
});

describe('retry policy', () => {
  const error = (code: ErrorCode, details: Partial<LlmActorsErrorDetails> = {}) =>
    new LlmActorsError(code, code, details);
  const policy = retryPolicy(retry, () => 0.5);

  it('retries a retryable failure after a jittered backoff', () => {
    expect(policy.next(error('NETWORK_ERROR'), 1, 10_000)).toBe(50);
    expect(policy.next(error('NETWORK_ERROR'), 2, 10_000)).toBe(100);
  });

  it('stops on a failure that is not retryable', () => {
    expect(policy.next(error('INVALID_REQUEST'), 1, 10_000)).toBe(STOP);
  });

  it('stops as soon as the fuse is open, retryable or not', () => {
    expect(policy.next(error('FUSE_OPEN', { retryable: true }), 1, 10_000)).toBe(STOP);
  });

  it('stops when the attempts are used up', () => {
    expect(policy.next(error('NETWORK_ERROR'), 5, 10_000)).toBe(STOP);
  });

  it('stops rather than wait past the time left', () => {
    expect(
      policy.next(error('PROVIDER_ERROR', { retryable: true, retryAfterMs: 800 }), 1, 800),
    ).toBe(STOP);
    expect(
      policy.next(error('PROVIDER_ERROR', { retryable: true, retryAfterMs: 800 }), 1, 801),
    ).toBe(800);
  });

  it('never retries when retry is off', () => {
    expect(retryPolicy(false, () => 0.5).next(error('NETWORK_ERROR'), 1, 10_000)).toBe(STOP);
  });
});
