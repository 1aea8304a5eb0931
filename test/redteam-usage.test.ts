/**
 * Usage an upstream made up: token counts of 1e308, negative, strings. A count that is not a
 * non-negative number up to 2^53 is no count (0): 1e308 + 1e308 made the totals Infinity, which
 * spent every budget, turned health's usage and cost to null and broke the gateway's /metrics
 * (HTTP 500) until a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayPerTest } from './support/gateway.js';
import { rawUpstream, type RawUpstream } from './support/raw-upstream.js';

const under = gatewayPerTest();
let raw: RawUpstream | undefined;
afterEach(async () => {
  await raw?.close();
  raw = undefined;
});

async function upstreamReporting(usage: Record<string, unknown>): Promise<string> {
  raw = await rawUpstream((res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        choices: [
          { index: 0, message: { role: 'assistant', content: 'x' }, finish_reason: 'stop' },
        ],
        usage,
      }),
    );
  });
  return raw.url;
}

const chat = (url: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'c', messages: [{ role: 'user', content: 'hi' }] }),
  });

describe('token counts past 2^53', () => {
  it('count as none: budgets, health and /metrics stay whole', async () => {
    const baseUrl = await upstreamReporting({
      prompt_tokens: 1e308,
      completion_tokens: 1e308,
      total_tokens: -5,
      prompt_tokens_details: { cached_tokens: 'NaN' },
    });
    const gateway = await under.start({
      c: {
        provider: 'openai',
        baseUrl,
        model: 'm',
        retry: false,
        cache: false,
        pricing: { inputPerMTok: 1, outputPerMTok: 1 },
        budget: { usdPerDay: 10 },
      },
    });
    for (let i = 0; i < 2; i++) {
      const res = await chat(gateway.url);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { usage: unknown }).usage).toEqual({
        prompt_tokens: 0,
        completion_tokens: 0,
        total_tokens: 0,
      });
    }
    const health = under.runtime!.health('c');
    expect(health).toMatchObject({
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      cost: { usd: 0 },
    });
    const metrics = await fetch(`${gateway.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('llm_actors_prompt_tokens_total{client="c"} 0');
  });
});
