/**
 * The OpenAI Chat Completions wire format (`POST {baseUrl}/chat/completions`). Any
 * OpenAI-compatible server speaks it: vLLM, Ollama's /v1, LM Studio, llama.cpp server.
 * Streams are chat.completion.chunk events (with `stream_options.include_usage`), ending with
 * `data: [DONE]`.
 */
import type { CachedChoice, CachedCompletion } from '../model/answer.js';
import type { ResolvedClientConfig } from '../config/types.js';
import type { ChatMessage, EffectiveParams, FinishReason } from '../model/request.js';
import { SseParser } from '../transport/sse.js';
import { HttpProvider } from './http-provider.js';
import { makeUsage, type DeltaCallback } from './provider.js';
import { midStreamError, parseJson, StreamReader } from './stream-reader.js';

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

/** OpenAI chat.completion.chunk events, ending with `data: [DONE]`. */
class OpenAIStreamReader extends StreamReader {
  protected readonly terminator = 'data: [DONE]';
  private readonly sse = new SseParser(this.limits.maxEventBytes);
  private promptTokens: unknown = 0;
  private completionTokens: unknown = 0;

  protected read(text: string): void {
    for (const event of this.sse.push(text)) this.event(event.data);
  }

  private event(data: string): void {
    if (this.done) return;
    if (data === '[DONE]') {
      this.finish(makeUsage(this.promptTokens, this.completionTokens));
      return;
    }
    const chunk = parseJson(this.client, data);
    const error = chunk.error as { message?: unknown } | undefined;
    if (error) {
      throw midStreamError(this.client, String(error.message ?? 'unknown'), null, this.secrets);
    }
    if (typeof chunk.model === 'string') this.model = chunk.model;
    const usage = chunk.usage as Record<string, unknown> | null | undefined;
    if (usage) {
      this.promptTokens = usage.prompt_tokens;
      this.completionTokens = usage.completion_tokens;
    }
    const choice = (chunk.choices as Array<Record<string, unknown>> | undefined)?.[0];
    if (choice?.finish_reason != null) this.finishReason = openaiFinishReason(choice.finish_reason);
    const content = (choice?.delta as { content?: unknown } | undefined)?.content;
    if (typeof content === 'string') this.delta(content);
  }
}

/** The openai provider of one client. */
export class OpenAIProvider extends HttpProvider {
  constructor(config: ResolvedClientConfig, secrets: readonly string[], now: () => number) {
    super(config, secrets, now, 'openai', '/chat/completions', {
      ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
    });
  }

  protected body(
    messages: ChatMessage[],
    params: EffectiveParams,
    stream: boolean,
  ): Record<string, unknown> {
    const body: Record<string, unknown> = params.extra ? { ...params.extra } : {};
    body.model = this.config.model;
    body.messages = messages;
    if (params.temperature !== undefined) body.temperature = params.temperature;
    if (params.maxTokens !== undefined) body.max_tokens = params.maxTokens;
    if (params.stop !== undefined) body.stop = params.stop;
    if (params.seed !== undefined) body.seed = params.seed;
    if (stream) {
      body.stream = true;
      body.stream_options = { include_usage: true };
    }
    return body;
  }

  protected reader(onDelta: DeltaCallback): StreamReader {
    return new OpenAIStreamReader(this.config, this.secrets, onDelta);
  }

  protected normalize(raw: Record<string, unknown>): CachedCompletion {
    if (!Array.isArray(raw.choices) || raw.choices.length === 0) {
      throw this.bad('no choices in the answer');
    }
    const choices: CachedChoice[] = (raw.choices as OpenAIChoice[]).map((c) => {
      const content = c?.message?.content;
      if (content !== null && content !== undefined && typeof content !== 'string') {
        throw this.bad('a choice has non-text content');
      }
      return { text: content ?? '', finishReason: openaiFinishReason(c?.finish_reason) };
    });
    const [primary] = choices as [CachedChoice, ...CachedChoice[]];
    const usage = (raw.usage ?? {}) as Record<string, unknown>;
    const completion: CachedCompletion = {
      text: primary.text,
      finishReason: primary.finishReason,
      usage: makeUsage(usage.prompt_tokens, usage.completion_tokens, usage.total_tokens),
      model: typeof raw.model === 'string' ? raw.model : this.config.model,
    };
    if (choices.length > 1) completion.choices = choices;
    return completion;
  }
}
