import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import { pino } from 'pino';
import sqlite3 from 'sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ClientCache,
  cacheNamespace,
  isCachedCompletion,
  newCacheCounters,
  type CacheCounters,
  type CachedCompletion,
} from '../src/cache/client-cache.js';
import {
  createRuntime,
  isLlmActorsError,
  type CacheConfig,
  type ChatMessage,
  type DriverClientConfig,
  type DriverRequest,
  type Runtime,
  type RuntimeConfig,
} from '../src/index.js';

interface Raw {
  text: string;
  rawOnly?: string;
}

type Answer = (req: DriverRequest, call: number) => string | Promise<string>;

/** A driver client whose `request` counts its calls and answers `<last message> #<call>`. */
function driver(answer: Answer = (req, n) => `${req.messages.at(-1)!.content} #${n}`) {
  let calls = 0;
  const request = vi.fn(async (req: DriverRequest): Promise<Raw> => {
    calls++;
    return { text: await answer(req, calls), rawOnly: 'RAW-ONLY-FIELD' };
  });
  const config = (more: Partial<DriverClientConfig<Raw>> = {}): DriverClientConfig<Raw> => ({
    provider: 'driver',
    model: 'same-model',
    retry: false,
    request,
    output: (raw) => ({
      text: raw.text,
      usage: { promptTokens: 3, completionTokens: 5 },
    }),
    ...more,
  });
  return { request, config };
}

const say = (content: string): ChatMessage[] => [{ role: 'user', content }];
const logger = pino({ enabled: false });
const answer: CachedCompletion = {
  text: 'hello',
  finishReason: 'stop',
  usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
  model: 'm',
};

/** Opens a cache of client `c`, runs `use`, and always closes it. */
async function withCache(
  config: CacheConfig,
  use: (cache: ClientCache, stats: CacheCounters) => Promise<void>,
): Promise<void> {
  const stats = newCacheCounters();
  const cache = await ClientCache.open('c', config, logger, stats);
  try {
    await use(cache, stats);
  } finally {
    await cache.close();
  }
}
const hi = say('Hi');

let runtimes: Runtime[] = [];

async function start(config: RuntimeConfig): Promise<Runtime> {
  const runtime = await createRuntime({ logger: false, ...config });
  runtimes.push(runtime);
  return runtime;
}

afterEach(async () => {
  const all = runtimes;
  runtimes = [];
  await Promise.all(all.map((r) => r.stop()));
  vi.useRealTimers();
});

/** Runs `sql` on the SQLite file at `path` with a connection of its own. */
async function sql<T = Record<string, unknown>>(
  path: string,
  text: string,
  ...params: unknown[]
): Promise<T[]> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(path, (error) => (error ? reject(error) : resolve(d)));
  });
  db.configure('busyTimeout', 5_000);
  try {
    return await new Promise<T[]>((resolve, reject) =>
      db.all(text, params, (error: Error | null, rows: T[]) =>
        error ? reject(error) : resolve(rows),
      ),
    );
  } finally {
    await new Promise<void>((resolve, reject) =>
      db.close((error) => (error ? reject(error) : resolve())),
    );
  }
}

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
    });
    await runtime.request('a', say('A')); // miss
    await runtime.request('a', say('A')); // hit
    await runtime.request('a', say('A')); // hit
    await runtime.request('a', say('B')); // miss
    await runtime.request('a', say('C')); // miss
    await runtime.request('a', say('C'), { cache: false }); // no lookup
    const cache = runtime.health('a').cache;
    expect(cache).toEqual({ hits: 2, misses: 3, hitRate: 0.4, invalid: 0, errors: 0 });
    expect(cache.hits + cache.misses).toBe(5);
    expect(cache.hitRate).toBeCloseTo(cache.hits / (cache.hits + cache.misses));
    expect(runtime.health().a!.cache).toEqual(cache);
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

describe('SQLite cache', () => {
  let dir: string;
  let path: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llma-'));
    path = join(dir, 'cache.sqlite');
  });

  afterEach(async () => {
    const all = runtimes;
    runtimes = [];
    await Promise.all(all.map((r) => r.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  const sqliteCache = () => ({ store: 'sqlite' as const, path });

  it('creates the database file with mode 0600', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() }, cache: sqliteCache() });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await runtime.request('a', hi);
    await runtime.stop();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('creates missing parent directories for the database file', async () => {
    path = join(dir, 'deep', 'er', 'cache.sqlite');
    const a = driver();
    const runtime = await start({ clients: { a: a.config() }, cache: sqliteCache() });
    await runtime.request('a', hi);
    await runtime.stop();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('tightens an existing database file to mode 0600', async () => {
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const a = driver();
    await start({ clients: { a: a.config() }, cache: sqliteCache() });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('keeps its write-ahead log files private too', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() }, cache: sqliteCache() });
    await runtime.request('a', hi);
    await runtime.request('a', say('more'));
    for (const file of readdirSync(dir)) {
      expect({ file, mode: statSync(join(dir, file)).mode & 0o077 }).toEqual({ file, mode: 0 });
    }
  });

  it('starts many clients on one fresh database file at once', async () => {
    const clients = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [`c${i}`, driver().config()]),
    );
    const runtime = await start({ clients, cache: sqliteCache() });
    await Promise.all(Object.keys(clients).map((name) => runtime.request(name, hi)));
    await runtime.stop();
    expect(await sql(path, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(await sql(path, 'SELECT key FROM llm_actors_cache')).toHaveLength(8);
  });

  it('opens caches of many clients on one fresh database file concurrently', async () => {
    for (let round = 0; round < 5; round++) {
      const file = join(dir, `round-${round}.sqlite`);
      const opened = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          ClientCache.open(`c${i}`, { store: 'sqlite', path: file }, logger, newCacheCounters()),
        ),
      );
      await Promise.all(opened.map((o) => (o.status === 'fulfilled' ? o.value.close() : null)));
      expect(opened.filter((o) => o.status === 'rejected')).toEqual([]);
    }
  });

  it('turns on WAL journaling', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() }, cache: sqliteCache() });
    await runtime.request('a', hi);
    await runtime.stop();
    expect(await sql(path, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
  });

  it('stores the normalized answer without the raw response or the apiKey', async () => {
    const a = driver();
    const runtime = await start({
      clients: { a: a.config({ apiKey: 'sk-never-in-the-cache-123' }) },
      cache: sqliteCache(),
    });
    await runtime.request('a', hi);
    await runtime.stop();
    const rows = await sql<{ key: string; value: string }>(path, 'SELECT * FROM llm_actors_cache');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.key.startsWith(`${cacheNamespace('a')}:`)).toBe(true);
    expect(JSON.parse(rows[0]!.value)).toMatchObject({
      value: { text: 'Hi #1', model: 'same-model', finishReason: 'stop' },
    });
    expect(rows[0]!.value).not.toContain('RAW-ONLY-FIELD');
    for (const file of readdirSync(dir)) {
      expect(readFileSync(join(dir, file)).toString('latin1')).not.toContain(
        'sk-never-in-the-cache-123',
      );
    }
  });

  it('keeps answers across runtime.stop(): a new runtime on the same file hits', async () => {
    const first = driver();
    const one = await start({ clients: { a: first.config() }, cache: sqliteCache() });
    await one.request('a', hi);
    await one.stop();

    const second = driver();
    const two = await start({ clients: { a: second.config() }, cache: sqliteCache() });
    expect(await two.request('a', hi)).toMatchObject({ text: 'Hi #1', cacheHit: true });
    expect(second.request).not.toHaveBeenCalled();
  });

  /** The stored rows of client `name`. */
  const rowsOf = (name: string) =>
    sql<{ key: string; value: string }>(
      path,
      'SELECT key, value FROM llm_actors_cache WHERE key LIKE ?',
      `${cacheNamespace(name)}:%`,
    );

  it('keeps answers across runtime.kill(): the restarted actor hits the persistent entry', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() }, cache: sqliteCache() });
    await runtime.request('a', hi);
    await vi.waitFor(async () => expect(await rowsOf('a')).toHaveLength(1));
    runtime.kill('a');
    await vi.waitFor(() => expect(runtime.health('a').status).toBe('running'));
    expect(runtime.health('a').restarts).toBe(1);
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'Hi #1', cacheHit: true });
    expect(a.request).toHaveBeenCalledTimes(1);
  });

  it('does not lose a write under way when the actor is killed', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() }, cache: sqliteCache() });
    await runtime.request('a', hi);
    runtime.kill('a');
    await vi.waitFor(() => expect(runtime.health('a').status).toBe('running'));
    await vi.waitFor(async () => expect(await rowsOf('a')).toHaveLength(1));
    expect(runtime.health('a').cache.errors).toBe(0);
    await runtime.stop();
    const b = driver();
    const again = await start({ clients: { a: b.config() }, cache: sqliteCache() });
    expect(await again.request('a', hi)).toMatchObject({ text: 'Hi #1', cacheHit: true });
    expect(b.request).not.toHaveBeenCalled();
  });

  it('serves an answer to the next identical request even before its write has landed', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() }, cache: sqliteCache() });
    for (let i = 0; i < 20; i++) {
      const content = `q${i}`;
      expect(await runtime.request('a', say(content))).toMatchObject({ cacheHit: false });
      expect(await runtime.request('a', say(content))).toMatchObject({
        text: `${content} #${i + 1}`,
        cacheHit: true,
      });
    }
    expect(a.request).toHaveBeenCalledTimes(20);
  });

  it('isolates clients that share one database file, and clears only one of them', async () => {
    const a = driver((req) => `a says ${req.messages[0]!.content}`);
    const b = driver((req) => `b says ${req.messages[0]!.content}`);
    const runtime = await start({
      clients: { a: a.config(), b: b.config() },
      cache: sqliteCache(),
    });
    expect((await runtime.request('a', hi)).text).toBe('a says Hi');
    expect((await runtime.request('b', hi)).text).toBe('b says Hi');
    expect(await runtime.request('a', hi)).toMatchObject({ text: 'a says Hi', cacheHit: true });
    expect(await runtime.request('b', hi)).toMatchObject({ text: 'b says Hi', cacheHit: true });
    await runtime.clearCache('a');
    expect((await runtime.request('a', hi)).cacheHit).toBe(false);
    expect((await runtime.request('b', hi)).cacheHit).toBe(true);
    expect(a.request).toHaveBeenCalledTimes(2);
    expect(b.request).toHaveBeenCalledTimes(1);
  });

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

  it('expires persistent entries after ttlMs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const a = driver();
    const cache = { ...sqliteCache(), ttlMs: 60_000 };
    const one = await start({ clients: { a: a.config() }, cache });
    await one.request('a', hi);
    await one.stop();
    vi.advanceTimersByTime(60_001);
    const b = driver((_req, n) => `fresh #${n}`);
    const two = await start({ clients: { a: b.config() }, cache });
    expect(await two.request('a', hi)).toMatchObject({ text: 'fresh #1', cacheHit: false });
  });
});

describe('ClientCache', () => {
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
      expect(stats).toEqual({ hits: 1, misses: 1, invalid: 0, errors: 0 });
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
    expect(stats).toEqual({ hits: 0, misses: 1, invalid: 0, errors: 1 });
  });

  it('resolves a set that meets a store fault and counts one error', async () => {
    const stats = newCacheCounters();
    const cache = await ClientCache.open('c', { store: 'memory' }, logger, stats);
    const store = failingStore();
    (cache as any).keyv = new Keyv({ store, throwOnErrors: true });
    await expect(cache.set('k', answer)).resolves.toBeUndefined();
    expect(store.set).toHaveBeenCalledTimes(1);
    expect(stats).toEqual({ hits: 0, misses: 0, invalid: 0, errors: 1 });
  });

  it('never lets a store fault fail a request through the runtime', async () => {
    const a = driver();
    const runtime = await start({ clients: { a: a.config() } });
    // Reach the running actor's cache and break its store.
    const entry = (runtime as any).registry.get('a');
    (entry.actor.cache as any).keyv = new Keyv({ store: failingStore(), throwOnErrors: true });
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
      expect(stats).toEqual({ hits: 0, misses: 1, invalid: 1, errors: 0 });
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
    expect(stats).toEqual({ hits: 3, misses: 0, invalid: 0, errors: 0 });
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
    expect(stats).toEqual({ hits: 1, misses: 0, invalid: 0, errors: 0 });
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
