/**
 * A completion's content, finish reason, usage and metadata as the AI SDK reports them.
 */
import type {
  LanguageModelV3Content,
  LanguageModelV3FinishReason,
  LanguageModelV3Usage,
  SharedV3ProviderMetadata,
} from '@ai-sdk/provider';
import type { ToolCall } from '../../model/chat.js';
import type { Completion, FinishReason } from '../../model/request.js';
import { answerMetadata } from '../shared/metadata.js';
import { REASONING_PARTS_KEY } from './parts.js';
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

/**
 * The content of an answer in order: its reasoning, its text, its tool calls (`inventId`
 * names one that came without an id).
 */
export function content(
  completion: Completion,
  inventId: (index: number) => string,
): LanguageModelV3Content[] {
  const parts: LanguageModelV3Content[] = [];
  const reasoning = completion.reasoning ?? '';
  const metadata = reasoningMetadata(completion);
  if (reasoning !== '' || metadata !== undefined) {
    parts.push({
      type: 'reasoning',
      text: reasoning,
      ...(metadata === undefined ? {} : { providerMetadata: metadata }),
    });
  }
  if (completion.text !== '') parts.push({ type: 'text', text: completion.text });
  (completion.toolCalls ?? []).forEach((call, i) =>
    parts.push(toolCall(call, call.id || inventId(i))),
  );
  return parts;
}

/** A tool call as the AI SDK takes it, under `id`: its input JSON text, `{}` when the model sent none. */
export function toolCall(call: ToolCall, id: string): LanguageModelV3Content {
  return {
    type: 'tool-call',
    toolCallId: id,
    toolName: call.name,
    input: call.arguments.trim() === '' ? '{}' : call.arguments,
  };
}

/**
 * The provider's reasoning parts under this adapter's key, when any of them must go back as
 * it came (a signed thinking block, a redacted one); undefined when the text says it all.
 */
export function reasoningMetadata(completion: Completion): SharedV3ProviderMetadata | undefined {
  const parts = completion.message.reasoning;
  if (parts === undefined) return undefined;
  const opaque = parts.some((p) => p.type === 'redacted-reasoning' || p.signature !== undefined);
  if (!opaque) return undefined;
  return { [PROVIDER_OPTIONS_KEY]: { [REASONING_PARTS_KEY]: parts.map((p) => ({ ...p })) } };
}

/**
 * Usage as the AI SDK counts it: input split into cache reads, cache writes and the rest,
 * output into reasoning and text. A cache hit reports the usage of the answer it replays.
 */
export function usage({ usage }: Completion): LanguageModelV3Usage {
  const cacheRead = usage.cachedPromptTokens;
  const cacheWrite = usage.cacheWriteTokens;
  const reasoning = usage.reasoningTokens;
  return {
    inputTokens: {
      total: usage.promptTokens,
      noCache: Math.max(0, usage.promptTokens - (cacheRead ?? 0) - (cacheWrite ?? 0)),
      cacheRead,
      cacheWrite,
    },
    outputTokens: {
      total: usage.completionTokens,
      text: Math.max(0, usage.completionTokens - (reasoning ?? 0)),
      reasoning,
    },
  };
}

/** `providerMetadata`, this adapter's {@link AiSdkProviderMetadata} under its key. */
export function providerMetadata(
  completion: Completion,
): Record<typeof PROVIDER_OPTIONS_KEY, AiSdkProviderMetadata> {
  return { [PROVIDER_OPTIONS_KEY]: { ...answerMetadata(completion), model: completion.model } };
}
