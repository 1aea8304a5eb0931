import { Writable } from 'node:stream';
import { pino } from 'pino';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RuntimeEvent } from '../src/index.js';
import { failure } from './support/failure.js';
import { hang, hi, testDriver } from './support/driver.js';
import { runtimePerTest } from './support/runtime.js';

const { start } = runtimePerTest();

const msg = (content: string) => [{ role: 'user' as const, content }];

beforeEach(() => {
  vi.useFakeTimers();
});

describe('crash and restart', () => {
  it('rejects in-flight and queued requests with CLIENT_RESTARTED when the actor is killed', async () => {
    const d = testDriver(hang);
    const rt = await start({ clients: { d: { ...d.config, maxConcurrency: 1 } } });
    const inFlight = failure(rt.request('d', msg('a')));
    const queued = failure(rt.request('d', msg('b')));
    await vi.advanceTimersByTimeAsync(0);
    expect(rt.health('d').requests).toMatchObject({ inFlight: 1, queued: 1 });
    rt.kill('d');
    expect((await inFlight).code).toBe('CLIENT_RESTARTED');
    expect((await queued).code).toBe('CLIENT_RESTARTED');
    expect(d.calls[0]!.signal.aborted).toBe(true);
  });

  it('rebuilds the actor clean under the same name: fresh fuse and fresh memory cache', async () => {
    let fail = true;
    const d = testDriver((req) => {
      if (fail && req.messages[0]!.content === 'bad') throw new Error('boom');
      return { text: 'ok' };
    });
    const rt = await start({
      clients: { d: { ...d.config, retry: false, fuse: { maxFailures: 1 } } },
    });
    await rt.request('d', msg('cached'));
    await failure(rt.request('d', msg('bad')));
    expect(rt.health('d').fuse.state).toBe('open');
    const before = rt.health('d').startedAt;
    await vi.advanceTimersByTimeAsync(5);
    rt.kill('d');
    await vi.advanceTimersByTimeAsync(0);
    const h = rt.health('d');
    expect(h).toMatchObject({ status: 'running', restarts: 1 });
    expect(h.fuse).toMatchObject({ state: 'closed', melts: 0, failures: 0 });
    expect(h.startedAt).toBeGreaterThan(before);
    fail = false;
    await expect(rt.request('d', msg('cached'))).resolves.toMatchObject({ cacheHit: false });
    expect(d.calls).toHaveLength(3);
  });

  it('emits crashed and restarted events', async () => {
    const d = testDriver();
    const rt = await start({ clients: { d: d.config } });
    const events: RuntimeEvent[] = [];
    rt.on('*', (e) => events.push(e));
    rt.kill('d');
    await vi.advanceTimersByTimeAsync(0);
    expect(events.map((e) => e.type)).toEqual(['client:crashed', 'client:restarted']);
    expect(events[0]).toMatchObject({ client: 'd', reason: 'killed by runtime.kill' });
  });

  it('gives up after more than maxRestarts crashes within periodMs, and restart brings it back', async () => {
    const d = testDriver();
    const rt = await start({
      clients: { d: d.config },
      supervisor: { maxRestarts: 2, periodMs: 1_000 },
    });
    const failed: RuntimeEvent[] = [];
    rt.on('client:failed', (e) => failed.push(e));
    for (let i = 0; i < 3; i++) {
      rt.kill('d');
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(rt.health('d').status).toBe('failed');
    expect(failed).toHaveLength(1);
    const error = await failure(rt.request('d', hi));
    expect(error.code).toBe('CLIENT_FAILED');
    expect(error.message).toContain("runtime.restart('d')");
    expect(rt.health('d').requests.rejected).toBe(1);
    await rt.restart('d');
    expect(rt.health('d').status).toBe('running');
    await expect(rt.request('d', hi)).resolves.toMatchObject({ text: 'echo: hi' });
  });

  it('forgets crashes older than periodMs', async () => {
    const d = testDriver();
    const rt = await start({
      clients: { d: d.config },
      supervisor: { maxRestarts: 1, periodMs: 1_000 },
    });
    for (let i = 0; i < 4; i++) {
      rt.kill('d');
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(rt.health('d')).toMatchObject({ status: 'running', restarts: 4 });
  });

  it('never disturbs another client', async () => {
    const a = testDriver(hang);
    const b = testDriver();
    const rt = await start({ clients: { a: a.config, b: { ...b.config, retry: false } } });
    const pendingA = failure(rt.request('a', hi));
    const gate = rt.request('b', msg('during'));
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 5; i++) rt.kill('a');
    expect((await pendingA).code).toBe('CLIENT_RESTARTED');
    await expect(gate).resolves.toMatchObject({ text: 'echo: during' });
    await expect(rt.request('b', msg('after'))).resolves.toMatchObject({ text: 'echo: after' });
    expect(rt.health('b')).toMatchObject({ status: 'running', restarts: 0 });
  });

  it('waits out a configured restart backoff, and requests meanwhile wait for the new actor', async () => {
    const d = testDriver();
    const rt = await start({ clients: { d: d.config }, supervisor: { backoffMs: 500 } });
    rt.kill('d');
    expect(rt.health('d').status).toBe('restarting');
    const pending = rt.request('d', hi);
    await vi.advanceTimersByTimeAsync(499);
    expect(rt.health('d').status).toBe('restarting');
    await vi.advanceTimersByTimeAsync(1);
    await expect(pending).resolves.toMatchObject({ text: 'echo: hi' });
    expect(rt.health('d')).toMatchObject({ status: 'running', restarts: 1 });
  });

  it('restarts a running client on request: what it had in flight gets CLIENT_RESTARTED', async () => {
    const d = testDriver(hang);
    const rt = await start({ clients: { d: d.config } });
    const pending = failure(rt.request('d', hi));
    await vi.advanceTimersByTimeAsync(0);
    await rt.restart('d');
    expect((await pending).code).toBe('CLIENT_RESTARTED');
    expect(rt.health('d')).toMatchObject({ status: 'running', restarts: 1 });
  });

  it('treats a fault of the actor’s own resources (a logger that throws) as a crash', async () => {
    let broken = false;
    const sink = new Writable({
      write(_chunk, _enc, done) {
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const original = logger.debug.bind(logger);
    logger.debug = ((...args: Parameters<typeof logger.debug>) => {
      if (broken) throw new Error('log disk is gone');
      original(...args);
    }) as typeof logger.debug;
    const d = testDriver();
    const runtime = await start({ clients: { d: d.config }, logger });
    const events: RuntimeEvent[] = [];
    runtime.on('client:crashed', (e) => events.push(e));
    broken = true;
    const error = await failure(runtime.request('d', hi));
    expect(error.code).toBe('CLIENT_RESTARTED');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: 'log disk is gone' });
    broken = false;
    await vi.advanceTimersByTimeAsync(0);
    expect(runtime.health('d')).toMatchObject({ status: 'running', restarts: 1 });
    expect(runtime.health('d').requests).toMatchObject({ total: 1, failed: 1 });
  });
});

describe('registration and stop', () => {
  it('registers and unregisters clients at run time', async () => {
    const rt = await start({});
    await rt.register('extra', testDriver().config);
    expect(rt.clients()).toEqual(['extra']);
    await expect(rt.request('extra', hi)).resolves.toMatchObject({ client: 'extra' });
    await expect(rt.register('extra', testDriver().config)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    await rt.unregister('extra');
    expect((await failure(rt.request('extra', hi))).code).toBe('UNKNOWN_CLIENT');
    await expect(rt.unregister('extra')).rejects.toMatchObject({ code: 'UNKNOWN_CLIENT' });
  });

  it('lets in-flight work finish on unregister', async () => {
    const d = testDriver(async () => {
      await new Promise((r) => setTimeout(r, 50));
      return { text: 'finished' };
    });
    const rt = await start({ clients: { d: d.config } });
    const pending = rt.request('d', hi);
    await vi.advanceTimersByTimeAsync(0);
    const gone = rt.unregister('d');
    await vi.advanceTimersByTimeAsync(50);
    await expect(pending).resolves.toMatchObject({ text: 'finished' });
    await gone;
  });

  it('drains in-flight work on stop and then refuses new requests', async () => {
    const d = testDriver(async () => {
      await new Promise((r) => setTimeout(r, 50));
      return { text: 'drained' };
    });
    const rt = await start({ clients: { d: d.config } });
    const pending = rt.request('d', hi);
    await vi.advanceTimersByTimeAsync(0);
    const stopped = rt.stop();
    expect((await failure(rt.request('d', hi))).code).toBe('RUNTIME_STOPPED');
    await vi.advanceTimersByTimeAsync(50);
    await expect(pending).resolves.toMatchObject({ text: 'drained' });
    await stopped;
    expect(rt.health('d').status).toBe('stopped');
    await expect(rt.stop()).resolves.toBeUndefined();
    await expect(rt.register('x', testDriver().config)).rejects.toMatchObject({
      code: 'RUNTIME_STOPPED',
    });
  });

  it('ends what is still pending with RUNTIME_STOPPED when the stop grace period runs out', async () => {
    const d = testDriver(hang);
    const rt = await start({ clients: { d: d.config } });
    const pending = failure(rt.request('d', hi));
    await vi.advanceTimersByTimeAsync(0);
    const stopped = rt.stop({ timeoutMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await pending).code).toBe('RUNTIME_STOPPED');
    await stopped;
  });

  it('keeps a throwing event listener from disturbing the runtime', async () => {
    const d = testDriver();
    const rt = await start({ clients: { d: d.config } });
    rt.on('client:crashed', () => {
      throw new Error('listener bug');
    });
    rt.kill('d');
    await vi.advanceTimersByTimeAsync(0);
    await expect(rt.request('d', hi)).resolves.toMatchObject({ text: 'echo: hi' });
  });
});
