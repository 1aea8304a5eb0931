/**
 * Scale-out on Redis, with real processes and a real redis-server: answers shared across
 * processes, a fuse melt spreading, a probe closing it everywhere, a stalled Redis, clock skew,
 * and Redis killed and restarted mid-run. Single-flight across processes (and a lock holder
 * that dies or restarts) is in single-flight.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../src/model/clock.js';
import type { ClientConfig, RuntimeConfig } from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { fleetPerTest, SLOW, type Worker } from './support/fleet.js';
import { stallableProxy } from './support/redis.js';
import { runtimePerTest } from './support/runtime.js';

let server: TestServer;
// After each test (vitest runs afterEach hooks last-registered first): the in-process runtimes
// stop, then the worker processes end, then the testing server closes.
const processes = fleetPerTest(() => server?.close());
const { start } = runtimePerTest();

/** `n` processes, each with client `gpt` on the test server, sharing Redis as `shared` says. */
function fleet(n: number, shared: Partial<ClientConfig>): Promise<Worker[]> {
  return processes.start(n, {
    provider: 'openai',
    baseUrl: server.url,
    model: 'm',
    retry: false,
    ...shared,
  } as ClientConfig);
}

describe('a shared Redis cache', () => {
  it('serves an answer paid for by one process as a hit in every other', async () => {
    server = await startTestServer();
    const [a, b, c] = await fleet(3, { cache: { store: 'redis', url: processes.redis.url } });
    expect(await a!.request('shared question')).toMatchObject({ ok: true, cacheHit: false });
    expect(await b!.request('shared question')).toMatchObject({
      ok: true,
      cacheHit: true,
      text: 'echo: shared question',
    });
    expect(await c!.request('shared question')).toMatchObject({ ok: true, cacheHit: true });
    expect(server.requests).toBe(1);
    expect((await b!.health()).fleet).toEqual({ cache: 'up' });
  }, 60_000);
});

describe('a fleet-wide fuse', () => {
  const fuse = (resetMs: number) => ({
    fuse: { maxFailures: 1, resetMs, shared: { url: processes.redis.url } },
    cache: false as const,
  });

  it('opens in every process when it melts in one, and they fail fast without calling', async () => {
    server = await startTestServer();
    const [a, b, c] = await fleet(3, fuse(60_000));
    await expect.poll(async () => (await b!.health()).fleet?.fuse, SLOW).toBe('up');
    await expect.poll(async () => (await c!.health()).fleet?.fuse, SLOW).toBe('up');
    server.inject({ kind: 'status', status: 500 }, { times: 1 });
    expect(await a!.request('fails')).toMatchObject({ ok: false, code: 'PROVIDER_ERROR' });
    await expect.poll(async () => (await b!.health()).fuse.state, SLOW).toBe('open');
    await expect.poll(async () => (await c!.health()).fuse.state, SLOW).toBe('open');
    const retryAt = (await b!.health()).fuse.retryAt!;
    expect(retryAt - Date.now()).toBeGreaterThan(50_000);
    expect(await b!.request('fast fail')).toMatchObject({ ok: false, code: 'FUSE_OPEN' });
    expect(server.requests).toBe(1);
  }, 60_000);

  it('closes everywhere when one process probe succeeds', async () => {
    server = await startTestServer();
    const [a, b, c] = await fleet(3, fuse(300));
    await expect.poll(async () => (await b!.health()).fleet?.fuse, SLOW).toBe('up');
    await expect.poll(async () => (await c!.health()).fleet?.fuse, SLOW).toBe('up');
    server.inject({ kind: 'status', status: 500 }, { times: 1 });
    await a!.request('fails');
    // Opened by the news (its own open time may already be over: then it is half_open).
    await expect.poll(async () => (await b!.health()).fuse.melts, SLOW).toBe(1);
    await expect.poll(async () => (await c!.health()).fuse.melts, SLOW).toBe(1);
    await expect.poll(async () => (await a!.health()).fuse.state, SLOW).toBe('half_open');
    expect(await a!.request('probe')).toMatchObject({ ok: true });
    await expect.poll(async () => (await b!.health()).fuse.state, SLOW).toBe('closed');
    await expect.poll(async () => (await c!.health()).fuse.state, SLOW).toBe('closed');
    expect(server.requests).toBe(2);
  }, 60_000);
});

describe('an in-process runtime on a stalled Redis', () => {
  const config = (url: string, extra: Partial<ClientConfig> = {}): RuntimeConfig => ({
    clients: {
      gpt: { provider: 'openai', baseUrl: server.url, model: 'm', retry: false, ...extra },
    } as Record<string, ClientConfig>,
    cache: { store: 'redis', url },
    logger: false,
  });

  it('treats a stalled Redis as down: requests go upstream, health says so, stop returns', async () => {
    server = await startTestServer();
    const proxy = await stallableProxy(processes.redis.port);
    const rt = await start(config(proxy.url, { timeoutMs: 5_000 }));
    try {
      await expect.poll(() => rt.health('gpt').fleet?.cache, SLOW).toBe('up');
      await rt.request('gpt', [{ role: 'user', content: 'before' }]);
      proxy.stall();
      const during = await rt.request('gpt', [{ role: 'user', content: 'during' }]);
      expect(during).toMatchObject({ text: 'echo: during', cacheHit: false });
      expect(rt.health('gpt').fleet).toEqual({ cache: 'down' });
      proxy.resume();
      // Skipped until the background PING is answered (every 250 ms).
      await expect.poll(() => rt.health('gpt').fleet, SLOW).toEqual({ cache: 'up' });
      await rt.request('gpt', [{ role: 'user', content: 'after' }]);
      proxy.stall();
      await rt.request('gpt', [{ role: 'user', content: 'stalled again' }]);
    } finally {
      await rt.stop({ timeoutMs: 500 });
      await proxy.close();
    }
  }, 60_000);
});

describe('clock skew', () => {
  it('does not matter: an opening travels as a duration, read on each machine clock', async () => {
    server = await startTestServer();
    const HOUR = 3_600_000;
    /** A machine whose clock is `skewMs` off. */
    const skewed = (skewMs: number): Clock => ({ ...systemClock, now: () => Date.now() + skewMs });
    const client = {
      provider: 'openai',
      baseUrl: server.url,
      model: 'm',
      retry: false,
      cache: false,
      fuse: { maxFailures: 1, resetMs: 30_000, shared: { url: processes.redis.url } },
    } as const;
    const ahead = await start({ clients: { gpt: client }, clock: skewed(HOUR) });
    const behind = await start({ clients: { gpt: client }, clock: skewed(-HOUR) });
    for (const rt of [ahead, behind]) {
      await expect.poll(() => rt.health('gpt').fleet?.fuse, SLOW).toBe('up');
    }
    server.inject({ kind: 'status', status: 500 }, { times: 1 });
    await ahead.request('gpt', [{ role: 'user', content: 'x' }]).catch(() => undefined);
    await expect.poll(() => behind.health('gpt').fuse.state, SLOW).toBe('open');
    // Open for the ~30 s the first runtime has left, counted on the second one's own clock.
    const left = behind.health('gpt').fuse.retryAt! - (Date.now() - HOUR);
    expect(left).toBeGreaterThan(25_000);
    expect(left).toBeLessThanOrEqual(30_000);
  }, 60_000);
});

describe('Redis outages', () => {
  it('degrades to misses and a local fuse, settles every request, and recovers by itself', async () => {
    server = await startTestServer();
    const [a, b] = await fleet(2, {
      cache: { store: 'redis', url: processes.redis.url },
      fuse: { maxFailures: 50, shared: { url: processes.redis.url } },
    });
    await expect
      .poll(async () => (await a!.health()).fleet, SLOW)
      .toEqual({ cache: 'up', fuse: 'up' });
    expect(await a!.request('before')).toMatchObject({ ok: true });
    await processes.redis.kill();
    const during = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a! : b!).request(`during ${i % 5}`, 5_000)),
    );
    expect(during.every((answer) => answer.ok)).toBe(true);
    expect((await a!.health()).fleet).toEqual({ cache: 'down', fuse: 'down' });
    await processes.redis.restart();
    await expect
      .poll(async () => (await a!.health()).fleet, SLOW)
      .toEqual({ cache: 'up', fuse: 'up' });
    await expect
      .poll(async () => (await b!.health()).fleet, SLOW)
      .toEqual({
        cache: 'up',
        fuse: 'up',
      });
    const calls = server.requests;
    expect(await a!.request('after')).toMatchObject({ ok: true, cacheHit: false });
    expect(await b!.request('after')).toMatchObject({ ok: true, cacheHit: true });
    expect(server.requests).toBe(calls + 1);
  }, 60_000);
});
