/**
 * The public types and constants of `llm-actors/ai-sdk`.
 */
import type { ReasoningOptions } from '../../model/chat.js';

/** The key of this adapter's `providerOptions` and `providerMetadata`. */
export const PROVIDER_OPTIONS_KEY = 'llm-actors';

/**
 * Per-call options of this adapter, passed as `providerOptions: { 'llm-actors': { … } }` to
 * `generateText` / `streamText`. They are llm-actors' own request options.
 */
export interface AiSdkCallOptions {
  /** Part of the cache key: a new id gets a fresh answer, itself cached. */
  rolloutId?: string | number;
  /** `false` bypasses the client's cache for this call. */
  cache?: boolean;
  /** One deadline over queueing and every attempt, ms. */
  timeoutMs?: number;
  /** Provider-specific body fields, sent as they are and part of the cache key. */
  extra?: Record<string, unknown>;
  /**
   * Reasoning effort (openai) or thinking budget (anthropic). `ai` 7's own `reasoning` setting
   * maps onto an effort; this one wins over it.
   */
  reasoning?: ReasoningOptions;
  /** `false` asks for at most one tool call per step. */
  parallelToolCalls?: boolean;
}

/** Options of `createLanguageModel`. */
export interface LanguageModelOptions {
  /** The `provider` the AI SDK reports (telemetry, errors). Default `'llm-actors'`. */
  provider?: string;
}

/** What the adapter reports under `providerMetadata['llm-actors']`. */
export interface AiSdkProviderMetadata {
  client: string;
  cacheHit: boolean;
  latencyMs: number;
  model: string;
  [key: string]: string | number | boolean;
}
