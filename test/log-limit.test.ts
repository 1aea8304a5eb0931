/**
 * Repeated log lines are rate-limited: the first at once, then one summary per window with the
 * count of the lines it stands for — for the limiter itself, and for a cache whose store fails
 * every operation (the flood of the Redis-down review: 23 535 lines in 6 s).
 */
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClientCache } from '../src/cache/client-cache.js';
import { newCacheCounters } from '../src/cache/counters.js';
import { LOG_REPEAT_WINDOW_MS, RepeatLimiter } from '../src/model/log-limit.js';
import { answer } from './support/cache.js';

/** A pino logger writing into `lines`, parsed (pino's own sink pattern). */
function collecting() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { lines, logger };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RepeatLimiter', () => {
  it('writes the first line at once and the repeats as one summary at the end of the window', () => {
    vi.useFakeTimers();
    const { lines, logger } = collecting();
    const limited = new RepeatLimiter(logger, 5_000);
    for (let i = 0; i < 1_000; i++) limited.write('warn', { op: `op ${i}` }, 'store fault');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, op: 'op 0', msg: 'store fault' });
    vi.advanceTimersByTime(5_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({
      level: 40,
      op: 'op 999',
      suppressed: 999,
      msg: 'store fault (999 more like it within 5 s)',
    });
  });

  it('writes at most one line per window while the repeats go on, and starts over after a quiet one', () => {
    vi.useFakeTimers();
    const { lines, logger } = collecting();
    const limited = new RepeatLimiter(logger, 1_000);
    for (let ms = 0; ms < 10_000; ms += 10) {
      limited.write('warn', {}, 'store fault');
      vi.advanceTimersByTime(10);
    }
    // The first line, then one summary per window of 1 s: 10 s of repeats, 11 lines.
    expect(lines).toHaveLength(11);
    expect(lines.map((line) => line.suppressed)).toEqual([undefined, 99, ...Array(9).fill(100)]);
    vi.advanceTimersByTime(2_000);
    expect(lines).toHaveLength(11);
    limited.write('warn', { again: true }, 'store fault');
    expect(lines.at(-1)).toMatchObject({ again: true, msg: 'store fault' });
  });

  it('counts each message apart and flushes pending summaries on close', () => {
    vi.useFakeTimers();
    const { lines, logger } = collecting();
    const limited = new RepeatLimiter(logger);
    for (let i = 0; i < 3; i++) {
      limited.write('warn', {}, 'a');
      limited.write('info', {}, 'b');
    }
    expect(lines.map((line) => line.msg)).toEqual(['a', 'b']);
    limited.flush();
    expect(lines.slice(2)).toEqual([
      expect.objectContaining({ level: 40, suppressed: 2, msg: 'a (2 more like it within 10 s)' }),
      expect.objectContaining({ level: 30, suppressed: 2, msg: 'b (2 more like it within 10 s)' }),
    ]);
    expect(vi.getTimerCount()).toBe(0);
    expect(LOG_REPEAT_WINDOW_MS).toBe(10_000);
  });
});

describe('a cache whose store fails every operation', () => {
  it('logs one warning and one summary, not one line per operation', async () => {
    vi.useFakeTimers();
    const { lines, logger } = collecting();
    const stats = newCacheCounters();
    const cache = await ClientCache.open('c', { store: 'memory' }, logger, stats);
    const fail = () => Promise.reject(new Error('store unreachable'));
    const store = { get: fail, set: fail, delete: fail, clear: fail, on: () => undefined };
    (cache as any).keyv = new Keyv({
      store: store as unknown as KeyvStoreAdapter,
      throwOnErrors: true,
    });
    for (let i = 0; i < 500; i++) {
      await cache.get(`k${i}`);
      await cache.set(`k${i}`, answer);
    }
    expect(stats).toMatchObject({ misses: 500, errors: 1_000 });
    const faults = () => lines.filter((line) => String(line.msg).startsWith('cache store fault'));
    expect(faults()).toHaveLength(1);
    vi.advanceTimersByTime(LOG_REPEAT_WINDOW_MS);
    expect(faults()).toHaveLength(2);
    expect(faults()[1]).toMatchObject({ level: 40, suppressed: 999 });
    await cache.close();
  });
});
