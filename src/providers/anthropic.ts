/**
 * The Anthropic Messages wire format (`POST {baseUrl}/v1/messages`): system messages lifted to
 * `system`, `max_tokens` always sent, usage from `input_tokens` / `output_tokens`.
 */
import type { CachedCompletion } from '../model/answer.js';
import type { ResolvedClientConfig } from '../config/types.js';
import type { ChatMessage, EffectiveParams, FinishReason } from '../model/request.js';
import { HttpProvider } from './http-provider.js';
import { makeUsage, type StreamReader } from './provider.js';
import { anthropicStreamReader } from './streams.js';

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
  const body: Record<string, unknown> = {
    ...params.extra,
    model,
    max_tokens: params.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages: messages
      .filter((m) => m.role !== 'system')
      .map((m) => ({ role: m.role === 'assistant' ? 'assistant' : 'user', content: m.content })),
  };
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

/** The anthropic provider of one client. */
export class AnthropicProvider extends HttpProvider {
  constructor(config: ResolvedClientConfig, secrets: readonly string[], now: () => number) {
    super(config, secrets, now, 'anthropic', '/v1/messages', {
      'anthropic-version': ANTHROPIC_VERSION,
      ...(config.apiKey ? { 'x-api-key': config.apiKey } : {}),
    });
  }

  protected body(messages: ChatMessage[], params: EffectiveParams): Record<string, unknown> {
    return anthropicBody(this.config.model, messages, params);
  }

  protected streamBody(messages: ChatMessage[], params: EffectiveParams): Record<string, unknown> {
    return { ...this.body(messages, params), stream: true };
  }

  protected streamReader(): StreamReader {
    return anthropicStreamReader(this.config.name, this.config.model, this.secrets);
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
