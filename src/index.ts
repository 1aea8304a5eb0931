/**
 * llm-actors: LLM provider clients as named, supervised actors.
 */
export { createRuntime, Runtime } from './runtime.js';
export { LlmActorsError, isLlmActorsError, ErrorCodes } from './errors.js';
export type { ErrorCode, LlmActorsErrorDetails } from './errors.js';
export type {
  CacheConfig,
  ClientConfig,
  DriverClientConfig,
  DriverOutput,
  DriverRequest,
  RequestDefaults,
  FuseConfig,
  HttpClientConfig,
  ProviderName,
  RetryConfig,
  RuntimeConfig,
  SupervisorConfig,
} from './config.js';
export type {
  ChatMessage,
  Choice,
  Completion,
  EffectiveParams,
  FinishReason,
  RequestOptions,
  Role,
  Usage,
} from './request.js';
export type { ClientHealth, ClientStatus } from './health.js';
export type { CompletionStream, StreamChunk } from './stream.js';
export type { FuseSnapshot, FuseState } from './actors/fuse.js';
export type { LastError, LatencyPercentiles } from './actors/stats.js';
export type { CacheStats } from './cache/client-cache.js';
export type { HistoryEntry } from './actors/history.js';
export type { RuntimeEvent, RuntimeEventListener, RuntimeEventType } from './events.js';
export type { Clock } from './clock.js';
