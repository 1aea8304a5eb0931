import { describe, expect, it } from 'vitest';
import { retryDelay } from '../src/policy/retry.js';

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

  it('honours Retry-After, capped at maxDelayMs, without jitter', () => {
    expect(retryDelay(retry, 1, 250, () => 0)).toBe(250);
    expect(retryDelay(retry, 1, 60_000, () => 0)).toBe(1_000);
  });
});
