/**
 * A completion's finish reason, usage and metadata as the AI SDK reports them.
 */
import type { LanguageModelV3FinishReason, LanguageModelV3Usage } from '@ai-sdk/provider';
import type { Completion, FinishReason } from '../../model/request.js';
import { answerMetadata } from '../shared/metadata.js';
import { PROVIDER_OPTIONS_KEY, type AiSdkProviderMetadata } from './types.js';

const FINISH: Record<FinishReason, LanguageModelV3FinishReason['unified']> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'content-filter',
  tool_calls: 'tool-calls',
  error: 'error',
  other: 'other',
};

/** The AI SDK's finish reason, the llm-actors one kept as `raw`. */
export function finishReason(reason: FinishReason): LanguageModelV3FinishReason {
  return { unified: FINISH[reason], raw: reason };
}

/** Usage as the AI SDK counts it. A cache hit reports the usage of the answer it replays. */
export function usage({ usage }: Completion): LanguageModelV3Usage {
  return {
    inputTokens: {
      total: usage.promptTokens,
      noCache: usage.promptTokens,
      cacheRead: undefined,
      cacheWrite: undefined,
    },
    outputTokens: {
      total: usage.completionTokens,
      text: usage.completionTokens,
      reasoning: undefined,
    },
  };
}

/** `providerMetadata`, this adapter's {@link AiSdkProviderMetadata} under its key. */
export function providerMetadata(
  completion: Completion,
): Record<typeof PROVIDER_OPTIONS_KEY, AiSdkProviderMetadata> {
  return { [PROVIDER_OPTIONS_KEY]: { ...answerMetadata(completion), model: completion.model } };
}
