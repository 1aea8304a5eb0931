/**
 * The public types of `llm-actors/ax`.
 */
import type { AxAIServiceOptions, AxModelConfig } from '@ax-llm/ax';

/** Ax's model config plus `seed`, which Ax's own type lacks but passes through untouched. */
export type AxServiceModelConfig = AxModelConfig & { seed?: number };

/** Options of {@link createAxService}. */
export interface AxServiceOptions {
  /** The name Ax sees: `getName()` and `modelUsage.ai`. Default `'llm-actors'`. */
  name?: string;
  /** `getId()`. Default `llm-actors:<client>`. */
  id?: string;
  /** Defaults under every request's `modelConfig`, as the `config` of Ax's own providers. */
  modelConfig?: AxServiceModelConfig;
  /** Ax service options (`debug`, `logger`, `timeout`, `abortSignal`…); `setOptions` replaces them. */
  options?: AxAIServiceOptions;
  /** Part of every request's cache key: a new id gets fresh answers, themselves cached. */
  rolloutId?: string | number;
  /** `false` bypasses the client's cache (read, write and single-flight) for every request. */
  cache?: boolean;
}

/** What the adapter adds under `AxChatResponse.providerMetadata`. */
export interface AxServiceResponseMetadata {
  /** The llm-actors client that answered. */
  client: string;
  /** True when served from the client's cache: no fuse, no network, nothing paid. */
  cacheHit: boolean;
  /** llm-actors' latency of the answer, in ms. */
  latencyMs: number;
}

/** The `providerMetadata` key of {@link AxServiceResponseMetadata}. */
export const AX_METADATA_KEY = 'llmActors';
