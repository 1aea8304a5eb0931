/**
 * The SQLite cache through the runtime: a private file in WAL mode, answers kept across stop,
 * kill and restart without the raw response or the key, clients isolated in one file, and ttl.
 */
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
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientCache, cacheNamespace } from '../src/cache/client-cache.js';
import { newCacheCounters } from '../src/cache/counters.js';
import { driver, hi, logger, say, sql } from './support/cache.js';
import { runtimePerTest } from './support/runtime.js';

describe('SQLite cache', () => {
  let dir: string;
  let path: string;
  const { start } = runtimePerTest(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llma-'));
    path = join(dir, 'cache.sqlite');
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
