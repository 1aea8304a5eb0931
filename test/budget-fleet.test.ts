/**
 * A fleet-wide budget through a real redis-server: what one runtime spends counts against the
 * other's, in a per-client, per-UTC-day hash that expires, across restarts; and with Redis gone
 * each runtime goes on with what it has spent itself.
 */
import { createClient } from '@redis/client';
import { describe, expect, it } from 'vitest';
import type { ClientConfig, Runtime } from '../src/index.js';
import { failure } from './support/failure.js';
import { SLOW } from './support/fleet.js';
import { redisPerFile } from './support/redis.js';
import { runtimePerTest } from './support/runtime.js';

const shared = redisPerFile();
const runtimes = runtimePerTest();

/** A runtime with client `gpt` (no cache: every request is paid) sharing its budget. */
async function member(budget: ClientConfig['budget']): Promise<Runtime> {
  const rt = await runtimes.start({
    clients: {
      gpt: {
        provider: 'openai',
        model: 'm',
        baseUrl: shared.server.url,
        cache: false,
        retry: false,
        pricing: { inputPerMTok: 1, outputPerMTok: 2 },
        budget,
      },
    },
  });
  await expect.poll(() => rt.health('gpt').fleet?.budget, SLOW).toBe('up');
  return rt;
}

const ask = (rt: Runtime, content: string) => rt.request('gpt', [{ role: 'user', content }]);

describe('a shared budget', () => {
  it('refuses in one runtime what another has spent, counted in a per-day Redis hash', async () => {
    const budget = { tokensPerDay: 1500, usdPerDay: 1, shared: { url: shared.redis.url } };
    const a = await member(budget);
    const b = await member(budget);
    shared.server.setScript(() => ({
      text: 'ok',
      usage: { promptTokens: 1000, completionTokens: 500 },
    }));
    await ask(a, 'paid by a');
    const redis = createClient({ url: shared.redis.url });
    await redis.connect();
    try {
      const key = `llm-actors:budget:gpt:${new Date().toISOString().slice(0, 10)}`;
      await expect.poll(() => redis.hGet(key, 'tokens'), SLOW).toBe('1500');
      expect(Number(await redis.hGet(key, 'usd'))).toBeCloseTo(0.002, 12);
      expect(await redis.ttl(key)).toBeGreaterThan(86_400);
      const error = await failure(ask(b, 'asked of b'));
      expect(error.code).toBe('BUDGET_EXCEEDED');
      expect(b.health('gpt').budget).toMatchObject({
        spent: { tokens: 1500, usd: 0.002 },
        left: { tokens: 0 },
      });
      expect(a.health('gpt').budget!.spent.tokens).toBe(1500);
    } finally {
      await redis.quit();
      shared.server.setScript(undefined);
    }
  }, 30_000);

  it('keeps adding to the fleet’s spending after the client restarts', async () => {
    const rt = await member({ tokensPerDay: 1_000_000, shared: { url: shared.redis.url } });
    await rt.restart('gpt');
    await expect.poll(() => rt.health('gpt').fleet?.budget, SLOW).toBe('up');
    shared.server.setScript(() => ({
      text: 'ok',
      usage: { promptTokens: 7, completionTokens: 3 },
    }));
    const redis = createClient({ url: shared.redis.url });
    await redis.connect();
    try {
      const key = `llm-actors:budget:gpt:${new Date().toISOString().slice(0, 10)}`;
      const before = Number((await redis.hGet(key, 'tokens')) ?? 0);
      await ask(rt, 'after the restart');
      await expect
        .poll(async () => Number(await redis.hGet(key, 'tokens')), SLOW)
        .toBe(before + 10);
    } finally {
      await redis.quit();
      shared.server.setScript(undefined);
    }
  }, 30_000);

  it('goes on with what the runtime has seen itself while Redis is down', async () => {
    const budget = { tokensPerDay: 2000, shared: { url: shared.redis.url } };
    const rt = await member(budget);
    await shared.redis.kill();
    try {
      await expect.poll(() => rt.health('gpt').fleet?.budget, SLOW).toBe('down');
      shared.server.setScript(() => ({
        text: 'ok',
        usage: { promptTokens: 1500, completionTokens: 500 },
      }));
      await ask(rt, 'one');
      expect((await failure(ask(rt, 'two'))).code).toBe('BUDGET_EXCEEDED');
    } finally {
      shared.server.setScript(undefined);
      await shared.redis.restart();
    }
  }, 30_000);
});
