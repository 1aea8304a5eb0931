/**
 * The memory cache through the runtime: hits and misses by request, what is kept, eviction and
 * ttl, isolation between clients, failures never cached, and the health counters.
 */
import { describe, expect, it, vi } from 'vitest';
import { cacheNamespace } from '../src/cache/client-cache.js';
import { isLlmActorsError, type ChatMessage } from '../src/index.js';
import { driver, hi, say, type Raw } from './support/cache.js';
import { runtimePerTest } from './support/runtime.js';

const { start } = runtimePerTest();

describe('memory cache through the runtime', () => {
  it('serves a second identical request from the cache without calling the driver again', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() } });
    const first = await runtime.request('a', hi);
    const second = await runtime.request('a', hi);
    expect(first).toMatchObject({ text: 'Hi #1', cacheHit: false, client: 'a' });
    expect(second).toMatchObject({ text: 'Hi #1', cacheHit: true, client: 'a' });
    expect(second.usage).toEqual({ promptTokens: 3, completionTokens: 5, totalTokens: 8 });
    expect(a.request).toHaveBeenCalledTimes(1);
  });

  it('caches the normalized answer, not the raw one: a hit carries no raw', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() } });
    const first = await runtime.request('a', hi);
    expect(first.raw).toEqual({ text: 'Hi #1', rawOnly: 'RAW-ONLY-FIELD' });
    const second = await runtime.request('a', hi);
    expect(second.cacheHit).toBe(true);
    expect(second.raw).toBeUndefined();
  });

  it('keeps the cached answer intact when a caller mutates the completion it got', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() } });
    const first = await runtime.request('a', hi);
    first.text = 'mutated';
    first.usage.totalTokens = 999;
    const second = await runtime.request('a', hi);
    second.usage.promptTokens = 777;
    const third = await runtime.request('a', hi);
    expect(third.text).toBe('Hi #1');
    expect(third.usage).toEqual({ promptTokens: 3, completionTokens: 5, totalTokens: 8 });
  });

  it('bypasses both read and write for a request with cache: false', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() } });
    expect((await runtime.request('a', hi, { cache: false })).text).toBe('Hi #1');
    // Nothing was written: a cached request misses.
    const cached = await runtime.request('a', hi);
    expect(cached).toMatchObject({ text: 'Hi #2', cacheHit: false });
    // An entry exists now, yet cache: false does not read it...
    const bypass = await runtime.request('a', hi, { cache: false });
    expect(bypass).toMatchObject({ text: 'Hi #3', cacheHit: false });
    // ...nor overwrite it.
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'Hi #2', cacheHit: true });
    expect(a.request).toHaveBeenCalledTimes(3);
    expect(runtime.health('a').cache).toMatchObject({ hits: 1, misses: 1 });
  });

  it('gives a new rolloutId a fresh answer that is itself cached', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() } });
    expect((await runtime.request('a', hi)).text).toBe('Hi #1');
    expect(await runtime.request('a', hi, { rolloutId: 1 })).toMatchObject({
      text: 'Hi #2',
      cacheHit: false,
    });
    expect(await runtime.request('a', hi, { rolloutId: 1 })).toMatchObject({
      text: 'Hi #2',
      cacheHit: true,
    });
    expect(await runtime.request('a', hi, { rolloutId: '1' })).toMatchObject({
      text: 'Hi #3',
      cacheHit: false,
    });
    expect(await runtime.request('a', hi, { rolloutId: 2 })).toMatchObject({
      text: 'Hi #4',
      cacheHit: false,
    });
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'Hi #1', cacheHit: true });
    expect(a.request).toHaveBeenCalledTimes(4);
  });

  it('misses when temperature, maxTokens or extra differ, and hits each variant on repeat', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() } });
    const variants = [
      { temperature: 0 },
      { temperature: 0.5 },
      { maxTokens: 10 },
      { maxTokens: 11 },
      { extra: { seed: 1 } },
      { extra: { seed: 2 } },
      { extra: { seed: 2, top_p: 0.5 } },
      { extra: { since: new Date('2024-01-01T00:00:00Z') } },
      { extra: { since: new Date('2025-01-01T00:00:00Z') } },
    ];
    for (const options of variants) {
      expect((await runtime.request('a', hi, options)).cacheHit).toBe(false);
    }
    expect(a.request).toHaveBeenCalledTimes(variants.length);
    for (const [i, options] of variants.entries()) {
      expect(await runtime.request('a', hi, options)).toMatchObject({
        cacheHit: true,
        text: `Hi #${i + 1}`,
      });
    }
    expect(a.request).toHaveBeenCalledTimes(variants.length);
  });

  it('keys on effective params: a request equal to the client defaults hits their entry', async () => {
    const a = driver();
    const runtime = await start({
      clients: { a: a.config({ defaults: { temperature: 0, extra: { seed: 7 } } }) },
    });
    await runtime.request('a', hi);
    const same = await runtime.request('a', hi, { temperature: 0, extra: { seed: 7 } });
    expect(same.cacheHit).toBe(true);
    const other = await runtime.request('a', hi, { extra: { seed: 8 } });
    expect(other.cacheHit).toBe(false);
    expect(a.request).toHaveBeenCalledTimes(2);
  });

  it('misses when the messages differ in content, role, order or name', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() } });
    const conversations: ChatMessage[][] = [
      say('Hi'),
      say('Hi '),
      [{ role: 'system', content: 'Hi' }],
      [{ role: 'user', content: 'Hi', name: 'bob' }],
      [
        { role: 'system', content: 'S' },
        { role: 'user', content: 'Hi' },
      ],
      [
        { role: 'user', content: 'Hi' },
        { role: 'system', content: 'S' },
      ],
    ];
    for (const messages of conversations) {
      expect((await runtime.request('a', messages)).cacheHit).toBe(false);
    }
    for (const messages of conversations) {
      expect((await runtime.request('a', messages)).cacheHit).toBe(true);
    }
    expect(a.request).toHaveBeenCalledTimes(conversations.length);
  });

  it('never caches for a client configured with cache: false', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config({ cache: false }) } });
    const first = await runtime.request('a', hi);
    const second = await runtime.request('a', hi);
    expect(first).toMatchObject({ text: 'Hi #1', cacheHit: false });
    expect(second).toMatchObject({ text: 'Hi #2', cacheHit: false });
    expect(runtime.health('a').cache).toMatchObject({ hits: 0, misses: 0, hitRate: 0 });
    await runtime.clearCache('a');
  });

  it('never caches when the runtime default is cache: false, unless a client opts in', async () => {
    const a = driver();
    const b = driver();
    const runtime = await start({
      cache: false,
      clients: { a: a.config(), b: b.config({ cache: { store: 'memory' } }) },
    });
    await runtime.request('a', hi);
    expect((await runtime.request('a', hi)).cacheHit).toBe(false);
    await runtime.request('b', hi);
    expect((await runtime.request('b', hi)).cacheHit).toBe(true);
    expect(a.request).toHaveBeenCalledTimes(2);
    expect(b.request).toHaveBeenCalledTimes(1);
  });

  it('evicts the least recently used answer beyond maxEntries', async () => {
    const a = driver();
    const runtime = await start({
      clients: { a: a.config() },
      cache: { store: 'memory', maxEntries: 2 },
    });
    await runtime.request('a', say('A'));
    await runtime.request('a', say('B'));
    expect((await runtime.request('a', say('A'))).cacheHit).toBe(true); // A is now the most recent
    await runtime.request('a', say('C')); // evicts B, the least recently used
    expect(await runtime.request('a', say('A'))).toMatchObject({ text: 'A #1', cacheHit: true });
    expect(await runtime.request('a', say('C'))).toMatchObject({ text: 'C #3', cacheHit: true });
    expect(await runtime.request('a', say('B'))).toMatchObject({ text: 'B #4', cacheHit: false });
    expect(a.request).toHaveBeenCalledTimes(4);
  });

  it('treats an answer older than ttlMs as a miss and caches the fresh one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const a = driver();
    const runtime = await start({
      clients: { a: a.config() },
      cache: { store: 'memory', ttlMs: 1_000 },
    });
    expect((await runtime.request('a', hi)).text).toBe('Hi #1');
    vi.advanceTimersByTime(1_000);
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'Hi #1', cacheHit: true });
    vi.advanceTimersByTime(1);
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'Hi #2', cacheHit: false });
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'Hi #2', cacheHit: true });
    vi.advanceTimersByTime(1_001);
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'Hi #3', cacheHit: false });
    expect(a.request).toHaveBeenCalledTimes(3);
  });
});

describe('cache isolation between clients', () => {
  it('never lets two driver clients with the same model and messages answer each other', async () => {
    const a = driver((req) => `a says ${req.messages[0]!.content}`);
    const b = driver((req) => `b says ${req.messages[0]!.content}`);
    const runtime = await start({ clients: { a: a.config(), b: b.config() } });
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'a says Hi', cacheHit: false });
    expect(await runtime.request('b', hi)).toMatchObject({ text: 'b says Hi', cacheHit: false });
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'a says Hi', cacheHit: true });
    expect(await runtime.request('b', hi)).toMatchObject({ text: 'b says Hi', cacheHit: true });
    expect(a.request).toHaveBeenCalledTimes(1);
    expect(b.request).toHaveBeenCalledTimes(1);
  });

  it("empties only a's cache on runtime.clearCache('a')", async () => {
    const a = driver();
    const b = driver();
    const runtime = await start({ clients: { a: a.config(), b: b.config() } });
    await runtime.request('a', hi);
    await runtime.request('b', hi);
    await runtime.clearCache('a');
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'Hi #2', cacheHit: false });
    expect(await runtime.request('b', hi)).toMatchObject({ text: 'Hi #1', cacheHit: true });
    expect(a.request).toHaveBeenCalledTimes(2);
    expect(b.request).toHaveBeenCalledTimes(1);
  });

  it('gives every client a distinct namespace, even for names that look alike', () => {
    const names = ['a', 'b', 'A', 'a:', 'a:b', 'a/b', 'llma-a'];
    const namespaces = new Set(names.map(cacheNamespace));
    expect(namespaces.size).toBe(names.length);
    for (const ns of namespaces) expect(ns).toMatch(/^llma-[0-9a-f]{16}$/);
  });
});

describe('failures and the cache', () => {
  it('never caches a failure: the next identical request reaches the driver again', async () => {
    const a = driver((_req, n) => {
      if (n === 1) throw new Error('backend down');
      return `ok #${n}`;
    });
    const runtime = await start({ clients: { a: a.config() } });
    const failure = await runtime.request('a', hi).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isLlmActorsError(failure)).toBe(true);
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'ok #2', cacheHit: false });
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'ok #2', cacheHit: true });
    expect(a.request).toHaveBeenCalledTimes(2);
  });

  it('never caches an answer that output() rejects', async () => {
    const a = driver();
    let bad = true;
    const runtime = await start({
      clients: {
        a: a.config({
          output: (raw: Raw) => (bad ? ({ text: 42 } as never) : { text: raw.text }),
        }),
      },
    });
    await expect(runtime.request('a', hi)).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
    bad = false;
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'Hi #2', cacheHit: false });
    expect(a.request).toHaveBeenCalledTimes(2);
  });
});

describe('cache health counters', () => {
  it('reports hits, misses and a hitRate that add up', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() } });
    expect(runtime.health('a').cache).toEqual({
      hits: 0,
      misses: 0,
      hitRate: 0,
      invalid: 0,
      errors: 0,
      skipped: 0,
    });
    await runtime.request('a', say('A')); // miss
    await runtime.request('a', say('A')); // hit
    await runtime.request('a', say('A')); // hit
    await runtime.request('a', say('B')); // miss
    await runtime.request('a', say('C')); // miss
    await runtime.request('a', say('C'), { cache: false }); // no lookup
    const cache = runtime.health('a').cache;
    expect(cache).toEqual({ hits: 2, misses: 3, hitRate: 0.4, invalid: 0, errors: 0, skipped: 0 });
    expect(cache.hits + cache.misses).toBe(5);
    expect(cache.hitRate).toBeCloseTo(cache.hits / (cache.hits + cache.misses));
    expect(runtime.health().a).toMatchObject({ kind: 'client', cache });
  });

  it('keeps counting across a restart of the actor', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() } });
    await runtime.request('a', hi);
    await runtime.request('a', hi);
    await runtime.restart('a');
    // A fresh memory cache after the restart: a miss, counted on top of the earlier ones.
    expect((await runtime.request('a', hi)).cacheHit).toBe(false);
    expect(runtime.health('a').cache).toMatchObject({ hits: 1, misses: 2 });
  });
});
