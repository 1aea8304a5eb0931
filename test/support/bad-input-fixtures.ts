/**
 * The bad-input tables, shared by the tests of each layer that reads them: config.test.ts
 * (resolveRuntimeConfig), request-validation.test.ts (validateMessages, validateOptions) and
 * bad-input.test.ts (the public API: createRuntime, request and stream, with its invariants).
 * Each row is [what is wrong, the input, the field path the error names, the reason it gives];
 * an anchored reason is the exact wording.
 */
import { expect } from 'vitest';

/** An HTTP client that no test reaches. */
export const http = { provider: 'openai', model: 'm', baseUrl: 'http://127.0.0.1:9' };
/** A driver client's fields. */
export const driverFns = {
  provider: 'driver',
  model: 'm',
  request: () => ({ text: 'a' }),
  output: (raw: unknown) => ({ text: (raw as { text: string }).text }),
};
/** A runtime config with one client `c`: the openai base with `fields` over it. */
export const one = (fields: Record<string, unknown>) => ({
  clients: { c: { ...http, ...fields } },
});
/** What JSON.parse makes of `text` (own __proto__ keys included). */
export const json = (text: string): unknown => JSON.parse(text);

/**
 * The reason an INVALID_CONFIG message gives for `path` (fails when it names no such field): the
 * message is `path: reason` lines joined by '; '.
 */
export function reasonFor(message: string, path: string): string {
  const line = message.split('; ').find((l) => l.startsWith(`${path}: `));
  expect(line, `"${message}" names ${path}`).toBeDefined();
  return line!.slice(path.length + 2);
}

/** A table row: [what is wrong, the input, the field path named, the reason given]. */
export type Case = [string, unknown, string, RegExp];

// ---------------------------------------------------------------------------------------------
// Configs: INVALID_CONFIG
// ---------------------------------------------------------------------------------------------

const CLIENT_NOT_AN_OBJECT = /^expected an object with provider and model$/;
const NOT_HTTP = /^expected an http:\/\/ or https:\/\/ URL$/;
const NOT_A_LOGGER = /^expected a pino logger, pino options or false$/;
const NOT_A_CLOCK = /^expected \{ now, setTimeout, clearTimeout, random \}$/;

/** [what is wrong, config, the field path named, the reason given]. */
export const CONFIG_CASES: Case[] = [
  // Not an object at all.
  ['a config that is a string', 'openai', 'config', /^expected an object$/],
  ['a config that is a number', 42, 'config', /^expected an object$/],
  ['a config that is null', null, 'config', /^expected an object$/],
  ['a config that is an array', [], 'config', /^expected an object$/],
  // Wrong types at every level.
  ['clients given as a string', { clients: 'c' }, 'clients', /expected record/],
  ['clients given as an array', { clients: [http] }, 'clients', /expected record.*array/],
  ['a client given as an array', { clients: { c: [http] } }, 'clients.c', CLIENT_NOT_AN_OBJECT],
  ['a client given as a string', { clients: { c: 'openai' } }, 'clients.c', CLIENT_NOT_AN_OBJECT],
  ['a client given as a number', { clients: { c: 3 } }, 'clients.c', CLIENT_NOT_AN_OBJECT],
  ['a client given as null', { clients: { c: null } }, 'clients.c', CLIENT_NOT_AN_OBJECT],
  [
    'an unknown provider',
    one({ provider: 'gemini' }),
    'clients.c.provider',
    /^expected one of openai, anthropic, ollama, driver/,
  ],
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
    /^expected a model name$/,
  ],
  ['a model that is a number', one({ model: 5 }), 'clients.c.model', /expected a model name/],
  ['an empty model', one({ model: '' }), 'clients.c.model', /^must not be empty$/],
  ['a baseUrl that is a number', one({ baseUrl: 5 }), 'clients.c.baseUrl', NOT_HTTP],
  ['a baseUrl that is not http', one({ baseUrl: 'ftp://h/v1' }), 'clients.c.baseUrl', NOT_HTTP],
  ['a file: baseUrl', one({ baseUrl: 'file:///etc/passwd' }), 'clients.c.baseUrl', NOT_HTTP],
  ['a baseUrl that is not a URL', one({ baseUrl: 'localhost' }), 'clients.c.baseUrl', NOT_HTTP],
  ['a baseUrl with spaces', one({ baseUrl: 'not a url' }), 'clients.c.baseUrl', NOT_HTTP],
  ['an apiKey that is a number', one({ apiKey: 12345 }), 'clients.c.apiKey', /expected string/],
  ['an empty apiKey', one({ apiKey: '' }), 'clients.c.apiKey', /must not be empty/],
  ['headers given as a string', one({ headers: 'x: y' }), 'clients.c.headers', /expected record/],
  ['headers given as an array', one({ headers: ['x'] }), 'clients.c.headers', /array/],
  ['a header value that is a number', one({ headers: { x: 1 } }), 'clients.c.headers.x', /string/],
  [
    'an apiKey ending in a newline (from an env file)',
    one({ apiKey: 'sk-from-env-file\n' }),
    'clients.c.apiKey',
    /^must not begin or end with whitespace/,
  ],
  [
    'an apiKey with a leading space',
    one({ apiKey: ' sk-pasted' }),
    'clients.c.apiKey',
    /^must not begin or end with whitespace/,
  ],
  [
    'an apiKey with a CR/LF inside',
    one({ apiKey: 'sk-one\r\nInjected: two' }),
    'clients.c.apiKey',
    /^must not contain CR or LF$/,
  ],
  [
    'a header value with CR/LF',
    one({ headers: { 'X-Auth-Token': 'tok-123456\r\nInjected: yes' } }),
    'clients.c.headers.X-Auth-Token',
    /^must not contain CR or LF$/,
  ],
  [
    'a header value ending in a newline',
    one({ headers: { 'x-goog-api-key': 'AIza-from-env\n' } }),
    'clients.c.headers.x-goog-api-key',
    /^must not contain CR or LF$/,
  ],
  [
    'a header value with a NUL',
    one({ headers: { x: 'a\u0000b' } }),
    'clients.c.headers.x',
    /^must not contain control characters/,
  ],
  [
    'a header name with a space',
    one({ headers: { 'x auth': 'v' } }),
    'clients.c.headers.x auth',
    /^is not a valid header name$/,
  ],
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
  [
    'an empty default stop sequence',
    one({ defaults: { stop: ['ok', ''] } }),
    'clients.c.defaults.stop.1',
    />=1 characters/,
  ],
  ['a float default seed', one({ defaults: { seed: 0.5 } }), 'clients.c.defaults.seed', /int/],
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
  [
    'a maxResponseBytes under 1 KiB',
    one({ maxResponseBytes: 100 }),
    'clients.c.maxResponseBytes',
    /^must be at least 1024 bytes$/,
  ],
  [
    'a maxResponseBytes over 256 MiB',
    one({ maxResponseBytes: 2 ** 30 }),
    'clients.c.maxResponseBytes',
    /^must be at most 256 MiB/,
  ],
  [
    'a maxEventBytes that is not an integer',
    one({ maxEventBytes: 1.5e6 + 0.5 }),
    'clients.c.maxEventBytes',
    /expected int/,
  ],
  [
    'cache: true',
    one({ cache: true }),
    'clients.c.cache',
    /^expected \{ store: 'memory' \| 'sqlite' \| 'redis'.*\} or false$/,
  ],
  ['a cache given as an array', one({ cache: [] }), 'clients.c.cache', /or false/],
  ['a cache given as a string', one({ cache: 'memory' }), 'clients.c.cache', /or false/],
  [
    'an unknown cache store',
    one({ cache: { store: 'disk' } }),
    'clients.c.cache.store',
    /memory.*sqlite.*redis/,
  ],
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
  [
    'a redis cache without a url',
    one({ cache: { store: 'redis' } }),
    'clients.c.cache.url',
    /^store 'redis' needs a url$/,
  ],
  [
    'a redis cache with an http url',
    one({ cache: { store: 'redis', url: 'http://127.0.0.1:6379' } }),
    'clients.c.cache.url',
    /^expected a redis:\/\/ or rediss:\/\/ URL$/,
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
    /^resetMs \(100\) must not exceed maxResetMs \(50\)$/,
  ],
  [
    'retry: true',
    one({ retry: true }),
    'clients.c.retry',
    /^expected \{ maxAttempts\?, baseDelayMs\?, maxDelayMs\? \} or false$/,
  ],
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
    /^must be at least retry\.baseDelayMs \(100\)$/,
  ],
  // Functions.
  [
    'a driver whose request is a string',
    { clients: { c: { ...driverFns, request: 'fetch' } } },
    'clients.c.request',
    /^expected a function/,
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
    'a driver without request',
    { clients: { c: { provider: 'driver', model: 'm', output: driverFns.output } } },
    'clients.c.request',
    /^a driver client needs request and output functions/,
  ],
  [
    'a driver without output',
    { clients: { c: { provider: 'driver', model: 'm', request: driverFns.request } } },
    'clients.c.output',
    /^a driver client needs request and output functions/,
  ],
  [
    'a request function on an HTTP client',
    one({ request: driverFns.request }),
    'clients.c.request',
    /^only driver clients take request\/output functions$/,
  ],
  [
    'an output function on an HTTP client',
    one({ output: driverFns.output }),
    'clients.c.output',
    /^only driver clients take request\/output functions$/,
  ],
  // Unknown keys (typos) at every level.
  ['an unknown runtime key', { client: {} }, 'client', /^unknown key$/],
  ['a misspelt runtime cache key', { cahce: false }, 'cahce', /^unknown key$/],
  ['an unknown client key', one({ maxConcurency: 3 }), 'clients.c.maxConcurency', /^unknown key$/],
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
  [
    'a runtime redis cache without a url',
    { cache: { store: 'redis' } },
    'cache.url',
    /^store 'redis' needs a url$/,
  ],
  ['a supervisor given as an array', { supervisor: [] }, 'supervisor', /array/],
  ['a negative maxRestarts', { supervisor: { maxRestarts: -1 } }, 'supervisor.maxRestarts', />=0/],
  [
    'a huge maxRestarts',
    { supervisor: { maxRestarts: 1e300 } },
    'supervisor.maxRestarts',
    /Too big/,
  ],
  ['a float maxRestarts', { supervisor: { maxRestarts: 1.5 } }, 'supervisor.maxRestarts', /int/],
  ['a NaN periodMs', { supervisor: { periodMs: NaN } }, 'supervisor.periodMs', /NaN/],
  ['a zero periodMs', { supervisor: { periodMs: 0 } }, 'supervisor.periodMs', />=1/],
  ['a negative backoffMs', { supervisor: { backoffMs: -1 } }, 'supervisor.backoffMs', />=0/],
  ['a logger given as a level string', { logger: 'debug' }, 'logger', NOT_A_LOGGER],
  ['logger: true', { logger: true }, 'logger', NOT_A_LOGGER],
  ['a clock without functions', { clock: { now: 1 } }, 'clock', NOT_A_CLOCK],
  [
    'a clock without clearTimeout and random',
    { clock: { now: () => 0, setTimeout() {} } },
    'clock',
    NOT_A_CLOCK,
  ],
  // Prototype-pollution keys, as JSON.parse makes them: own keys.
  [
    'a client named __proto__',
    { clients: json('{"__proto__":{"provider":"openai","model":"m","polluted":true}}') },
    'clients.__proto__',
    /^the name __proto__ is reserved$/,
  ],
  [
    'a client named constructor',
    { clients: json('{"constructor":{"provider":"openai","model":"m"}}') },
    'clients.constructor',
    /^the name constructor is reserved$/,
  ],
  [
    'a client named prototype',
    { clients: json('{"prototype":{"provider":"openai","model":"m"}}') },
    'clients.prototype',
    /^the name prototype is reserved$/,
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
  [
    'a client name with a space',
    { clients: { 'a b': http } },
    'clients."a b"',
    /^a name starts with a letter or digit and uses only letters, digits/,
  ],
];

// ---------------------------------------------------------------------------------------------
// Requests: INVALID_REQUEST
// ---------------------------------------------------------------------------------------------

const NOT_AN_ARRAY = /^expected an array of \{ role, content \}$/;
const NOT_A_MESSAGE = /^expected an object with role and content$/;
const LONE_SURROGATE = /^contains a lone surrogate \(invalid UTF-16\)$/;
const NOT_A_SIGNAL = /^expected an AbortSignal$/;
const NOT_A_ROLLOUT = /^expected a string or number, got /;
const NOT_PLAIN = /^expected a plain object, got /;
/** The reason for a role that is not one of the five, given as `got`. */
const role = (got: string) =>
  new RegExp(`^expected one of system, developer, user, assistant, tool; got ${got}$`);
const NOT_CONTENT = (got: string) =>
  new RegExp(`^expected a string or an array of parts, got ${got}$`);

/** An object that holds itself. */
export const cycle: Record<string, unknown> = { a: 1 };
cycle.self = cycle;
const user = (content: unknown) => ({ role: 'user', content });

/** [what is wrong, messages, the field named, the reason given]. */
export const MESSAGE_CASES: Case[] = [
  ['messages that are undefined', undefined, 'messages', NOT_AN_ARRAY],
  ['messages that are null', null, 'messages', NOT_AN_ARRAY],
  ['messages that are a string', 'hi', 'messages', NOT_AN_ARRAY],
  ['messages that are a number', 42, 'messages', NOT_AN_ARRAY],
  ['messages that are one message object', user('hi'), 'messages', NOT_AN_ARRAY],
  ['messages that are an array-like object', { 0: user('hi'), length: 1 }, 'messages', /array/],
  ['an empty messages array', [], 'messages', /^must not be empty$/],
  ['a null message', [null], 'messages[0]', NOT_A_MESSAGE],
  ['a null message after a good one', [user('ok'), null], 'messages[1]', NOT_A_MESSAGE],
  ['an undefined message', [undefined], 'messages[0]', NOT_A_MESSAGE],
  ['a message that is a string', ['hi'], 'messages[0]', NOT_A_MESSAGE],
  ['a message that is a number', [user('ok'), 3], 'messages[1]', NOT_A_MESSAGE],
  ['a hole in the array', [, user('hi')], 'messages[0]', /expected an object/],
  ['an unknown role', [{ role: 'robot', content: 'x' }], 'messages[0].role', role('"robot"')],
  ['a capitalized role', [{ role: 'User', content: 'x' }], 'messages[0].role', role('"User"')],
  ['a __proto__ role', [{ role: '__proto__', content: 'x' }], 'messages[0].role', /__proto__/],
  ['a toString role', [{ role: 'toString', content: 'x' }], 'messages[0].role', /toString/],
  ['a numeric role', [{ role: 1, content: 'x' }], 'messages[0].role', role('1')],
  ['a missing role', [{ content: 'x' }], 'messages[0].role', role('undefined')],
  ['numeric content', [user(42)], 'messages[0].content', NOT_CONTENT('42')],
  ['null content', [user(null)], 'messages[0].content', NOT_CONTENT('null')],
  ['missing content', [{ role: 'user' }], 'messages[0].content', NOT_CONTENT('undefined')],
  ['array content of strings', [user(['a'])], 'messages[0].content[0]', /^expected a part object$/],
  [
    'an audio part',
    [user([{ type: 'audio', data: 'x' }])],
    'messages[0].content[0].type',
    /^expected 'text' or 'image', got "audio"$/,
  ],
  [
    'an http image',
    [user([{ type: 'image', url: 'http://x/cat.png' }])],
    'messages[0].content[0].url',
    /https URL or data:image/,
  ],
  [
    'an image in a system message',
    [{ role: 'system', content: [{ type: 'image', url: 'https://x/cat.png' }] }],
    'messages[0].content[0].type',
    /^expected 'text', got "image"$/,
  ],
  [
    'a tool call without arguments',
    [{ role: 'assistant', content: null, toolCalls: [{ id: 'c', name: 'f' }] }],
    'messages[0].toolCalls[0].arguments',
    /^expected a string$/,
  ],
  [
    'tool calls on a user message',
    [{ role: 'user', content: 'x', toolCalls: [] }],
    'messages[0].toolCalls',
    /^unknown key/,
  ],
  ['object content', [user({ text: 'hi' })], 'messages[0].content', NOT_CONTENT('object')],
  ['a String object as content', [user(new String('hi'))], 'messages[0].content', /got object/],
  ['a lone high surrogate', [user('\uD800')], 'messages[0].content', LONE_SURROGATE],
  ['a lone low surrogate mid-text', [user('a\uDC00b')], 'messages[0].content', /lone surrogate/],
  ['a cut surrogate pair at the end', [user('ok \uD83D')], 'messages[0].content', /surrogate/],
  [
    'a bad message deep in a long conversation',
    [...Array.from({ length: 50 }, () => user('ok')), user('\uDFFF')],
    'messages[50].content',
    /lone surrogate/,
  ],
  [
    'a numeric name',
    [{ role: 'user', content: 'x', name: 5 }],
    'messages[0].name',
    /^expected a string, got 5$/,
  ],
];

const controller = new AbortController();

/** [what is wrong, options, the field named, the reason given]. */
export const OPTION_CASES: Case[] = [
  ['options that are null', null, 'options', /expected an object, got null/],
  ['options that are a string', 'fast', 'options', /expected an object, got "fast"/],
  ['options that are a number', 42, 'options', /expected an object, got 42/],
  ['options that are a boolean', true, 'options', /expected an object, got boolean/],
  ['a misspelt option', { temprature: 0 }, 'options.temprature', /^unknown option$/],
  ['a snake_case option', { max_tokens: 5 }, 'options.max_tokens', /^unknown option$/],
  ['a stream option', { stream: true }, 'options.stream', /^unknown option$/],
  ['a model option', { model: 'other' }, 'options.model', /^unknown option$/],
  ['an apiKey option', { apiKey: 'sk-x' }, 'options.apiKey', /^unknown option$/],
  [
    'an own __proto__ option',
    json('{"__proto__":{"temperature":5}}'),
    'options.__proto__',
    /^unknown option$/,
  ],
  ['an own constructor option', json('{"constructor":{}}'), 'options.constructor', /unknown/],
  ['a NaN temperature', { temperature: NaN }, 'options.temperature', /finite number, got NaN/],
  ['an infinite temperature', { temperature: Infinity }, 'options.temperature', /Infinity/],
  ['a negative temperature', { temperature: -1 }, 'options.temperature', /between 0 and 2/],
  ['a temperature above 2', { temperature: 2.01 }, 'options.temperature', /between 0 and 2/],
  ['a string temperature', { temperature: '0' }, 'options.temperature', /got "0"/],
  ['a zero maxTokens', { maxTokens: 0 }, 'options.maxTokens', /between 1 and/],
  ['a negative maxTokens', { maxTokens: -5 }, 'options.maxTokens', /between 1 and/],
  ['a float maxTokens', { maxTokens: 1.5 }, 'options.maxTokens', /^expected an integer, got 1.5$/],
  ['a NaN maxTokens', { maxTokens: NaN }, 'options.maxTokens', /NaN/],
  ['a huge maxTokens', { maxTokens: 1e20 }, 'options.maxTokens', /between 1 and 9007199254740991/],
  ['an infinite maxTokens', { maxTokens: Infinity }, 'options.maxTokens', /Infinity/],
  ['a zero timeoutMs', { timeoutMs: 0 }, 'options.timeoutMs', /between 1 and 2147483647/],
  ['a negative timeoutMs', { timeoutMs: -100 }, 'options.timeoutMs', /between 1 and/],
  ['a NaN timeoutMs', { timeoutMs: NaN }, 'options.timeoutMs', /NaN/],
  ['an infinite timeoutMs', { timeoutMs: Infinity }, 'options.timeoutMs', /Infinity/],
  ['a timeoutMs past the timer limit', { timeoutMs: 2 ** 31 }, 'options.timeoutMs', /2147483647/],
  ['a string timeoutMs', { timeoutMs: '100' }, 'options.timeoutMs', /got "100"/],
  ['a string signal', { signal: 'abort' }, 'options.signal', NOT_A_SIGNAL],
  ['a null signal', { signal: null }, 'options.signal', NOT_A_SIGNAL],
  ['a signal-like object', { signal: { aborted: false } }, 'options.signal', NOT_A_SIGNAL],
  [
    'a signal-like object with addEventListener',
    { signal: { aborted: false, addEventListener() {} } },
    'options.signal',
    NOT_A_SIGNAL,
  ],
  ['an AbortController as signal', { signal: controller }, 'options.signal', NOT_A_SIGNAL],
  ['an EventTarget as signal', { signal: new EventTarget() }, 'options.signal', NOT_A_SIGNAL],
  [
    'a string cache option',
    { cache: 'no' },
    'options.cache',
    /^expected a boolean or 'refresh', got /,
  ],
  [
    'a numeric cache option',
    { cache: 0 },
    'options.cache',
    /^expected a boolean or 'refresh', got /,
  ],
  [
    'a null cache option',
    { cache: null },
    'options.cache',
    /^expected a boolean or 'refresh', got /,
  ],
  ['a NaN rolloutId', { rolloutId: NaN }, 'options.rolloutId', /got NaN/],
  ['an infinite rolloutId', { rolloutId: Infinity }, 'options.rolloutId', NOT_A_ROLLOUT],
  ['a null rolloutId', { rolloutId: null }, 'options.rolloutId', NOT_A_ROLLOUT],
  ['an object rolloutId', { rolloutId: {} }, 'options.rolloutId', /got object/],
  ['a boolean rolloutId', { rolloutId: true }, 'options.rolloutId', NOT_A_ROLLOUT],
  ['extra given as a string', { extra: 'seed=1' }, 'options.extra', NOT_PLAIN],
  ['extra given as a number', { extra: 5 }, 'options.extra', NOT_PLAIN],
  ['extra given as an array', { extra: [1] }, 'options.extra', /got an array/],
  ['extra given as null', { extra: null }, 'options.extra', /got null/],
  [
    'an own __proto__ key in extra',
    { extra: json('{"__proto__":{"polluted":true}}') },
    'options.extra.__proto__',
    /^forbidden key$/,
  ],
  [
    'an own constructor key in extra',
    { extra: json('{"constructor":{"prototype":{"polluted":true}}}') },
    'options.extra.constructor',
    /^forbidden key$/,
  ],
  [
    'an own prototype key in extra',
    { extra: json('{"prototype":{"isAdmin":true}}') },
    'options.extra.prototype',
    /^forbidden key$/,
  ],
  ['a BigInt in extra', { extra: { seed: 10n } }, 'options.extra', /JSON-serializable.*BigInt/],
  ['a cycle in extra', { extra: { nested: cycle } }, 'options.extra', /JSON-serializable/],
  ['extra.stream: true', { extra: { stream: true } }, 'options.extra.stream', /not available/],
  ['extra.stream: false', { extra: { stream: false } }, 'options.extra.stream', /not available/],
];
