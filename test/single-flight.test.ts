/**
 * Single-flight: identical requests share one upstream call, in one runtime (memory and SQLite
 * caches), while their waiters come and go, and across processes and runtimes on one Redis.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CacheConfig, ClientConfig, RuntimeConfig } from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { driver, hi, say, type Reply } from './support/cache.js';
import { deferred, hang, hi as hiDriver, testDriver, type Answer } from './support/driver.js';
import { failure } from './support/failure.js';
import { fleetPerTest, SLOW } from './support/fleet.js';
import { fakeableClock, runtimePerTest } from './support/runtime.js';

/** Answers after a macrotask, so that every concurrent request has looked the cache up. */
const later: Reply = async (req, n) => {
  await new Promise((resolve) => setImmediate(resolve));
  return `${req.messages[0]!.content} #${n}`;
};

describe('identical requests in one runtime', () => {
  let dir: string;
  const { start } = runtimePerTest(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llma-flight-'));
  });

  const stores: Array<[string, () => CacheConfig]> = [
    ['memory', () => ({ store: 'memory' })],
    ['SQLite', () => ({ store: 'sqlite', path: join(dir, 'cache.sqlite') })],
  ];

  it.each(stores)(
    'makes 50 identical concurrent requests share exactly one driver call (%s cache)',
    async (_, cache) => {
      const a = driver(later);
      const runtime = await start({ clients: { a: a.config() }, cache: cache() });
      const results = await Promise.all(Array.from({ length: 50 }, () => runtime.request('a', hi)));
      expect(a.request).toHaveBeenCalledTimes(1);
      expect(results.map((r) => r.text)).toEqual(Array(50).fill('Hi #1'));
      expect(runtime.health('a').requests).toMatchObject({ total: 50, succeeded: 50, failed: 0 });
      expect(runtime.health('a').usage.totalTokens).toBe(8);
      expect(await runtime.request('a', hi)).toMatchObject({ text: 'Hi #1', cacheHit: true });
    },
  );

  it('makes 50 concurrent requests with cache: false make 50 driver calls', async () => {
    const a = driver(later);
    const runtime = await start({ clients: { a: a.config() } });
    const results = await Promise.all(
      Array.from({ length: 50 }, () => runtime.request('a', hi, { cache: false })),
    );
    expect(a.request).toHaveBeenCalledTimes(50);
    expect(new Set(results.map((r) => r.text)).size).toBe(50);
  });

  it('does not share a flight between requests that differ', async () => {
    const a = driver(later);
    const runtime = await start({ clients: { a: a.config() } });
    const results = await Promise.all([
      runtime.request('a', hi),
      runtime.request('a', hi, { temperature: 1 }),
      runtime.request('a', hi, { rolloutId: 'r' }),
      runtime.request('a', say('Other')),
    ]);
    expect(a.request).toHaveBeenCalledTimes(4);
    expect(new Set(results.map((r) => r.text)).size).toBe(4);
  });

  it('makes every waiter of a shared flight fail when the call fails, and caches nothing', async () => {
    const a = driver(async (req, n) => {
      await later(req, n);
      if (n === 1) throw new Error('backend down');
      return `ok #${n}`;
    });
    const runtime = await start({ clients: { a: a.config() } });
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, () => runtime.request('a', hi)),
    );
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    expect(a.request).toHaveBeenCalledTimes(1);
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'ok #2', cacheHit: false });
  });
});

describe('the waiters of a shared upstream call', () => {
  const runtimes = runtimePerTest();
  const start = (clients: RuntimeConfig['clients']) =>
    runtimes.start({ clients, clock: fakeableClock });
  beforeEach(() => {
    vi.useFakeTimers();
  });

  it('keeps the shared upstream call for a follower when the leader times out', async () => {
    const gate = deferred<Answer>();
    const d = testDriver(() => gate.promise);
    const rt = await start({ d: d.config });
    const leader = failure(rt.request('d', hiDriver, { timeoutMs: 100 }));
    const follower = rt.request('d', hiDriver, { timeoutMs: 5_000 });
    await vi.advanceTimersByTimeAsync(100);
    expect((await leader).code).toBe('TIMEOUT');
    expect(d.calls[0]!.signal.aborted).toBe(false);
    gate.resolve({ text: 'shared' });
    await expect(follower).resolves.toMatchObject({ text: 'shared' });
    expect(d.calls).toHaveLength(1);
  });

  it('aborts the upstream call once every waiter has left', async () => {
    const d = testDriver(hang);
    const rt = await start({ d: d.config });
    const a = new AbortController();
    const b = new AbortController();
    const first = failure(rt.request('d', hiDriver, { signal: a.signal }));
    const second = failure(rt.request('d', hiDriver, { signal: b.signal }));
    await vi.advanceTimersByTimeAsync(0);
    a.abort();
    await first;
    expect(d.calls[0]!.signal.aborted).toBe(false);
    b.abort();
    await second;
    expect(d.calls[0]!.signal.aborted).toBe(true);
  });
});

describe('across processes and runtimes on one Redis', () => {
  let server: TestServer;
  // After each test (vitest runs afterEach hooks last-registered first): the in-process runtimes
  // stop, then the worker processes end, then the testing server closes.
  const processes = fleetPerTest(() => server?.close());
  const { start } = runtimePerTest();

  /** Client `gpt` on the testing server, caching in this file's Redis. */
  const client = (): ClientConfig => ({
    provider: 'openai',
    baseUrl: server.url,
    model: 'm',
    retry: false,
    cache: { store: 'redis', url: processes.redis.url },
  });

  it('makes one upstream call when several processes ask the same question at once', async () => {
    server = await startTestServer();
    server.inject({ kind: 'latency', ms: 300 });
    const workers = await processes.start(4, client());
    for (const w of workers)
      await expect.poll(async () => (await w.health()).fleet?.cache, SLOW).toBe('up');
    const answers = await Promise.all(workers.map((w) => w.request('asked by all at once')));
    expect(answers.every((a) => a.ok && a.text === 'echo: asked by all at once')).toBe(true);
    expect(server.requests).toBe(1);
    expect(answers.filter((a) => a.cacheHit).length).toBe(3);
  }, 60_000);

  it('lets another process take over when the lock holder dies', async () => {
    server = await startTestServer();
    server.inject({ kind: 'hang' }, { times: 1 });
    const [holder, waiter] = await processes.start(2, client());
    for (const w of [holder!, waiter!]) {
      await expect.poll(async () => (await w.health()).fleet?.cache, SLOW).toBe('up');
    }
    // A deadline long enough that a loaded machine still gets the holder to the upstream.
    void holder!.request('who answers', 5_000);
    await expect.poll(() => server.requests, SLOW).toBe(1);
    const waiting = waiter!.request('who answers', 40_000);
    holder!.child.kill('SIGKILL');
    // The lock outlives the holder's 5 s deadline by a margin; then the waiter calls itself.
    expect(await waiting).toMatchObject({ ok: true, cacheHit: false, text: 'echo: who answers' });
    expect(server.requests).toBe(2);
  }, 60_000);

  it('gives the fleet lock back when its holder restarts, so a waiter calls at once', async () => {
    server = await startTestServer();
    const a = await start({ clients: { gpt: client() } });
    const b = await start({ clients: { gpt: client() } });
    for (const rt of [a, b])
      await expect.poll(() => rt.health('gpt').fleet?.cache, SLOW).toBe('up');
    server.inject({ kind: 'latency', ms: 60_000 }, { times: 1 });
    const holding = a.request('gpt', [{ role: 'user', content: 'q' }]).catch((e: unknown) => e);
    await expect.poll(() => server.requests, SLOW).toBe(1);
    const waiting = b.request('gpt', [{ role: 'user', content: 'q' }], { timeoutMs: 20_000 });
    await a.restart('gpt');
    expect(await holding).toMatchObject({ code: 'CLIENT_RESTARTED' });
    // Without the release, the lock would outlive a's 30 s deadline and b would time out.
    expect(await waiting).toMatchObject({ text: 'echo: q', cacheHit: false });
    expect(server.requests).toBe(2);
  }, 60_000);
});
