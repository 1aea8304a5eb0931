/**
 * The contenders, each set up inside its own process by bench/worker.ts. The raw ones are what a
 * careful hand-written caller does with undici alone — the physical limit llm-actors is held to:
 *
 * - `raw`: `pool.request` on an undici Pool with the same connections as the client's, the body
 *   built and `JSON.stringify`-ed per call, the status checked, the JSON answer parsed and its
 *   text read.
 * - `raw-sse`: the same primitive asking for a stream: the SSE body read as it arrives, split
 *   into events, each `data:` line JSON-parsed and its delta's text appended.
 *
 * The llm-actors ones go through the public API only (`runtime.request`, `runtime.stream`) with
 * the client's defaults (memory cache, fuse, retry, 30 s deadline), `logger: false` and a
 * `maxConcurrency` equal to the concurrency (so its pool has as many connections as the raw one).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { Pool } from 'undici';
import { createRuntime } from './runtime.js';
import type { ClientConfig, Runtime } from '../src/index.js';

/** A contender ready to be called: `call(i)` is one request. */
export interface Ready {
  call(i: number): Promise<unknown>;
  close(): Promise<void>;
}

/** Every call of every contender asks something new (the miss path), except the hit ones. */
let seq = 0;
const prompt = () => `bench prompt ${process.pid} ${seq++}`;

interface OpenAIAnswer {
  choices: { message: { content: string | null } }[];
}
interface OpenAIChunk {
  choices: { delta?: { content?: string } }[];
}

/** The client every llm-actors contender uses: the bench upstream in OpenAI's wire format. */
export function benchClient(url: string, concurrency: number): ClientConfig {
  return {
    provider: 'openai',
    baseUrl: `${url}/v1`,
    model: 'bench-model',
    maxConcurrency: concurrency,
    maxQueue: 1_000_000,
  };
}

function rawPool(url: string, concurrency: number): Pool {
  return new Pool(url, { connections: concurrency, pipelining: 1 });
}

/** One raw chat completion POST with a fresh prompt, streamed or not. */
function rawPost(pool: Pool, stream: boolean) {
  const body: Record<string, unknown> = {
    model: 'bench-model',
    messages: [{ role: 'user', content: prompt() }],
    temperature: 0,
  };
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The raw non-streamed call (see the module comment). */
export async function rawCall(pool: Pool): Promise<string> {
  const res = await rawPost(pool, false);
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  return (JSON.parse(text) as OpenAIAnswer).choices[0]!.message.content ?? '';
}

/** The raw streamed call (see the module comment). */
async function rawSseCall(pool: Pool): Promise<string> {
  const res = await rawPost(pool, true);
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`status ${res.statusCode}`);
  }
  res.body.setEncoding('utf8');
  let buffered = '';
  let text = '';
  return new Promise((resolve, reject) => {
    res.body.on('data', (part: string) => {
      buffered += part;
      let end: number;
      while ((end = buffered.indexOf('\n\n')) !== -1) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (!event.startsWith('data: ')) continue;
        const data = event.slice(6);
        if (data === '[DONE]') continue;
        const delta = (JSON.parse(data) as OpenAIChunk).choices[0]?.delta?.content;
        if (delta) text += delta;
      }
    });
    res.body.on('end', () => resolve(text));
    res.body.on('error', reject);
  });
}

async function runtimeWith(
  url: string,
  concurrency: number,
  cache?: ClientConfig['cache'],
): Promise<Runtime> {
  const client = benchClient(url, concurrency);
  return createRuntime({
    clients: { bench: cache === undefined ? client : { ...client, cache } },
    logger: false,
  });
}

/** Hits of one repeated prompt on a client with `cache`. */
async function hitsOn(
  url: string,
  concurrency: number,
  cache?: ClientConfig['cache'],
): Promise<Ready> {
  const runtime = await runtimeWith(url, concurrency, cache);
  const same = [{ role: 'user' as const, content: 'the same prompt' }];
  await runtime.request('bench', same, { temperature: 0 });
  return {
    call: async () => (await runtime.request('bench', same, { temperature: 0 })).text,
    close: () => runtime.stop(),
  };
}

/** A fresh SQLite file for this process, removed with its directory when the process exits. */
function sqlitePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'llm-actors-bench-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'cache.sqlite');
}

/** The contenders by key: what each sets up in its process. */
export const contenders: Record<string, (url: string, concurrency: number) => Promise<Ready>> = {
  /** The measuring loop alone: what a call that does nothing costs. */
  noop: async () => ({ call: () => Promise.resolve(), close: async () => {} }),

  raw: async (url, concurrency) => {
    const pool = rawPool(url, concurrency);
    return { call: () => rawCall(pool), close: () => pool.close() };
  },

  'raw-sse': async (url, concurrency) => {
    const pool = rawPool(url, concurrency);
    return { call: () => rawSseCall(pool), close: () => pool.close() };
  },

  /** The miss path: a new prompt each call (cache lookup, upstream call, cache write). */
  miss: async (url, concurrency) => {
    const runtime = await runtimeWith(url, concurrency);
    return {
      call: async () =>
        (await runtime.request('bench', [{ role: 'user', content: prompt() }], { temperature: 0 }))
          .text,
      close: () => runtime.stop(),
    };
  },

  /** The miss path without a cache (`cache: false` on the client). */
  'miss-nocache': async (url, concurrency) => {
    const runtime = await runtimeWith(url, concurrency, false);
    return {
      call: async () =>
        (await runtime.request('bench', [{ role: 'user', content: prompt() }], { temperature: 0 }))
          .text,
      close: () => runtime.stop(),
    };
  },

  /** The miss path through a group whose one member is the client (what a group costs). */
  'miss-group': async (url, concurrency) => {
    const runtime = await createRuntime({
      clients: { bench: benchClient(url, concurrency) },
      groups: { solo: { members: ['bench'] } },
      logger: false,
    });
    return {
      call: async () =>
        (await runtime.request('solo', [{ role: 'user', content: prompt() }], { temperature: 0 }))
          .text,
      close: () => runtime.stop(),
    };
  },

  /** A streamed miss, every chunk consumed. */
  stream: async (url, concurrency) => {
    const runtime = await runtimeWith(url, concurrency);
    return {
      call: async () => {
        const s = runtime.stream('bench', [{ role: 'user', content: prompt() }], {
          temperature: 0,
        });
        let text = '';
        for await (const chunk of s) text += chunk.text;
        await s.completion;
        return text;
      },
      close: () => runtime.stop(),
    };
  },

  /** Memory-cache hits: one repeated prompt. */
  hit: (url, concurrency) => hitsOn(url, concurrency),

  /** SQLite-cache hits, answered from the in-memory front. */
  'hit-sqlite': (url, concurrency) =>
    hitsOn(url, concurrency, { store: 'sqlite', path: sqlitePath() }),

  /** SQLite-cache hits read from the file each time (no front). */
  'hit-sqlite-nofront': (url, concurrency) =>
    hitsOn(url, concurrency, { store: 'sqlite', path: sqlitePath(), frontEntries: 0 }),

  /** The official openai SDK (its own fetch), for reference. */
  sdk: async (url) => {
    const sdk = new OpenAI({ apiKey: 'bench', baseURL: `${url}/v1`, maxRetries: 0 });
    return {
      call: async () =>
        (
          await sdk.chat.completions.create({
            model: 'bench-model',
            messages: [{ role: 'user', content: prompt() }],
            temperature: 0,
          })
        ).choices[0]!.message.content,
      close: async () => {},
    };
  },
};
