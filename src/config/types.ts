/**
 * The configuration's types: what users write, and what the runtime holds once defaults are
 * applied (see resolve.ts).
 */
import type { Logger, LoggerOptions } from 'pino';
import type { BudgetConfig } from './budget.js';
import type { Pricing } from './pricing.js';
import type { TraceConfig } from './trace.js';
import type { Clock } from '../model/clock.js';
import type { GroupConfig, ResolvedGroupConfig } from './group.js';
import type { ToolCall } from '../model/chat.js';
import type { ChatMessage, FinishReason, RequestParams } from '../model/request.js';
import type { RateLimitConfig } from './rate-limit.js';
import type { ClientTimeLimits } from './time-limits.js';

/** Which wire format a client speaks. */
export type ProviderName = 'openai' | 'anthropic' | 'ollama' | 'driver';

/** What a driver's `request` function receives: the request's effective parameters and more. */
export interface DriverRequest extends RequestParams {
  messages: ChatMessage[];
  model: string;
  /** Aborted when the caller aborts or the deadline passes: pass it to your transport. */
  signal: AbortSignal;
}

/** Client-wide request parameters; per-request options override them field by field. */
export type RequestDefaults = RequestParams;

/**
 * What a driver's `output` function returns: the normalized answer. With `toolCalls` the
 * finish reason defaults to `tool_calls`; `reasoning` is the model's visible reasoning.
 */
export interface DriverOutput {
  text: string;
  finishReason?: FinishReason;
  usage?: { promptTokens?: number; completionTokens?: number; totalTokens?: number };
  model?: string;
  toolCalls?: ToolCall[];
  reasoning?: string;
  choices?: Array<{
    text: string;
    finishReason?: FinishReason;
    toolCalls?: ToolCall[];
    reasoning?: string;
  }>;
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

interface ClientConfigBase extends ClientTimeLimits {
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
  /**
   * The largest answer read from the provider, in bytes: a JSON body or an error body as it
   * arrives, or the text of a stream as it accumulates. Past it the request fails with
   * BAD_RESPONSE naming the limit (not retried; a failure for the fuse) and the connection is
   * dropped. Default 16 MiB (16 777 216).
   */
  maxResponseBytes?: number;
  /**
   * The longest single event of a stream (an SSE event, an NDJSON line), in characters of
   * decoded text (one per byte for ASCII). Past it: BAD_RESPONSE naming the limit, connection
   * dropped. Default 1 MiB (1 048 576).
   */
  maxEventBytes?: number;
  /** USD per million tokens: gives `completion.costUsd` and `health.cost` (docs/observability.md). */
  pricing?: Pricing;
  /** Daily limits in USD and tokens; past one, requests fail with BUDGET_EXCEEDED. */
  budget?: BudgetConfig;
  /** What the client's OpenTelemetry spans record. */
  trace?: TraceConfig;
  /** Admission budget per minute; see {@link RateLimitConfig}. Default: none. */
  rateLimit?: RateLimitConfig;
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
  /** Groups of those clients, addressed by name like a client (see docs/groups.md). */
  groups?: Record<string, GroupConfig>;
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
  maxResponseBytes: number;
  maxEventBytes: number;
  pricing?: Pricing;
  budget?: BudgetConfig;
  trace?: TraceConfig;
  firstTokenTimeoutMs: number | undefined;
  idleTimeoutMs: number | undefined;
  rateLimit: RateLimitConfig | undefined;
  driver?: Pick<DriverClientConfig, 'request' | 'output'>;
}

/** The runtime config with every default applied. */
export interface ResolvedRuntimeConfig {
  clients: ResolvedClientConfig[];
  groups: ResolvedGroupConfig[];
  cache: CacheConfig | false;
  supervisor: SupervisorConfig;
  logger: Logger | LoggerOptions | false | undefined;
  clock: Clock | undefined;
}
