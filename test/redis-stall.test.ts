/**
 * A stalled Redis — the real redis-server stopped with SIGSTOP, its sockets up, answering
 * nothing — never fails or slows a request past the first wait, and never makes a clear look
 * done: requests with a 400 ms deadline are all answered from upstream, the skipped operations
 * are counted, the cache comes back by itself after SIGCONT, and clear-cache reports honestly
 * (runtime and gateway). The process exiting after stop() is in redis-exit.test.ts.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway/index.js';
import {
  isLlmActorsError,
  type ClientConfig,
  type Runtime,
  type RuntimeConfig,
} from '../src/index.js';
import { SLOW } from './support/fleet.js';
import { redisPerFile } from './support/redis.js';
import { runtimePerTest } from './support/runtime.js';

let gateway: Gateway | undefined;
const shared = redisPerFile();
const { start } = runtimePerTest(async () => {
  await gateway?.close({ timeoutMs: 0 });
  gateway = undefined;
  // A test that failed while Redis was stopped leaves it running for the next one.
  shared.redis.resume();
  shared.server.clearFaults();
});

const ask = (rt: Runtime, content: string, timeoutMs = 5_000) =>
  rt.request('gpt', [{ role: 'user', content }], { timeoutMs });

/**
 * One client `gpt` on the testing server with a Redis cache that has no in-process front
 * (every hit comes from Redis) and a fleet-wide fuse on the same Redis.
 */
async function onRedis(
  extra: Partial<ClientConfig> = {},
  logger: RuntimeConfig['logger'] = false,
): Promise<Runtime> {
  const config: RuntimeConfig = {
    logger,
    clients: {
      gpt: {
        provider: 'openai',
        baseUrl: shared.server.url,
        model: 'm',
        retry: false,
        cache: { store: 'redis', url: shared.redis.url, frontEntries: 0 },
        fuse: { maxFailures: 1_000, shared: { url: shared.redis.url } },
        ...extra,
      } as ClientConfig,
    },
  };
  const rt = await start(config);
  await expect.poll(() => rt.health('gpt').fleet, SLOW).toEqual({ cache: 'up', fuse: 'up' });
  return rt;
}

describe('a stalled Redis (SIGSTOP)', () => {
  it('fails none of 200 requests with a 400 ms deadline, counts the skips, and is used again after SIGCONT', async () => {
    const rt = await onRedis();
    await ask(rt, 'kept');
    expect(await ask(rt, 'kept')).toMatchObject({ cacheHit: true });
    // A warm process, as in service: the first wave's connections and code paths are ready.
    await Promise.all(Array.from({ length: 20 }, (_, i) => ask(rt, `warm ${i}`)));
    shared.redis.pause();
    const failures: string[] = [];
    const latencies: number[] = [];
    for (let wave = 0; wave < 10; wave++) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const began = performance.now();
          try {
            const answer = await ask(rt, `stalled ${wave}.${i}`, 400);
            expect(answer).toMatchObject({ text: `echo: stalled ${wave}.${i}`, cacheHit: false });
          } catch (error) {
            failures.push(isLlmActorsError(error) ? error.code : String(error));
          }
          latencies.push(performance.now() - began);
        }),
      );
    }
    expect(failures).toEqual([]);
    latencies.sort((a, b) => a - b);
    // Only the first wave waited for Redis (one command timeout); the 180 after it skipped it.
    expect(latencies[179]!).toBeLessThan(150);
    const health = rt.health('gpt');
    expect(health.fleet?.cache).toBe('down');
    // 180 lookups and at least as many writes skipped (the first wave's writes too).
    expect(health.cache.skipped).toBeGreaterThanOrEqual(360);
    expect(health.cache.misses).toBe(221);

    shared.redis.resume();
    await expect.poll(() => rt.health('gpt').fleet, SLOW).toEqual({ cache: 'up', fuse: 'up' });
    // What Redis held before the stall is still there, and new answers are stored again.
    expect(await ask(rt, 'kept')).toMatchObject({ cacheHit: true });
    await ask(rt, 'after');
    await expect.poll(async () => (await ask(rt, 'after')).cacheHit, SLOW).toBe(true);
  }, 60_000);
});

describe('clearCache on a Redis it cannot reach', () => {
  it('rejects with NETWORK_ERROR on a stalled Redis, crashes nothing, and clears once it answers', async () => {
    const rt = await onRedis();
    await ask(rt, 'cached');
    const calls = shared.server.requests;
    shared.server.inject({ kind: 'latency', ms: 700 }, { times: 1 });
    const inFlight = ask(rt, 'in flight while clearing');
    // Let its lookup (a miss) land before Redis stops, so it is waiting on the upstream.
    await expect.poll(() => shared.server.requests, SLOW).toBe(calls + 1);
    shared.redis.pause();
    const first = await rt.clearCache('gpt').catch((e: unknown) => e);
    expect(isLlmActorsError(first, 'NETWORK_ERROR')).toBe(true);
    expect((first as Error).message).toMatch(/^gpt: the cache could not be cleared: /);
    // Known stalled now: the second clear does not even wait.
    const began = performance.now();
    await expect(rt.clearCache('gpt')).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(performance.now() - began).toBeLessThan(50);
    await expect(inFlight).resolves.toMatchObject({ text: 'echo: in flight while clearing' });
    expect(rt.health('gpt')).toMatchObject({ status: 'running', restarts: 0 });

    shared.redis.resume();
    await expect.poll(() => rt.health('gpt').fleet?.cache, SLOW).toBe('up');
    // It said it had not cleared, and it had not.
    expect(await ask(rt, 'cached')).toMatchObject({ cacheHit: true });
    await rt.clearCache('gpt');
    expect(await ask(rt, 'cached')).toMatchObject({ cacheHit: false });
  }, 60_000);

  it('rejects with NETWORK_ERROR while Redis is down, and the client keeps serving without a log flood', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
    const rt = await onRedis({}, logger);
    await shared.redis.kill();
    try {
      await expect.poll(() => rt.health('gpt').fleet?.cache, SLOW).toBe('down');
      await expect(rt.clearCache('gpt')).rejects.toMatchObject({
        code: 'NETWORK_ERROR',
        client: 'gpt',
        retryable: true,
      });
      expect(await ask(rt, 'while down')).toMatchObject({ cacheHit: false });
      expect(rt.health('gpt')).toMatchObject({ status: 'running', restarts: 0 });
      await Promise.all(Array.from({ length: 200 }, (_, i) => ask(rt, `down ${i}`)));
      expect(rt.health('gpt').cache.skipped).toBeGreaterThanOrEqual(400);
      // Each link says once that it lost Redis; no line per skipped operation.
      const warnings = lines.filter((line) => line.level >= 40);
      expect(warnings.length).toBeLessThanOrEqual(6);
    } finally {
      await shared.redis.restart();
    }
  }, 60_000);
});

describe("the gateway's admin clear-cache", () => {
  const token = 'admin-token-0123456789';
  const clear = (url: string) =>
    fetch(`${url}/admin/clients/gpt/clear-cache`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });

  it('answers 202 only when cleared, and 503 saying so when Redis is stalled', async () => {
    const rt = await onRedis();
    gateway = await createGateway(rt, { port: 0, logger: false, adminToken: token });
    const cleared = await clear(gateway.url);
    expect(cleared.status).toBe(202);
    expect(await cleared.json()).toEqual({ cleared: 'gpt' });
    shared.redis.pause();
    const refused = await clear(gateway.url);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'NETWORK_ERROR', client: 'gpt' });
    expect(body.error.message).toMatch(/the cache could not be cleared/);
    expect(rt.health('gpt')).toMatchObject({ status: 'running', restarts: 0 });
  }, 60_000);
});
