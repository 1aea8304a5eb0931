/**
 * Admission with `rateLimit` in one process: requests over the budget wait in the client's
 * queue (first come, first served) while their deadline allows, or fail at once with
 * RATE_LIMITED; tokens are estimated before the call and settled with the real usage after;
 * cache hits cost nothing; retries count. The runtime's clock is moved by hand.
 */
import { describe, expect, it } from 'vitest';
import { createRuntime, type ClientConfig, type Runtime } from '../src/index.js';
import { httpFailure, testDriver, type TestDriver } from './support/driver.js';
import { failure } from './support/failure.js';
import { gatewayPerTest } from './support/gateway.js';
import { ManualClock, settle } from './support/manual-clock.js';
import { runtimePerTest } from './support/runtime.js';

const runtimes = runtimePerTest();
let clock: ManualClock;

async function start(d: TestDriver, config: Partial<ClientConfig>): Promise<Runtime> {
  clock = new ManualClock();
  return runtimes.start({
    clients: { c: { ...d.config, cache: false, timeoutMs: 120_000, ...config } as ClientConfig },
    clock,
  });
}

const ask = (text: string) => [{ role: 'user' as const, content: text }];

describe('requestsPerMinute', () => {
  it('sends the budget at once, then holds the next request until the budget has room', async () => {
    const d = testDriver();
    const rt = await start(d, { rateLimit: { requestsPerMinute: 2 } });
    await rt.request('c', ask('a'));
    await rt.request('c', ask('b'));
    const t0 = clock.now();
    const third = rt.request('c', ask('c'));
    await settle();
    expect(d.calls).toHaveLength(2);
    // Held by its own budget, the client counts as parked (a group skips it meanwhile).
    expect(rt.health('c')).toMatchObject({ requests: { queued: 1 }, parkedUntil: t0 + 30_000 });
    // Two a minute: one more every 30 s.
    clock.advance(29_999);
    await settle();
    expect(d.calls).toHaveLength(2);
    clock.advance(1);
    await expect(third).resolves.toMatchObject({ text: 'echo: c' });
    expect(rt.health('c')).toMatchObject({ requests: { queued: 0 }, parkedUntil: null });
  });

  it('fails at once with RATE_LIMITED when the wait would pass the deadline', async () => {
    const d = testDriver();
    const rt = await start(d, { rateLimit: { requestsPerMinute: 1 } });
    await rt.request('c', ask('a'));
    clock.advance(15_000);
    const error = await failure(rt.request('c', ask('b'), { timeoutMs: 10_000 }));
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 45_000 });
    expect(error.message).toContain('rateLimit');
    expect(d.calls).toHaveLength(1);
    expect(rt.health('c').requests).toMatchObject({ rejected: 1, succeeded: 1 });
  });

  it('lets waiting requests go first come, first served, and refuses at once one behind a wait past its deadline', async () => {
    const d = testDriver();
    const rt = await start(d, { rateLimit: { requestsPerMinute: 1 } });
    await rt.request('c', ask('first'));
    const order: string[] = [];
    const waiting = ['second', 'third'].map((text) =>
      rt.request('c', ask(text), { timeoutMs: 300_000 }).then((c) => order.push(c.text)),
    );
    const late = await failure(rt.request('c', ask('fourth'), { timeoutMs: 30_000 }));
    expect(late.code).toBe('RATE_LIMITED');
    clock.advance(60_000);
    await settle();
    clock.advance(60_000);
    await Promise.all(waiting);
    expect(order).toEqual(['echo: second', 'echo: third']);
  });

  it('drops a waiting request whose caller gave up, and the next takes its turn', async () => {
    const d = testDriver();
    const rt = await start(d, { rateLimit: { requestsPerMinute: 1 } });
    await rt.request('c', ask('a'));
    const controller = new AbortController();
    const gone = failure(rt.request('c', ask('gone'), { signal: controller.signal }));
    const next = rt.request('c', ask('next'));
    controller.abort();
    expect((await gone).code).toBe('ABORTED');
    expect(rt.health('c').requests.queued).toBe(1);
    clock.advance(60_000);
    await expect(next).resolves.toMatchObject({ text: 'echo: next' });
    expect(d.calls.map((c) => c.messages[0]!.content)).toEqual(['a', 'next']);
  });

  it('counts a retry as one more request', async () => {
    const d = testDriver((req, n) => {
      if (n === 1) throw httpFailure(503);
      return { text: `ok ${String(req.messages[0]!.content)}` };
    });
    const rt = await start(d, { rateLimit: { requestsPerMinute: 2 } });
    const first = rt.request('c', ask('a'));
    await settle();
    clock.advance(250);
    await expect(first).resolves.toMatchObject({ text: 'ok a' });
    const error = await failure(rt.request('c', ask('b'), { timeoutMs: 1_000 }));
    expect(error.code).toBe('RATE_LIMITED');
  });

  it('serves cache hits whatever the budget', async () => {
    const d = testDriver();
    const rt = await start(d, { cache: { store: 'memory' }, rateLimit: { requestsPerMinute: 1 } });
    await rt.request('c', ask('same'));
    await expect(rt.request('c', ask('same'))).resolves.toMatchObject({ cacheHit: true });
    const s = rt.stream('c', ask('same'));
    await expect(s.completion).resolves.toMatchObject({ cacheHit: true });
    expect((await failure(rt.request('c', ask('other'), { timeoutMs: 1_000 }))).code).toBe(
      'RATE_LIMITED',
    );
    expect(d.calls).toHaveLength(1);
  });

  it('holds a stream like a request', async () => {
    const d = testDriver();
    const rt = await start(d, { rateLimit: { requestsPerMinute: 1 } });
    await rt.request('c', ask('a'));
    const s = rt.stream('c', ask('streamed'));
    await settle();
    expect(d.calls).toHaveLength(1);
    clock.advance(60_000);
    await expect(s.completion).resolves.toMatchObject({ text: 'echo: streamed' });
  });

  it('counts held requests against maxQueue', async () => {
    const d = testDriver();
    const rt = await start(d, { maxQueue: 1, rateLimit: { requestsPerMinute: 1 } });
    await rt.request('c', ask('a'));
    const held = rt.request('c', ask('b'));
    expect((await failure(rt.request('c', ask('c')))).code).toBe('QUEUE_FULL');
    clock.advance(60_000);
    await expect(held).resolves.toMatchObject({ text: 'echo: b' });
  });
});

describe('tokensPerMinute', () => {
  it('charges an estimate before the call and settles it with the real usage after', async () => {
    // The driver reports 5 tokens used (2 prompt + 3 completion).
    const d = testDriver();
    const rt = await start(d, { rateLimit: { tokensPerMinute: 100 } });
    // 'user' and 196 characters: 50 tokens, plus maxTokens 30: 80 charged, 5 used.
    await rt.request('c', ask('x'.repeat(196)), { maxTokens: 30 });
    // 400 characters: 100 tokens, the whole bucket, which holds 95 once settled.
    const big = rt.request('c', ask('y'.repeat(396)));
    await settle();
    expect(d.calls).toHaveLength(1);
    // 5 tokens at 100 a minute: 3 s (unsettled, 80 would have taken 48 s).
    clock.advance(2_999);
    await settle();
    expect(d.calls).toHaveLength(1);
    clock.advance(1);
    await expect(big).resolves.toMatchObject({ text: `echo: ${'y'.repeat(396)}` });
  });

  it('gives back the estimate of a request that failed without an answer', async () => {
    const d = testDriver((_req, n) => {
      if (n === 1) throw httpFailure(400);
      return { text: 'ok' };
    });
    const rt = await start(d, { rateLimit: { tokensPerMinute: 100 } });
    await failure(rt.request('c', ask('z'.repeat(396))));
    await expect(rt.request('c', ask('z'.repeat(396)))).resolves.toMatchObject({ text: 'ok' });
  });

  it('lets a request larger than the whole budget through a full bucket', async () => {
    const d = testDriver();
    const rt = await start(d, { rateLimit: { tokensPerMinute: 10 } });
    await expect(rt.request('c', ask('w'.repeat(400)))).resolves.toMatchObject({
      text: `echo: ${'w'.repeat(400)}`,
    });
  });
});

describe('through the gateway', () => {
  const gw = gatewayPerTest();

  it('answers RATE_LIMITED as a 429 with Retry-After', async () => {
    const d = testDriver();
    const gateway = await gw.start({ c: { ...d.config, rateLimit: { requestsPerMinute: 1 } } });
    const post = (content: string) =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'c', messages: [{ role: 'user', content }] }),
      });
    expect((await post('first')).status).toBe(200);
    const res = await post('second');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(30);
    expect(res.headers.get('x-should-retry')).toBe('true');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect(d.calls).toHaveLength(1);
  });
});

describe('configuration', () => {
  it.each([
    [{}, 'clients.c.rateLimit', 'requestsPerMinute or tokensPerMinute'],
    [{ requestsPerMinute: 0 }, 'clients.c.rateLimit.requestsPerMinute', ''],
    [{ tokensPerMinute: 1.5 }, 'clients.c.rateLimit.tokensPerMinute', ''],
    [
      { requestsPerMinute: 5, shared: { url: 'http://x' } },
      'clients.c.rateLimit.shared.url',
      'redis',
    ],
    [{ requestsPerMinute: 5, perHour: 3 }, 'clients.c.rateLimit.perHour', 'unknown key'],
  ])('refuses rateLimit %j with INVALID_CONFIG naming the field', async (rateLimit, field, why) => {
    const error = await failure(
      createRuntime({
        logger: false,
        clients: { c: { provider: 'openai', model: 'm', rateLimit } as ClientConfig },
      }),
    );
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(field);
    expect(error.message).toContain(why);
  });
});
