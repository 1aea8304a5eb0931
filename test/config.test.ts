import { describe, expect, it } from 'vitest';
import {
  checkClientName,
  resolveClientConfig,
  resolveRuntimeConfig,
} from '../src/config/resolve.js';
import { DEFAULTS } from '../src/config/defaults.js';
import type { DriverClientConfig } from '../src/config/types.js';
import { isLlmActorsError, type RuntimeConfig } from '../src/index.js';
import { LlmActorsError } from '../src/model/errors.js';
import { CONFIG_CASES, reasonFor } from './support/bad-input-fixtures.js';
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

describe('config: INVALID_CONFIG names the field and the reason', () => {
  it.each(CONFIG_CASES)('rejects %s', (_, config, path, reason) => {
    const error = configError(() => resolveRuntimeConfig(config));
    expect(reasonFor(error.message, path)).toMatch(reason);
  });

  it('reports several problems of one client together', () => {
    const message = clientProblem({ provider: 'openai', model: '', timeoutMs: -5, maxQueue: 'x' });
    expect(message.split('; ')).toHaveLength(3);
    expect(message).toContain('clients.gpt.model: must not be empty');
    expect(message).toContain('clients.gpt.timeoutMs: ');
    expect(message).toContain('clients.gpt.maxQueue: ');
  });

  it('sets the client of the error when resolving one client', () => {
    expect(configError(() => resolveClientConfig('gpt', { provider: 'x' })).client).toBe('gpt');
  });
});

describe('client config: accepted values and defaults', () => {
  it('accepts maxQueue 0', () => {
    expect(resolveClientConfig('gpt', openai({ maxQueue: 0 })).maxQueue).toBe(0);
  });

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
      maxResponseBytes: 16 * 1024 * 1024,
      maxEventBytes: 1024 * 1024,
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
});

describe('client names', () => {
  it.each([['gpt'], ['local-llama3.2'], ['a'], ['org/model@v1:fast_2'], ['9lives']])(
    'accepts %j',
    (name) => {
      expect(() => checkClientName(name)).not.toThrow();
    },
  );

  it('accepts a name of 128 characters (129 is in the bad-input table)', () => {
    expect(() => checkClientName('a'.repeat(128))).not.toThrow();
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
});

describe('createRuntime and register: what starts and what is refused', () => {
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
});
