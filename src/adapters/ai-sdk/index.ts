/**
 * `llm-actors/ai-sdk`: a named client as a Vercel AI SDK language model (specification v3, the
 * one `ai` 6 and `ai` 7 both call). `generateText` goes through `runtime.request`, `streamText`
 * through `runtime.stream`, so the client's cache, fuse, retry, deadline and supervisor apply.
 *
 * A separate entry point: importing `llm-actors` never loads the AI SDK.
 */
import {
  APICallError,
  UnsupportedFunctionalityError,
  type LanguageModelV3,
  type LanguageModelV3CallOptions,
  type LanguageModelV3FinishReason,
  type LanguageModelV3GenerateResult,
  type LanguageModelV3Prompt,
  type LanguageModelV3StreamPart,
  type LanguageModelV3StreamResult,
  type LanguageModelV3Usage,
  type SharedV3Warning,
} from '@ai-sdk/provider';
import { isLlmActorsError } from '../../model/errors.js';
import type { ChatMessage, Completion, FinishReason, RequestOptions } from '../../model/request.js';
import type { Runtime } from '../../runtime.js';
import type { CompletionStream, StreamChunk } from '../../client/stream.js';

/** The key of this adapter's `providerOptions` and `providerMetadata`. */
export const PROVIDER_OPTIONS_KEY = 'llm-actors';

/**
 * Per-call options of this adapter, passed as `providerOptions: { 'llm-actors': { … } }` to
 * `generateText` / `streamText`. They are llm-actors' own request options.
 */
export interface AiSdkCallOptions {
  /** Part of the cache key: a new id gets a fresh answer, itself cached. */
  rolloutId?: string | number;
  /** `false` bypasses the client's cache for this call. */
  cache?: boolean;
  /** One deadline over queueing and every attempt, ms. */
  timeoutMs?: number;
  /** Provider-specific body fields, sent as they are and part of the cache key. */
  extra?: Record<string, unknown>;
}

/** Options of {@link createLanguageModel}. */
export interface LanguageModelOptions {
  /** The `provider` the AI SDK reports (telemetry, errors). Default `'llm-actors'`. */
  provider?: string;
}

/** What the adapter reports under `providerMetadata['llm-actors']`. */
export interface AiSdkProviderMetadata {
  client: string;
  cacheHit: boolean;
  latencyMs: number;
  model: string;
  [key: string]: string | number | boolean;
}

const FINISH: Record<FinishReason, LanguageModelV3FinishReason['unified']> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'content-filter',
  tool_calls: 'tool-calls',
  error: 'error',
  other: 'other',
};

const CALL_OPTION_KEYS = ['rolloutId', 'cache', 'timeoutMs', 'extra'] as const;

/**
 * Sampling settings the runtime has no first-class option for: reported as `unsupported`
 * warnings rather than silently dropped (pass provider fields through `extra` instead).
 * Per-call `headers` are not among them: the AI SDK adds its own to every call, and a client's
 * headers are part of its configuration.
 */
const UNSUPPORTED_SETTINGS = ['topP', 'topK', 'presencePenalty', 'frequencyPenalty'] as const;

/**
 * The client named `client` as an AI SDK `LanguageModelV3`, for `generateText`, `streamText`
 * and everything built on them.
 *
 * - `temperature`, `maxOutputTokens`, `stopSequences`, `seed` and `abortSignal` are passed on;
 *   `providerOptions['llm-actors']` takes `rolloutId`, `cache`, `timeoutMs` and `extra`.
 * - Text only: file parts, tool calls and tool results are rejected with the AI SDK's
 *   `UnsupportedFunctionalityError`; other unsupported settings become warnings.
 * - llm-actors errors become `APICallError`s with `isRetryable` from the error, `retry-after-ms`
 *   from an open fuse's retry time, and the original error as `cause` (its `code` is also in
 *   `data.code`); the AI SDK's own retry then treats them as it treats any provider's.
 *
 * @example
 * ```ts
 * import { generateText } from 'ai';
 * import { createLanguageModel } from 'llm-actors/ai-sdk';
 * const { text } = await generateText({ model: createLanguageModel(runtime, 'gpt'), prompt: 'Hi' });
 * ```
 */
export function createLanguageModel(
  runtime: Runtime,
  client: string,
  options: LanguageModelOptions = {},
): LanguageModelV3 {
  return {
    specificationVersion: 'v3',
    provider: options.provider ?? PROVIDER_OPTIONS_KEY,
    modelId: client,
    supportedUrls: {},

    async doGenerate(call: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
      const { messages, requestOptions, warnings } = prepare(call);
      let completion: Completion;
      try {
        completion = await runtime.request(client, messages, requestOptions);
      } catch (error) {
        throw apiCallError(error, client);
      }
      return {
        content: completion.text === '' ? [] : [{ type: 'text', text: completion.text }],
        finishReason: finishReason(completion.finishReason),
        usage: usage(completion),
        providerMetadata: { [PROVIDER_OPTIONS_KEY]: metadata(completion) },
        response: { modelId: completion.model },
        warnings,
      };
    },

    async doStream(call: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
      const { messages, requestOptions, warnings } = prepare(call);
      const stream = runtime.stream(client, messages, requestOptions);
      const iterator = stream[Symbol.asyncIterator]();
      // Waiting for the first delta (or the end) before answering lets failures that happen
      // before any text (fuse open, queue full, retries exhausted) reject doStream itself,
      // where the AI SDK's retry can see them.
      let first: IteratorResult<StreamChunk>;
      try {
        first = await iterator.next();
      } catch (error) {
        stream.completion.catch(() => undefined);
        throw apiCallError(error, client);
      }
      return { stream: parts(stream, iterator, first, warnings, client) };
    },
  };
}

/** The prompt and settings of one call, as llm-actors messages and options. */
function prepare(call: LanguageModelV3CallOptions): {
  messages: ChatMessage[];
  requestOptions: RequestOptions;
  warnings: SharedV3Warning[];
} {
  if (call.tools !== undefined && call.tools.length > 0) {
    throw new UnsupportedFunctionalityError({ functionality: 'tools' });
  }
  const warnings: SharedV3Warning[] = [];
  for (const setting of UNSUPPORTED_SETTINGS) {
    if (call[setting] !== undefined) warnings.push({ type: 'unsupported', feature: setting });
  }
  if (call.responseFormat !== undefined && call.responseFormat.type !== 'text') {
    warnings.push({
      type: 'unsupported',
      feature: 'responseFormat',
      details: 'JSON mode is not sent; ask for JSON in the prompt or pass it through extra',
    });
  }
  const requestOptions: RequestOptions = {};
  if (call.temperature !== undefined) requestOptions.temperature = call.temperature;
  if (call.maxOutputTokens !== undefined) requestOptions.maxTokens = call.maxOutputTokens;
  if (call.stopSequences !== undefined) requestOptions.stop = call.stopSequences;
  if (call.seed !== undefined) requestOptions.seed = call.seed;
  if (call.abortSignal !== undefined) requestOptions.signal = call.abortSignal;
  const own = call.providerOptions?.[PROVIDER_OPTIONS_KEY];
  if (own !== undefined) {
    for (const key of Object.keys(own)) {
      if (!(CALL_OPTION_KEYS as readonly string[]).includes(key)) {
        warnings.push({
          type: 'other',
          message: `providerOptions.${PROVIDER_OPTIONS_KEY}.${key}: unknown option, ignored (known: ${CALL_OPTION_KEYS.join(', ')})`,
        });
      }
    }
    // The runtime validates the values and rejects a wrong one as INVALID_REQUEST.
    for (const key of CALL_OPTION_KEYS) {
      if (own[key] !== undefined) (requestOptions as Record<string, unknown>)[key] = own[key];
    }
  }
  return { messages: toMessages(call.prompt), requestOptions, warnings };
}

/** An AI SDK prompt as chat messages: text parts joined, reasoning left out. */
function toMessages(prompt: LanguageModelV3Prompt): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const message of prompt) {
    if (message.role === 'system') {
      messages.push({ role: 'system', content: message.content });
      continue;
    }
    let content = '';
    for (const part of message.content) {
      if (part.type === 'text') content += part.text;
      else if (part.type !== 'reasoning') {
        throw new UnsupportedFunctionalityError({
          functionality: `${part.type} parts in ${message.role} messages`,
        });
      }
    }
    messages.push({ role: message.role, content });
  }
  return messages;
}

function finishReason(reason: FinishReason): LanguageModelV3FinishReason {
  return { unified: FINISH[reason], raw: reason };
}

/** Usage as the AI SDK counts it. A cache hit reports the usage of the answer it replays. */
function usage({ usage }: Completion): LanguageModelV3Usage {
  return {
    inputTokens: {
      total: usage.promptTokens,
      noCache: usage.promptTokens,
      cacheRead: undefined,
      cacheWrite: undefined,
    },
    outputTokens: {
      total: usage.completionTokens,
      text: usage.completionTokens,
      reasoning: undefined,
    },
  };
}

function metadata(completion: Completion): AiSdkProviderMetadata {
  return {
    client: completion.client,
    cacheHit: completion.cacheHit,
    latencyMs: completion.latencyMs,
    model: completion.model,
  };
}

/** The V3 stream parts of a stream whose first iteration result is already in hand. */
function parts(
  stream: CompletionStream,
  iterator: AsyncIterator<StreamChunk>,
  first: IteratorResult<StreamChunk>,
  warnings: SharedV3Warning[],
  client: string,
): ReadableStream<LanguageModelV3StreamPart> {
  const TEXT_ID = '0';
  let next: IteratorResult<StreamChunk> | undefined = first;
  let started = false;
  return new ReadableStream<LanguageModelV3StreamPart>({
    start(controller) {
      controller.enqueue({ type: 'stream-start', warnings });
    },
    async pull(controller) {
      try {
        const result = next ?? (await iterator.next());
        next = undefined;
        if (!result.done) {
          if (!started) {
            started = true;
            controller.enqueue({ type: 'text-start', id: TEXT_ID });
          }
          controller.enqueue({ type: 'text-delta', id: TEXT_ID, delta: result.value.text });
          return;
        }
        const completion = await stream.completion;
        if (started) controller.enqueue({ type: 'text-end', id: TEXT_ID });
        controller.enqueue({ type: 'response-metadata', modelId: completion.model });
        controller.enqueue({
          type: 'finish',
          finishReason: finishReason(completion.finishReason),
          usage: usage(completion),
          providerMetadata: { [PROVIDER_OPTIONS_KEY]: metadata(completion) },
        });
      } catch (error) {
        controller.enqueue({ type: 'error', error: apiCallError(error, client) });
      }
      controller.close();
    },
    cancel() {
      stream.cancel();
    },
  });
}

/**
 * An llm-actors error as the AI SDK's `APICallError`, which its retry understands: retryable
 * or not as the runtime decided, with the fuse's retry time as `retry-after-ms`.
 */
function apiCallError(error: unknown, client: string): unknown {
  if (!isLlmActorsError(error)) return error;
  const retryAfterMs = error.retryAfterMs;
  return new APICallError({
    message: error.message,
    url: `llm-actors://${client}`,
    requestBodyValues: { client },
    statusCode: error.status ?? undefined,
    responseHeaders:
      retryAfterMs === undefined
        ? undefined
        : { 'retry-after-ms': String(Math.ceil(retryAfterMs)) },
    responseBody: error.body,
    isRetryable: error.retryable,
    cause: error,
    data: { code: error.code, client },
  });
}
