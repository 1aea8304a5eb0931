/**
 * llm-actors: LLM provider clients as named, supervised actors.
 */
export { createRuntime } from './create-runtime.js';
export { Runtime } from './runtime.js';
export { LlmActorsError, isLlmActorsError, ErrorCodes } from './model/errors.js';
export type { ErrorCode, LlmActorsErrorDetails, ProviderErrorFields } from './model/errors.js';
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
} from './config/types.js';
export type { RateLimitConfig } from './config/rate-limit.js';
export type { ClientTimeLimits } from './config/time-limits.js';
export type {
  AssistantMessage,
  ImagePart,
  JsonSchema,
  ReasoningOptions,
  ReasoningPart,
  ResponseFormat,
  SystemMessage,
  TextPart,
  TokenLogprob,
  ToolCall,
  ToolCallDelta,
  ToolChoice,
  ToolDefinition,
  ToolMessage,
  UserMessage,
} from './model/chat.js';
export type {
  AnswerParts,
  ChatMessage,
  Choice,
  Completion,
  EffectiveParams,
  RequestParams,
  FinishReason,
  RequestOptions,
  Role,
  Usage,
} from './model/request.js';
export type { ClientHealth, ClientStatus } from './observe/health.js';
export { isClientHealth } from './observe/health.js';
export type { GroupConfig, GroupMember, GroupStrategy } from './config/group.js';
export type { GroupHealth, GroupMemberHealth } from './groups/health.js';
export type { Route, RouteAttempt } from './model/errors.js';
export type { CompletionStream, StreamChunk } from './client/stream.js';
export type { FuseSnapshot, FuseState } from './policy/fuse.js';
export type { LastCause, LastError, LatencyPercentiles } from './observe/stats.js';
export type { SeriesPoints } from './observe/series.js';
export type { GroupSeriesPoints } from './groups/series.js';
export type { CacheStats } from './cache/counters.js';
export type { HistoryEntry } from './observe/history.js';
export type { RuntimeEvent, RuntimeEventListener, RuntimeEventType } from './observe/events.js';
export type { Clock } from './model/clock.js';
