/**
 * What a client cache keeps and serves (ClientCache): entries that fail validation are dropped
 * and counted, in memory and in a SQLite file; a store fault is a miss, never a failed request;
 * writes under way are served, land before close and are dropped by clear; and the in-memory
 * front of a persistent cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientCache, cacheNamespace } from '../src/cache/client-cache.js';
import { newCacheCounters } from '../src/cache/counters.js';
import { isCachedCompletion } from '../src/model/answer.js';
import { answer, driver, hi, logger, sql, withCache } from './support/cache.js';
import { runtimePerTest } from './support/runtime.js';

describe('stored SQLite entries that fail validation', () => {
  let dir: string;
  let path: string;
  const sqliteCache = () => ({ store: 'sqlite' as const, path });
  const { start } = runtimePerTest(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llma-'));
    path = join(dir, 'cache.sqlite');
  });

  /** The stored rows of client `name`. */
  const rowsOf = (name: string) =>
    sql<{ key: string; value: string }>(
      path,
      'SELECT key, value FROM llm_actors_cache WHERE key LIKE ?',
      `${cacheNamespace(name)}:%`,
    );

  /** Caches one answer of client a, stops, then overwrites its stored value with `value`. */
  async function corrupt(value: string): Promise<void> {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() }, cache: sqliteCache() });
    await runtime.request('a', hi);
    await runtime.stop();
    const rows = await rowsOf('a');
    expect(rows).toHaveLength(1);
    await sql(path, 'UPDATE llm_actors_cache SET value = ? WHERE key = ?', value, rows[0]!.key);
  }

  it('does not serve an entry that fails validation: it reaches the driver and counts invalid', async () => {
    await corrupt('{"value":{"text":42},"expires":null}');
    const a = driver((_req, n) => `fresh #${n}`);
    const runtime = await start({ clients: { a: a.config() }, cache: sqliteCache() });
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'fresh #1', cacheHit: false });
    expect(a.request).toHaveBeenCalledTimes(1);
    expect(runtime.health('a').cache).toMatchObject({ invalid: 1, misses: 1, hits: 0, errors: 0 });
    // The bad entry was replaced by the fresh answer.
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'fresh #1', cacheHit: true });
  });

  it('treats an unparseable entry as a miss, not a failure', async () => {
    await corrupt('not json');
    const a = driver((_req, n) => `fresh #${n}`);
    const runtime = await start({ clients: { a: a.config() }, cache: sqliteCache() });
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'fresh #1', cacheHit: false });
    expect(a.request).toHaveBeenCalledTimes(1);
    expect(runtime.health('a').cache).toMatchObject({ invalid: 1, misses: 1, hits: 0, errors: 0 });
    expect(runtime.health('a').requests).toMatchObject({ succeeded: 1, failed: 0 });
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'fresh #1', cacheHit: true });
  });

  it('treats an entry that parses to something other than an entry as invalid', async () => {
    await corrupt('42');
    const a = driver((_req, n) => `fresh #${n}`);
    const runtime = await start({ clients: { a: a.config() }, cache: sqliteCache() });
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'fresh #1', cacheHit: false });
    expect(runtime.health('a').cache).toMatchObject({ invalid: 1, misses: 1, errors: 0 });
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'fresh #1', cacheHit: true });
  });
});

describe('ClientCache', () => {
  const { start } = runtimePerTest();

  /** A store whose every operation rejects. */
  function failingStore(): KeyvStoreAdapter {
    const fail = () => Promise.reject(new Error('store unreachable'));
    return {
      get: vi.fn(fail),
      set: vi.fn(fail),
      delete: vi.fn(fail),
      clear: vi.fn(fail),
      on: () => undefined,
    } as unknown as KeyvStoreAdapter;
  }

  it('round-trips an answer and counts hits and misses', async () => {
    const stats = newCacheCounters();
    const cache = await ClientCache.open('c', { store: 'memory' }, logger, stats);
    try {
      expect(cache.persistent).toBe(false);
      expect(await cache.get('k')).toBeUndefined();
      await cache.set('k', answer);
      expect(await cache.get('k')).toEqual(answer);
      expect(stats).toEqual({ hits: 1, misses: 1, invalid: 0, errors: 0, skipped: 0 });
      await cache.clear();
      expect(await cache.get('k')).toBeUndefined();
    } finally {
      await cache.close();
    }
  });

  it('reads a store fault as a miss and counts one error', async () => {
    const stats = newCacheCounters();
    const cache = await ClientCache.open('c', { store: 'memory' }, logger, stats);
    const store = failingStore();
    (cache as any).keyv = new Keyv({ store, throwOnErrors: true });
    await expect(cache.get('k')).resolves.toBeUndefined();
    expect(stats).toEqual({ hits: 0, misses: 1, invalid: 0, errors: 1, skipped: 0 });
  });

  it('resolves a set that meets a store fault and counts one error', async () => {
    const stats = newCacheCounters();
    const cache = await ClientCache.open('c', { store: 'memory' }, logger, stats);
    const store = failingStore();
    (cache as any).keyv = new Keyv({ store, throwOnErrors: true });
    await expect(cache.set('k', answer)).resolves.toBeUndefined();
    expect(store.set).toHaveBeenCalledTimes(1);
    expect(stats).toEqual({ hits: 0, misses: 0, invalid: 0, errors: 1, skipped: 0 });
  });

  it('never lets a store fault fail a request through the runtime', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() } });
    // Reach the running actor's cache and break its store.
    const entry = (runtime as any).registry.get('a');
    (entry.supervision.actor.own.cache as any).keyv = new Keyv({
      store: failingStore(),
      throwOnErrors: true,
    });
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'Hi #1', cacheHit: false });
    // Let the failed write settle: until then the answer being written is served from memory.
    await new Promise((resolve) => setImmediate(resolve));
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'Hi #2', cacheHit: false });
    await runtime.stop();
    expect(runtime.health('a').cache).toMatchObject({ hits: 0, misses: 2, errors: 4 });
  });

  it('resolves close even when the store fails to disconnect', async () => {
    const stats = newCacheCounters();
    const cache = await ClientCache.open('c', { store: 'memory' }, logger, stats);
    const store = {
      ...failingStore(),
      disconnect: () => Promise.reject(new Error('no')),
    } as unknown as KeyvStoreAdapter;
    (cache as any).keyv = new Keyv({ store, throwOnErrors: true });
    await expect(cache.close()).resolves.toBeUndefined();
    expect(stats.errors).toBe(1);
  });

  it('drops an entry that fails validation and counts it invalid', async () => {
    const stats = newCacheCounters();
    const cache = await ClientCache.open('c', { store: 'memory' }, logger, stats);
    try {
      await (cache as any).keyv.set('k', { ...answer, finishReason: 'maybe' });
      expect(await cache.get('k')).toBeUndefined();
      expect(await (cache as any).keyv.get('k')).toBeUndefined();
      expect(stats).toEqual({ hits: 0, misses: 1, invalid: 1, errors: 0, skipped: 0 });
    } finally {
      await cache.close();
    }
  });

  /** A Map-backed store whose get and set wait until released. */
  function gatedStore() {
    const data = new Map<string, unknown>();
    const gate = () => {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      return { promise, open };
    };
    const gets = gate();
    const sets = gate();
    const store = {
      get: vi.fn(async (key: string) => {
        const value = data.get(key);
        await gets.promise;
        return value;
      }),
      set: vi.fn(async (key: string, value: unknown) => {
        await sets.promise;
        data.set(key, value);
        return true;
      }),
      delete: vi.fn(async (key: string) => data.delete(key)),
      clear: vi.fn(async () => data.clear()),
      disconnect: vi.fn(async () => undefined),
    };
    return { data, store, releaseGets: gets.open, releaseSets: sets.open };
  }

  const macrotask = () => new Promise((resolve) => setImmediate(resolve));

  it('serves an answer whose write is still under way', async () => {
    const stats = newCacheCounters();
    const cache = await ClientCache.open('c', { store: 'memory' }, logger, stats);
    const { store, releaseGets, releaseSets } = gatedStore();
    releaseGets();
    (cache as any).keyv = new Keyv({ store: store as unknown as KeyvStoreAdapter });
    const written = cache.set('k', structuredClone(answer));
    expect(await cache.get('k')).toEqual(answer);
    expect(await cache.get('k')).toEqual(answer);
    expect(store.get).not.toHaveBeenCalled();
    releaseSets();
    await written;
    expect(await cache.get('k')).toEqual(answer);
    expect(store.get).toHaveBeenCalledTimes(1);
    expect(stats).toEqual({ hits: 3, misses: 0, invalid: 0, errors: 0, skipped: 0 });
  });

  it('hits when a write begins while its lookup is still reading the store', async () => {
    const stats = newCacheCounters();
    const cache = await ClientCache.open('c', { store: 'memory' }, logger, stats);
    const { store, releaseGets, releaseSets } = gatedStore();
    (cache as any).keyv = new Keyv({ store: store as unknown as KeyvStoreAdapter });
    const lookup = cache.get('k');
    await macrotask();
    expect(store.get).toHaveBeenCalledTimes(1);
    const written = cache.set('k', answer);
    releaseGets();
    expect(await lookup).toEqual(answer);
    releaseSets();
    await written;
    expect(stats).toEqual({ hits: 1, misses: 0, invalid: 0, errors: 0, skipped: 0 });
  });

  it('lets writes under way land before close disconnects the store', async () => {
    const stats = newCacheCounters();
    const cache = await ClientCache.open('c', { store: 'memory' }, logger, stats);
    const { data, store, releaseGets, releaseSets } = gatedStore();
    releaseGets();
    (cache as any).keyv = new Keyv({ store: store as unknown as KeyvStoreAdapter });
    const written = cache.set('k', answer);
    const closed = cache.close();
    await macrotask();
    expect(store.disconnect).not.toHaveBeenCalled();
    releaseSets();
    await Promise.all([written, closed]);
    expect(data.size).toBe(1);
    expect(store.disconnect).toHaveBeenCalledTimes(1);
    expect(stats.errors).toBe(0);
  });

  it('drops writes under way on clear, in memory at once and in the store once they land', async () => {
    const stats = newCacheCounters();
    const cache = await ClientCache.open('c', { store: 'memory' }, logger, stats);
    const { data, store, releaseGets, releaseSets } = gatedStore();
    releaseGets();
    (cache as any).keyv = new Keyv({ store: store as unknown as KeyvStoreAdapter });
    const written = cache.set('k', answer);
    const cleared = cache.clear();
    expect(await cache.get('k')).toBeUndefined();
    releaseSets();
    await Promise.all([written, cleared]);
    expect(data.size).toBe(0);
    expect(await cache.get('k')).toBeUndefined();
  });

  it('accepts only well-formed cached completions', () => {
    expect(isCachedCompletion(answer)).toBe(true);
    expect(isCachedCompletion({ ...answer, choices: [{ text: 'a', finishReason: 'stop' }] })).toBe(
      true,
    );
    const bad: unknown[] = [
      null,
      'hello',
      42,
      [],
      { ...answer, text: 42 },
      { ...answer, model: undefined },
      { ...answer, finishReason: 'maybe' },
      { ...answer, usage: null },
      { ...answer, usage: { ...answer.usage, promptTokens: -1 } },
      { ...answer, usage: { ...answer.usage, completionTokens: '2' } },
      { ...answer, usage: { ...answer.usage, totalTokens: Number.NaN } },
      // A shared cache entry whose count would make every total Infinity.
      { ...answer, usage: { ...answer.usage, promptTokens: 1e308 } },
      { ...answer, choices: 'a' },
      { ...answer, choices: [{ text: 1, finishReason: 'stop' }] },
      { ...answer, choices: [{ text: 'a', finishReason: 'nope' }] },
      { ...answer, choices: [null] },
    ];
    for (const value of bad) expect(isCachedCompletion(value)).toBe(false);
  });
});

describe('the in-memory front of a persistent cache', () => {
  let frontDir: string;
  beforeEach(() => {
    frontDir = mkdtempSync(join(tmpdir(), 'llma-front-'));
  });
  afterEach(() => {
    rmSync(frontDir, { recursive: true, force: true });
  });

  it('serves recent SQLite answers from memory without reading the store', async () => {
    await withCache({ store: 'sqlite', path: join(frontDir, 'f.sqlite') }, async (cache, stats) => {
      await cache.set('k', structuredClone(answer));
      const get = vi.spyOn(cache, 'get');
      expect(cache.lookup('k')).toEqual(answer);
      expect(get).not.toHaveBeenCalled();
      expect(stats.hits).toBe(1);
      await cache.clear();
      expect(await cache.lookup('k')).toBeUndefined();
    });
  });

  it('reads the store on every lookup with frontEntries 0', async () => {
    await withCache(
      { store: 'sqlite', path: join(frontDir, 'g.sqlite'), frontEntries: 0 },
      async (cache) => {
        await cache.set('k', structuredClone(answer));
        const found = cache.lookup('k');
        expect(found).toBeInstanceOf(Promise);
        expect(await found).toEqual(answer);
      },
    );
  });

  it('lets front entries expire with ttlMs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      await withCache(
        { store: 'sqlite', path: join(frontDir, 'h.sqlite'), ttlMs: 1_000 },
        async (cache) => {
          await cache.set('k', structuredClone(answer));
          expect(cache.lookup('k')).toEqual(answer);
          vi.advanceTimersByTime(1_001);
          expect(await cache.lookup('k')).toBeUndefined();
        },
      );
    } finally {
      vi.useRealTimers();
    }
  });
});
