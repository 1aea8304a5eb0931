/**
 * The stream readers of the three HTTP wire formats: OpenAI SSE chunks (with
 * `stream_options.include_usage`), Anthropic SSE events and Ollama NDJSON. Each turns decoded
 * text into deltas and one final normalized answer, and types what goes wrong mid-stream.
 */
import type { CachedCompletion } from '../model/answer.js';
import { LlmActorsError } from '../model/errors.js';
import { badResponse } from '../model/failures.js';
import type { FinishReason } from '../model/request.js';
import { scrub } from '../model/redact.js';
import { isRetryableStatus } from '../policy/classify.js';
import { NdjsonParser, SseParser } from '../transport/sse.js';
import { anthropicFinishReason, anthropicUsage } from './anthropic.js';
import { ollamaFinishReason } from './ollama.js';
import { openaiFinishReason } from './openai.js';
import { makeUsage, type StreamEvent, type StreamReader } from './provider.js';

/** The error event a provider sent in the middle of a stream. */
function midStreamError(
  client: string,
  message: string,
  status: number | null,
  secrets: readonly string[],
): LlmActorsError {
  const text = scrub(message, secrets).slice(0, 500);
  return new LlmActorsError('PROVIDER_ERROR', `${client}: error in the stream: ${text}`, {
    client,
    status,
    retryable: status === null || isRetryableStatus(status),
  });
}

function truncated(client: string, what: string): LlmActorsError {
  return new LlmActorsError('NETWORK_ERROR', `${client}: the stream ended before ${what}`, {
    client,
    retryable: true,
  });
}

function parseJson(client: string, data: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch (cause) {
    throw badResponse(client, 'a stream event is not JSON', cause);
  }
  throw badResponse(client, 'a stream event is not a JSON object');
}

/** Accumulates the parts of a streamed answer. */
class Accumulator {
  text = '';
  finishReason: FinishReason = 'stop';
  promptTokens: unknown = 0;
  completionTokens: unknown = 0;

  constructor(public model: string) {}

  completion(usage = makeUsage(this.promptTokens, this.completionTokens)): CachedCompletion {
    return { text: this.text, finishReason: this.finishReason, usage, model: this.model };
  }
}

/** OpenAI chat.completion.chunk events, ending with `data: [DONE]`. */
export function openaiStreamReader(
  client: string,
  model: string,
  secrets: readonly string[],
): StreamReader {
  const sse = new SseParser();
  const acc = new Accumulator(model);
  let done = false;
  const handle = (data: string): StreamEvent[] => {
    if (done) return [];
    if (data === '[DONE]') {
      done = true;
      return [{ type: 'done', completion: acc.completion() }];
    }
    const chunk = parseJson(client, data);
    const error = chunk.error as { message?: unknown } | undefined;
    if (error) throw midStreamError(client, String(error.message ?? 'unknown'), null, secrets);
    if (typeof chunk.model === 'string') acc.model = chunk.model;
    const usage = chunk.usage as Record<string, unknown> | null | undefined;
    if (usage) {
      acc.promptTokens = usage.prompt_tokens;
      acc.completionTokens = usage.completion_tokens;
    }
    const choice = (chunk.choices as Array<Record<string, unknown>> | undefined)?.[0];
    if (choice?.finish_reason != null) acc.finishReason = openaiFinishReason(choice.finish_reason);
    const content = (choice?.delta as { content?: unknown } | undefined)?.content;
    if (typeof content !== 'string' || content === '') return [];
    acc.text += content;
    return [{ type: 'delta', text: content }];
  };
  return {
    *push(text) {
      for (const event of sse.push(text)) yield* handle(event.data);
    },
    end: () => {
      if (!done) throw truncated(client, 'data: [DONE]');
      return [];
    },
  };
}

const ANTHROPIC_ERROR_STATUS: Record<string, number> = {
  overloaded_error: 529,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
};

/** Anthropic message_start … content_block_delta … message_delta, message_stop. */
export function anthropicStreamReader(
  client: string,
  model: string,
  secrets: readonly string[],
): StreamReader {
  const sse = new SseParser();
  const acc = new Accumulator(model);
  let usage: Record<string, unknown> = {};
  let done = false;
  const handle = (type: string, data: string): StreamEvent[] => {
    if (done || type === 'ping') return [];
    const event = parseJson(client, data);
    switch (event.type ?? type) {
      case 'message_start': {
        const message = (event.message ?? {}) as Record<string, unknown>;
        if (typeof message.model === 'string') acc.model = message.model;
        usage = { ...(message.usage as Record<string, unknown> | undefined) };
        return [];
      }
      case 'content_block_delta': {
        const delta = event.delta as { type?: unknown; text?: unknown } | undefined;
        if (delta?.type !== 'text_delta' || typeof delta.text !== 'string' || delta.text === '') {
          return [];
        }
        acc.text += delta.text;
        return [{ type: 'delta', text: delta.text }];
      }
      case 'message_delta': {
        const delta = event.delta as { stop_reason?: unknown } | undefined;
        if (delta?.stop_reason != null) acc.finishReason = anthropicFinishReason(delta.stop_reason);
        usage = { ...usage, ...(event.usage as Record<string, unknown> | undefined) };
        return [];
      }
      case 'message_stop':
        done = true;
        return [{ type: 'done', completion: acc.completion(anthropicUsage(usage)) }];
      case 'error': {
        const error = (event.error ?? {}) as { type?: unknown; message?: unknown };
        const status = ANTHROPIC_ERROR_STATUS[String(error.type)] ?? null;
        throw midStreamError(
          client,
          `${String(error.type)}: ${String(error.message)}`,
          status,
          secrets,
        );
      }
      default:
        return [];
    }
  };
  return {
    *push(text) {
      for (const event of sse.push(text)) yield* handle(event.event, event.data);
    },
    end: () => {
      if (!done) throw truncated(client, 'message_stop');
      return [];
    },
  };
}

/** Ollama NDJSON lines, the last with `done: true`. */
export function ollamaStreamReader(
  client: string,
  model: string,
  secrets: readonly string[],
): StreamReader {
  const ndjson = new NdjsonParser();
  const acc = new Accumulator(model);
  let done = false;
  const handle = (value: unknown): StreamEvent[] => {
    if (done) return [];
    if (typeof value !== 'object' || value === null) {
      throw badResponse(client, 'a stream line is not a JSON object');
    }
    const line = value as Record<string, unknown>;
    if (line.error !== undefined) {
      throw midStreamError(client, String(line.error), null, secrets);
    }
    if (typeof line.model === 'string') acc.model = line.model;
    const content = (line.message as { content?: unknown } | undefined)?.content;
    const events: StreamEvent[] = [];
    if (typeof content === 'string' && content !== '') {
      acc.text += content;
      events.push({ type: 'delta', text: content });
    }
    if (line.done === true) {
      done = true;
      acc.finishReason = ollamaFinishReason(line.done_reason);
      acc.promptTokens = line.prompt_eval_count;
      acc.completionTokens = line.eval_count;
      events.push({ type: 'done', completion: acc.completion() });
    }
    return events;
  };
  const parse = (read: () => unknown[]): unknown[] => {
    try {
      return read();
    } catch (cause) {
      throw badResponse(client, 'a stream line is not JSON', cause);
    }
  };
  return {
    *push(text) {
      for (const line of parse(() => ndjson.push(text))) yield* handle(line);
    },
    end: () => {
      const events = parse(() => {
        const last = ndjson.end();
        return last === undefined ? [] : [last];
      }).flatMap(handle);
      if (!done) throw truncated(client, 'a line with done: true');
      return events;
    },
  };
}
