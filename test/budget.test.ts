/**
 * Daily budgets in one process, on an injected clock: a request that would start with the
 * day's USD or tokens spent fails with BUDGET_EXCEEDED (not retryable, `resetAt` the next UTC
 * midnight) without calling upstream; cache hits stay free and allowed; the next UTC day starts
 * from zero; health shows what is spent and left; the gateway answers 429 with Retry-After.
 */
import { describe, expect, it } from 'vitest';
import { createGateway } from '../src/gateway/index.js';
import type { Clock, ClientConfig, Runtime } from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

let server: TestServer | undefined;
const runtimes = runtimePerTest(async () => {
  await server?.close();
  server = undefined;
});

const MIDNIGHT = Date.UTC(2026, 0, 2);
/** A clock whose time the test sets; timers are real ones (short). */
function settableClock(at: number): Clock & { at: number } {
  return {
    at,
    now() {
      return this.at;
    },
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    random: () => 0.5,
  };
}

async function start(config: Partial<ClientConfig>, clock: Clock): Promise<Runtime> {
  server = await startTestServer();
  return runtimes.start({
    clock,
    clients: {
      c: {
        provider: 'openai',
        model: 'm',
        baseUrl: server.url,
        apiKey: 'k',
        ...config,
      } as ClientConfig,
    },
  });
}

const ask = (rt: Runtime, content: string) => rt.request('c', [{ role: 'user', content }]);
/** Every answer: 1 000 input and 500 output tokens, $0.002 at $1 / $2 per MTok. */
const usage = { promptTokens: 1000, completionTokens: 500 };
const pricing = { inputPerMTok: 1, outputPerMTok: 2 };

describe('a daily USD budget', () => {
  it('refuses the request that would start spent, until the next UTC midnight', async () => {
    const clock = settableClock(MIDNIGHT - 60_000);
    const rt = await start({ pricing, budget: { usdPerDay: 0.003 } }, clock);
    server!.setScript(() => ({ text: 'ok', usage }));
    await ask(rt, 'one');
    // Spent 0.002 < 0.003: this one still starts, and spends past the limit.
    await ask(rt, 'two');
    const error = await failure(ask(rt, 'three'));
    expect(error.code).toBe('BUDGET_EXCEEDED');
    expect(error.retryable).toBe(false);
    expect(error.resetAt).toBe(MIDNIGHT);
    expect(error.retryAfterMs).toBe(60_000);
    expect(error.message).toContain('usdPerDay');
    expect(server!.requests).toBe(2);
    expect(rt.health('c').budget).toEqual({
      spent: { usd: 0.004, tokens: 3000 },
      left: { usd: 0 },
      resetAt: MIDNIGHT,
    });
    expect(rt.health('c').requests).toMatchObject({ succeeded: 2, rejected: 1, failed: 0 });

    const hit = await ask(rt, 'one');
    expect(hit.cacheHit).toBe(true);

    clock.at = MIDNIGHT + 1;
    expect((await ask(rt, 'three')).cacheHit).toBe(false);
    expect(rt.health('c').budget).toEqual({
      spent: { usd: 0.002, tokens: 1500 },
      left: { usd: 0.001 },
      resetAt: MIDNIGHT + 86_400_000,
    });
  });
});

describe('a daily token budget', () => {
  it('counts the tokens paid upstream, not those of cache hits', async () => {
    const clock = settableClock(MIDNIGHT + 1_000);
    const rt = await start({ budget: { tokensPerDay: 2000 } }, clock);
    server!.setScript(() => ({ text: 'ok', usage }));
    await ask(rt, 'one');
    await ask(rt, 'one');
    await ask(rt, 'two');
    const error = await failure(ask(rt, 'three'));
    expect(error.code).toBe('BUDGET_EXCEEDED');
    expect(error.message).toContain('tokensPerDay');
    expect(rt.health('c').budget).toMatchObject({ spent: { tokens: 3000 }, left: { tokens: 0 } });
  });

  it('is answered by the gateway as 429 with Retry-After until midnight', async () => {
    const clock = settableClock(MIDNIGHT - 10_000);
    const rt = await start({ budget: { tokensPerDay: 0 } }, clock);
    const gateway = await createGateway(rt, { port: 0, logger: false });
    try {
      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'c', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('10');
      expect(res.headers.get('x-should-retry')).toBe('false');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'BUDGET_EXCEEDED',
      );
    } finally {
      await gateway.close({ timeoutMs: 0 });
    }
  });
});

describe('a budget config', () => {
  it.each([
    [{ usdPerDay: 1 }, 'clients.c.budget.usdPerDay: needs the client', false],
    [{}, 'clients.c.budget: expected usdPerDay or tokensPerDay', true],
    [{ tokensPerDay: -1 }, 'clients.c.budget.tokensPerDay', true],
    [{ tokensPerDay: 1, shared: { url: 'http://x' } }, 'clients.c.budget.shared.url', true],
  ])('%j is refused with INVALID_CONFIG: %s', async (budget, message, priced) => {
    const config = { budget, ...(priced ? { pricing } : {}) } as Partial<ClientConfig>;
    const error = await failure(start(config, settableClock(0)));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(message);
  });
});
