import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { failure } from './support/failure.js';
import { hang, hi, httpFailure, testDriver } from './support/driver.js';
import { runtimePerTest } from './support/runtime.js';

const runtimes = runtimePerTest();

describe('edges of the request path', () => {
  it('honours an abort that arrives during a (SQLite) cache lookup, even for a cached answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llma-lookup-'));
    try {
      const d = testDriver();
      const runtime = await runtimes.start({
        clients: {
          d: {
            ...d.config,
            cache: { store: 'sqlite', path: join(dir, 'c.sqlite'), frontEntries: 0 },
          },
        },
      });
      await runtime.request('d', hi);
      const controller = new AbortController();
      const pending = failure(runtime.request('d', hi, { signal: controller.signal }));
      controller.abort();
      expect((await pending).code).toBe('ABORTED');
    } finally {
      await runtimes.stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers a memory-cache hit at once, before the caller can abort it', async () => {
    const d = testDriver();
    const runtime = await runtimes.start({ clients: { d: d.config } });
    await runtime.request('d', hi);
    const controller = new AbortController();
    const pending = runtime.request('d', hi, { signal: controller.signal });
    controller.abort();
    await expect(pending).resolves.toMatchObject({ cacheHit: true });
  });

  it('rejects extra that cannot be serialized, or that asks for streaming, as INVALID_REQUEST', async () => {
    const d = testDriver();
    const runtime = await runtimes.start({ clients: { d: d.config } });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const extra of [{ big: 1n }, cyclic, { stream: true }]) {
      const error = await failure(runtime.request('d', hi, { extra }));
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.message).toContain('options.extra');
    }
    expect(runtime.health('d')).toMatchObject({ status: 'running', restarts: 0 });
    expect(d.calls).toHaveLength(0);
  });

  it('keeps the request deadline while it waits for a restart', async () => {
    vi.useFakeTimers();
    const d = testDriver();
    const runtime = await runtimes.start({
      clients: { d: d.config },
      supervisor: { backoffMs: 1_000 },
    });
    runtime.kill('d');
    const pending = failure(runtime.request('d', hi, { timeoutMs: 100 }));
    await vi.advanceTimersByTimeAsync(100);
    expect((await pending).code).toBe('TIMEOUT');
    expect(runtime.health('d').requests.rejected).toBe(1);
  });

  it('keeps one deadline over the wait for a restart and the request after it', async () => {
    vi.useFakeTimers();
    const d = testDriver(hang);
    const runtime = await runtimes.start({
      clients: { d: d.config },
      supervisor: { backoffMs: 300 },
    });
    runtime.kill('d');
    let settled = false;
    const pending = failure(runtime.request('d', hi, { timeoutMs: 500 })).finally(
      () => (settled = true),
    );
    await vi.advanceTimersByTimeAsync(499);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).code).toBe('TIMEOUT');
  });

  it('settles the request first when its bookkeeping faults, then restarts the actor', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const debug = logger.debug.bind(logger);
    logger.debug = ((obj: unknown, msg?: string) => {
      if (msg === 'request failed') throw new Error('log write failed');
      debug(obj as object, msg);
    }) as typeof logger.debug;
    const d = testDriver(() => {
      throw httpFailure(400);
    });
    const runtime = await runtimes.start({ clients: { d: d.config }, logger });
    const error = await failure(runtime.request('d', hi));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 400 });
    await vi.waitFor(() => expect(runtime.health('d').restarts).toBe(1));
  });

  it('keeps secrets out of the cause of an error', async () => {
    const key = 'sk-CAUSE-SENTINEL-9999';
    const d = testDriver(() => {
      throw new Error(`upstream rejected key ${key}`);
    });
    const runtime = await runtimes.start({
      clients: { d: { ...d.config, apiKey: key, retry: false } },
    });
    const error = await failure(runtime.request('d', hi));
    const cause = error.cause as Error;
    expect(`${error.message} ${cause.message} ${cause.stack}`).not.toContain(key);
    expect(cause.message).toContain('[REDACTED]');
  });
});

describe('edges of the lifecycle', () => {
  it('lets a second, firmer stop cut a draining stop short', async () => {
    const d = testDriver(hang);
    const runtime = await runtimes.start({ clients: { d: d.config } });
    const pending = failure(runtime.request('d', hi));
    await new Promise((r) => setImmediate(r));
    const first = runtime.stop();
    const second = runtime.stop({ timeoutMs: 0 });
    expect((await pending).code).toBe('RUNTIME_STOPPED');
    await Promise.all([first, second]);
  });

  it('answers clearCache after stop with RUNTIME_STOPPED', async () => {
    const runtime = await runtimes.start({ clients: { d: testDriver().config } });
    await runtime.stop();
    await expect(runtime.clearCache('d')).rejects.toMatchObject({ code: 'RUNTIME_STOPPED' });
  });

  it('throws CLIENT_FAILED from restart when the rebuild fails, and the client stays failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llma-restart-'));
    try {
      const path = join(dir, 'sub', 'cache.sqlite');
      const runtime = await runtimes.start({
        clients: { d: { ...testDriver().config, cache: { store: 'sqlite', path } } },
      });
      rmSync(join(dir, 'sub'), { recursive: true, force: true });
      writeFileSync(join(dir, 'sub'), 'not a directory');
      await expect(runtime.restart('d')).rejects.toMatchObject({ code: 'CLIENT_FAILED' });
      expect(runtime.health('d').status).toBe('failed');
      expect((await failure(runtime.request('d', hi))).code).toBe('CLIENT_FAILED');
    } finally {
      await runtimes.stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
