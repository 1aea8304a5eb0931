/**
 * The Anthropic Messages wire format (`POST {baseUrl}/v1/messages`): system messages lifted to
 * `system`, `max_tokens` always sent, usage from `input_tokens` / `output_tokens`. Streams are
 * SSE events: message_start, content_block_delta…, message_delta, message_stop.
 */
import type { CachedCompletion } from '../model/answer.js';
import type { ResolvedClientConfig } from '../config/types.js';
import type { ChatMessage, EffectiveParams, FinishReason } from '../model/request.js';
import { SseParser } from '../transport/sse.js';
import { HttpProvider } from './http-provider.js';
import { makeUsage, type DeltaCallback } from './provider.js';
import { midStreamError, parseJson, StreamReader } from './stream-reader.js';

/** The API version header sent unless the client's `headers` set another. */
export const ANTHROPIC_VERSION = '2023-06-01';

/** `max_tokens` is required by the Messages API; this is sent when no maxTokens is set. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

const FINISH: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/** Maps an Anthropic `stop_reason` to ours. */
export function anthropicFinishReason(reason: unknown): FinishReason {
  return typeof reason === 'string' ? (FINISH[reason] ?? 'other') : 'stop';
}

/** The Messages API request body of a chat: system prompts lifted out, tool turns as user turns. */
export function anthropicBody(
  model: string,
  messages: ChatMessage[],
  params: EffectiveParams,
): Record<string, unknown> {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const body: Record<string, unknown> = params.extra ? { ...params.extra } : {};
  body.model = model;
  body.max_tokens = params.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS;
  body.messages = messages
    .filter((m) => m.role !== 'system')
    .map((m) => ({ role: m.role === 'assistant' ? 'assistant' : 'user', content: m.content }));
  if (system.length > 0) body.system = system.join('\n\n');
  if (params.temperature !== undefined) body.temperature = params.temperature;
  if (params.stop !== undefined) body.stop_sequences = params.stop;
  return body;
}

/** Token usage of an Anthropic answer: cached prompt tokens are prompt tokens too. */
export function anthropicUsage(usage: Record<string, unknown>) {
  const prompt = [
    usage.input_tokens,
    usage.cache_creation_input_tokens,
    usage.cache_read_input_tokens,
  ].reduce<number>((sum, n) => sum + (typeof n === 'number' && n > 0 ? n : 0), 0);
  return makeUsage(prompt, usage.output_tokens);
}

/** Statuses of the error types Anthropic sends inside a stream (to decide on a retry). */
const ERROR_STATUS: Record<string, number> = {
  overloaded_error: 529,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
};

/** Anthropic message_start … content_block_delta … message_delta, message_stop. */
class AnthropicStreamReader extends StreamReader {
  protected readonly terminator = 'message_stop';
  private readonly sse = new SseParser(this.limits.maxEventBytes);
  /** message_start's usage, updated by message_delta's. */
  private readonly usage: Record<string, unknown> = {};

  protected read(text: string): void {
    for (const event of this.sse.push(text)) this.event(event.event, event.data);
  }

  private event(type: string, data: string): void {
    if (this.done || type === 'ping') return;
    const event = parseJson(this.client, data);
    switch (event.type ?? type) {
      case 'message_start': {
        const message = (event.message ?? {}) as Record<string, unknown>;
        if (typeof message.model === 'string') this.model = message.model;
        Object.assign(this.usage, message.usage);
        return;
      }
      case 'content_block_delta': {
        const delta = event.delta as { type?: unknown; text?: unknown } | undefined;
        if (delta?.type === 'text_delta' && typeof delta.text === 'string') this.delta(delta.text);
        return;
      }
      case 'message_delta': {
        const delta = event.delta as { stop_reason?: unknown } | undefined;
        if (delta?.stop_reason != null)
          this.finishReason = anthropicFinishReason(delta.stop_reason);
        Object.assign(this.usage, event.usage);
        return;
      }
      case 'message_stop':
        this.finish(anthropicUsage(this.usage));
        return;
      case 'error': {
        const error = (event.error ?? {}) as { type?: unknown; message?: unknown };
        const status = ERROR_STATUS[String(error.type)] ?? null;
        const message = `${String(error.type)}: ${String(error.message)}`;
        throw midStreamError(this.client, message, status, this.secrets);
      }
      default:
        return;
    }
  }
}

/** The anthropic provider of one client. */
export class AnthropicProvider extends HttpProvider {
  constructor(config: ResolvedClientConfig, secrets: readonly string[], now: () => number) {
    super(config, secrets, now, 'anthropic', '/v1/messages', {
      'anthropic-version': ANTHROPIC_VERSION,
      ...(config.apiKey ? { 'x-api-key': config.apiKey } : {}),
    });
  }

  protected body(
    messages: ChatMessage[],
    params: EffectiveParams,
    stream: boolean,
  ): Record<string, unknown> {
    const body = anthropicBody(this.config.model, messages, params);
    if (stream) body.stream = true;
    return body;
  }

  protected reader(onDelta: DeltaCallback): StreamReader {
    return new AnthropicStreamReader(this.config, this.secrets, onDelta);
  }

  protected normalize(raw: Record<string, unknown>): CachedCompletion {
    if (!Array.isArray(raw.content)) throw this.bad('no content in the answer');
    const text = (raw.content as Array<{ type?: unknown; text?: unknown }>)
      .filter((block) => block?.type === 'text' && typeof block.text === 'string')
      .map((block) => block.text as string)
      .join('');
    return {
      text,
      finishReason: anthropicFinishReason(raw.stop_reason),
      usage: anthropicUsage((raw.usage ?? {}) as Record<string, unknown>),
      model: typeof raw.model === 'string' ? raw.model : this.config.model,
    };
  }
}
