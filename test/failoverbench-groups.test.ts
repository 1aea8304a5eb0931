/**
 * failoverbench's sixteen cells (docs/failoverbench.md), each as a test of a fallback group of
 * the faulty client and a healthy fallback through the gateway, with the recommended settings:
 * one streamed call with the official `openai` client (no SDK retries), scored by
 * `scoreFailoverbench`, and the cell's own facts. The cells' durations are scaled down with the
 * time limits, every fault several times its limit (test/support/failoverbench-groups.ts); cell 15
 * runs its full 60 s outage on a hand-moved clock (test/failoverbench-groups-recovery.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  FAILOVERBENCH_ANSWER,
  FAILOVERBENCH_MODELS,
  failoverbench,
  scoreFailoverbench,
} from '../src/testing/index.js';
import { LIMITS, SCALED, failoverbenchPerTest } from './support/failoverbench-groups.js';

const bench = failoverbenchPerTest();

/** Starts cell `n`, streams its one call, and expects the scorer to call it a pass. */
async function passes(n: number) {
  const cell = failoverbench(n, SCALED);
  const started = await bench.start(cell);
  const call = await started.call();
  const score = scoreFailoverbench(cell, started.observed([call]));
  expect(score.score, score.reason).toBe('pass');
  return { ...started, call };
}

/**
 * A cell where the primary fails before any token: the fallback answers, one request each;
 * `failovers` is what the group counts (a context overflow is a redirect, not a failover).
 */
async function failsOverOnce(n: number, failovers = 1) {
  const run = await passes(n);
  expect(run.call.servedBy).toBe('fallback');
  expect(run.call.model).toBe(FAILOVERBENCH_MODELS.fallback);
  expect([run.primary.requests, run.fallback.requests]).toEqual([1, 1]);
  expect(run.health().failovers).toBe(failovers);
  return run;
}

/** A cell where the primary's stream is cut mid-answer and the fallback finishes it. */
async function resumes(n: number) {
  const run = await passes(n);
  // The answer started on the primary, so the gateway named it; the fallback finished it.
  expect(run.call.servedBy).toBe('primary');
  expect(run.call.text).toBe(FAILOVERBENCH_ANSWER);
  expect(run.call.finishReason).toBe('stop');
  expect(run.health().resumedStreams).toBe(1);
  return run;
}

const words = (text: string) => text.split(' ').filter(Boolean);

describe('failoverbench through the gateway: a fallback group passes every cell', () => {
  it('cell 1: a 429 with Retry-After parks the primary without a fuse failure; the fallback answers', async () => {
    const run = await failsOverOnce(1);
    expect(run.runtime.health('primary').fuse.failures).toBe(0);
  });

  it('cell 2: a 429 without Retry-After counts against the fuse and fails over to the fallback', async () => {
    const run = await failsOverOnce(2);
    expect(run.runtime.health('primary').fuse.failures).toBe(1);
  });

  it('cell 3: a 500 fails over at once rather than retrying the primary', async () => {
    await failsOverOnce(3);
  });

  it('cell 4: a 503 on every attempt fails over to the fallback', async () => {
    await failsOverOnce(4);
  });

  it('cell 5: a TCP reset before any byte fails over to the fallback', async () => {
    await failsOverOnce(5);
  });

  it('cell 6: a primary that never writes costs firstTokenTimeoutMs, then the fallback answers', async () => {
    const run = await failsOverOnce(6);
    expect(run.call.ms).toBeGreaterThanOrEqual(LIMITS.firstTokenTimeoutMs - 50);
    expect(run.call.ms).toBeLessThan(SCALED.firstTokenMs);
  });

  it('cell 7: a first token later than firstTokenTimeoutMs goes to the fallback, not waited for', async () => {
    const run = await failsOverOnce(7);
    expect(run.call.ms).toBeGreaterThanOrEqual(LIMITS.firstTokenTimeoutMs - 50);
    expect(run.call.ms).toBeLessThan(SCALED.firstTokenMs);
    expect(run.runtime.health('primary').lastError).toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringContaining('(firstTokenTimeoutMs)'),
    });
  });

  it('cell 8: a stream cut after 40 tokens is continued by the fallback from a prefill', async () => {
    const run = await resumes(8);
    const prefill = run.fallback.lastRequest()!.messages.at(-1)!;
    expect(prefill.role).toBe('assistant');
    expect(words(prefill.content)).toEqual(words(FAILOVERBENCH_ANSWER).slice(0, 40));
    expect(run.fallback.requests).toBe(1);
    // The final chunk's usage is the fallback's, for the 20 tokens it wrote.
    expect(run.call.usage?.completion_tokens).toBe(20);
  });

  it('cell 9: a stream silent after 20 tokens is resumed after idleTimeoutMs, not after the stall', async () => {
    const run = await resumes(9);
    expect(run.call.ms).toBeGreaterThanOrEqual(LIMITS.idleTimeoutMs - 50);
    expect(run.call.ms).toBeLessThan(SCALED.stallMs);
    expect(words(run.fallback.lastRequest()!.messages.at(-1)!.content)).toHaveLength(20);
    expect(run.runtime.health('primary').lastError).toMatchObject({
      code: 'NETWORK_ERROR',
      message: expect.stringContaining('(idleTimeoutMs)'),
    });
  });

  it('cell 10: an invalid JSON event is skipped and counted, and the primary answers in full', async () => {
    const run = await passes(10);
    expect(run.call.servedBy).toBe('primary');
    expect(run.call.model).toBe(FAILOVERBENCH_MODELS.primary);
    expect(run.fallback.requests).toBe(0);
    expect(run.runtime.health('primary').stream.skippedEvents).toBe(1);
  });

  it('cell 11: a stream with its finish and usage but no [DONE] is complete', async () => {
    const run = await passes(11);
    expect(run.call.servedBy).toBe('primary');
    expect(run.call.finishReason).toBe('stop');
    expect(run.call.usage?.completion_tokens).toBe(60);
    expect(run.fallback.requests).toBe(0);
  });

  it('cell 12: a context overflow goes to the onContextOverflow client with the same request', async () => {
    const run = await failsOverOnce(12, 0);
    expect(run.fallback.lastRequest()!.messages).toEqual([
      { role: 'user', content: 'Count from t01 to t60.' },
    ]);
  });

  it('cell 13: a content-policy refusal comes back as the 400 it is, after one upstream request', async () => {
    const cell = failoverbench(13, SCALED);
    const run = await bench.start(cell);
    const call = await run.call();
    const score = scoreFailoverbench(cell, run.observed([call]));
    // The scorer passes this cell on a clean error after exactly one upstream request.
    expect(score.score, score.reason).toBe('pass');
    expect(call).toMatchObject({ completed: false, text: '' });
    expect(call.error).toMatchObject({ status: 400, code: 'content_policy_violation' });
    expect([run.primary.requests, run.fallback.requests]).toEqual([1, 0]);
    expect(run.health().failovers).toBe(0);
  });

  it('cell 14: a fallback that refuses the prefill is restarted and nothing is duplicated', async () => {
    const run = await resumes(14);
    expect(words(run.call.text)).toEqual(words(FAILOVERBENCH_ANSWER));
    expect(new Set(words(run.call.text)).size).toBe(60);
    // The prefilled request was refused, the original one answered in full.
    expect(run.fallback.stats.faults.refuse_prefill).toBe(1);
    expect(run.fallback.requests).toBe(2);
    expect(run.fallback.lastRequest()!.messages.at(-1)!.role).toBe('user');
  });

  it("cell 16: a primary down for good: the caller sees the fallback's model name and usage", async () => {
    const run = await failsOverOnce(16);
    expect(run.call.model).toBe(FAILOVERBENCH_MODELS.fallback);
    expect(run.call.usage).toMatchObject({ completion_tokens: 60 });
    expect(run.call.usage!.total_tokens).toBe(
      run.call.usage!.prompt_tokens + run.call.usage!.completion_tokens,
    );
  });
});
