/**
 * A rate budget shared by a fleet through a real redis-server: two runtimes (as two processes
 * would) with the same client — name, base URL and model — spend one budget; tokens settled by
 * one are seen by the other; another model keeps its own budget; with Redis unreachable each
 * runtime keeps the budget alone. Buckets refill on Redis's clock: 2 a minute refill one
 * request in 30 s, far longer than a test.
 */
import { createClient } from '@redis/client';
import { describe, expect, it } from 'vitest';
import type { ClientConfig, Runtime } from '../src/index.js';
import { freePort } from '../src/testing/index.js';
import { failure } from './support/failure.js';
import { redisPerFile, sharedRateClient } from './support/redis.js';
import { runtimePerTest } from './support/runtime.js';
import { rateKey } from '../src/fleet/rate-link.js';

const shared = redisPerFile();
const { start } = runtimePerTest();
const SLOW = { timeout: 15_000 };

const ask = (text: string) => [{ role: 'user' as const, content: text }];

/** A runtime whose client `c` spends the fleet budget at `url` (the file's Redis by default). */
async function member(
  rateLimit: ClientConfig['rateLimit'],
  model = 'm',
  url = shared.redis.url,
): Promise<Runtime> {
  const rt = await start({
    clients: { c: sharedRateClient(shared.server.url, model, rateLimit, url) },
  });
  return rt;
}

async function connected(...runtimes: Runtime[]): Promise<void> {
  for (const rt of runtimes) {
    await expect.poll(() => rt.health('c').fleet?.rate, SLOW).toBe('up');
  }
}

/** A fresh budget per test: the clients of every test share one name. */
async function clearBudgets(): Promise<void> {
  const redis = createClient({ url: shared.redis.url });
  await redis.connect();
  await redis.flushAll();
  await redis.quit();
}

describe('a fleet-wide rate budget', () => {
  it('is spent by every runtime that shares it', async () => {
    await clearBudgets();
    const a = await member({ requestsPerMinute: 2 });
    const b = await member({ requestsPerMinute: 2 });
    await connected(a, b);
    await a.request('c', ask('from a'));
    await b.request('c', ask('from b'));
    for (const rt of [a, b]) {
      const error = await failure(rt.request('c', ask('one too many'), { timeoutMs: 5_000 }));
      expect(error.code).toBe('RATE_LIMITED');
      expect(error.retryAfterMs).toBeGreaterThan(5_000);
      expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
    }
    expect(a.health('c').requests.rejected + b.health('c').requests.rejected).toBe(2);
  });

  it('settles tokens with the real usage for every runtime to see', async () => {
    await clearBudgets();
    const a = await member({ tokensPerMinute: 100 });
    const b = await member({ tokensPerMinute: 100 });
    await connected(a, b);
    // 200 characters and maxTokens 30: 80 charged; the testing server reports a handful used.
    const answer = await a.request('c', ask('x'.repeat(196)), { maxTokens: 30 });
    expect(answer.usage.totalTokens).toBeLessThan(10);
    const redis = createClient({ url: shared.redis.url });
    await redis.connect();
    const key = rateKey('c', shared.server.url, 'm');
    await expect
      .poll(async () => Number(await redis.hGet(key, 't')), SLOW)
      .toBeGreaterThan(100 - 10);
    await redis.quit();
    // 90 tokens: more than an unsettled budget (20) could give before the deadline.
    await expect(b.request('c', ask('y'.repeat(356)), { timeoutMs: 2_000 })).resolves.toMatchObject(
      { cacheHit: false },
    );
  });

  it('is kept apart for another model', async () => {
    await clearBudgets();
    const a = await member({ requestsPerMinute: 1 });
    const other = await member({ requestsPerMinute: 1 }, 'another-model');
    await connected(a, other);
    await a.request('c', ask('spends it'));
    expect((await failure(a.request('c', ask('again'), { timeoutMs: 1_000 }))).code).toBe(
      'RATE_LIMITED',
    );
    await expect(other.request('c', ask('its own'))).resolves.toMatchObject({ cacheHit: false });
  });

  it('is kept by each runtime alone while Redis cannot be reached', async () => {
    const nowhere = `redis://127.0.0.1:${await freePort()}`;
    const a = await member({ requestsPerMinute: 1 }, 'm', nowhere);
    expect(a.health('c').fleet).toEqual({ rate: 'down' });
    await a.request('c', ask('alone'));
    const error = await failure(a.request('c', ask('still alone'), { timeoutMs: 1_000 }));
    expect(error).toMatchObject({ code: 'RATE_LIMITED' });
  });
});
