/**
 * Scale-out on Redis, with real processes and a real redis-server: answers shared across
 * processes, single-flight across processes (and a holder that dies), a fuse melt spreading,
 * a probe closing it everywhere, and Redis killed and restarted mid-run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../src/model/clock.js';
import {
  createRuntime,
  type ClientConfig,
  type ClientHealth,
  type RuntimeConfig,
} from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { stallableProxy, startRedis, type TestRedis } from './support/redis.js';

interface Answer {
  ok: boolean;
  cacheHit?: boolean;
  text?: string;
  code?: string;
}

/** One fleet process, driven over its stdin and stdout. */
class Worker {
  private next = 0;
  private readonly pending = new Map<number, (message: Record<string, unknown>) => void>();
  readonly ready: Promise<void>;

  constructor(readonly child: ChildProcess) {
    let markReady!: () => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      if (message.ready) return markReady();
      this.pending.get(message.id as number)?.(message);
      this.pending.delete(message.id as number);
    });
  }

  private call(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
    });
  }

  async request(content: string, timeoutMs?: number): Promise<Answer> {
    return (await this.call({
      op: 'request',
      client: 'gpt',
      content,
      timeoutMs,
    })) as unknown as Answer;
  }

  async health(): Promise<ClientHealth> {
    return (await this.call({ op: 'health', client: 'gpt' })).health as ClientHealth;
  }
}

/** Polls wait this long: processes under a loaded CI machine take their time. */
const SLOW = { timeout: 15_000 };

let redis: TestRedis;
let server: TestServer;
const workers: Worker[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.kill();
});
afterEach(async () => {
  for (const worker of workers.splice(0)) {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) continue;
    worker.child.stdin!.end();
    const exited = once(worker.child, 'exit');
    const timer = setTimeout(() => worker.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  await server?.close();
});

/** `n` processes, each with client `gpt` on the test server, sharing Redis as `shared` says. */
async function fleet(n: number, shared: Partial<ClientConfig>): Promise<Worker[]> {
  const config: RuntimeConfig = {
    clients: {
      gpt: {
        provider: 'openai',
        baseUrl: server.url,
        model: 'm',
        retry: false,
        ...shared,
      } as ClientConfig,
    },
  };
  const started = Array.from({ length: n }, () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/fleet-worker.ts', JSON.stringify(config)],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const worker = new Worker(child);
    workers.push(worker);
    return worker;
  });
  await Promise.all(started.map((w) => w.ready));
  return started;
}

describe('a shared Redis cache', () => {
  it('serves an answer paid for by one process as a hit in every other', async () => {
    server = await startTestServer();
    const [a, b, c] = await fleet(3, { cache: { store: 'redis', url: redis.url } });
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

  it('makes one upstream call when several processes ask the same question at once', async () => {
    server = await startTestServer();
    server.inject({ kind: 'latency', ms: 300 });
    const processes = await fleet(4, { cache: { store: 'redis', url: redis.url } });
    for (const w of processes)
      await expect.poll(async () => (await w.health()).fleet?.cache, SLOW).toBe('up');
    const answers = await Promise.all(processes.map((w) => w.request('asked by all at once')));
    expect(answers.every((a) => a.ok && a.text === 'echo: asked by all at once')).toBe(true);
    expect(server.requests).toBe(1);
    expect(answers.filter((a) => a.cacheHit).length).toBe(3);
  }, 60_000);

  it('lets another process take over when the lock holder dies', async () => {
    server = await startTestServer();
    server.inject({ kind: 'hang' }, { times: 1 });
    const [holder, waiter] = await fleet(2, { cache: { store: 'redis', url: redis.url } });
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
});

describe('a fleet-wide fuse', () => {
  const fuse = (resetMs: number) => ({
    fuse: { maxFailures: 1, resetMs, shared: { url: redis.url } },
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

describe('in-process runtimes on one Redis', () => {
  const config = (url: string, extra: Partial<ClientConfig> = {}): RuntimeConfig => ({
    clients: {
      gpt: { provider: 'openai', baseUrl: server.url, model: 'm', retry: false, ...extra },
    } as Record<string, ClientConfig>,
    cache: { store: 'redis', url },
    logger: false,
  });

  it('gives the fleet lock back when its holder restarts, so a waiter calls at once', async () => {
    server = await startTestServer();
    const a = await createRuntime(config(redis.url));
    const b = await createRuntime(config(redis.url));
    try {
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
    } finally {
      await Promise.all([a.stop({ timeoutMs: 0 }), b.stop({ timeoutMs: 0 })]);
    }
  }, 60_000);

  it('treats a stalled Redis as down: requests go upstream, health says so, stop returns', async () => {
    server = await startTestServer();
    const proxy = await stallableProxy(redis.port);
    const rt = await createRuntime(config(proxy.url, { timeoutMs: 5_000 }));
    try {
      await expect.poll(() => rt.health('gpt').fleet?.cache, SLOW).toBe('up');
      await rt.request('gpt', [{ role: 'user', content: 'before' }]);
      proxy.stall();
      const during = await rt.request('gpt', [{ role: 'user', content: 'during' }]);
      expect(during).toMatchObject({ text: 'echo: during', cacheHit: false });
      expect(rt.health('gpt').fleet).toEqual({ cache: 'down' });
      proxy.resume();
      await rt.request('gpt', [{ role: 'user', content: 'after' }]);
      expect(rt.health('gpt').fleet).toEqual({ cache: 'up' });
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
      fuse: { maxFailures: 1, resetMs: 30_000, shared: { url: redis.url } },
    } as const;
    const ahead = await createRuntime({
      clients: { gpt: client },
      clock: skewed(HOUR),
      logger: false,
    });
    const behind = await createRuntime({
      clients: { gpt: client },
      clock: skewed(-HOUR),
      logger: false,
    });
    try {
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
    } finally {
      await Promise.all([ahead.stop(), behind.stop()]);
    }
  }, 60_000);
});

describe('Redis outages', () => {
  it('degrades to misses and a local fuse, settles every request, and recovers by itself', async () => {
    server = await startTestServer();
    const [a, b] = await fleet(2, {
      cache: { store: 'redis', url: redis.url },
      fuse: { maxFailures: 50, shared: { url: redis.url } },
    });
    await expect
      .poll(async () => (await a!.health()).fleet, SLOW)
      .toEqual({ cache: 'up', fuse: 'up' });
    expect(await a!.request('before')).toMatchObject({ ok: true });
    await redis.kill();
    const during = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a! : b!).request(`during ${i % 5}`, 5_000)),
    );
    expect(during.every((answer) => answer.ok)).toBe(true);
    expect((await a!.health()).fleet).toEqual({ cache: 'down', fuse: 'down' });
    await redis.restart();
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
