/**
 * What answers cost: a client's price table against hand-computed costs for OpenAI (cached
 * input), Anthropic (cache reads and writes, which its `input_tokens` leaves out) and a
 * reasoning model (reasoning tokens billed as output), plain and streamed; a cut stream charged
 * for the usage it reported; cache hits free;
 * the totals in health and in the gateway's Prometheus counter.
 */
import { describe, expect, it } from 'vitest';
import { createGateway } from '../src/gateway/index.js';
import type { ClientConfig, Runtime } from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

let server: TestServer | undefined;
const runtimes = runtimePerTest(async () => {
  await server?.close();
  server = undefined;
});

/** A runtime with one client `c` on the testing server. */
async function start(config: Partial<ClientConfig>): Promise<Runtime> {
  server = await startTestServer();
  const anthropic = config.provider === 'anthropic';
  return runtimes.start({
    clients: {
      c: {
        provider: 'openai',
        model: 'm',
        baseUrl: anthropic ? server.origin : server.url,
        apiKey: 'k',
        ...config,
      } as ClientConfig,
    },
  });
}

const hi = [{ role: 'user' as const, content: 'hi' }];
/** Claude with its prompt-cache rates: $3 input, $0.30 cache read, $3.75 cache write, $15 output. */
const claude: Partial<ClientConfig> = {
  provider: 'anthropic',
  model: 'claude',
  pricing: { inputPerMTok: 3, cachedInputPerMTok: 0.3, cacheWritePerMTok: 3.75, outputPerMTok: 15 },
};

describe('the cost of an answer', () => {
  it('charges OpenAI cached input at its own rate: 200 × 2.50 + 800 × 1.25 + 200 × 10 per MTok', async () => {
    const rt = await start({
      pricing: { inputPerMTok: 2.5, cachedInputPerMTok: 1.25, outputPerMTok: 10 },
    });
    server!.enqueue({
      text: 'ok',
      usage: { promptTokens: 1000, cachedPromptTokens: 800, completionTokens: 200 },
    });
    const res = await rt.request('c', hi);
    expect(res.usage).toMatchObject({ promptTokens: 1000, cachedPromptTokens: 800 });
    // (200 × 2.5 + 800 × 1.25 + 200 × 10) / 1e6 = (500 + 1000 + 2000) / 1e6
    expect(res.costUsd).toBeCloseTo(0.0035, 12);
    expect(rt.health('c').cost).toEqual({ usd: 0.0035 });
  });

  it('charges Anthropic cache reads and writes at their rates, added back to input_tokens', async () => {
    const rt = await start(claude);
    const usage = {
      promptTokens: 10_000,
      cachedPromptTokens: 6_000,
      cacheWriteTokens: 3_000,
      completionTokens: 500,
    };
    // input_tokens on the wire is 1 000: the runtime adds the 9 000 read and written back.
    server!.enqueue({ text: 'ok', usage }, { text: 'ok', usage });
    const plain = await rt.request('c', hi);
    expect(plain.usage).toMatchObject(usage);
    // (1000 × 3 + 6000 × 0.3 + 3000 × 3.75 + 500 × 15) / 1e6 = (3000 + 1800 + 11250 + 7500) / 1e6
    expect(plain.costUsd).toBeCloseTo(0.02355, 12);
    const s = rt.stream('c', [{ role: 'user', content: 'streamed' }]);
    for await (const _ of s) void _;
    expect((await s.completion).costUsd).toBeCloseTo(0.02355, 12);
    expect(rt.health('c').cost!.usd).toBeCloseTo(0.0471, 12);
  });

  it('charges a cut Anthropic stream the input its message_start reported', async () => {
    const rt = await start(claude);
    server!.enqueue({
      text: 'a long answer that is cut short',
      usage: { promptTokens: 10_000, cachedPromptTokens: 6_000, cacheWriteTokens: 3_000 },
    });
    server!.inject({ kind: 'stream_cut', afterDeltas: 2 }, { times: 1 });
    const s = rt.stream('c', hi);
    const error = await failure(
      (async () => {
        for await (const _ of s) void _;
      })(),
    );
    expect(error.code).toBe('NETWORK_ERROR');
    // message_start: input_tokens 1 000, the cache read and write, and 1 output token.
    // (1000 × 3 + 6000 × 0.3 + 3000 × 3.75 + 1 × 15) / 1e6 = 16 065 / 1e6
    const health = rt.health('c');
    expect(health.cost!.usd).toBeCloseTo(0.016065, 12);
    expect(health.usage).toMatchObject({ promptTokens: 10_000, completionTokens: 1 });
  });

  it('charges a reasoning model its reasoning tokens as output: 100 × 1.10 + 1200 × 4.40 per MTok', async () => {
    const rt = await start({ pricing: { inputPerMTok: 1.1, outputPerMTok: 4.4 } });
    server!.enqueue({
      text: 'yes',
      reasoning: 'let me think',
      usage: { promptTokens: 100, completionTokens: 1200, reasoningTokens: 1000 },
    });
    const res = await rt.request('c', hi);
    expect(res.usage).toMatchObject({ completionTokens: 1200, reasoningTokens: 1000 });
    // (100 × 1.1 + 1200 × 4.4) / 1e6 = (110 + 5280) / 1e6
    expect(res.costUsd).toBeCloseTo(0.00539, 12);
  });

  it('charges cached input at the input rate when the table has no cached rate', async () => {
    const rt = await start({ pricing: { inputPerMTok: 2, outputPerMTok: 8 } });
    server!.enqueue({
      text: 'ok',
      usage: { promptTokens: 1000, cachedPromptTokens: 800, completionTokens: 100 },
    });
    // (1000 × 2 + 100 × 8) / 1e6
    expect((await rt.request('c', hi)).costUsd).toBeCloseTo(0.0028, 12);
  });

  it('costs nothing on a cache hit, and health counts only what was paid', async () => {
    const rt = await start({ pricing: { inputPerMTok: 1, outputPerMTok: 2 } });
    server!.enqueue({ text: 'ok', usage: { promptTokens: 1000, completionTokens: 1000 } });
    expect((await rt.request('c', hi)).costUsd).toBeCloseTo(0.003, 12);
    const hit = await rt.request('c', hi);
    expect(hit.cacheHit).toBe(true);
    expect(hit.costUsd).toBe(0);
    expect(rt.health('c').cost).toEqual({ usd: 0.003 });
  });

  it('has no cost without a price table', async () => {
    const rt = await start({});
    const res = await rt.request('c', hi);
    expect(res).not.toHaveProperty('costUsd');
    expect(rt.health('c')).not.toHaveProperty('cost');
  });

  it('is counted by the gateway as llm_actors_cost_usd_total', async () => {
    const rt = await start({ pricing: { inputPerMTok: 1, outputPerMTok: 2 } });
    server!.enqueue({ text: 'ok', usage: { promptTokens: 1000, completionTokens: 1000 } });
    await rt.request('c', hi);
    const gateway = await createGateway(rt, { port: 0, logger: false });
    try {
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      expect(metrics).toContain('llm_actors_cost_usd_total{client="c"} 0.003');
    } finally {
      await gateway.close({ timeoutMs: 0 });
    }
  });
});

describe('a price table', () => {
  it.each([
    [{ inputPerMTok: -1, outputPerMTok: 1 }, 'clients.c.pricing.inputPerMTok'],
    [{ inputPerMTok: 1, outputPerMTok: Infinity }, 'clients.c.pricing.outputPerMTok'],
    [{ inputPerMTok: 1, outputPerMTok: 1, cachedInputPerMTok: NaN }, 'cachedInputPerMTok'],
    [{ inputPerMTok: 1 }, 'clients.c.pricing.outputPerMTok'],
    [{ inputPerMTok: 1, outputPerMTok: 1, perRequest: 1 }, 'clients.c.pricing.perRequest'],
  ])('is refused with INVALID_CONFIG naming the field: %j', async (pricing, field) => {
    const error = await failure(start({ pricing } as unknown as Partial<ClientConfig>));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(field);
  });
});
