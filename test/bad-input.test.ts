/**
 * A corpus of bad input through the public API only: malformed configs (INVALID_CONFIG naming
 * the field and the problem), malformed requests through `request` and `stream` (INVALID_REQUEST
 * naming the field), unknown client names (UNKNOWN_CLIENT) and a 10 MB message. Afterwards every
 * client still runs, was never restarted, Object.prototype is untouched and the health counters
 * add up. The config and request tables are in support/bad-input-fixtures.ts, which the tests of
 * the config resolver and the request validators read too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRuntime,
  isLlmActorsError,
  type ClientConfig,
  type CompletionStream,
  type LlmActorsError,
  type Runtime,
  type RuntimeConfig,
} from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import {
  CONFIG_CASES,
  MESSAGE_CASES,
  OPTION_CASES,
  cycle,
  driverFns,
  http,
  json,
  one,
  reasonFor,
} from './support/bad-input-fixtures.js';
import { testDriver, type TestDriver } from './support/driver.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();
/** Keys the corpus tries to plant on Object.prototype. */
const PLANTED = ['polluted', 'provider', 'model', 'temperature', 'clients', 'isAdmin'];

const hi = [{ role: 'user', content: 'hi' }];

/** What an answer says about a long message (the echo of 10 MB would be 10 MB). */
function describeLast(content: string): string {
  return content.length > 1000 ? `${content.length} characters` : `echo: ${content}`;
}

/** The INVALID_CONFIG error of `createRuntime(config)` (a runtime that starts anyway is stopped). */
async function configError(config: unknown): Promise<LlmActorsError> {
  let runtime: Runtime | undefined;
  try {
    runtime = await createRuntime(config as RuntimeConfig);
  } catch (e) {
    expect(isLlmActorsError(e, 'INVALID_CONFIG')).toBe(true);
    expect((e as LlmActorsError).retryable).toBe(false);
    return e as LlmActorsError;
  } finally {
    await runtime?.stop({ timeoutMs: 0 });
  }
  throw new Error('expected createRuntime to reject with INVALID_CONFIG');
}

describe('createRuntime: a malformed config is INVALID_CONFIG naming the field and the problem', () => {
  it.each(CONFIG_CASES)('rejects %s', async (_, config, path, reason) => {
    const error = await configError(config);
    expect(reasonFor(error.message, path)).toMatch(reason);
  });

  it('reports every problem of a config at once, one path: reason each', async () => {
    const error = await configError({
      clients: {
        a: { ...http, timeoutMs: 0, maxConcurency: 2 },
        ok: http,
        b: { provider: 'gemini', model: '' },
        d: { ...driverFns, request: 'fetch' },
      },
      supervisor: { periodMs: -1 },
    });
    // Only the bad fields: client ok is not mentioned.
    expect(error.message.split('; ').sort()).toEqual(
      [
        'supervisor.periodMs: Too small: expected number to be >=1',
        'clients.a.timeoutMs: Too small: expected number to be >=1',
        'clients.a.maxConcurency: unknown key',
        'clients.b.provider: expected one of openai, anthropic, ollama, driver',
        'clients.b.model: must not be empty',
        'clients.d.request: expected a function (the driver request function)',
      ].sort(),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Requests, through one shared runtime; the last test checks what the corpus left behind.
// ---------------------------------------------------------------------------------------------

const UNKNOWN_NAMES: unknown[] = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '',
  'D',
  ' d',
  'd ',
  'd\u0000',
  undefined,
  null,
  42,
  {},
];

describe('the request corpus, through request and stream of one runtime', () => {
  let server: TestServer;
  let runtime: Runtime;
  let driver: TestDriver;
  /** INVALID_REQUEST refusals made per client, which health must count as `rejected`. */
  const refused: Record<string, number> = { d: 0, o: 0 };

  beforeAll(async () => {
    server = await startTestServer({
      reply: (req) => describeLast((req.messages.at(-1)?.content ?? '') as string),
    });
    driver = testDriver((req) => ({
      text: describeLast((req.messages.at(-1)?.content ?? '') as string),
    }));
    runtime = await createRuntime({
      clients: {
        d: driver.config,
        o: { provider: 'openai', baseUrl: server.url, model: 'test-model' },
      },
      logger: false,
    });
  });

  afterAll(async () => {
    await runtime?.stop({ timeoutMs: 0 });
    await server?.close();
  });

  /** Reads a stream to its end, rethrowing what ended it. */
  async function read(s: CompletionStream): Promise<string> {
    let text = '';
    for await (const chunk of s) text += chunk.text;
    return text;
  }

  /** Both entry points refuse: request, and stream through its iterator and its completion. */
  async function expectRefused(
    client: 'd' | 'o',
    messages: unknown,
    options: unknown,
    field: string,
    reason: RegExp,
  ): Promise<void> {
    const upstream = { calls: driver.calls.length, requests: server.requests };
    const m = messages as never;
    const o = options as never;
    const viaRequest = await failure(runtime.request(client, m, o));
    const s = runtime.stream(client, m, o);
    const viaIterator = await failure(read(s));
    const viaCompletion = await failure(s.completion);
    expect(viaIterator).toBe(viaCompletion);
    for (const error of [viaRequest, viaCompletion]) {
      expect(error).toMatchObject({ code: 'INVALID_REQUEST', client, retryable: false });
      expect(error.message.startsWith(`${field}: `), error.message).toBe(true);
      expect(error.message.slice(field.length + 2)).toMatch(reason);
    }
    refused[client]! += 2;
    expect({ calls: driver.calls.length, requests: server.requests }).toEqual(upstream);
  }

  describe.each(['d', 'o'] as const)('client %s', (client) => {
    it.each(MESSAGE_CASES)(
      'refuses %s with INVALID_REQUEST naming the field',
      async (_, messages, field, reason) => {
        await expectRefused(client, messages, undefined, field, reason);
      },
    );

    it.each(OPTION_CASES)(
      'refuses %s with INVALID_REQUEST naming the field',
      async (_, options, field, reason) => {
        await expectRefused(client, hi, options, field, reason);
      },
    );
  });

  it.each(UNKNOWN_NAMES)(
    'answers UNKNOWN_CLIENT for the name %j from every method, before looking at the input',
    async (name) => {
      const n = name as string;
      const expectUnknown = (error: LlmActorsError) => {
        expect(error.code).toBe('UNKNOWN_CLIENT');
        expect(error.retryable).toBe(false);
        expect(error.message).toMatch(/no client named .* is registered/);
      };
      const sync = (fn: () => unknown): LlmActorsError => {
        try {
          fn();
        } catch (e) {
          if (isLlmActorsError(e)) return e;
          throw e;
        }
        throw new Error('expected UNKNOWN_CLIENT, nothing was thrown');
      };
      expectUnknown(await failure(runtime.request(n, hi as never)));
      expectUnknown(await failure(runtime.request(n, null as never, 'bad' as never)));
      const s = runtime.stream(n, hi as never);
      expectUnknown(await failure(read(s)));
      expectUnknown(await failure(s.completion));
      // health() without a name is the map of every client; any other name is looked up.
      if (name !== undefined) expectUnknown(sync(() => runtime.health(n)));
      expectUnknown(sync(() => runtime.history(n)));
      expectUnknown(sync(() => runtime.kill(n)));
      expectUnknown(await failure(runtime.clearCache(n)));
      expectUnknown(await failure(runtime.restart(n)));
      expectUnknown(await failure(runtime.unregister(n)));
      expect(runtime.clients()).toEqual(['d', 'o']);
    },
  );

  it.each<[string, unknown, string, RegExp]>([
    ['the name of a running client', 'd', 'clients.d', /already registered/],
    ['the name __proto__', '__proto__', 'clients.__proto__', /reserved/],
    ['the name constructor', 'constructor', 'clients.constructor', /reserved/],
    ['the name prototype', 'prototype', 'clients.prototype', /reserved/],
    ['an empty name', '', 'client name', /non-empty string/],
    ['a name that is not a string', 42, 'client name', /non-empty string/],
    ['a name of 129 characters', 'n'.repeat(129), 'client name', /at most 128/],
    ['a name with a slash first', '/d', 'clients."/d"', /starts with a letter or digit/],
  ])('register refuses %s with INVALID_CONFIG', async (_, name, path, reason) => {
    const error = await failure(runtime.register(name as string, driverFns as ClientConfig));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(reasonFor(error.message, path)).toMatch(reason);
    expect(runtime.clients()).toEqual(['d', 'o']);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a string', 'openai', 'clients.fresh', /expected an object/],
    ['an array', [driverFns], 'clients.fresh', /expected an object/],
    ['null', null, 'clients.fresh', /expected an object/],
    ['a numeric model', { ...http, model: 7 }, 'clients.fresh.model', /model name/],
    [
      'a driver whose request is a string',
      { ...driverFns, request: 'fetch' },
      'clients.fresh.request',
      /function/,
    ],
    ['a misspelt key', { ...http, timeotuMs: 5 }, 'clients.fresh.timeotuMs', /unknown key/],
    [
      'a __proto__ header',
      { ...http, headers: json('{"__proto__":{"polluted":"yes"}}') },
      'clients.fresh.headers.__proto__',
      /must not use/,
    ],
  ])(
    'register refuses a config that is %s, and nothing stays registered',
    async (_, config, path, reason) => {
      const error = await failure(runtime.register('fresh', config as ClientConfig));
      expect(error).toMatchObject({ code: 'INVALID_CONFIG', client: 'fresh' });
      expect(reasonFor(error.message, path)).toMatch(reason);
      expect(runtime.clients()).toEqual(['d', 'o']);
      expectUnknownName(runtime, 'fresh');
    },
  );

  it.each([-1, 1.5, NaN, Infinity, '10'])(
    'stop({ timeoutMs: %j }) rejects with INVALID_REQUEST and leaves the runtime answering',
    async (timeoutMs) => {
      const error = await failure(runtime.stop({ timeoutMs: timeoutMs as number }));
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.message).toMatch(/timeoutMs/);
      await expect(runtime.request('d', hi as never)).resolves.toMatchObject({ text: 'echo: hi' });
    },
  );

  it('answers history with odd counts without throwing', () => {
    const all = runtime.history('d');
    expect(runtime.history('d', -1)).toEqual([]);
    expect(runtime.history('d', 0)).toEqual([]);
    expect(runtime.history('d', Infinity)).toEqual(all);
  });

  it.each(['d', 'o'] as const)(
    'takes a 10 MB message to client %s without crashing: an answer or a typed error, then answers again',
    async (client) => {
      const huge = [{ role: 'user' as const, content: 'x'.repeat(10 * 1024 * 1024) }];
      const settle = async (p: Promise<unknown>) => {
        try {
          return { ok: await p };
        } catch (error) {
          return { error };
        }
      };
      const outcomes = [
        await settle(runtime.request(client, huge, { timeoutMs: 15_000 })),
        await settle(read(runtime.stream(client, huge, { timeoutMs: 15_000, cache: false }))),
      ];
      for (const outcome of outcomes) {
        if ('error' in outcome) expect(isLlmActorsError(outcome.error)).toBe(true);
        else expect(JSON.stringify(outcome.ok)).toContain(`${10 * 1024 * 1024} characters`);
      }
      await expect(
        runtime.request(client, [{ role: 'user', content: 'after' }]),
      ).resolves.toMatchObject({ text: 'echo: after' });
      expect(runtime.health(client)).toMatchObject({ status: 'running', restarts: 0 });
    },
  );

  it('leaves every client running and unrestarted, Object.prototype clean and the counters adding up', () => {
    expect(runtime.clients()).toEqual(['d', 'o']);
    for (const name of runtime.clients()) {
      const health = runtime.health(name);
      expect(health).toMatchObject({ status: 'running', restarts: 0, fuse: { state: 'closed' } });
      const { total, succeeded, failed, rejected } = health.requests;
      expect(total).toBe(succeeded + failed + rejected);
      expect(rejected).toBe(refused[name]);
      expect(refused[name]).toBeGreaterThan(100);
      // Refusals never reach the actor, so they are not in its history.
      expect(runtime.history(name).filter((h) => h.error?.code === 'INVALID_REQUEST')).toEqual([]);
    }
    const probe = {} as Record<string, unknown>;
    for (const key of PLANTED) expect(probe[key], key).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS);
    expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
  });
});

function expectUnknownName(runtime: Runtime, name: string): void {
  try {
    runtime.health(name);
  } catch (e) {
    expect(isLlmActorsError(e, 'UNKNOWN_CLIENT')).toBe(true);
    return;
  }
  throw new Error(`expected ${name} to be unknown`);
}

describe('bad input that once got through', () => {
  const runtimes = runtimePerTest();
  const start = (clients: Record<string, ClientConfig>) => runtimes.start({ clients });

  it.each([[[]], [['x']]])(
    'stream refuses options given as the array %j exactly as request does',
    async (options) => {
      const runtime = await start({ d: testDriver().config });
      const o = options as never;
      const viaRequest = await failure(runtime.request('d', hi as never, o));
      expect(viaRequest.message).toBe('options: expected an object, got an array');
      const viaStream = await failure(runtime.stream('d', hi as never, o).completion);
      expect(viaStream).toMatchObject({ code: 'INVALID_REQUEST', message: viaRequest.message });
    },
  );

  it.each([
    ['a BigInt', { role: 'user', content: 'hi', meta: 10n }],
    ['a cycle', { role: 'user', content: 'hi', meta: cycle }],
  ])(
    'refuses a message carrying %s in another property as INVALID_REQUEST instead of crashing the client',
    async (_, message) => {
      const runtime = await start({ d: testDriver().config });
      const error = await failure(runtime.request('d', [message] as never));
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.message).toMatch(/^messages\[0\]/);
      // A later request waits out any restart, so the counter below is final.
      await runtime.request('d', hi as never);
      expect(runtime.health('d')).toMatchObject({ status: 'running', restarts: 0 });
    },
  );

  it.each([
    ['a stream key', { stream: true }],
    ['a BigInt', { seed: 10n }],
    ['a cycle', { nested: cycle }],
  ])('rejects defaults.extra holding %s, which no request may carry', async (_, extra) => {
    const error = await configError(one({ defaults: { extra } }));
    expect(error.message).toMatch(/^clients\.c\.defaults\.extra/);
  });

  it.each([
    ['a Map', new Map([['seed', 1]])],
    ['a Date', new Date(0)],
  ])('refuses an extra that is %s, not a plain object', async (_, extra) => {
    const runtime = await start({ d: testDriver().config });
    const error = await failure(runtime.request('d', hi as never, { extra: extra as never }));
    expect(error).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(error.message).toMatch(/^options\.extra: /);
  });
});
