/**
 * The OpenAI Chat Completions wire format (`POST {baseUrl}/chat/completions`). Any
 * OpenAI-compatible server speaks it: vLLM, Ollama's /v1, LM Studio, llama.cpp server.
 */
import type { CachedCompletion } from '../model/answer.js';
import type { ResolvedClientConfig } from '../config/types.js';
import type { ChatMessage, Choice, EffectiveParams, FinishReason } from '../model/request.js';
import { HttpProvider } from './http-provider.js';
import { makeUsage, type StreamReader } from './provider.js';
import { openaiStreamReader } from './streams.js';

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'content_filter',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
};

/** Maps an OpenAI `finish_reason` to ours. */
export function openaiFinishReason(reason: unknown): FinishReason {
  return typeof reason === 'string' ? (FINISH[reason] ?? 'other') : 'stop';
}

interface OpenAIChoice {
  message?: { content?: unknown };
  finish_reason?: unknown;
}

/** The openai provider of one client. */
export class OpenAIProvider extends HttpProvider {
  constructor(config: ResolvedClientConfig, secrets: readonly string[], now: () => number) {
    super(config, secrets, now, 'openai', '/chat/completions', {
      ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
    });
  }

  protected body(messages: ChatMessage[], params: EffectiveParams): Record<string, unknown> {
    const body: Record<string, unknown> = { ...params.extra, model: this.config.model, messages };
    if (params.temperature !== undefined) body.temperature = params.temperature;
    if (params.maxTokens !== undefined) body.max_tokens = params.maxTokens;
    if (params.stop !== undefined) body.stop = params.stop;
    if (params.seed !== undefined) body.seed = params.seed;
    return body;
  }

  protected streamBody(messages: ChatMessage[], params: EffectiveParams): Record<string, unknown> {
    return {
      ...this.body(messages, params),
      stream: true,
      stream_options: { include_usage: true },
    };
  }

  protected streamReader(): StreamReader {
    return openaiStreamReader(this.config.name, this.config.model, this.secrets);
  }

  protected normalize(raw: Record<string, unknown>): CachedCompletion {
    if (!Array.isArray(raw.choices) || raw.choices.length === 0) {
      throw this.bad('no choices in the answer');
    }
    const choices: Choice[] = (raw.choices as OpenAIChoice[]).map((c) => {
      const content = c?.message?.content;
      if (content !== null && content !== undefined && typeof content !== 'string') {
        throw this.bad('a choice has non-text content');
      }
      return { text: content ?? '', finishReason: openaiFinishReason(c?.finish_reason) };
    });
    const [primary] = choices as [Choice, ...Choice[]];
    const usage = (raw.usage ?? {}) as Record<string, unknown>;
    return {
      text: primary.text,
      finishReason: primary.finishReason,
      usage: makeUsage(usage.prompt_tokens, usage.completion_tokens, usage.total_tokens),
      model: typeof raw.model === 'string' ? raw.model : this.config.model,
      ...(choices.length > 1 ? { choices } : {}),
    };
  }
}
