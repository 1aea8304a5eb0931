/**
 * How Ax's requests and answers map onto llm-actors': media Ax may send, finish reasons,
 * sampling fields per provider, and the small helpers the service builds requests with.
 */
import type { AxAIFeatures, AxChatRequest, AxChatResponseResult } from '@ax-llm/ax';
import type { ProviderName } from '../../config/types.js';
import { LlmActorsError } from '../../model/errors.js';
import type { ChatMessage, Completion, FinishReason, RequestOptions } from '../../model/request.js';
import {
  AX_METADATA_KEY,
  type AxServiceModelConfig,
  type AxServiceResponseMetadata,
} from './types.js';

export type ChatPromptItem = AxChatRequest['chatPrompt'][number];
export type UserContent = Extract<ChatPromptItem, { role: 'user' }>['content'];
export type AxFinishReason = AxChatResponseResult['finishReason'];

export const NO_MEDIA: AxAIFeatures['media'] = {
  images: { supported: false, formats: [] },
  audio: { supported: false, formats: [] },
  files: { supported: false, formats: [], uploadMethod: 'none' },
  urls: { supported: false, webSearch: false, contextFetching: false },
};

// Ax's names for what a user content part carries, as AxMediaNotSupportedError words them.
export const MEDIA_NAMES: Record<string, string> = {
  image: 'Images',
  audio: 'Audio',
  file: 'Files',
  url: 'URLs',
};

export const FINISH_REASONS: Record<FinishReason, AxFinishReason> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'content_filter',
  tool_calls: 'function_call',
  error: 'error',
  other: undefined,
};

// Sampling fields with a wire name per provider; any other pairing is ignored, as Ax's own
// providers ignore what their API lacks (OpenAI has no topK). Drivers get none of them: their
// `extra` is theirs to define.
export type SamplingField = 'topP' | 'topK' | 'presencePenalty' | 'frequencyPenalty';
export const SAMPLING: Record<ProviderName, Partial<Record<SamplingField, string>>> = {
  openai: {
    topP: 'top_p',
    presencePenalty: 'presence_penalty',
    frequencyPenalty: 'frequency_penalty',
  },
  anthropic: { topP: 'top_p', topK: 'top_k' },
  ollama: {
    topP: 'top_p',
    topK: 'top_k',
    presencePenalty: 'presence_penalty',
    frequencyPenalty: 'frequency_penalty',
  },
  driver: {},
};

export function invalid(client: string, message: string): LlmActorsError {
  return new LlmActorsError('INVALID_REQUEST', `${client}: ${message}`, {
    client,
    retryable: false,
  });
}

export function named(m: ChatMessage, name: string | undefined): ChatMessage {
  return name === undefined ? m : { ...m, name };
}

export function metadata(c: Completion): Record<string, Record<string, unknown>> {
  const meta: AxServiceResponseMetadata = {
    client: c.client,
    cacheHit: c.cacheHit,
    latencyMs: c.latencyMs,
  };
  return { [AX_METADATA_KEY]: { ...meta } };
}

/** RequestOptions without undefined members: llm-actors validates every key that is present. */
export function defined(o: RequestOptions): RequestOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as RequestOptions;
}

export function mergeSignals(
  a: AbortSignal | undefined,
  b: AbortSignal | undefined,
): AbortSignal | undefined {
  if (!a || !b || a === b) return a ?? b;
  return AbortSignal.any([a, b]);
}

/** What of Ax's model config has a wire name on this provider, as `extra`. */
export function providerExtra(
  provider: ProviderName,
  mc: AxServiceModelConfig,
  responseFormat: 'json_object' | 'json_schema' | undefined,
): Record<string, unknown> | undefined {
  const sampling: Record<string, unknown> = {};
  for (const [field, wire] of Object.entries(SAMPLING[provider])) {
    const value = mc[field as SamplingField];
    if (value !== undefined) sampling[wire] = value;
  }
  const extra: Record<string, unknown> =
    provider === 'ollama' && Object.keys(sampling).length > 0 ? { options: sampling } : sampling;
  if (provider === 'openai' && (mc.n ?? 1) > 1) extra.n = mc.n;
  if (responseFormat === 'json_object') {
    if (provider === 'openai') extra.response_format = { type: 'json_object' };
    if (provider === 'ollama') extra.format = 'json';
  }
  return Object.keys(extra).length > 0 ? extra : undefined;
}
