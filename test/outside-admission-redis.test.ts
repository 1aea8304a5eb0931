/**
 * A fleet rate budget behind a slow Redis — one that answers every command, but 120 ms later
 * (a proxy that delays each way by 60 ms) — neither holds a burst of requests until their
 * deadlines pass nor lets it spend more than the budget: the takes of a burst are sent together
 * (Redis runs them in order) rather than one round trip after another.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/index.js';
import { redisPerFile, sharedRateClient } from './support/redis.js';
import { runtimePerTest } from './support/runtime.js';

const shared = redisPerFile();
const { start } = runtimePerTest();
let proxy: Server | undefined;
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
  proxy = undefined;
});

/** A TCP proxy to the file's Redis that delays every piece of data by `ms`, each way. */
async function slowRedis(ms: number): Promise<string> {
  proxy = createServer((client) => {
    const upstream = connect(shared.redis.port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    const pass = (from: Socket, to: Socket) =>
      from.on('data', (data) => setTimeout(() => to.write(data), ms));
    pass(client, upstream);
    pass(upstream, client);
  });
  await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve));
  return `redis://127.0.0.1:${(proxy.address() as { port: number }).port}`;
}

async function runtimeOver(url: string, requestsPerMinute: number, model: string) {
  const rt = await start({
    clients: { c: sharedRateClient(shared.server.url, model, { requestsPerMinute }, url) },
  });
  await expect.poll(() => rt.health('c').fleet?.rate, { timeout: 5_000 }).toBe('up');
  return rt;
}

/** Sends `n` different requests at once, each with a 2 s deadline; counts the outcomes. */
async function burst(rt: Runtime, n: number): Promise<Record<string, number>> {
  const outcomes = await Promise.allSettled(
    Array.from({ length: n }, (_, i) =>
      rt.request('c', [{ role: 'user', content: `q${i}` }], { timeoutMs: 2_000 }),
    ),
  );
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o.status === 'fulfilled' ? 'ok' : (o.reason as { code: string }).code;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('a fleet rate budget behind a slow Redis', () => {
  it('answers a burst of 50 within its deadlines while the budget has room', async () => {
    const rt = await runtimeOver(await slowRedis(60), 100_000, 'roomy');
    expect(await burst(rt, 50)).toEqual({ ok: 50 });
    expect(rt.health('c').fleet).toEqual({ rate: 'up' });
  });

  it('still sends no more than the budget, and refuses the rest at once', async () => {
    const rt = await runtimeOver(await slowRedis(60), 10, 'tight');
    // Ten a minute: the eleventh would wait 6 s, past every deadline of the burst.
    expect(await burst(rt, 50)).toEqual({ ok: 10, RATE_LIMITED: 40 });
  });
});
