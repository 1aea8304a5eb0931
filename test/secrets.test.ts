/**
 * A sentinel API key sent through every path of every provider — success, cache hit, stream,
 * 401, an error body that echoes the key, a timeout, a crash — must never come back out: not in
 * a log line, an error (message, body, toJSON, cause), health, history, the SQLite cache file or
 * its keys. The key is given as `apiKey`, as an `authorization: Bearer` header and as an
 * `x-api-key` header.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import KeyvSqlite from '@keyv/sqlite';
import { pino } from 'pino';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  isLlmActorsError,
  type ChatMessage,
  type ClientConfig,
  type CompletionStream,
  type DriverClientConfig,
  type DriverRequest,
  type LlmActorsError,
  type Runtime,
} from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

const KEY = `sk-SENTINEL-${randomBytes(16).toString('hex')}`;
/** The first 12 characters: a cut key must not leak its head either. */
const HEAD = KEY.slice(0, 12);
/** The key of the server that answers 401 to ours. */
const OTHER_KEY = `other-${randomBytes(8).toString('hex')}`;

/** True when `text` holds the key or its head. */
function leaks(text: unknown): boolean {
  return typeof text === 'string' && (text.includes(KEY) || text.includes(HEAD));
}

type Mode = 'apiKey' | 'authorization header' | 'x-api-key header';
type Provider = 'openai' | 'anthropic' | 'ollama' | 'driver';

const MODES: Mode[] = ['apiKey', 'authorization header', 'x-api-key header'];

function credentials(mode: Mode): Pick<ClientConfig, 'apiKey' | 'headers'> {
  switch (mode) {
    case 'apiKey':
      return { apiKey: KEY };
    case 'authorization header':
      return { headers: { authorization: `Bearer ${KEY}` } };
    case 'x-api-key header':
      return { headers: { 'x-api-key': KEY } };
  }
}

/** Whether the testing server's route for `provider` accepts the key given this way. */
function accepted(provider: Provider, mode: Mode): boolean {
  return provider === 'anthropic' || mode !== 'x-api-key header';
}

/** A pino logger at `trace` whose raw lines land in `lines`. */
function logSink(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}

/** The strings of an error that a caller may print, log or send on. */
function errorTexts(error: LlmActorsError): Record<string, unknown> {
  const cause = error.cause as { message?: unknown; stack?: unknown } | undefined;
  return {
    message: error.message,
    body: error.body,
    toJSON: JSON.stringify(error.toJSON()),
    'String(cause)': error.cause === undefined ? undefined : String(error.cause),
    'cause.message': cause?.message,
    'cause.stack': cause?.stack,
  };
}

/** The fields of `error` that hold the key, as `field` names (empty when clean). */
function leakingFields(error: LlmActorsError): string[] {
  return Object.entries(errorTexts(error))
    .filter(([, text]) => leaks(text))
    .map(([field]) => `${error.code} ${field}`);
}

/** Every string reachable from `value` through own properties, non-enumerable ones included. */
function deepLeaks(value: unknown, path = 'error', seen = new Set<object>()): string[] {
  if (typeof value === 'string') return leaks(value) ? [path] : [];
  if (typeof value !== 'object' || value === null || seen.has(value)) return [];
  seen.add(value);
  const found: string[] = [];
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key === 'symbol') continue;
    const next = (value as Record<string, unknown>)[key];
    found.push(...deepLeaks(next, `${path}.${key}`, seen));
  }
  return found;
}

/** Reads a stream to its end; returns the text, or the errors of the iterator and `completion`. */
async function drain(
  s: CompletionStream,
): Promise<{ text: string; errors: LlmActorsError[]; cacheHit?: boolean }> {
  let text = '';
  const errors: LlmActorsError[] = [];
  try {
    for await (const chunk of s) text += chunk.text;
  } catch (e) {
    if (!isLlmActorsError(e)) throw e;
    errors.push(e);
  }
  try {
    const completion = await s.completion;
    return { text, errors, cacheHit: completion.cacheHit };
  } catch (e) {
    if (!isLlmActorsError(e)) throw e;
    errors.push(e);
  }
  expect(errors).toHaveLength(2);
  expect(errors[0]).toBe(errors[1]);
  return { text, errors };
}

const say = (content: string): ChatMessage[] => [{ role: 'user', content }];

let strict: TestServer; // accepts our key
let open: TestServer; // accepts anything (for credentials a route does not read)
let wrong: TestServer; // wants another key: 401
let dir: string;

beforeEach(async () => {
  [strict, open, wrong] = await Promise.all([
    startTestServer({ apiKey: KEY }),
    startTestServer(),
    startTestServer({ apiKey: OTHER_KEY }),
  ]);
  dir = mkdtempSync(join(tmpdir(), 'llm-actors-secrets-'));
  hanging = 0;
});

const { start, stopAll } = runtimePerTest(async () => {
  await Promise.all([strict.close(), open.close(), wrong.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** What every test checks once the runtime has stopped. */
async function expectNoLeak(options: {
  rt: Runtime;
  lines: string[];
  errors: LlmActorsError[];
  path: string;
}): Promise<void> {
  const { rt, lines, errors, path } = options;
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.filter(leaks)).toEqual([]);
  expect(errors.flatMap(leakingFields)).toEqual([]);
  expect(leaks(JSON.stringify(rt.health()))).toBe(false);
  for (const name of rt.clients()) expect(leaks(JSON.stringify(rt.history(name)))).toBe(false);

  // The cache file and its write-ahead log, byte for byte.
  const files = [path, `${path}-wal`].filter((f) => existsSync(f));
  const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
  expect(bytes.includes('echo: hi')).toBe(true); // the answers are there: the check is not vacuous
  expect(bytes.includes(KEY)).toBe(false);
  expect(bytes.includes(HEAD)).toBe(false);

  // The cache keys: hashes in the client's namespace, nothing else.
  const store = new KeyvSqlite({ uri: `sqlite://${path}`, table: 'llm_actors_cache' });
  try {
    const rows = (await store.query('SELECT key FROM llm_actors_cache')) as Array<{ key: string }>;
    expect(rows.length).toBeGreaterThan(0);
    for (const { key } of rows) {
      expect(leaks(key)).toBe(false);
      expect(key).toMatch(/^llma-[0-9a-f]{16}:[0-9a-f]{64}$/);
    }
  } finally {
    await store.disconnect();
  }
}

/** Driver calls that are hanging now. */
let hanging = 0;

/** A driver backend steered by the first message's content. */
function driverBackend(req: DriverRequest): Promise<{ text: string }> | { text: string } {
  const what = req.messages[0]!.content;
  switch (what) {
    case 'bad key':
      throw Object.assign(new Error(`401 Unauthorized: bad key ${KEY}`), { status: 401 });
    case 'string':
      throw `the backend refused key ${KEY}`;
    case 'network':
      throw Object.assign(new Error(`socket hang up while sending ${KEY}`), { code: 'ECONNRESET' });
    case 'server error':
      throw Object.assign(new Error(`upstream 500 for key=${KEY}`), { status: 500 });
    case 'hang':
      hanging++;
      return new Promise((_, reject) => {
        req.signal.addEventListener(
          'abort',
          () => {
            hanging--;
            reject(new Error(`aborted the call made with ${KEY}`));
          },
          { once: true },
        );
      });
    default:
      return { text: `echo: ${what}` };
  }
}

function driverClient(mode: Mode): DriverClientConfig<{ text: string }> {
  return {
    provider: 'driver',
    model: 'test-model',
    ...credentials(mode),
    request: driverBackend,
    output: (raw: { text: string }) => {
      if (raw.text === 'echo: bad output') throw new Error(`cannot parse answer for ${KEY}`);
      return { text: raw.text, usage: { promptTokens: 1, completionTokens: 2 } };
    },
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    fuse: { maxFailures: 100 },
  };
}

function httpClient(provider: Exclude<Provider, 'driver'>, server: TestServer, mode: Mode) {
  return {
    provider,
    baseUrl: provider === 'openai' ? server.url : server.origin,
    model: 'test-model',
    ...credentials(mode),
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    fuse: { maxFailures: 100 },
  } as ClientConfig;
}

/** Starts a request, waits until `server` holds it (a hang fault), kills the client. */
async function killMidRequest(
  rt: Runtime,
  server: TestServer,
  start: () => Promise<LlmActorsError[]>,
): Promise<LlmActorsError[]> {
  server.inject({ kind: 'hang' }, { times: 1 });
  const arrived = server.waitForRequests(server.requests + 1);
  const pending = start();
  await arrived;
  rt.kill('main');
  return pending;
}

describe.each(MODES)('a key given as %s', (mode) => {
  it.each(['openai', 'anthropic', 'ollama'] as const)(
    'never comes back out of the %s client: logs, errors, health, history, cache file, cache keys',
    async (provider) => {
      const server = accepted(provider, mode) ? strict : open;
      const { logger, lines } = logSink();
      const path = join(dir, 'cache.sqlite');
      const rt = await start({
        clients: {
          main: httpClient(provider, server, mode),
          denied: httpClient(provider, wrong, mode),
        },
        cache: { store: 'sqlite', path },
        supervisor: { maxRestarts: 10 },
        logger,
      });
      const errors: LlmActorsError[] = [];
      const fail = async (p: Promise<unknown>) => {
        const e = await failure(p);
        errors.push(e);
        return e;
      };
      const failStream = async (s: CompletionStream) => {
        const { errors: errs } = await drain(s);
        expect(errs).toHaveLength(2);
        errors.push(...errs);
        return errs[0]!;
      };

      // Success, then a cache hit, then a stream; the key really went on the wire.
      await expect(rt.request('main', say('hi'))).resolves.toMatchObject({
        text: 'echo: hi',
        cacheHit: false,
      });
      const sent = Object.values(server.lastRequest()!.headers);
      expect(sent.some((v) => v === KEY || v === `Bearer ${KEY}`)).toBe(true);
      await expect(rt.request('main', say('hi'))).resolves.toMatchObject({ cacheHit: true });
      await expect(drain(rt.stream('main', say('stream me')))).resolves.toMatchObject({
        text: 'echo: stream me',
        errors: [],
      });

      // 401: the other server wants another key.
      expect(await fail(rt.request('denied', say('hi')))).toMatchObject({
        code: 'PROVIDER_ERROR',
        status: 401,
      });
      expect(await failStream(rt.stream('denied', say('hi')))).toMatchObject({ status: 401 });

      // An error body that echoes the key, for a request and for a stream.
      const echo = JSON.stringify({ error: { message: `bad key ${KEY}` } });
      server.inject({ kind: 'status', status: 400, body: echo }, { times: 2 });
      const echoed = await fail(rt.request('main', say('echo 400')));
      expect(echoed).toMatchObject({ code: 'PROVIDER_ERROR', status: 400 });
      expect(echoed.message).toContain('bad key [REDACTED]');
      expect(await failStream(rt.stream('main', say('echo 400 stream')))).toMatchObject({
        status: 400,
      });

      // The key straddling the 500-character cut of the body excerpt.
      const long = JSON.stringify({ error: { message: `${'x'.repeat(470)}${KEY}` } });
      server.inject({ kind: 'status', status: 400, body: long }, { times: 1 });
      expect((await fail(rt.request('main', say('long body')))).body).toHaveLength(500);

      // The route's own 500 shape carrying the key (retried once, then surfaced).
      server.setReply(() => {
        throw new Error(`bad key ${KEY}`);
      });
      expect(await fail(rt.request('main', say('echo 500')))).toMatchObject({ status: 500 });
      expect(await failStream(rt.stream('main', say('echo 500 stream')))).toMatchObject({
        status: 500,
      });
      server.setReply(undefined);

      // A hang that times out.
      server.inject({ kind: 'hang' }, { times: 2 });
      expect(await fail(rt.request('main', say('hang'), { timeoutMs: 150 }))).toMatchObject({
        code: 'TIMEOUT',
      });
      expect(
        await failStream(rt.stream('main', say('hang stream'), { timeoutMs: 150 })),
      ).toMatchObject({ code: 'TIMEOUT' });

      // A crash while the request is upstream.
      const crashed = await killMidRequest(rt, server, async () => [
        await fail(rt.request('main', say('crash'))),
      ]);
      const crashedStream = await killMidRequest(rt, server, async () => [
        await failStream(rt.stream('main', say('crash stream'))),
      ]);
      expect([...crashed, ...crashedStream].map((e) => e.code)).toEqual([
        'CLIENT_RESTARTED',
        'CLIENT_RESTARTED',
      ]);
      await expect(rt.request('main', say('hi'))).resolves.toMatchObject({ text: 'echo: hi' });
      expect(rt.health('main').restarts).toBe(2);

      await rt.stop();
      await expectNoLeak({ rt, lines, errors, path });
    },
  );

  it('never comes back out of a driver client whose backend throws errors holding it', async () => {
    const { logger, lines } = logSink();
    const path = join(dir, 'cache.sqlite');
    const rt = await start({
      clients: { main: driverClient(mode) },
      cache: { store: 'sqlite', path },
      supervisor: { maxRestarts: 10 },
      logger,
    });
    const errors: LlmActorsError[] = [];
    const outcomes: Record<string, string> = {};
    for (const what of ['bad key', 'string', 'network', 'server error', 'bad output']) {
      const e = await failure(rt.request('main', say(what)));
      const { errors: streamed } = await drain(rt.stream('main', say(what)));
      errors.push(e, ...streamed);
      expect(streamed[0]!.code).toBe(e.code);
      expect(e.message).toContain('[REDACTED]');
      outcomes[what] = e.code;
    }
    expect(outcomes).toEqual({
      'bad key': 'PROVIDER_ERROR',
      string: 'PROVIDER_ERROR',
      network: 'NETWORK_ERROR',
      'server error': 'PROVIDER_ERROR',
      'bad output': 'BAD_RESPONSE',
    });

    await expect(rt.request('main', say('hi'))).resolves.toMatchObject({ text: 'echo: hi' });
    await expect(rt.request('main', say('hi'))).resolves.toMatchObject({ cacheHit: true });
    await expect(drain(rt.stream('main', say('stream me')))).resolves.toMatchObject({
      text: 'echo: stream me',
    });

    const timedOut = await failure(rt.request('main', say('hang'), { timeoutMs: 150 }));
    const timedOutStream = await drain(rt.stream('main', say('hang'), { timeoutMs: 150 }));
    errors.push(timedOut, ...timedOutStream.errors);
    expect([timedOut.code, timedOutStream.errors[0]!.code]).toEqual(['TIMEOUT', 'TIMEOUT']);

    const pending = failure(rt.request('main', say('hang')));
    const pendingStream = drain(rt.stream('main', say('hang')));
    await vi.waitFor(() => expect(hanging).toBe(2));
    rt.kill('main');
    const killed = await pending;
    const killedStream = await pendingStream;
    errors.push(killed, ...killedStream.errors);
    expect([killed.code, killedStream.errors[0]!.code]).toEqual([
      'CLIENT_RESTARTED',
      'CLIENT_RESTARTED',
    ]);
    await expect(rt.request('main', say('hi'))).resolves.toMatchObject({ text: 'echo: hi' });

    await rt.stop();
    await expectNoLeak({ rt, lines, errors, path });
  });
});

describe('the cache key', () => {
  it('does not depend on the key: another key reads the same cached answer', async () => {
    const path = join(dir, 'cache.sqlite');
    const config = (apiKey: string): ClientConfig => ({
      provider: 'openai',
      baseUrl: strict.url,
      model: 'test-model',
      apiKey,
    });
    const first = await start({
      clients: { main: config(KEY) },
      cache: { store: 'sqlite', path },
    });
    await expect(first.request('main', say('hi'))).resolves.toMatchObject({ cacheHit: false });
    await first.stop();
    const second = await start({
      clients: { main: config(OTHER_KEY) },
      cache: { store: 'sqlite', path },
    });
    await expect(second.request('main', say('hi'))).resolves.toMatchObject({
      text: 'echo: hi',
      cacheHit: true,
    });
    expect(strict.requests).toBe(1);
  });
});

describe('secrets in the places a scrubber can miss', () => {
  it.each(['openai', 'anthropic', 'ollama'] as const)(
    'scrubs a key that the 200-character cut of the %s upstream error message splits',
    async (provider) => {
      const runtime = await start({
        clients: { main: httpClient(provider, strict, 'apiKey') },
      });
      // The key starts at character 185 of the upstream message; the message is cut at 200.
      const body = JSON.stringify({ error: { message: `${'x'.repeat(185)}${KEY}` } });
      strict.inject({ kind: 'status', status: 400, body }, { times: 1 });
      const e = await failure(runtime.request('main', say('hi')));
      expect(e).toMatchObject({ code: 'PROVIDER_ERROR', status: 400 });
      expect(leakingFields(e)).toEqual([]);
      expect(leaks(JSON.stringify(runtime.health('main').lastError))).toBe(false);
      expect(leaks(JSON.stringify(runtime.history('main')))).toBe(false);
    },
  );

  it.each(['openai', 'anthropic', 'ollama'] as const)(
    'scrubs a key echoed in the in-stream error event of a %s stream',
    async (provider) => {
      // The testing server's stream_error event is fixed: a tiny server sends one that echoes.
      const events = {
        openai: `data: ${JSON.stringify({ error: { message: `bad key ${KEY}` } })}\n\n`,
        anthropic: `event: error\ndata: ${JSON.stringify({
          type: 'error',
          error: { type: 'authentication_error', message: `bad key ${KEY}` },
        })}\n\n`,
        ollama: `${JSON.stringify({ error: `bad key ${KEY}` })}\n`,
      };
      const echo = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, {
            'content-type': provider === 'ollama' ? 'application/x-ndjson' : 'text/event-stream',
          });
          res.end(events[provider]);
        });
      });
      await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
      try {
        const origin = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
        const runtime = await start({
          clients: {
            main: {
              provider,
              baseUrl: provider === 'openai' ? `${origin}/v1` : origin,
              model: 'test-model',
              apiKey: KEY,
              retry: false,
            },
          },
        });
        const { errors } = await drain(runtime.stream('main', say('hi')));
        expect(errors[0]!.code).toBe('PROVIDER_ERROR');
        expect(errors.flatMap(leakingFields)).toEqual([]);
        expect(leaks(JSON.stringify(runtime.health('main').lastError))).toBe(false);
        expect(leaks(JSON.stringify(runtime.history('main')))).toBe(false);
      } finally {
        await stopAll();
        echo.closeAllConnections();
        await new Promise((resolve) => echo.close(resolve));
      }
    },
  );

  it('keeps the key out of the cause when a driver backend throws a plain object', async () => {
    const runtime = await start({
      clients: {
        main: {
          ...driverClient('apiKey'),
          retry: false,
          request: () => {
            throw { message: `401: bad key ${KEY}`, status: 401 };
          },
        },
      },
    });
    const e = await failure(runtime.request('main', say('hi')));
    expect(e).toMatchObject({ code: 'PROVIDER_ERROR', status: 401 });
    expect(e.message).toContain('[REDACTED]');
    expect(leakingFields(e)).toEqual([]);
  });

  it.each([
    [
      'an axios-style error whose config carries the Authorization header',
      () =>
        Object.assign(new Error('Request failed with status code 401'), {
          status: 401,
          config: { headers: { Authorization: `Bearer ${KEY}` } },
        }),
    ],
    [
      'an error whose own cause holds the key',
      () => new Error('fetch failed', { cause: new Error(`bad key ${KEY}`) }),
    ],
  ])('keeps the key out of every part of the cause of %s', async (_, thrown) => {
    const runtime = await start({
      clients: {
        main: {
          ...driverClient('apiKey'),
          retry: false,
          request: () => {
            throw thrown();
          },
        },
      },
    });
    const e = await failure(runtime.request('main', say('hi')));
    expect(e.code).toBe('PROVIDER_ERROR');
    expect(deepLeaks(e)).toEqual([]);
  });
});
