/**
 * Ollama's native chat wire format (`POST {baseUrl}/api/chat`): sampling settings under
 * `options` (`temperature`, `num_predict`), usage from `prompt_eval_count` / `eval_count`.
 * Streams are NDJSON lines, the last with `done: true`.
 */
import type { CachedCompletion } from '../model/answer.js';
import type { ResolvedClientConfig } from '../config/types.js';
import { badResponse } from '../model/failures.js';
import type { ChatMessage, EffectiveParams, FinishReason } from '../model/request.js';
import { EventTooLongError, NdjsonParser } from '../transport/sse.js';
import { HttpProvider } from './http-provider.js';
import { makeUsage, type DeltaCallback } from './provider.js';
import { midStreamError, StreamReader } from './stream-reader.js';

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

/** Ollama NDJSON lines, the last with `done: true`. */
class OllamaStreamReader extends StreamReader {
  protected readonly terminator = 'a line with done: true';
  private readonly ndjson = new NdjsonParser(this.limits.maxEventBytes);

  protected read(text: string): void {
    let lines: unknown[];
    try {
      lines = this.ndjson.push(text);
    } catch (cause) {
      // A line past the limit is typed as such by the base reader.
      if (cause instanceof EventTooLongError) throw cause;
      throw this.notJson(cause);
    }
    for (const line of lines) this.line(line);
  }

  protected readRest(): void {
    let last: unknown;
    try {
      last = this.ndjson.end();
    } catch (cause) {
      throw this.notJson(cause);
    }
    if (last !== undefined) this.line(last);
  }

  private line(value: unknown): void {
    if (this.done) return;
    if (typeof value !== 'object' || value === null) {
      throw badResponse(this.client, 'a stream line is not a JSON object');
    }
    const line = value as Record<string, unknown>;
    if (line.error !== undefined) {
      throw midStreamError(this.client, String(line.error), null, this.secrets);
    }
    if (typeof line.model === 'string') this.model = line.model;
    const content = (line.message as { content?: unknown } | undefined)?.content;
    if (typeof content === 'string') this.delta(content);
    if (line.done === true) {
      this.finishReason = ollamaFinishReason(line.done_reason);
      this.finish(makeUsage(line.prompt_eval_count, line.eval_count));
    }
  }

  private notJson(cause: unknown) {
    return badResponse(this.client, 'a stream line is not JSON', cause);
  }
}

/** The ollama provider of one client. */
export class OllamaProvider extends HttpProvider {
  constructor(config: ResolvedClientConfig, secrets: readonly string[], now: () => number) {
    super(config, secrets, now, 'ollama', '/api/chat', {
      ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
    });
  }

  protected body(
    messages: ChatMessage[],
    params: EffectiveParams,
    stream: boolean,
  ): Record<string, unknown> {
    return ollamaBody(this.config.model, messages, params, stream);
  }

  protected reader(onDelta: DeltaCallback): StreamReader {
    return new OllamaStreamReader(this.config, this.secrets, onDelta);
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
