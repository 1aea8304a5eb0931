/**
 * Ollama's native chat wire format (`POST {baseUrl}/api/chat`): sampling settings under
 * `options` (`temperature`, `num_predict`), the chat's tools, images, format and think as
 * ollama-wire.ts writes them, usage from `prompt_eval_count` / `eval_count`.
 * Streams are NDJSON lines, the last with `done: true`.
 */
import type { CachedCompletion } from '../model/answer.js';
import type { ResolvedClientConfig } from '../config/types.js';
import type { ToolCall } from '../model/chat.js';
import type { ChatMessage, EffectiveParams, FinishReason } from '../model/request.js';
import { NdjsonParser } from '../transport/sse.js';
import { HttpProvider } from './http-provider.js';
import { ollamaMessages, writeOllamaOptions } from './ollama-wire.js';
import { makeUsage, type DeltaCallback } from './provider.js';
import { inBandText, midStreamError, StreamReader } from './stream-reader.js';

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
  const body: Record<string, unknown> = {
    ...extra,
    model,
    messages: ollamaMessages(messages),
    stream,
  };
  if (Object.keys(options).length > 0) body.options = options;
  else delete body.options;
  writeOllamaOptions(body, params);
  return body;
}

/** Ollama NDJSON lines, the last with `done: true`. */
class OllamaStreamReader extends StreamReader {
  protected readonly terminator = 'a line with done: true';
  /** Tool calls seen so far: Ollama sends each whole, in one line. */
  private calls = 0;
  private readonly ndjson = new NdjsonParser(this.limits.maxEventBytes, () =>
    this.skip('a stream line is not JSON'),
  );

  protected read(text: string): void {
    for (const line of this.ndjson.push(text)) this.line(line);
  }

  protected readRest(): void {
    const last = this.ndjson.end();
    if (last !== undefined) this.line(last);
  }

  private line(value: unknown): void {
    if (this.done) return;
    if (typeof value !== 'object' || value === null) {
      this.skip('a stream line is not a JSON object');
      return;
    }
    const line = value as Record<string, unknown>;
    if (line.error !== undefined) {
      throw midStreamError(this.client, inBandText(line.error), null, this.secrets);
    }
    if (typeof line.model === 'string') this.model = line.model;
    const message = line.message as OllamaMessage | undefined;
    if (typeof message?.thinking === 'string' && message.thinking !== '') {
      this.reasoningDelta(message.thinking);
    }
    if (typeof message?.content === 'string') this.delta(message.content);
    for (const call of ollamaToolCalls(message)) {
      this.toolCallDelta({
        index: this.calls++,
        id: call.id,
        name: call.name,
        arguments: call.arguments,
      });
    }
    if (line.done === true) {
      this.finishReason = this.calls > 0 ? 'tool_calls' : ollamaFinishReason(line.done_reason);
      this.finish(makeUsage(line.prompt_eval_count, line.eval_count));
    }
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
    const message = raw.message as OllamaMessage | undefined;
    if (typeof message?.content !== 'string') throw this.bad('no message content in the answer');
    const completion: CachedCompletion = {
      text: message.content,
      finishReason: ollamaFinishReason(raw.done_reason),
      usage: makeUsage(raw.prompt_eval_count, raw.eval_count),
      model: typeof raw.model === 'string' ? raw.model : this.config.model,
    };
    if (typeof message.thinking === 'string' && message.thinking !== '') {
      completion.reasoning = message.thinking;
    }
    const calls = ollamaToolCalls(message);
    if (calls.length > 0) {
      completion.toolCalls = calls;
      completion.finishReason = 'tool_calls';
    }
    return completion;
  }
}

/** What an Ollama answer's `message` may carry. */
interface OllamaMessage {
  content?: unknown;
  thinking?: unknown;
  tool_calls?: unknown;
}

/**
 * An Ollama message's tool calls, its object arguments serialized to JSON text. Ollama gives
 * them no id (some servers do): the call's index in the answer (from `first`) stands in, so a
 * tool result can still name its call.
 */
function ollamaToolCalls(message: OllamaMessage | undefined, first = 0): ToolCall[] {
  if (!Array.isArray(message?.tool_calls)) return [];
  const calls: ToolCall[] = [];
  for (const [i, raw] of (message.tool_calls as unknown[]).entries()) {
    const call = raw as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
    const name = call?.function?.name;
    if (typeof name !== 'string') continue;
    const args = call.function?.arguments;
    calls.push({
      id: typeof call.id === 'string' ? call.id : `call_${first + i}`,
      name,
      arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}),
    });
  }
  return calls;
}
