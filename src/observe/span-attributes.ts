/**
 * The attributes of a request's span, in the OpenTelemetry GenAI semantic conventions
 * (`gen_ai.*`) plus the runtime's own (`llm_actors.*`). Built only when a span is recorded.
 */
import type { ResolvedClientConfig } from '../config/types.js';
import type { ChatMessage } from '../model/chat.js';
import type { LlmActorsError } from '../model/errors.js';
import type { Completion, EffectiveParams } from '../model/request.js';

/** A span attribute value (what `Span.setAttribute` takes). */
export type AttributeValue = string | number | boolean | string[];

/** Span attributes by name. */
export type Attributes = Record<string, AttributeValue>;

/** `extra` parameters with a GenAI attribute of their own (OpenAI's names for them). */
const EXTRA_PARAMS: ReadonlyArray<[string, string]> = [
  ['top_p', 'gen_ai.request.top_p'],
  ['top_k', 'gen_ai.request.top_k'],
  ['frequency_penalty', 'gen_ai.request.frequency_penalty'],
  ['presence_penalty', 'gen_ai.request.presence_penalty'],
  ['n', 'gen_ai.request.choice.count'],
];

/** What is known of a request when its span starts. */
export function requestAttributes(
  config: Pick<ResolvedClientConfig, 'name' | 'provider' | 'model'>,
  params: EffectiveParams,
  streamed: boolean,
): Attributes {
  const attributes: Attributes = {
    'gen_ai.operation.name': 'chat',
    // The semconv's own values for OpenAI and Anthropic; `ollama` and `driver` are ours.
    'gen_ai.provider.name': config.provider,
    'gen_ai.request.model': config.model,
    'llm_actors.client': config.name,
    'llm_actors.stream': streamed,
  };
  if (params.temperature !== undefined) {
    attributes['gen_ai.request.temperature'] = params.temperature;
  }
  if (params.maxTokens !== undefined) attributes['gen_ai.request.max_tokens'] = params.maxTokens;
  if (params.seed !== undefined) attributes['gen_ai.request.seed'] = params.seed;
  if (params.stop !== undefined) attributes['gen_ai.request.stop_sequences'] = params.stop;
  const extra = params.extra;
  if (extra !== undefined) {
    for (const [key, name] of EXTRA_PARAMS) {
      const value = extra[key];
      if (typeof value === 'number' && Number.isFinite(value)) attributes[name] = value;
    }
  }
  return attributes;
}

/** What is known of an answer; `costUsd` when the client has a price table. */
export function responseAttributes(
  completion: Completion,
  costUsd: number | undefined,
): Attributes {
  const finishReasons = completion.choices?.map((c) => c.finishReason) ?? [completion.finishReason];
  const attributes: Attributes = {
    'gen_ai.response.model': completion.model,
    'gen_ai.response.finish_reasons': finishReasons,
    'gen_ai.usage.input_tokens': completion.usage.promptTokens,
    'gen_ai.usage.output_tokens': completion.usage.completionTokens,
    'llm_actors.cache_hit': completion.cacheHit,
  };
  const { cachedPromptTokens, cacheWriteTokens, reasoningTokens } = completion.usage;
  if (cachedPromptTokens !== undefined) {
    attributes['gen_ai.usage.cache_read.input_tokens'] = cachedPromptTokens;
  }
  if (cacheWriteTokens !== undefined) {
    attributes['gen_ai.usage.cache_creation.input_tokens'] = cacheWriteTokens;
  }
  if (reasoningTokens !== undefined) {
    attributes['gen_ai.usage.reasoning.output_tokens'] = reasoningTokens;
  }
  if (costUsd !== undefined) attributes['llm_actors.cost_usd'] = costUsd;
  return attributes;
}

/** What a failure adds: `error.type` is the stable code, `http.response.status_code` when known. */
export function errorAttributes(error: LlmActorsError): Attributes {
  const attributes: Attributes = { 'error.type': error.code };
  if (typeof error.status === 'number') attributes['http.response.status_code'] = error.status;
  return attributes;
}

/** A message's text parts in the semconv's shape (`{ type: 'text', content }`). */
function parts(message: ChatMessage): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const content = message.content;
  if (typeof content === 'string') out.push({ type: 'text', content });
  else if (content !== null) {
    for (const part of content) {
      out.push(part.type === 'text' ? { type: 'text', content: part.text } : { type: 'uri' });
    }
  }
  if (message.role === 'assistant') {
    for (const call of message.toolCalls ?? []) {
      out.push({ type: 'tool_call', id: call.id, name: call.name, arguments: call.arguments });
    }
  }
  if (message.role === 'tool') {
    return [{ type: 'tool_call_response', id: message.toolCallId, response: out }];
  }
  return out;
}

/** `gen_ai.input.messages`: the chat history as JSON (only with `trace.content`). */
export function inputMessages(messages: readonly ChatMessage[]): string {
  return JSON.stringify(messages.map((m) => ({ role: m.role, parts: parts(m) })));
}

/** `gen_ai.output.messages`: every choice's assistant turn as JSON (only with `trace.content`). */
export function outputMessages(completion: Completion): string {
  const choices = completion.choices ?? [completion];
  return JSON.stringify(
    choices.map((c) => ({
      role: 'assistant',
      parts: parts(c.message),
      finish_reason: c.finishReason,
    })),
  );
}
