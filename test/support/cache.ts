/**
 * What the cache tests share: a driver client that counts its calls and answers
 * `<last message> #<call>`, a cached answer, a cache opened for one use, and SQL on a cache file.
 */
import { pino } from 'pino';
import sqlite3 from 'sqlite3';
import { vi } from 'vitest';
import { ClientCache } from '../../src/cache/client-cache.js';
import { newCacheCounters, type CacheCounters } from '../../src/cache/counters.js';
import type { CachedCompletion } from '../../src/model/answer.js';
import type {
  CacheConfig,
  ChatMessage,
  DriverClientConfig,
  DriverRequest,
} from '../../src/index.js';

/** The raw response of {@link driver}: the answer, and a field only the raw response has. */
export interface Raw {
  text: string;
  rawOnly?: string;
}

/** What {@link driver}'s backend answers to its `call`-th request. */
export type Reply = (req: DriverRequest, call: number) => string | Promise<string>;

/** A driver client whose `request` counts its calls and answers `<last message> #<call>`. */
export function driver(reply: Reply = (req, n) => `${req.messages.at(-1)!.content} #${n}`) {
  let calls = 0;
  const request = vi.fn(async (req: DriverRequest): Promise<Raw> => {
    calls++;
    return { text: await reply(req, calls), rawOnly: 'RAW-ONLY-FIELD' };
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

export const say = (content: string): ChatMessage[] => [{ role: 'user', content }];
export const hi = say('Hi');

/** A silent logger for caches opened without a runtime. */
export const logger = pino({ enabled: false });

/** A well-formed cached answer. */
export const answer: CachedCompletion = {
  text: 'hello',
  finishReason: 'stop',
  usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
  model: 'm',
};

/** Opens a cache of client `c`, runs `use`, and always closes it. */
export async function withCache(
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

/** Runs `sql` on the SQLite file at `path` with a connection of its own. */
export async function sql<T = Record<string, unknown>>(
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
