import { describe, expect, it } from 'vitest';
import {
  DEFAULTS,
  checkClientName,
  resolveClientConfig,
  resolveRuntimeConfig,
  type DriverClientConfig,
} from '../src/config.js';
import { isLlmActorsError, type RuntimeConfig } from '../src/index.js';
import { LlmActorsError } from '../src/errors.js';
import { runtimePerTest } from './support/runtime.js';

const driver = (extra: Record<string, unknown> = {}) => ({
  provider: 'driver',
  model: 'm',
  request: () => ({ answer: 'a' }),
  output: (raw: unknown) => ({ text: (raw as { answer: string }).answer }),
  ...extra,
});

const openai = (extra: Record<string, unknown> = {}) => ({
  provider: 'openai',
  model: 'gpt-x',
  baseUrl: 'http://127.0.0.1:9',
  ...extra,
});

/** The INVALID_CONFIG error `fn` throws (fails the test when it throws nothing or another error). */
function configError(fn: () => unknown): LlmActorsError {
  try {
    fn();
  } catch (e) {
    expect(isLlmActorsError(e, 'INVALID_CONFIG')).toBe(true);
    const error = e as LlmActorsError;
    expect(error).toBeInstanceOf(LlmActorsError);
    expect(error.retryable).toBe(false);
    return error;
  }
  throw new Error('expected INVALID_CONFIG, nothing was thrown');
}

/** The INVALID_CONFIG message of resolving a runtime config with one client `gpt`. */
function clientProblem(client: Record<string, unknown>): string {
  return configError(() => resolveRuntimeConfig({ clients: { gpt: client } })).message;
}

const { start } = runtimePerTest();

async function startError(config: RuntimeConfig): Promise<LlmActorsError> {
  try {
    await start(config);
  } catch (e) {
    expect(isLlmActorsError(e, 'INVALID_CONFIG')).toBe(true);
    return e as LlmActorsError;
  }
  throw new Error('expected createRuntime to reject with INVALID_CONFIG');
}

describe('client config: INVALID_CONFIG names the field and the reason', () => {
  it('rejects an unknown provider', () => {
    expect(clientProblem({ provider: 'gemini', model: 'm' })).toMatch(
      /^clients\.gpt\.provider: expected one of openai, anthropic, ollama, driver/,
    );
  });

  it('rejects a missing model', () => {
    expect(clientProblem({ provider: 'openai' })).toBe('clients.gpt.model: expected a model name');
  });

  it('rejects an empty model', () => {
    expect(clientProblem({ provider: 'openai', model: '' })).toBe(
      'clients.gpt.model: must not be empty',
    );
  });

  it.each([['not a url'], ['ftp://example.com'], ['file:///etc/passwd'], [42]])(
    'rejects the baseUrl %j',
    (baseUrl) => {
      expect(clientProblem(openai({ baseUrl }))).toBe(
        'clients.gpt.baseUrl: expected an http:// or https:// URL',
      );
    },
  );

  it.each([
    [-1, /too small|>=\s*1/i],
    [0, /too small|>=\s*1/i],
    [Number.NaN, /NaN/],
    [1.5, /int/],
    ['1000', /expected number/],
    [2 ** 31, /too big|<=/i],
  ])('rejects timeoutMs %j', (timeoutMs, reason) => {
    const message = clientProblem(openai({ timeoutMs }));
    expect(message).toMatch(/^clients\.gpt\.timeoutMs: /);
    expect(message).toMatch(reason);
  });

  it('rejects maxConcurrency 0', () => {
    expect(clientProblem(openai({ maxConcurrency: 0 }))).toMatch(
      /^clients\.gpt\.maxConcurrency: .*>=\s*1/,
    );
  });

  it('rejects a negative maxQueue but accepts 0', () => {
    expect(clientProblem(openai({ maxQueue: -1 }))).toMatch(/^clients\.gpt\.maxQueue: /);
    expect(resolveClientConfig('gpt', openai({ maxQueue: 0 })).maxQueue).toBe(0);
  });

  it('reports an unknown key such as the typo maxConcurency by its path', () => {
    expect(clientProblem(openai({ maxConcurency: 8 }))).toBe(
      'clients.gpt.maxConcurency: unknown key',
    );
  });

  it('reports unknown keys nested in fuse and retry by their paths', () => {
    const message = clientProblem(openai({ fuse: { maxFailure: 3 }, retry: { attempts: 2 } }));
    expect(message).toContain('clients.gpt.fuse.maxFailure: unknown key');
    expect(message).toContain('clients.gpt.retry.attempts: unknown key');
  });

  it('rejects a driver client without request or output', () => {
    const noRequest = driver();
    delete (noRequest as Partial<typeof noRequest>).request;
    expect(clientProblem(noRequest)).toMatch(
      /^clients\.gpt\.request: a driver client needs request and output functions/,
    );
    const noOutput = driver();
    delete (noOutput as Partial<typeof noOutput>).output;
    expect(clientProblem(noOutput)).toMatch(/^clients\.gpt\.output: a driver client needs/);
  });

  it('rejects driver request/output that are not functions', () => {
    expect(clientProblem(driver({ request: 'https://x' }))).toMatch(
      /^clients\.gpt\.request: expected a function/,
    );
  });

  it('rejects request/output on an openai client', () => {
    expect(clientProblem(openai({ request: () => 1 }))).toMatch(
      /^clients\.gpt\.request: only driver clients take request\/output functions/,
    );
    expect(clientProblem(openai({ output: () => 1 }))).toMatch(
      /^clients\.gpt\.output: only driver/,
    );
  });

  it('rejects fuse.maxResetMs below fuse.resetMs', () => {
    expect(clientProblem(openai({ fuse: { resetMs: 5_000, maxResetMs: 1_000 } }))).toBe(
      'clients.gpt.fuse: resetMs (5000) must not exceed maxResetMs (1000)',
    );
  });

  it('rejects a fuse backoffFactor below 1 and maxFailures 0', () => {
    const message = clientProblem(openai({ fuse: { backoffFactor: 0.5, maxFailures: 0 } }));
    expect(message).toMatch(/clients\.gpt\.fuse\.backoffFactor: /);
    expect(message).toMatch(/clients\.gpt\.fuse\.maxFailures: /);
  });

  it('rejects retry.maxDelayMs below retry.baseDelayMs', () => {
    expect(clientProblem(openai({ retry: { baseDelayMs: 500, maxDelayMs: 100 } }))).toBe(
      'clients.gpt.retry.maxDelayMs: must be at least retry.baseDelayMs (500)',
    );
  });

  it('rejects retry: true with the shape it expects', () => {
    expect(clientProblem(openai({ retry: true }))).toBe(
      'clients.gpt.retry: expected { maxAttempts?, baseDelayMs?, maxDelayMs? } or false',
    );
  });

  it('names the inner field when retry is an object with a bad value', () => {
    expect(clientProblem(openai({ retry: { maxAttempts: 0 } }))).toMatch(
      /^clients\.gpt\.retry\.maxAttempts: /,
    );
  });

  it('rejects cache store redis without a url', () => {
    expect(clientProblem(openai({ cache: { store: 'redis' } }))).toBe(
      "clients.gpt.cache.url: store 'redis' needs a url",
    );
  });

  it('rejects a cache url that is not redis:// or rediss://', () => {
    expect(clientProblem(openai({ cache: { store: 'redis', url: 'http://x:6379' } }))).toBe(
      'clients.gpt.cache.url: expected a redis:// or rediss:// URL',
    );
  });

  it('names cache.store when the store is unknown', () => {
    expect(clientProblem(openai({ cache: { store: 'memcached' } }))).toMatch(
      /^clients\.gpt\.cache\.store: .*memory.*sqlite.*redis/,
    );
  });

  it('rejects a cache that is neither an object nor false', () => {
    expect(clientProblem(openai({ cache: true }))).toMatch(
      /^clients\.gpt\.cache: expected \{ store: 'memory' \| 'sqlite' \| 'redis'.*\} or false$/,
    );
  });

  it.each([['__proto__'], ['constructor'], ['prototype']])(
    'rejects the reserved key %s in defaults.extra and headers, even as an own key from JSON.parse',
    (key) => {
      const config = JSON.parse(
        `{"provider":"openai","model":"m","defaults":{"extra":{"${key}":{"x":1}}},"headers":{"${key}":"v"}}`,
      ) as Record<string, unknown>;
      const message = clientProblem(config);
      expect(message).toContain(`clients.gpt.defaults.extra.${key}: must not use the keys`);
      expect(message).toContain(`clients.gpt.headers.${key}: must not use the keys`);
    },
  );

  it('rejects defaults outside their ranges', () => {
    const message = clientProblem(
      openai({ defaults: { temperature: 3, maxTokens: 0, stop: ['ok', ''], seed: 0.5 } }),
    );
    expect(message).toMatch(/clients\.gpt\.defaults\.temperature: /);
    expect(message).toMatch(/clients\.gpt\.defaults\.maxTokens: /);
    expect(message).toMatch(/clients\.gpt\.defaults\.stop\.1: /);
    expect(message).toMatch(/clients\.gpt\.defaults\.seed: /);
  });

  it('rejects a client config that is not an object', () => {
    for (const bad of [null, 'openai', 3, [openai()]]) {
      expect(configError(() => resolveClientConfig('gpt', bad)).message).toBe(
        'clients.gpt: expected an object with provider and model',
      );
    }
  });

  it('reports several problems of one client together', () => {
    const message = clientProblem({ provider: 'openai', model: '', timeoutMs: -5, maxQueue: 'x' });
    expect(message.split('; ')).toHaveLength(3);
    expect(message).toContain('clients.gpt.model: must not be empty');
    expect(message).toContain('clients.gpt.timeoutMs: ');
    expect(message).toContain('clients.gpt.maxQueue: ');
  });

  it('reports the problems of several clients and of the runtime level together', () => {
    const error = configError(() =>
      resolveRuntimeConfig({
        supervisor: { maxRestarts: -1 },
        clients: {
          a: { provider: 'nope', model: 'm' },
          ok: openai(),
          b: openai({ maxConcurrency: 0 }),
        },
      }),
    );
    expect(error.message).toContain('supervisor.maxRestarts: ');
    expect(error.message).toContain('clients.a.provider: ');
    expect(error.message).toContain('clients.b.maxConcurrency: ');
    expect(error.message).not.toContain('clients.ok');
  });

  it('sets the client of the error when resolving one client', () => {
    expect(configError(() => resolveClientConfig('gpt', { provider: 'x' })).client).toBe('gpt');
  });
});

describe('client config: accepted values and defaults', () => {
  it('accepts retry: false', () => {
    const resolved = resolveClientConfig('gpt', openai({ retry: false }));
    expect(resolved.retry).toBe(false);
  });

  it('accepts cache: false', () => {
    expect(resolveClientConfig('gpt', openai({ cache: false })).cache).toBe(false);
  });

  it('applies the defaults of DESIGN.md', () => {
    const resolved = resolveClientConfig('gpt', { provider: 'openai', model: 'gpt-x' });
    expect(resolved).toEqual({
      name: 'gpt',
      provider: 'openai',
      model: 'gpt-x',
      baseUrl: 'https://api.openai.com/v1',
      apiKey: undefined,
      headers: {},
      defaults: {},
      timeoutMs: 30_000,
      maxConcurrency: 64,
      maxQueue: 1_024,
      cache: { store: 'memory' },
      fuse: {
        maxFailures: 5,
        windowMs: 10_000,
        resetMs: 10_000,
        backoffFactor: 2,
        maxResetMs: 300_000,
      },
      retry: { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 10_000 },
      historySize: 100,
    });
  });

  it('fills a partial fuse and retry with the defaults', () => {
    const resolved = resolveClientConfig(
      'gpt',
      openai({ fuse: { maxFailures: 2 }, retry: { maxAttempts: 1 } }),
    );
    expect(resolved.fuse).toEqual({ ...DEFAULTS.fuse, maxFailures: 2 });
    expect(resolved.retry).toEqual({ ...DEFAULTS.retry, maxAttempts: 1 });
  });

  it.each([
    ['openai', 'https://api.openai.com/v1'],
    ['anthropic', 'https://api.anthropic.com'],
    ['ollama', 'http://127.0.0.1:11434'],
  ])('uses the default baseUrl of %s', (provider, baseUrl) => {
    expect(resolveClientConfig('c', { provider, model: 'm' }).baseUrl).toBe(baseUrl);
  });

  it('trims trailing slashes from baseUrl', () => {
    expect(resolveClientConfig('c', openai({ baseUrl: 'http://127.0.0.1:9/v1//' })).baseUrl).toBe(
      'http://127.0.0.1:9/v1',
    );
  });

  it('inherits the runtime-level cache unless the client sets its own', () => {
    const sqlite = { store: 'sqlite' as const, path: '/tmp/x.sqlite' };
    const resolved = resolveRuntimeConfig({
      cache: sqlite,
      clients: {
        a: openai(),
        b: openai({ cache: false }),
        c: openai({ cache: { store: 'memory' } }),
      },
    });
    const byName = Object.fromEntries(resolved.clients.map((c) => [c.name, c.cache]));
    expect(byName).toEqual({ a: sqlite, b: false, c: { store: 'memory' } });
    expect(resolved.cache).toEqual(sqlite);
  });

  it('gives every client no cache when the runtime-level cache is false', () => {
    const resolved = resolveRuntimeConfig({ cache: false, clients: { a: openai() } });
    expect(resolved.clients[0]!.cache).toBe(false);
  });

  it('keeps the driver functions of a driver client', () => {
    const config = driver() as unknown as DriverClientConfig;
    const resolved = resolveClientConfig('mine', config);
    expect(resolved.driver?.request).toBe(config.request);
    expect(resolved.driver?.output).toBe(config.output);
    expect(resolved.baseUrl).toBe('driver://local');
  });

  it('does not share headers or defaults objects with the input', () => {
    const headers = { 'x-a': '1' };
    const resolved = resolveClientConfig('gpt', openai({ headers }));
    expect(resolved.headers).toEqual(headers);
    expect(resolved.headers).not.toBe(headers);
  });
});

describe('runtime config', () => {
  it('applies the supervisor defaults and a memory cache when omitted', () => {
    const resolved = resolveRuntimeConfig({});
    expect(resolved.supervisor).toEqual({ maxRestarts: 3, periodMs: 5_000, backoffMs: 0 });
    expect(resolved.cache).toEqual({ store: 'memory' });
    expect(resolved.clients).toEqual([]);
    expect(resolveRuntimeConfig(undefined).supervisor).toEqual(resolved.supervisor);
  });

  it('fills a partial supervisor config with the defaults', () => {
    expect(resolveRuntimeConfig({ supervisor: { maxRestarts: 0 } }).supervisor).toEqual({
      maxRestarts: 0,
      periodMs: 5_000,
      backoffMs: 0,
    });
  });

  it('rejects a config that is not an object', () => {
    for (const bad of [null, 'x', 3, []]) {
      expect(configError(() => resolveRuntimeConfig(bad)).message).toBe(
        'config: expected an object',
      );
    }
  });

  it('reports an unknown runtime-level key by its name', () => {
    expect(configError(() => resolveRuntimeConfig({ client: {} })).message).toBe(
      'client: unknown key',
    );
  });

  it('rejects clients that is not a record', () => {
    expect(configError(() => resolveRuntimeConfig({ clients: [] })).message).toMatch(
      /^clients: .*expected record/,
    );
  });

  it('rejects a runtime-level redis cache without a url', () => {
    expect(configError(() => resolveRuntimeConfig({ cache: { store: 'redis' } })).message).toBe(
      "cache.url: store 'redis' needs a url",
    );
  });

  it('rejects a logger that is neither pino, pino options nor false', () => {
    expect(configError(() => resolveRuntimeConfig({ logger: 'debug' })).message).toBe(
      'logger: expected a pino logger, pino options or false',
    );
  });

  it('rejects a clock that lacks a method', () => {
    expect(
      configError(() => resolveRuntimeConfig({ clock: { now: () => 0, setTimeout() {} } })).message,
    ).toBe('clock: expected { now, setTimeout, clearTimeout, random }');
  });

  it('rejects bad supervisor values by field', () => {
    const message = configError(() =>
      resolveRuntimeConfig({ supervisor: { periodMs: 0, backoffMs: -1 } }),
    ).message;
    expect(message).toMatch(/supervisor\.periodMs: /);
    expect(message).toMatch(/supervisor\.backoffMs: /);
  });
});

describe('client names', () => {
  it.each([['gpt'], ['local-llama3.2'], ['a'], ['org/model@v1:fast_2'], ['9lives']])(
    'accepts %j',
    (name) => {
      expect(() => checkClientName(name)).not.toThrow();
    },
  );

  it('rejects the empty name', () => {
    expect(configError(() => checkClientName('')).message).toMatch(
      /^client name: expected a non-empty string/,
    );
  });

  it('rejects a name longer than 128 characters', () => {
    expect(() => checkClientName('a'.repeat(128))).not.toThrow();
    expect(configError(() => checkClientName('a'.repeat(129))).message).toMatch(/at most 128/);
  });

  it('rejects non-string names', () => {
    for (const bad of [undefined, null, 3, {}]) configError(() => checkClientName(bad));
  });

  it.each([['my client'], [' gpt'], ['gpt\n'], ['-gpt'], ['.hidden'], ['a\tb'], ['ü']])(
    'rejects the name %j with the rule it breaks',
    (name) => {
      expect(configError(() => checkClientName(name)).message).toMatch(
        /^clients\..*: a name starts with a letter or digit and uses only letters, digits/s,
      );
    },
  );

  it.each([['__proto__'], ['constructor'], ['prototype']])(
    'rejects the reserved name %s',
    (name) => {
      expect(configError(() => checkClientName(name)).message).toBe(
        `clients.${name}: the name ${name} is reserved`,
      );
    },
  );

  it('rejects __proto__ as a client name when it is an own key from JSON.parse', () => {
    const config = JSON.parse('{"clients":{"__proto__":{"provider":"openai","model":"m"}}}');
    expect(Object.keys(config.clients)).toEqual(['__proto__']);
    expect(configError(() => resolveRuntimeConfig(config)).message).toBe(
      'clients.__proto__: the name __proto__ is reserved',
    );
  });

  it('rejects a name with spaces in a runtime config', () => {
    expect(
      configError(() => resolveRuntimeConfig({ clients: { 'my gpt': openai() } })).message,
    ).toMatch(/^clients\."my gpt": a name starts with/);
  });
});

describe('createRuntime rejects bad configs with INVALID_CONFIG', () => {
  it('rejects an invalid client config and names the field', async () => {
    const error = await startError({
      logger: false,
      clients: { gpt: openai({ timeoutMs: -1 }) as never },
    });
    expect(error.message).toMatch(/^clients\.gpt\.timeoutMs: /);
  });

  it('rejects the typo maxConcurency', async () => {
    const error = await startError({
      logger: false,
      clients: { gpt: openai({ maxConcurency: 4 }) } as never,
    });
    expect(error.message).toBe('clients.gpt.maxConcurency: unknown key');
  });

  it('rejects a driver client without output', async () => {
    const config = driver();
    delete (config as Partial<typeof config>).output;
    const error = await startError({ logger: false, clients: { mine: config as never } });
    expect(error.message).toMatch(/^clients\.mine\.output: /);
  });

  it('starts anthropic and ollama clients without contacting anything', async () => {
    const runtime = await start({
      logger: false,
      clients: { a: { provider: 'anthropic', model: 'm' }, o: { provider: 'ollama', model: 'm' } },
    });
    expect(runtime.health('a')).toMatchObject({ status: 'running', provider: 'anthropic' });
    expect(runtime.health('o')).toMatchObject({ status: 'running', provider: 'ollama' });
  });

  it('rejects a cache that cannot be opened, naming the client, and starts none of the others', async () => {
    const error = await startError({
      logger: false,
      clients: {
        ok: openai() as never,
        x: { ...openai(), cache: { store: 'sqlite', path: '/dev/null/cache.sqlite' } } as never,
      },
    });
    expect(error.message).toMatch(/^clients\.x\.cache: cannot open the sqlite cache/);
  });

  it('starts a valid config of driver and openai clients without contacting anything', async () => {
    const runtime = await start({
      logger: false,
      clients: { mine: driver() as never, gpt: openai() as never },
    });
    expect(runtime.clients().sort()).toEqual(['gpt', 'mine']);
    expect(runtime.health('gpt').status).toBe('running');
  });

  it('rejects registering a name that is already registered', async () => {
    const runtime = await start({ logger: false, clients: { gpt: openai() as never } });
    let error: unknown;
    try {
      await runtime.register('gpt', driver() as never);
    } catch (e) {
      error = e;
    }
    expect(isLlmActorsError(error, 'INVALID_CONFIG')).toBe(true);
    expect((error as LlmActorsError).message).toBe(
      'clients.gpt: a client with this name is already registered',
    );
    expect(runtime.health('gpt').provider).toBe('openai');
  });

  it('rejects registering a bad name or a bad config and leaves nothing registered', async () => {
    const runtime = await start({ logger: false });
    await expect(runtime.register('my gpt', openai() as never)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    await expect(runtime.register('gpt', openai({ model: '' }) as never)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'clients.gpt.model: must not be empty',
    });
    expect(runtime.clients()).toEqual([]);
  });

  it('rejects a bad runtime-level field', async () => {
    const error = await startError({ logger: false, supervisor: { maxRestarts: 1.5 } });
    expect(error.message).toMatch(/^supervisor\.maxRestarts: /);
  });
});
