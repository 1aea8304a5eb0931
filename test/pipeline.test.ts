import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { LlmActorsError, Runtime, RuntimeConfig, RuntimeEvent } from '../src/index.js';
import { deferred, hang, hi, httpFailure, testDriver } from './support/driver.js';
import { failure } from './support/failure.js';
import { fakeableClock, runtimePerTest } from './support/runtime.js';

const runtimes = runtimePerTest();

const start = (clients: RuntimeConfig['clients']): Promise<Runtime> =>
  runtimes.start({ clients, clock: fakeableClock });

const msg = (content: string) => [{ role: 'user' as const, content }];

beforeEach(() => {
  vi.useFakeTimers();
});

describe('retry', () => {
  it('retries a retryable failure and then answers', async () => {
    const d = testDriver((_req, n) => {
      if (n === 1) throw httpFailure(503);
      return { text: 'second time lucky' };
    });
    const rt = await start({ d: d.config });
    const pending = rt.request('d', hi);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(pending).resolves.toMatchObject({ text: 'second time lucky', cacheHit: false });
    expect(d.calls).toHaveLength(2);
  });

  it('waits a full-jitter backoff between attempts', async () => {
    const d = testDriver((_req, n) => {
      if (n < 3) throw httpFailure(500);
      return { text: 'ok' };
    });
    const rt = await start({ d: { ...d.config, retry: { baseDelayMs: 200, maxDelayMs: 10_000 } } });
    const pending = rt.request('d', hi);
    // random() is 0.5: the first delay is 0.5 * 200 ms, the second 0.5 * 400 ms.
    await vi.advanceTimersByTimeAsync(99);
    expect(d.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(d.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(d.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(d.calls).toHaveLength(3);
    await expect(pending).resolves.toMatchObject({ text: 'ok' });
  });

  it('does not retry a caller fault and does not count it against the fuse', async () => {
    const d = testDriver(() => {
      throw httpFailure(400, 'bad parameter');
    });
    const rt = await start({ d: d.config });
    const error = await failure(rt.request('d', hi));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 400, retryable: false });
    expect(d.calls).toHaveLength(1);
    expect(rt.health('d').fuse.failures).toBe(0);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const d = testDriver(() => {
      throw httpFailure(502);
    });
    const rt = await start({ d: { ...d.config, fuse: { maxFailures: 100 } } });
    const pending = failure(rt.request('d', hi));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await pending).toMatchObject({ code: 'PROVIDER_ERROR', status: 502 });
    expect(d.calls).toHaveLength(3);
    expect(rt.health('d').requests).toMatchObject({ total: 1, failed: 1, succeeded: 0 });
  });

  it('makes a single attempt when retry is false', async () => {
    const d = testDriver(() => {
      throw httpFailure(503);
    });
    const rt = await start({ d: { ...d.config, retry: false } });
    expect(await failure(rt.request('d', hi))).toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(d.calls).toHaveLength(1);
  });

  it('stops retrying as soon as the fuse opens', async () => {
    const d = testDriver(() => {
      throw httpFailure(503);
    });
    const rt = await start({
      d: { ...d.config, fuse: { maxFailures: 2 }, retry: { maxAttempts: 10 } },
    });
    const pending = failure(rt.request('d', hi));
    await vi.advanceTimersByTimeAsync(10_000);
    const error = await pending;
    expect(error.code).toBe('FUSE_OPEN');
    expect((error.cause as LlmActorsError).status).toBe(503);
    expect(d.calls).toHaveLength(2);
    expect(rt.health('d').requests.failed).toBe(1);
  });

  it('does not wait past the deadline for a retry', async () => {
    const d = testDriver(() => {
      throw httpFailure(503);
    });
    const rt = await start({
      d: { ...d.config, timeoutMs: 1_000, retry: { baseDelayMs: 5_000, maxDelayMs: 5_000 } },
    });
    const error = await failure(rt.request('d', hi));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 503 });
    expect(d.calls).toHaveLength(1);
  });
});

describe('deadline and abort', () => {
  it('rejects with TIMEOUT at the deadline and aborts the upstream call', async () => {
    const d = testDriver(hang);
    const rt = await start({ d: d.config });
    const pending = failure(rt.request('d', hi, { timeoutMs: 1_000 }));
    await vi.advanceTimersByTimeAsync(999);
    expect(d.calls[0]!.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await pending).toMatchObject({ code: 'TIMEOUT', client: 'd', retryable: true });
    expect(d.calls[0]!.signal.aborted).toBe(true);
    expect(d.calls).toHaveLength(1);
  });

  it('counts a timeout against the fuse', async () => {
    const d = testDriver(hang);
    const rt = await start({ d: { ...d.config, timeoutMs: 100, fuse: { maxFailures: 2 } } });
    const first = failure(rt.request('d', msg('a')));
    const second = failure(rt.request('d', msg('b')));
    await vi.advanceTimersByTimeAsync(100);
    expect((await first).code).toBe('TIMEOUT');
    expect((await second).code).toBe('TIMEOUT');
    expect(rt.health('d').fuse.state).toBe('open');
  });

  it('rejects with ABORTED when the caller aborts, without melting the fuse', async () => {
    const d = testDriver(hang);
    const rt = await start({ d: { ...d.config, fuse: { maxFailures: 1 } } });
    const controller = new AbortController();
    const pending = failure(rt.request('d', hi, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    expect(await pending).toMatchObject({ code: 'ABORTED', retryable: false });
    expect(d.calls[0]!.signal.aborted).toBe(true);
    expect(rt.health('d').fuse.state).toBe('closed');
  });

  it('takes any object with an abort flag and abort listeners as the signal', async () => {
    const d = testDriver(hang);
    const rt = await start({ d: d.config });
    const listeners = new Set<() => void>();
    const signal = {
      aborted: false,
      addEventListener: (_type: string, listener: () => void) => listeners.add(listener),
      removeEventListener: (_type: string, listener: () => void) => listeners.delete(listener),
    };
    const pending = failure(rt.request('d', hi, { signal: signal as unknown as AbortSignal }));
    await vi.advanceTimersByTimeAsync(10);
    expect(listeners.size).toBe(1);
    signal.aborted = true;
    for (const listener of [...listeners]) listener();
    expect(await pending).toMatchObject({ code: 'ABORTED' });
    expect(d.calls[0]!.signal.aborted).toBe(true);
    expect(listeners.size).toBe(0);
  });

  it('rejects an already aborted request without calling the backend', async () => {
    const d = testDriver();
    const rt = await start({ d: d.config });
    const error = await failure(rt.request('d', hi, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('ABORTED');
    expect(d.calls).toHaveLength(0);
  });
});

describe('concurrency', () => {
  it('keeps many requests in flight at once up to maxConcurrency and queues the rest', async () => {
    const gate = deferred<void>();
    const d = testDriver(async (req) => {
      await gate.promise;
      return { text: `done ${req.messages[0]!.content}` };
    });
    const rt = await start({ d: { ...d.config, maxConcurrency: 3 } });
    const pending = ['1', '2', '3', '4', '5'].map((c) => rt.request('d', msg(c)));
    await vi.advanceTimersByTimeAsync(0);
    expect(d.calls).toHaveLength(3);
    expect(rt.health('d').requests).toMatchObject({ inFlight: 3, queued: 2 });
    gate.resolve();
    const answers = await Promise.all(pending);
    expect(answers.map((a) => a.text)).toEqual(['done 1', 'done 2', 'done 3', 'done 4', 'done 5']);
    expect(rt.health('d').requests).toMatchObject({ inFlight: 0, queued: 0, succeeded: 5 });
  });

  it('rejects with QUEUE_FULL beyond maxQueue', async () => {
    const d = testDriver(hang);
    const rt = await start({ d: { ...d.config, maxConcurrency: 1, maxQueue: 1 } });
    void rt.request('d', msg('a')).catch(() => {});
    void rt.request('d', msg('b')).catch(() => {});
    await vi.advanceTimersByTimeAsync(0);
    const error = await failure(rt.request('d', msg('c')));
    expect(error).toMatchObject({ code: 'QUEUE_FULL', retryable: true });
    expect(rt.health('d').requests.rejected).toBe(1);
  });

  it('takes a queued request whose deadline passes out of the queue', async () => {
    const d = testDriver(hang);
    const rt = await start({ d: { ...d.config, maxConcurrency: 1 } });
    void rt.request('d', msg('a'), { timeoutMs: 10_000 }).catch(() => {});
    const queued = failure(rt.request('d', msg('b'), { timeoutMs: 100 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(rt.health('d').requests.queued).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect((await queued).code).toBe('TIMEOUT');
    expect(rt.health('d').requests.queued).toBe(0);
    expect(d.calls).toHaveLength(1);
  });
});

describe('fuse on the request path', () => {
  it('melts after maxFailures and then fails fast without calling the backend', async () => {
    const d = testDriver(() => {
      throw httpFailure(500);
    });
    const rt = await start({ d: { ...d.config, retry: false, fuse: { maxFailures: 3 } } });
    const events: RuntimeEvent[] = [];
    rt.on('fuse:open', (e) => events.push(e));
    for (const c of ['a', 'b', 'c']) await failure(rt.request('d', msg(c)));
    const error = await failure(rt.request('d', msg('d')));
    expect(error.code).toBe('FUSE_OPEN');
    expect(error.retryAt).toBe(Date.now() + 10_000);
    expect(error.retryAfterMs).toBe(10_000);
    expect(d.calls).toHaveLength(3);
    expect(events).toHaveLength(1);
    expect(rt.health('d').fuse).toMatchObject({ state: 'open', melts: 1, failures: 3 });
    expect(rt.health('d').requests).toMatchObject({ total: 4, failed: 3, rejected: 1 });
  });

  it('serves cached answers while the fuse is open', async () => {
    const d = testDriver((_req, n) => {
      if (n > 1) throw httpFailure(500);
      return { text: 'cached' };
    });
    const rt = await start({ d: { ...d.config, retry: false, fuse: { maxFailures: 1 } } });
    await rt.request('d', msg('keep'));
    await failure(rt.request('d', msg('other')));
    expect(rt.health('d').fuse.state).toBe('open');
    await expect(rt.request('d', msg('keep'))).resolves.toMatchObject({
      text: 'cached',
      cacheHit: true,
    });
  });

  it('lets one probe through after the reset time and closes on its success', async () => {
    let down = true;
    const d = testDriver(() => {
      if (down) throw httpFailure(503);
      return { text: 'back' };
    });
    const rt = await start({
      d: { ...d.config, retry: false, fuse: { maxFailures: 1, resetMs: 1_000 } },
    });
    const closed: RuntimeEvent[] = [];
    rt.on('fuse:closed', (e) => closed.push(e));
    await failure(rt.request('d', msg('a')));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(rt.health('d').fuse.state).toBe('half_open');
    down = false;
    await expect(rt.request('d', msg('b'))).resolves.toMatchObject({ text: 'back' });
    expect(rt.health('d').fuse).toMatchObject({ state: 'closed', failures: 0, retryAt: null });
    expect(closed).toHaveLength(1);
  });

  it('treats a throw in output() as BAD_RESPONSE that melts the fuse, not as a crash', async () => {
    const d = testDriver(undefined, {
      output: () => {
        throw new Error('cannot parse');
      },
    });
    const rt = await start({ d: { ...d.config, fuse: { maxFailures: 1 } } });
    const error = await failure(rt.request('d', hi));
    expect(error).toMatchObject({ code: 'BAD_RESPONSE', retryable: false });
    expect(error.message).toContain('cannot parse');
    expect(rt.health('d')).toMatchObject({ status: 'running', restarts: 0 });
    expect(rt.health('d').fuse.state).toBe('open');
  });

  it('types a network-style throw from request() as NETWORK_ERROR', async () => {
    const d = testDriver(() => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    });
    const rt = await start({ d: { ...d.config, retry: false } });
    const error = await failure(rt.request('d', hi));
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', retryable: true });
    expect(rt.health('d').restarts).toBe(0);
  });
});

describe('parameters, health and history', () => {
  it('merges client defaults with per-request options and passes extra through', async () => {
    const d = testDriver();
    const rt = await start({
      d: {
        ...d.config,
        defaults: { temperature: 0.2, maxTokens: 50, stop: ['#'], seed: 5, extra: { top_p: 0.9 } },
      },
    });
    await rt.request('d', hi, { maxTokens: 7, seed: 1, extra: { logprobs: true } });
    expect(d.calls[0]).toMatchObject({
      temperature: 0.2,
      maxTokens: 7,
      stop: ['#'],
      seed: 1,
      extra: { top_p: 0.9, logprobs: true },
      model: 'test-model',
    });
    await rt.request('d', hi, { stop: [] });
    expect(d.calls[1]!.stop).toBeUndefined();
    expect(d.calls[1]!.seed).toBe(5);
  });

  it('keeps counters that add up and counts only paid usage', async () => {
    const d = testDriver((req) => {
      if (req.messages[0]!.content === 'bad') throw httpFailure(400);
      return { text: 'ok', promptTokens: 10, completionTokens: 5 };
    });
    const rt = await start({ d: d.config });
    await rt.request('d', msg('x'));
    await rt.request('d', msg('x'));
    await failure(rt.request('d', msg('bad')));
    await failure(rt.request('d', [{ role: 'robot', content: 'x' }] as never));
    const h = rt.health('d');
    expect(h.requests).toEqual({
      total: 4,
      succeeded: 2,
      failed: 1,
      rejected: 1,
      callerFaults: 2,
      inFlight: 0,
      queued: 0,
    });
    expect(h.usage).toEqual({ promptTokens: 10, completionTokens: 5, totalTokens: 15 });
    expect(h.cache).toMatchObject({ hits: 1, misses: 2 });
    expect(h.lastError).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(h.latencyMs.p99).toBeGreaterThanOrEqual(h.latencyMs.p50);
    expect(JSON.parse(JSON.stringify(h))).toEqual(h);
  });

  it('keeps the last exchanges in a bounded history', async () => {
    const d = testDriver();
    const rt = await start({ d: { ...d.config, historySize: 2 } });
    for (const c of ['1', '2', '3']) await rt.request('d', msg(c));
    const history = rt.history('d');
    expect(history.map((h) => h.messages[0]!.content)).toEqual(['2', '3']);
    expect(history[1]).toMatchObject({ client: 'd', completion: { text: 'echo: 3' } });
    // The incarnation id, then the request's number within it: unique without a random draw.
    expect(history[1]!.id).toMatch(/^[\w-]{21}\.[0-9a-z]+$/);
    expect(history[0]!.id).not.toBe(history[1]!.id);
    expect(rt.history('d', 1)).toHaveLength(1);
  });

  it('rejects an unknown client with UNKNOWN_CLIENT', async () => {
    const rt = await start({});
    expect(await failure(rt.request('nope', hi))).toMatchObject({ code: 'UNKNOWN_CLIENT' });
    expect(() => rt.health('nope')).toThrow(/nope/);
  });

  it('rejects bad input with INVALID_REQUEST naming the field', async () => {
    const d = testDriver();
    const rt = await start({ d: d.config });
    const error = await failure(rt.request('d', hi, { temperature: Number.NaN }));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('options.temperature');
    expect(d.calls).toHaveLength(0);
  });
});
