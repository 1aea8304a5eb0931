import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../src/index.js';
import { RecentSeries } from '../src/observe/series.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';

const T0 = 1_700_000_000_000;

describe('recent series', () => {
  it('counts each second apart and closes its latency percentiles', () => {
    const series = new RecentSeries(10);
    series.answered(false, 100, T0);
    series.paid(30, 0.002, T0);
    series.answered(false, 300, T0 + 400);
    series.paid(20, 0.001, T0 + 400);
    series.answered(true, 0.5, T0 + 900);
    // A stream cut in the next second is charged there, though it was never answered.
    series.paid(5, 0.0005, T0 + 1_100);
    series.failed(false, T0 + 1_100);
    series.failed(true, T0 + 1_200);
    const p = series.points(T0 + 2_000);
    expect(p.start).toBe(T0 - 7_000);
    expect(p.misses.slice(-3)).toEqual([2, 0, 0]);
    expect(p.hits.slice(-3)).toEqual([1, 0, 0]);
    expect(p.tokens.slice(-3)).toEqual([50, 5, 0]);
    expect(p.costUsd.at(-3)).toBeCloseTo(0.003, 9);
    expect(p.costUsd.slice(-2)).toEqual([0.0005, 0]);
    expect(p.errors.slice(-3)).toEqual([0, 1, 0]);
    expect(p.callerFaults.slice(-3)).toEqual([0, 1, 0]);
    expect(p.missP50.at(-3)).toBeCloseTo(100, -1);
    expect(p.missP99.at(-3)).toBeCloseTo(300, -2);
    expect(p.hitP50.at(-3)).toBeCloseTo(0.5, 1);
    expect(p.missP50.slice(-2)).toEqual([null, null]);
  });

  it('reads the current second live and keeps a fixed number of points', () => {
    const series = new RecentSeries(5);
    for (let s = 0; s < 100; s++) series.answered(false, 10, T0 + s * 1_000);
    series.answered(false, 20, T0 + 99_500);
    const p = series.points(T0 + 99_900);
    expect(p.misses).toEqual([1, 1, 1, 1, 2]);
    // Within one bucket of the histogram (~9 %).
    expect(p.missP99.at(-1)).toBeGreaterThanOrEqual(20);
    expect(p.missP99.at(-1)).toBeLessThan(22);
    expect(p.hits).toHaveLength(5);
  });

  it('forgets what is older than its window, even after a long silence', () => {
    const series = new RecentSeries(5);
    series.answered(true, 1, T0);
    const p = series.points(T0 + 60_000);
    expect(p.hits).toEqual([0, 0, 0, 0, 0]);
    expect(p.hitP50).toEqual([null, null, null, null, null]);
  });

  it('counts a clock that stepped back into the current second', () => {
    const series = new RecentSeries(3);
    series.answered(true, 1, T0 + 5_000);
    series.answered(true, 1, T0 + 1_000);
    expect(series.points(T0 + 5_000).hits).toEqual([0, 0, 2]);
  });
});

describe('runtime.series', () => {
  let server: TestServer | undefined;
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.stop({ timeoutMs: 0 });
    await server?.close();
  });

  it('splits a client’s requests into hits, misses, errors and caller faults', async () => {
    server = await startTestServer();
    runtime = await createRuntime({
      clients: { gpt: { provider: 'openai', baseUrl: server.url, model: 'm', retry: false } },
      logger: false,
    });
    const hi = [{ role: 'user' as const, content: 'hi' }];
    await runtime.request('gpt', hi);
    await runtime.request('gpt', hi);
    server.inject({ kind: 'status', status: 500 }, { times: 1 });
    await runtime.request('gpt', [{ role: 'user', content: 'boom' }]).catch(() => 0);
    await runtime.request('gpt', []).catch(() => 0);
    const p = runtime.series('gpt');
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(p.hits).toHaveLength(300);
    expect([sum(p.hits), sum(p.misses), sum(p.errors), sum(p.callerFaults)]).toEqual([1, 1, 1, 1]);
    expect(sum(p.tokens)).toBe(runtime.health('gpt').usage.totalTokens);
    expect(sum(p.costUsd)).toBe(0);
    const health = runtime.health('gpt');
    expect(health.requests.callerFaults).toBe(1);
    expect(health.lastError).toMatchObject({ code: 'INVALID_REQUEST', callerFault: true });
    expect(health.lastCause).toMatchObject({ code: 'PROVIDER_ERROR', status: 500 });
    expect(() => runtime!.series('nope')).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_CLIENT' }),
    );
  });

  it('charts what a priced client paid, second by second, as its health totals it', async () => {
    server = await startTestServer();
    runtime = await createRuntime({
      clients: {
        priced: {
          provider: 'openai',
          baseUrl: server.url,
          model: 'm',
          pricing: { inputPerMTok: 2, outputPerMTok: 8 },
        },
      },
      logger: false,
    });
    let paid = 0;
    for (const content of ['one', 'two', 'one']) {
      paid += (await runtime.request('priced', [{ role: 'user', content }])).costUsd ?? 0;
    }
    expect(paid).toBeGreaterThan(0);
    const sum = runtime.series('priced').costUsd.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(paid, 12);
    expect(sum).toBeCloseTo(runtime.health('priced').cost!.usd, 12);
  });
});
