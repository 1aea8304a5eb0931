/**
 * Ollama's native chat wire format (`POST {baseUrl}/api/chat`): sampling settings under
 * `options` (`temperature`, `num_predict`), usage from `prompt_eval_count` / `eval_count`.
 */
import type { CachedCompletion } from '../model/answer.js';
import type { ResolvedClientConfig } from '../config/types.js';
import type { ChatMessage, EffectiveParams, FinishReason } from '../model/request.js';
import { HttpProvider } from './http-provider.js';
import { makeUsage, type StreamReader } from './provider.js';
import { ollamaStreamReader } from './streams.js';

/** Maps an Ollama `done_reason` to ours. */
export function ollamaFinishReason(reason: unknown): FinishReason {
  if (reason === undefined || reason === 'stop') return 'stop';
  return reason === 'length' ? 'length' : 'other';
}

/**
 * The /api/chat body. `extra` goes to the top level (format, keep_alive, think…), and its
 * `options` are merged under the ones set here.
 */
export function ollamaBody(
  model: string,
  messages: ChatMessage[],
  params: EffectiveParams,
  stream: boolean,
): Record<string, unknown> {
  const extra = params.extra ?? {};
  const options: Record<string, unknown> = {
    ...(typeof extra.options === 'object' && extra.options !== null ? extra.options : {}),
  };
  if (params.temperature !== undefined) options.temperature = params.temperature;
  if (params.maxTokens !== undefined) options.num_predict = params.maxTokens;
  if (params.stop !== undefined) options.stop = params.stop;
  if (params.seed !== undefined) options.seed = params.seed;
  const body: Record<string, unknown> = { ...extra, model, messages, stream };
  if (Object.keys(options).length > 0) body.options = options;
  else delete body.options;
  return body;
}

/** The ollama provider of one client. */
export class OllamaProvider extends HttpProvider {
  constructor(config: ResolvedClientConfig, secrets: readonly string[], now: () => number) {
    super(config, secrets, now, 'ollama', '/api/chat', {
      ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
    });
  }

  protected body(messages: ChatMessage[], params: EffectiveParams): Record<string, unknown> {
    return ollamaBody(this.config.model, messages, params, false);
  }

  protected streamBody(messages: ChatMessage[], params: EffectiveParams): Record<string, unknown> {
    return ollamaBody(this.config.model, messages, params, true);
  }

  protected streamReader(): StreamReader {
    return ollamaStreamReader(this.config.name, this.config.model, this.secrets);
  }

  protected normalize(raw: Record<string, unknown>): CachedCompletion {
    const message = raw.message as { content?: unknown } | undefined;
    if (typeof message?.content !== 'string') throw this.bad('no message content in the answer');
    return {
      text: message.content,
      finishReason: ollamaFinishReason(raw.done_reason),
      usage: makeUsage(raw.prompt_eval_count, raw.eval_count),
      model: typeof raw.model === 'string' ? raw.model : this.config.model,
    };
  }
}
