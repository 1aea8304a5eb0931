/**
 * A corpus of bad input through the public API only: malformed configs (INVALID_CONFIG naming
 * the field and the problem), malformed requests through `request` and `stream` (INVALID_REQUEST
 * naming the field), unknown client names (UNKNOWN_CLIENT) and a 10 MB message. Afterwards every
 * client still runs, was never restarted, Object.prototype is untouched and the health counters
 * add up.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
import { testDriver, type TestDriver } from './support/driver.js';
import { failure } from './support/failure.js';

const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();
/** Keys the corpus tries to plant on Object.prototype. */
const PLANTED = ['polluted', 'provider', 'model', 'temperature', 'clients', 'isAdmin'];

const hi = [{ role: 'user', content: 'hi' }];

/** What an answer says about a long message (the echo of 10 MB would be 10 MB). */
function describeLast(content: string): string {
  return content.length > 1000 ? `${content.length} characters` : `echo: ${content}`;
}

// ---------------------------------------------------------------------------------------------
// Configs
// ---------------------------------------------------------------------------------------------

const http = { provider: 'openai', model: 'm', baseUrl: 'http://127.0.0.1:9' };
const driverFns = {
  provider: 'driver',
  model: 'm',
  request: () => ({ text: 'a' }),
  output: (raw: unknown) => ({ text: (raw as { text: string }).text }),
};
/** A runtime config with one client `c`: the openai base with `fields` over it. */
const one = (fields: Record<string, unknown>) => ({ clients: { c: { ...http, ...fields } } });
const json = (text: string): unknown => JSON.parse(text);

/** [what is wrong, config, the field path named, the reason given]. */
const CONFIG_CASES: Array<[string, unknown, string, RegExp]> = [
  // Not an object at all.
  ['a config that is a string', 'openai', 'config', /expected an object/],
  ['a config that is a number', 42, 'config', /expected an object/],
  ['a config that is null', null, 'config', /expected an object/],
  ['a config that is an array', [], 'config', /expected an object/],
  // Wrong types at every level.
  ['clients given as a string', { clients: 'c' }, 'clients', /expected record/],
  ['clients given as an array', { clients: [http] }, 'clients', /expected record.*array/],
  ['a client given as an array', { clients: { c: [http] } }, 'clients.c', /expected an object/],
  ['a client given as a string', { clients: { c: 'openai' } }, 'clients.c', /expected an object/],
  ['a client given as null', { clients: { c: null } }, 'clients.c', /expected an object/],
  ['an unknown provider', one({ provider: 'gemini' }), 'clients.c.provider', /expected one of/],
  ['a provider that is a number', one({ provider: 1 }), 'clients.c.provider', /expected one of/],
  [
    'a missing provider',
    { clients: { c: { model: 'm' } } },
    'clients.c.provider',
    /expected one of openai, anthropic, ollama, driver/,
  ],
  [
    'a missing model',
    { clients: { c: { provider: 'openai' } } },
    'clients.c.model',
    /expected a model name/,
  ],
  ['a model that is a number', one({ model: 5 }), 'clients.c.model', /expected a model name/],
  ['an empty model', one({ model: '' }), 'clients.c.model', /must not be empty/],
  ['a baseUrl that is a number', one({ baseUrl: 5 }), 'clients.c.baseUrl', /http:\/\//],
  ['a baseUrl that is not http', one({ baseUrl: 'ftp://h/v1' }), 'clients.c.baseUrl', /http/],
  ['a baseUrl that is not a URL', one({ baseUrl: 'localhost' }), 'clients.c.baseUrl', /URL/],
  ['an apiKey that is a number', one({ apiKey: 12345 }), 'clients.c.apiKey', /expected string/],
  ['an empty apiKey', one({ apiKey: '' }), 'clients.c.apiKey', /must not be empty/],
  ['headers given as a string', one({ headers: 'x: y' }), 'clients.c.headers', /expected record/],
  ['headers given as an array', one({ headers: ['x'] }), 'clients.c.headers', /array/],
  ['a header value that is a number', one({ headers: { x: 1 } }), 'clients.c.headers.x', /string/],
  ['defaults given as an array', one({ defaults: [] }), 'clients.c.defaults', /array/],
  ['defaults given as a string', one({ defaults: 't=0' }), 'clients.c.defaults', /object/],
  [
    'a default temperature that is a string',
    one({ defaults: { temperature: '0.5' } }),
    'clients.c.defaults.temperature',
    /expected number/,
  ],
  [
    'a default temperature of NaN',
    one({ defaults: { temperature: NaN } }),
    'clients.c.defaults.temperature',
    /NaN/,
  ],
  [
    'a default temperature of Infinity',
    one({ defaults: { temperature: Infinity } }),
    'clients.c.defaults.temperature',
    /Infinity/,
  ],
  [
    'a negative default temperature',
    one({ defaults: { temperature: -0.1 } }),
    'clients.c.defaults.temperature',
    />=0/,
  ],
  [
    'a default temperature above 2',
    one({ defaults: { temperature: 2.5 } }),
    'clients.c.defaults.temperature',
    /<=2/,
  ],
  [
    'a float default maxTokens',
    one({ defaults: { maxTokens: 1.5 } }),
    'clients.c.defaults.maxTokens',
    /int/,
  ],
  [
    'a zero default maxTokens',
    one({ defaults: { maxTokens: 0 } }),
    'clients.c.defaults.maxTokens',
    />=1/,
  ],
  [
    'a huge default maxTokens',
    one({ defaults: { maxTokens: 1e300 } }),
    'clients.c.defaults.maxTokens',
    /Too big/,
  ],
  [
    'defaults.extra given as an array',
    one({ defaults: { extra: [1] } }),
    'clients.c.defaults.extra',
    /array/,
  ],
  [
    'defaults.extra given as a string',
    one({ defaults: { extra: 'seed=1' } }),
    'clients.c.defaults.extra',
    /expected record/,
  ],
  ['a timeoutMs of NaN', one({ timeoutMs: NaN }), 'clients.c.timeoutMs', /NaN/],
  ['a timeoutMs of Infinity', one({ timeoutMs: Infinity }), 'clients.c.timeoutMs', /Infinity/],
  ['a negative timeoutMs', one({ timeoutMs: -1 }), 'clients.c.timeoutMs', />=1/],
  ['a zero timeoutMs', one({ timeoutMs: 0 }), 'clients.c.timeoutMs', />=1/],
  ['a float timeoutMs', one({ timeoutMs: 1.5 }), 'clients.c.timeoutMs', /int/],
  ['a timeoutMs past the timer limit', one({ timeoutMs: 2 ** 31 }), 'clients.c.timeoutMs', /<=/],
  ['a timeoutMs given as a string', one({ timeoutMs: '100' }), 'clients.c.timeoutMs', /number/],
  ['a zero maxConcurrency', one({ maxConcurrency: 0 }), 'clients.c.maxConcurrency', />=1/],
  ['a huge maxConcurrency', one({ maxConcurrency: 1e9 }), 'clients.c.maxConcurrency', /<=100000/],
  ['a float maxConcurrency', one({ maxConcurrency: 2.5 }), 'clients.c.maxConcurrency', /int/],
  ['a NaN maxConcurrency', one({ maxConcurrency: NaN }), 'clients.c.maxConcurrency', /NaN/],
  ['a negative maxQueue', one({ maxQueue: -1 }), 'clients.c.maxQueue', />=0/],
  ['a huge maxQueue', one({ maxQueue: 1e12 }), 'clients.c.maxQueue', /<=/],
  ['a float maxQueue', one({ maxQueue: 0.5 }), 'clients.c.maxQueue', /int/],
  ['a negative historySize', one({ historySize: -1 }), 'clients.c.historySize', />=0/],
  ['a huge historySize', one({ historySize: 1e6 }), 'clients.c.historySize', /<=100000/],
  ['cache: true', one({ cache: true }), 'clients.c.cache', /or false/],
  ['a cache given as an array', one({ cache: [] }), 'clients.c.cache', /or false/],
  ['a cache given as a string', one({ cache: 'memory' }), 'clients.c.cache', /or false/],
  ['an unknown cache store', one({ cache: { store: 'disk' } }), 'clients.c.cache.store', /memory/],
  [
    'a negative cache ttlMs',
    one({ cache: { store: 'memory', ttlMs: -5 } }),
    'clients.c.cache.ttlMs',
    />=1/,
  ],
  [
    'a huge cache ttlMs',
    one({ cache: { store: 'memory', ttlMs: 1e300 } }),
    'clients.c.cache.ttlMs',
    /Too big/,
  ],
  [
    'a zero cache maxEntries',
    one({ cache: { store: 'memory', maxEntries: 0 } }),
    'clients.c.cache.maxEntries',
    />=1/,
  ],
  [
    'a huge cache maxEntries',
    one({ cache: { store: 'memory', maxEntries: 1e300 } }),
    'clients.c.cache.maxEntries',
    /Too big/,
  ],
  ['a redis cache without a url', one({ cache: { store: 'redis' } }), 'clients.c.cache.url', /url/],
  [
    'a redis cache with an http url',
    one({ cache: { store: 'redis', url: 'http://127.0.0.1:6379' } }),
    'clients.c.cache.url',
    /redis:\/\//,
  ],
  ['a fuse given as an array', one({ fuse: [] }), 'clients.c.fuse', /array/],
  ['a fuse given as a string', one({ fuse: 'on' }), 'clients.c.fuse', /object/],
  [
    'a zero fuse.maxFailures',
    one({ fuse: { maxFailures: 0 } }),
    'clients.c.fuse.maxFailures',
    />=1/,
  ],
  [
    'an unsafe-integer fuse.maxFailures',
    one({ fuse: { maxFailures: 2 ** 60 } }),
    'clients.c.fuse.maxFailures',
    /Too big/,
  ],
  ['a NaN fuse.windowMs', one({ fuse: { windowMs: NaN } }), 'clients.c.fuse.windowMs', /NaN/],
  ['a negative fuse.resetMs', one({ fuse: { resetMs: -1 } }), 'clients.c.fuse.resetMs', />=1/],
  [
    'an infinite fuse.backoffFactor',
    one({ fuse: { backoffFactor: Infinity } }),
    'clients.c.fuse.backoffFactor',
    /Infinity/,
  ],
  [
    'a fuse.backoffFactor below 1',
    one({ fuse: { backoffFactor: 0.5 } }),
    'clients.c.fuse.backoffFactor',
    />=1/,
  ],
  [
    'a float fuse.maxResetMs',
    one({ fuse: { maxResetMs: 1.5 } }),
    'clients.c.fuse.maxResetMs',
    /int/,
  ],
  [
    'a fuse.resetMs above its maxResetMs',
    one({ fuse: { resetMs: 100, maxResetMs: 50 } }),
    'clients.c.fuse',
    /must not exceed maxResetMs/,
  ],
  ['retry: true', one({ retry: true }), 'clients.c.retry', /or false/],
  ['a retry given as an array', one({ retry: [] }), 'clients.c.retry', /or false/],
  [
    'a zero retry.maxAttempts',
    one({ retry: { maxAttempts: 0 } }),
    'clients.c.retry.maxAttempts',
    />=1/,
  ],
  [
    'a huge retry.maxAttempts',
    one({ retry: { maxAttempts: 1e9 } }),
    'clients.c.retry.maxAttempts',
    /<=100/,
  ],
  [
    'a negative retry.baseDelayMs',
    one({ retry: { baseDelayMs: -1 } }),
    'clients.c.retry.baseDelayMs',
    />=0/,
  ],
  [
    'a NaN retry.maxDelayMs',
    one({ retry: { maxDelayMs: NaN } }),
    'clients.c.retry.maxDelayMs',
    /NaN/,
  ],
  [
    'a retry.maxDelayMs below its baseDelayMs',
    one({ retry: { baseDelayMs: 100, maxDelayMs: 50 } }),
    'clients.c.retry.maxDelayMs',
    /at least retry.baseDelayMs/,
  ],
  // Functions.
  [
    'a driver whose request is a string',
    { clients: { c: { ...driverFns, request: 'fetch' } } },
    'clients.c.request',
    /expected a function/,
  ],
  [
    'a driver whose output is a string',
    { clients: { c: { ...driverFns, output: 'raw.text' } } },
    'clients.c.output',
    /expected a function/,
  ],
  [
    'a driver without functions',
    { clients: { c: { provider: 'driver', model: 'm' } } },
    'clients.c.request',
    /needs request and output functions/,
  ],
  [
    'request/output functions on an HTTP client',
    one({ request: driverFns.request }),
    'clients.c.request',
    /only driver clients/,
  ],
  // Unknown keys (typos) at every level.
  ['an unknown runtime key', { client: {} }, 'client', /unknown key/],
  ['a misspelt runtime cache key', { cahce: false }, 'cahce', /unknown key/],
  ['an unknown client key', one({ maxConcurency: 3 }), 'clients.c.maxConcurency', /unknown key/],
  [
    'an unknown defaults key',
    one({ defaults: { temprature: 1 } }),
    'clients.c.defaults.temprature',
    /unknown key/,
  ],
  [
    'an unknown fuse key',
    one({ fuse: { maxFailure: 3 } }),
    'clients.c.fuse.maxFailure',
    /unknown key/,
  ],
  [
    'an unknown retry key',
    one({ retry: { maxAttempt: 1 } }),
    'clients.c.retry.maxAttempt',
    /unknown key/,
  ],
  [
    'an unknown cache key',
    one({ cache: { store: 'memory', paht: 'x' } }),
    'clients.c.cache.paht',
    /unknown key/,
  ],
  [
    'an unknown supervisor key',
    { supervisor: { maxRestart: 1 } },
    'supervisor.maxRestart',
    /unknown key/,
  ],
  // The runtime level.
  ['a runtime cache given as an array', { cache: [] }, 'cache', /or false/],
  ['a runtime cache: true', { cache: true }, 'cache', /or false/],
  ['a supervisor given as an array', { supervisor: [] }, 'supervisor', /array/],
  ['a negative maxRestarts', { supervisor: { maxRestarts: -1 } }, 'supervisor.maxRestarts', />=0/],
  [
    'a huge maxRestarts',
    { supervisor: { maxRestarts: 1e300 } },
    'supervisor.maxRestarts',
    /Too big/,
  ],
  ['a NaN periodMs', { supervisor: { periodMs: NaN } }, 'supervisor.periodMs', /NaN/],
  ['a zero periodMs', { supervisor: { periodMs: 0 } }, 'supervisor.periodMs', />=1/],
  ['a negative backoffMs', { supervisor: { backoffMs: -1 } }, 'supervisor.backoffMs', />=0/],
  ['a logger given as a level string', { logger: 'debug' }, 'logger', /pino logger/],
  ['logger: true', { logger: true }, 'logger', /pino logger/],
  ['a clock without functions', { clock: { now: 1 } }, 'clock', /now, setTimeout/],
  // Prototype-pollution keys, as JSON.parse makes them: own keys.
  [
    'a client named __proto__',
    { clients: json('{"__proto__":{"provider":"openai","model":"m","polluted":true}}') },
    'clients.__proto__',
    /reserved/,
  ],
  [
    'a client named constructor',
    { clients: json('{"constructor":{"provider":"openai","model":"m"}}') },
    'clients.constructor',
    /reserved/,
  ],
  [
    'a client named prototype',
    { clients: json('{"prototype":{"provider":"openai","model":"m"}}') },
    'clients.prototype',
    /reserved/,
  ],
  [
    'a __proto__ header holding an object',
    one({ headers: json('{"__proto__":{"polluted":"yes"}}') }),
    'clients.c.headers.__proto__',
    /must not use the keys __proto__, constructor or prototype/,
  ],
  [
    'a __proto__ header holding a string',
    one({ headers: json('{"__proto__":"x"}') }),
    'clients.c.headers.__proto__',
    /must not use the keys/,
  ],
  [
    'a constructor header',
    one({ headers: json('{"constructor":"x"}') }),
    'clients.c.headers.constructor',
    /must not use the keys/,
  ],
  [
    'a prototype header',
    one({ headers: json('{"prototype":"x"}') }),
    'clients.c.headers.prototype',
    /must not use the keys/,
  ],
  [
    'a __proto__ key in defaults.extra',
    one({ defaults: { extra: json('{"__proto__":{"polluted":true}}') } }),
    'clients.c.defaults.extra.__proto__',
    /must not use the keys/,
  ],
  [
    'a constructor key in defaults.extra',
    one({ defaults: { extra: json('{"constructor":{"prototype":{"polluted":true}}}') } }),
    'clients.c.defaults.extra.constructor',
    /must not use the keys/,
  ],
  [
    'a prototype key in defaults.extra',
    one({ defaults: { extra: json('{"prototype":{"polluted":true}}') } }),
    'clients.c.defaults.extra.prototype',
    /must not use the keys/,
  ],
  [
    'a __proto__ key in defaults',
    one({ defaults: json('{"__proto__":{"temperature":9}}') }),
    'clients.c.defaults.__proto__',
    /unknown key/,
  ],
  [
    'a __proto__ key in fuse',
    one({ fuse: json('{"__proto__":{"maxFailures":0}}') }),
    'clients.c.fuse.__proto__',
    /unknown key/,
  ],
  [
    'a __proto__ key at the top',
    json('{"__proto__":{"clients":{},"isAdmin":true}}'),
    '__proto__',
    /unknown key/,
  ],
  // Names.
  [
    'an empty client name',
    { clients: { '': http } },
    'client name',
    /non-empty string of at most 128/,
  ],
  [
    'a client name of 129 characters',
    { clients: { ['a'.repeat(129)]: http } },
    'client name',
    /at most 128/,
  ],
  ['a client name with a space', { clients: { 'a b': http } }, 'clients."a b"', /letters, digits/],
];

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

/** The reason an INVALID_CONFIG message gives for `path` (fails when it names no such field). */
function reasonFor(message: string, path: string): string {
  const line = message.split('; ').find((l) => l.startsWith(`${path}: `));
  expect(line, `"${message}" names ${path}`).toBeDefined();
  return line!.slice(path.length + 2);
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
        b: { provider: 'gemini', model: '' },
        d: { ...driverFns, request: 'fetch' },
      },
      supervisor: { periodMs: -1 },
    });
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

const cycle: Record<string, unknown> = { a: 1 };
cycle.self = cycle;
const user = (content: unknown) => ({ role: 'user', content });

/** [what is wrong, messages, the field named, the reason given]. */
const MESSAGE_CASES: Array<[string, unknown, string, RegExp]> = [
  ['messages that are undefined', undefined, 'messages', /expected an array/],
  ['messages that are null', null, 'messages', /expected an array/],
  ['messages that are a string', 'hi', 'messages', /expected an array/],
  ['messages that are one message object', user('hi'), 'messages', /expected an array/],
  ['messages that are an array-like object', { 0: user('hi'), length: 1 }, 'messages', /array/],
  ['an empty messages array', [], 'messages', /must not be empty/],
  ['a null message', [null], 'messages[0]', /expected an object with role and content/],
  ['a null message after a good one', [user('ok'), null], 'messages[1]', /expected an object/],
  ['an undefined message', [undefined], 'messages[0]', /expected an object/],
  ['a message that is a string', ['hi'], 'messages[0]', /expected an object/],
  ['a hole in the array', [, user('hi')], 'messages[0]', /expected an object/],
  ['an unknown role', [{ role: 'robot', content: 'x' }], 'messages[0].role', /got "robot"/],
  ['a capitalized role', [{ role: 'User', content: 'x' }], 'messages[0].role', /got "User"/],
  ['a __proto__ role', [{ role: '__proto__', content: 'x' }], 'messages[0].role', /__proto__/],
  ['a toString role', [{ role: 'toString', content: 'x' }], 'messages[0].role', /toString/],
  ['a numeric role', [{ role: 1, content: 'x' }], 'messages[0].role', /got 1/],
  ['a missing role', [{ content: 'x' }], 'messages[0].role', /got undefined/],
  ['numeric content', [user(42)], 'messages[0].content', /expected a string, got 42/],
  ['null content', [user(null)], 'messages[0].content', /got null/],
  ['missing content', [{ role: 'user' }], 'messages[0].content', /got undefined/],
  ['array content', [user(['a'])], 'messages[0].content', /got an array/],
  ['object content', [user({ text: 'hi' })], 'messages[0].content', /got object/],
  ['a String object as content', [user(new String('hi'))], 'messages[0].content', /got object/],
  ['a lone high surrogate', [user('\uD800')], 'messages[0].content', /lone surrogate/],
  ['a lone low surrogate mid-text', [user('a\uDC00b')], 'messages[0].content', /lone surrogate/],
  ['a cut surrogate pair at the end', [user('ok \uD83D')], 'messages[0].content', /surrogate/],
  [
    'a bad message deep in a long conversation',
    [...Array.from({ length: 50 }, () => user('ok')), user('\uDFFF')],
    'messages[50].content',
    /lone surrogate/,
  ],
  ['a numeric name', [{ role: 'user', content: 'x', name: 5 }], 'messages[0].name', /got 5/],
];

const controller = new AbortController();

/** [what is wrong, options, the field named, the reason given]. */
const OPTION_CASES: Array<[string, unknown, string, RegExp]> = [
  ['options that are null', null, 'options', /expected an object, got null/],
  ['options that are a string', 'fast', 'options', /expected an object, got "fast"/],
  ['options that are a number', 42, 'options', /expected an object, got 42/],
  ['options that are a boolean', true, 'options', /expected an object, got boolean/],
  ['a misspelt option', { temprature: 0 }, 'options.temprature', /unknown option/],
  ['a stream option', { stream: true }, 'options.stream', /unknown option/],
  ['a model option', { model: 'other' }, 'options.model', /unknown option/],
  [
    'an own __proto__ option',
    json('{"__proto__":{"temperature":5}}'),
    'options.__proto__',
    /unknown/,
  ],
  ['an own constructor option', json('{"constructor":{}}'), 'options.constructor', /unknown/],
  ['a NaN temperature', { temperature: NaN }, 'options.temperature', /finite number, got NaN/],
  ['an infinite temperature', { temperature: Infinity }, 'options.temperature', /Infinity/],
  ['a negative temperature', { temperature: -1 }, 'options.temperature', /between 0 and 2/],
  ['a temperature above 2', { temperature: 2.01 }, 'options.temperature', /between 0 and 2/],
  ['a string temperature', { temperature: '0' }, 'options.temperature', /got "0"/],
  ['a zero maxTokens', { maxTokens: 0 }, 'options.maxTokens', /between 1 and/],
  ['a negative maxTokens', { maxTokens: -5 }, 'options.maxTokens', /between 1 and/],
  ['a float maxTokens', { maxTokens: 1.5 }, 'options.maxTokens', /expected an integer/],
  ['a NaN maxTokens', { maxTokens: NaN }, 'options.maxTokens', /NaN/],
  ['a huge maxTokens', { maxTokens: 1e20 }, 'options.maxTokens', /between 1 and 9007199254740991/],
  ['an infinite maxTokens', { maxTokens: Infinity }, 'options.maxTokens', /Infinity/],
  ['a zero timeoutMs', { timeoutMs: 0 }, 'options.timeoutMs', /between 1 and 2147483647/],
  ['a negative timeoutMs', { timeoutMs: -100 }, 'options.timeoutMs', /between 1 and/],
  ['a NaN timeoutMs', { timeoutMs: NaN }, 'options.timeoutMs', /NaN/],
  ['an infinite timeoutMs', { timeoutMs: Infinity }, 'options.timeoutMs', /Infinity/],
  ['a timeoutMs past the timer limit', { timeoutMs: 2 ** 31 }, 'options.timeoutMs', /2147483647/],
  ['a string timeoutMs', { timeoutMs: '100' }, 'options.timeoutMs', /got "100"/],
  ['a string signal', { signal: 'abort' }, 'options.signal', /AbortSignal/],
  ['a signal-like object', { signal: { aborted: false } }, 'options.signal', /AbortSignal/],
  ['an AbortController as signal', { signal: controller }, 'options.signal', /AbortSignal/],
  ['an EventTarget as signal', { signal: new EventTarget() }, 'options.signal', /AbortSignal/],
  ['a string cache option', { cache: 'no' }, 'options.cache', /boolean/],
  ['a NaN rolloutId', { rolloutId: NaN }, 'options.rolloutId', /got NaN/],
  ['an object rolloutId', { rolloutId: {} }, 'options.rolloutId', /got object/],
  ['extra given as a string', { extra: 'seed=1' }, 'options.extra', /plain object/],
  ['extra given as an array', { extra: [1] }, 'options.extra', /got an array/],
  ['extra given as null', { extra: null }, 'options.extra', /got null/],
  [
    'an own __proto__ key in extra',
    { extra: json('{"__proto__":{"polluted":true}}') },
    'options.extra.__proto__',
    /forbidden key/,
  ],
  [
    'an own constructor key in extra',
    { extra: json('{"constructor":{"prototype":{"polluted":true}}}') },
    'options.extra.constructor',
    /forbidden key/,
  ],
  [
    'an own prototype key in extra',
    { extra: json('{"prototype":{"isAdmin":true}}') },
    'options.extra.prototype',
    /forbidden key/,
  ],
  ['a BigInt in extra', { extra: { seed: 10n } }, 'options.extra', /JSON-serializable.*BigInt/],
  ['a cycle in extra', { extra: { nested: cycle } }, 'options.extra', /JSON-serializable/],
  ['extra.stream: true', { extra: { stream: true } }, 'options.extra.stream', /not available/],
  ['extra.stream: false', { extra: { stream: false } }, 'options.extra.stream', /not available/],
];

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
      reply: (req) => describeLast(req.messages.at(-1)?.content ?? ''),
    });
    driver = testDriver((req) => ({ text: describeLast(req.messages.at(-1)?.content ?? '') }));
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
      expect(error.message).toMatch(reason);
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
  const runtimes: Runtime[] = [];
  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((r) => r.stop({ timeoutMs: 0 })));
  });

  async function start(clients: Record<string, ClientConfig>): Promise<Runtime> {
    const runtime = await createRuntime({ clients, logger: false });
    runtimes.push(runtime);
    return runtime;
  }

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
