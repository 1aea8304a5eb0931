/**
 * What a request asks for once the client's defaults are applied, and the cache key made of it.
 */
import { KeyWriter } from '../cache/key.js';
import type { ResolvedClientConfig } from '../config/types.js';
import type { EffectiveParams, RequestOptions } from '../model/request.js';

/** The request's options over the client's defaults; only what is set. */
export function effectiveParams(
  defaults: ResolvedClientConfig['defaults'],
  options: RequestOptions | undefined,
): EffectiveParams {
  const params: EffectiveParams = {};
  const temperature = options?.temperature ?? defaults.temperature;
  const maxTokens = options?.maxTokens ?? defaults.maxTokens;
  if (temperature !== undefined) params.temperature = temperature;
  if (maxTokens !== undefined) params.maxTokens = maxTokens;
  const stop = options?.stop ?? defaults.stop;
  const seed = options?.seed ?? defaults.seed;
  if (stop !== undefined && stop.length > 0) params.stop = stop;
  if (seed !== undefined) params.seed = seed;
  if (defaults.extra !== undefined || options?.extra !== undefined) {
    params.extra = { ...defaults.extra, ...options?.extra };
  }
  // The chat options, checked one by one only when some are set (the plain path's cost).
  if (options?.tools !== undefined || defaults.tools !== undefined) {
    params.tools = options?.tools ?? defaults.tools;
  }
  const toolChoice = options?.toolChoice ?? defaults.toolChoice;
  if (toolChoice !== undefined) params.toolChoice = toolChoice;
  const parallel = options?.parallelToolCalls ?? defaults.parallelToolCalls;
  if (parallel !== undefined) params.parallelToolCalls = parallel;
  const format = options?.responseFormat ?? defaults.responseFormat;
  if (format !== undefined && format.type !== 'text') params.responseFormat = format;
  const reasoning = options?.reasoning ?? defaults.reasoning;
  if (reasoning !== undefined) params.reasoning = reasoning;
  const logprobs = options?.logprobs ?? defaults.logprobs;
  if (logprobs !== undefined && logprobs !== false) params.logprobs = logprobs;
  return params;
}

/** The cache key writer of a client. */
export function keyWriter(config: ResolvedClientConfig): KeyWriter {
  return new KeyWriter(config.provider, config.baseUrl, config.model);
}
