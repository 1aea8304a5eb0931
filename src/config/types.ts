/**
 * Configuration: the schemas, their defaults, and INVALID_CONFIG errors that name the field and
 * the reason. Validated once, at `createRuntime` and `register`; never on the request path.
 */
import type { Logger, LoggerOptions } from 'pino';
import { z } from 'zod';
import type { Clock } from '../model/clock.js';
import { LlmActorsError } from '../model/errors.js';
import { extraProblem, type ChatMessage, type FinishReason } from '../model/request.js';

/** Which wire format a client speaks. */
export type ProviderName = 'openai' | 'anthropic' | 'ollama' | 'driver';

/** What a driver's `request` function receives. */
export interface DriverRequest {
  messages: ChatMessage[];
  model: string;
  temperature?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
  extra?: Record<string, unknown>;
  /** Aborted when the caller aborts or the deadline passes: pass it to your transport. */
  signal: AbortSignal;
}

/** Client-wide request parameters; per-request options override them. */
export interface RequestDefaults {
  temperature?: number;
  maxTokens?: number;
  /** Stop sequences (see `RequestOptions.stop`). */
  stop?: string[];
  /** Sampling seed (see `RequestOptions.seed`). */
  seed?: number;
  extra?: Record<string, unknown>;
}

/** What a driver's `output` function returns: the normalized answer. */
export interface DriverOutput {
  text: string;
  finishReason?: FinishReason;
  usage?: { promptTokens?: number; completionTokens?: number; totalTokens?: number };
  model?: string;
  choices?: Array<{ text: string; finishReason?: FinishReason }>;
}

/** Where a client caches answers. */
export interface CacheConfig {
  /** `memory` (default, per process), `sqlite` (a file, persistent), `redis` (shared). */
  store: 'memory' | 'sqlite' | 'redis';
  /** sqlite: the database file (created with mode 0600). Default `.cache/llm-actors.sqlite`. */
  path?: string;
  /** redis: the connection URL, e.g. `redis://127.0.0.1:6379`. */
  url?: string;
  /** Entries older than this are misses. Default: never expire. */
  ttlMs?: number;
  /** memory: at most this many answers, least recently used evicted first. Default 10 000. */
  maxEntries?: number;
  /**
   * sqlite and redis: how many recent answers are also kept in memory in front of the store,
   * so hot hits skip the store round trip. 0 turns the front off. Default 1 000. The front
   * belongs to this process: a `clearCache` in another process is not seen by it.
   */
  frontEntries?: number;
  /**
   * redis: single-flight across processes. On a miss, a process takes a short Redis lock on the
   * request's key before calling upstream; the others wait for its answer to land in the cache
   * instead of calling too. The lock expires with the holder's deadline, so a holder that dies
   * only delays the others. Default true.
   */
  singleFlight?: boolean;
}

/** Fuse (circuit breaker) settings. */
export interface FuseConfig {
  /** Failures within `windowMs` that melt the fuse. Default 5. */
  maxFailures: number;
  /** The sliding window of failures, ms. Default 10 000. */
  windowMs: number;
  /** How long the first melt stays open, ms. Default 10 000. */
  resetMs: number;
  /** Each consecutive melt multiplies the open time by this. Default 2. */
  backoffFactor: number;
  /** Cap on the open time, ms. Default 300 000. */
  maxResetMs: number;
  /**
   * Fleet-wide fuse over Redis pub/sub: when this client's fuse opens in one process, the same
   * client's fuse opens in every process sharing `url` (for the time the first one will stay
   * open); a probe that succeeds anywhere closes it everywhere. Each process still probes for
   * itself. Redis down: the fuse goes on locally.
   */
  shared?: { url: string };
}

/** Retry settings. */
export interface RetryConfig {
  /** Attempts in all, the first included. Default 3. */
  maxAttempts: number;
  /** Base of the exponential backoff, ms. Default 250. */
  baseDelayMs: number;
  /** Cap on one backoff delay (and on a honoured Retry-After), ms. Default 10 000. */
  maxDelayMs: number;
}

interface ClientConfigBase {
  /** The model name sent to the provider. */
  model: string;
  /** The provider's base URL. */
  baseUrl?: string;
  /** Sent as the provider expects it; never logged, cached or shown in health. */
  apiKey?: string;
  /** Extra HTTP headers sent with every request. */
  headers?: Record<string, string>;
  /** Default request parameters; per-request options override them. */
  defaults?: RequestDefaults;
  /** Deadline of one request over all its attempts, ms. Default 30 000. */
  timeoutMs?: number;
  /** Upstream calls in flight at once (also the pool's connection count). Default 64. */
  maxConcurrency?: number;
  /** Requests waiting for a slot; beyond it QUEUE_FULL. Default 1 024. */
  maxQueue?: number;
  /** This client's cache, or `false` for none. Default: the runtime's `cache`. */
  cache?: CacheConfig | false;
  /** Fuse settings (partial: the rest are defaults). */
  fuse?: Partial<FuseConfig>;
  /** Retry settings (partial), or `false` for a single attempt. */
  retry?: Partial<RetryConfig> | false;
  /** How many exchanges `runtime.history` keeps. Default 100. */
  historySize?: number;
}

/** A client speaking an HTTP wire format. */
export interface HttpClientConfig extends ClientConfigBase {
  provider: 'openai' | 'anthropic' | 'ollama';
}

/** A client backed by your own two functions (the DriverLM pattern). */
export interface DriverClientConfig<Raw = unknown> extends ClientConfigBase {
  provider: 'driver';
  /** Sends the request and returns the backend's raw answer. May be async. */
  request: (req: DriverRequest) => Raw | Promise<Raw>;
  /** Turns the raw answer into the normalized result. May be async. */
  output: (raw: Raw) => DriverOutput | Promise<DriverOutput>;
}

/** One client's configuration. */
export type ClientConfig = HttpClientConfig | DriverClientConfig<any>;

/** Supervisor settings. */
export interface SupervisorConfig {
  /** More than this many crashes of one client within `periodMs` marks it `failed`. Default 3. */
  maxRestarts: number;
  /** The intensity window, ms. Default 5 000. */
  periodMs: number;
  /** Wait before a restart, ms (status `restarting` meanwhile). Default 0: immediate. */
  backoffMs: number;
}

/** The argument of `createRuntime`. */
export interface RuntimeConfig {
  /** The clients to start, by name. */
  clients?: Record<string, ClientConfig>;
  /** The default cache of every client. Default `{ store: 'memory' }`. */
  cache?: CacheConfig | false;
  /** Supervisor settings (partial). */
  supervisor?: Partial<SupervisorConfig>;
  /** A pino logger, pino options, or `false` for silence. Default: pino at `warn` on stderr. */
  logger?: Logger | LoggerOptions | false;
  /** The time source (tests). Default: the system clock. */
  clock?: Clock;
}

/** A client config with every default applied. */
export interface ResolvedClientConfig {
  name: string;
  provider: ProviderName;
  model: string;
  baseUrl: string;
  apiKey: string | undefined;
  headers: Record<string, string>;
  defaults: RequestDefaults;
  timeoutMs: number;
  maxConcurrency: number;
  maxQueue: number;
  cache: CacheConfig | false;
  fuse: FuseConfig;
  retry: RetryConfig | false;
  historySize: number;
  driver?: Pick<DriverClientConfig, 'request' | 'output'>;
}

/** The runtime config with every default applied. */
export interface ResolvedRuntimeConfig {
  clients: ResolvedClientConfig[];
  cache: CacheConfig | false;
  supervisor: SupervisorConfig;
  logger: Logger | LoggerOptions | false | undefined;
  clock: Clock | undefined;
}

/** Defaults of DESIGN.md. */
export const DEFAULTS = {
  timeoutMs: 30_000,
  maxConcurrency: 64,
  maxQueue: 1_024,
  historySize: 100,
  fuse: {
    maxFailures: 5,
    windowMs: 10_000,
    resetMs: 10_000,
    backoffFactor: 2,
    maxResetMs: 300_000,
  },
  retry: { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 10_000 },
  supervisor: { maxRestarts: 3, periodMs: 5_000, backoffMs: 0 },
  cachePath: '.cache/llm-actors.sqlite',
  memoryEntries: 10_000,
  frontEntries: 1_000,
} as const;

const DEFAULT_BASE_URL: Record<ProviderName, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  ollama: 'http://127.0.0.1:11434',
  driver: 'driver://local',
};

const MAX_TIMER_MS = 2_147_483_647;
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

const ms = (min = 1) => z.number().int().min(min).max(MAX_TIMER_MS);
const fn = (what: string) =>
  z.custom<(...args: any[]) => unknown>((v) => typeof v === 'function', {
    error: `expected a function (${what})`,
  });
// The check runs on the input: zod strips an own `__proto__` key from a record's output, so a
// refinement of the parsed record would never see it.
const safeRecord = <T extends z.ZodType>(value: T) =>
  z
    .unknown()
    .superRefine((v, ctx) => {
      if (typeof v !== 'object' || v === null) return;
      for (const key of Object.keys(v)) {
        if (FORBIDDEN_NAMES.has(key)) {
          ctx.addIssue({
            code: 'custom',
            message: 'must not use the keys __proto__, constructor or prototype',
            path: [key],
          });
        }
      }
    })
    .pipe(z.record(z.string(), value));

const cacheSchema = z
  .strictObject({
    store: z.enum(['memory', 'sqlite', 'redis']),
    path: z.string().min(1).optional(),
    url: z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' }).optional(),
    ttlMs: ms().optional(),
    maxEntries: z.number().int().min(1).optional(),
    frontEntries: z.number().int().min(0).optional(),
    singleFlight: z.boolean().optional(),
  })
  .refine((c) => c.store !== 'redis' || c.url !== undefined, {
    error: "store 'redis' needs a url",
    path: ['url'],
  });

const CACHE_EXPECTED =
  "expected { store: 'memory' | 'sqlite' | 'redis', path?, url?, ttlMs?, maxEntries?, frontEntries?, singleFlight? } or false";

const paramsSchema = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().min(1).optional(),
  stop: z.array(z.string().min(1)).optional(),
  seed: z.int().optional(),
  extra: safeRecord(z.unknown())
    .superRefine((extra, ctx) => {
      const problem = extraProblem(extra);
      // Prototype keys are reported by safeRecord with their own path.
      if (problem !== undefined && !problem.endsWith('forbidden key')) {
        const [, key, reason] = /^(?:\.(\w+))?: ?(.*)$/.exec(problem) ?? [];
        ctx.addIssue({ code: 'custom', message: reason ?? problem, path: key ? [key] : [] });
      }
    })
    .optional(),
});

const clientSchema = z.strictObject({
  provider: z.enum(['openai', 'anthropic', 'ollama', 'driver'], {
    error: 'expected one of openai, anthropic, ollama, driver',
  }),
  model: z.string({ error: 'expected a model name' }).min(1, { error: 'must not be empty' }),
  baseUrl: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
  apiKey: z.string().min(1, { error: 'must not be empty (omit it instead)' }).optional(),
  headers: safeRecord(z.string()).optional(),
  defaults: paramsSchema.optional(),
  timeoutMs: ms().optional(),
  maxConcurrency: z.number().int().min(1).max(100_000).optional(),
  maxQueue: z.number().int().min(0).max(10_000_000).optional(),
  cache: z.union([cacheSchema, z.literal(false)], { error: CACHE_EXPECTED }).optional(),
  fuse: z
    .strictObject({
      maxFailures: z.number().int().min(1).optional(),
      windowMs: ms().optional(),
      resetMs: ms().optional(),
      backoffFactor: z.number().min(1).max(100).optional(),
      maxResetMs: ms().optional(),
      shared: z
        .strictObject({
          url: z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' }),
        })
        .optional(),
    })
    .optional(),
  retry: z
    .union(
      [
        z.strictObject({
          maxAttempts: z.number().int().min(1).max(100).optional(),
          baseDelayMs: ms(0).optional(),
          maxDelayMs: ms(0).optional(),
        }),
        z.literal(false),
      ],
      { error: 'expected { maxAttempts?, baseDelayMs?, maxDelayMs? } or false' },
    )
    .optional(),
  historySize: z.number().int().min(0).max(100_000).optional(),
  request: fn('the driver request function').optional(),
  output: fn('the driver output function').optional(),
});

const runtimeSchema = z.strictObject({
  clients: z.record(z.string(), z.unknown()).optional(),
  cache: z.union([cacheSchema, z.literal(false)], { error: CACHE_EXPECTED }).optional(),
  supervisor: z
    .strictObject({
      maxRestarts: z.number().int().min(0).optional(),
      periodMs: ms().optional(),
      backoffMs: ms(0).optional(),
    })
    .optional(),
  logger: z
    .union(
      [
        z.literal(false),
        z.custom<Logger | LoggerOptions>((v) => typeof v === 'object' && v !== null),
      ],
      { error: 'expected a pino logger, pino options or false' },
    )
    .optional(),
  clock: z
    .custom<Clock>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        ['now', 'setTimeout', 'clearTimeout', 'random'].every(
          (k) => typeof (v as Record<string, unknown>)[k] === 'function',
        ),
      { error: 'expected { now, setTimeout, clearTimeout, random }' },
    )
    .optional(),
});

/**
 * One `path: reason` line per problem. An unknown key is named in the path; a union (`{...} or
 * false`) that failed inside the object option reports those inner problems rather than zod's
 * bare "Invalid input".
 */
function issueLines(issues: readonly z.core.$ZodIssue[], base: PropertyKey[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(line([...path, key], 'unknown key'));
      continue;
    }
    if (issue.code === 'invalid_union') {
      const inner = issue.errors.find(
        (errs) => errs.length > 0 && errs.every((e) => e.path.length > 0),
      );
      if (inner) {
        lines.push(...issueLines(inner, path));
        continue;
      }
    }
    lines.push(line(path, issue.message));
  }
  return lines;
}

function line(path: PropertyKey[], message: string): string {
  const field = path.map(String).filter(Boolean).join('.');
  return `${field || 'config'}: ${message}`;
}

function formatIssues(prefix: string, error: z.ZodError): string {
  return issueLines(error.issues, prefix ? [prefix] : []).join('; ');
}

function invalidConfig(message: string, client?: string): LlmActorsError {
  return new LlmActorsError('INVALID_CONFIG', message, { client, retryable: false });
}

/** Throws INVALID_CONFIG unless `name` can name a client. */
export function checkClientName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
    throw invalidConfig('client name: expected a non-empty string of at most 128 characters');
  }
  if (FORBIDDEN_NAMES.has(name)) {
    throw invalidConfig(`clients.${name}: the name ${name} is reserved`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/.test(name)) {
    throw invalidConfig(
      `clients.${JSON.stringify(name.slice(0, 64))}: a name starts with a letter or digit and uses only letters, digits and . _ : / @ -`,
    );
  }
}

/**
 * Validates one client's config and applies defaults.
 *
 * @throws {@link LlmActorsError} INVALID_CONFIG naming the field and the reason.
 */
export function resolveClientConfig(
  name: string,
  input: unknown,
  runtimeCache: CacheConfig | false = { store: 'memory' },
): ResolvedClientConfig {
  checkClientName(name);
  const prefix = `clients.${name}`;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidConfig(`${prefix}: expected an object with provider and model`, name);
  }
  const parsed = clientSchema.safeParse(input);
  if (!parsed.success) throw invalidConfig(formatIssues(prefix, parsed.error), name);
  const c = parsed.data;
  const isDriver = c.provider === 'driver';
  if (isDriver && (c.request === undefined || c.output === undefined)) {
    throw invalidConfig(
      `${prefix}.${c.request === undefined ? 'request' : 'output'}: a driver client needs request and output functions`,
      name,
    );
  }
  if (!isDriver && (c.request !== undefined || c.output !== undefined)) {
    throw invalidConfig(
      `${prefix}.${c.request !== undefined ? 'request' : 'output'}: only driver clients take request/output functions`,
      name,
    );
  }
  const fuse = { ...DEFAULTS.fuse, ...c.fuse };
  if (fuse.maxResetMs < fuse.resetMs) {
    throw invalidConfig(
      `${prefix}.fuse: resetMs (${fuse.resetMs}) must not exceed maxResetMs (${fuse.maxResetMs})`,
      name,
    );
  }
  const retry = c.retry === false ? false : { ...DEFAULTS.retry, ...c.retry };
  if (retry && retry.maxDelayMs < retry.baseDelayMs) {
    throw invalidConfig(
      `${prefix}.retry.maxDelayMs: must be at least retry.baseDelayMs (${retry.baseDelayMs})`,
      name,
    );
  }
  const resolved: ResolvedClientConfig = {
    name,
    provider: c.provider,
    model: c.model,
    baseUrl: (c.baseUrl ?? DEFAULT_BASE_URL[c.provider]).replace(/\/+$/, ''),
    apiKey: c.apiKey,
    headers: { ...c.headers },
    defaults: { ...c.defaults },
    timeoutMs: c.timeoutMs ?? DEFAULTS.timeoutMs,
    maxConcurrency: c.maxConcurrency ?? DEFAULTS.maxConcurrency,
    maxQueue: c.maxQueue ?? DEFAULTS.maxQueue,
    cache: c.cache === undefined ? runtimeCache : c.cache,
    fuse,
    retry,
    historySize: c.historySize ?? DEFAULTS.historySize,
  };
  if (isDriver) {
    const driver = input as DriverClientConfig;
    resolved.driver = { request: driver.request, output: driver.output };
  }
  return resolved;
}

/**
 * Validates the whole runtime config and applies defaults.
 *
 * @throws {@link LlmActorsError} INVALID_CONFIG naming every field at fault and why.
 */
export function resolveRuntimeConfig(input: unknown): ResolvedRuntimeConfig {
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidConfig('config: expected an object');
  }
  const parsed = runtimeSchema.safeParse(input);
  const problems: string[] = [];
  if (!parsed.success) problems.push(formatIssues('', parsed.error));
  const cache = (parsed.success ? parsed.data.cache : undefined) ?? { store: 'memory' };
  // Checked even when the runtime-level fields are at fault, so every problem is reported at once.
  const rawClients: unknown = (input as Record<string, unknown>).clients;
  const clientsInput: Record<string, unknown> =
    typeof rawClients === 'object' && rawClients !== null && !Array.isArray(rawClients)
      ? (rawClients as Record<string, unknown>)
      : {};
  const clients: ResolvedClientConfig[] = [];
  for (const name of Object.keys(clientsInput)) {
    try {
      clients.push(resolveClientConfig(name, clientsInput[name], cache));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length > 0 || !parsed.success) throw invalidConfig(problems.join('; '));
  const c = parsed.data;
  return {
    clients,
    cache,
    supervisor: { ...DEFAULTS.supervisor, ...c.supervisor },
    logger: c.logger,
    clock: c.clock,
  };
}
