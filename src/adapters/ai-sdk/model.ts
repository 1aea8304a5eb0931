/**
 * A named client as an AI SDK `LanguageModelV3`.
 */
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamResult,
} from '@ai-sdk/provider';
import type { Completion } from '../../model/request.js';
import type { Runtime } from '../../runtime.js';
import { prepare } from './call.js';
import { apiCallError } from './errors.js';
import { content, finishReason, providerMetadata, usage } from './result.js';
import { streamParts } from './stream.js';
import { inventedToolCallIds } from '../../providers/tool-ids.js';
import { PROVIDER_OPTIONS_KEY, type LanguageModelOptions } from './types.js';
import { providerOf } from '../shared/provider.js';
import type { ProviderName } from '../../config/types.js';

const HTTPS_IMAGES: Record<string, RegExp[]> = { 'image/*': [/^https:\/\//i] };

/**
 * The client named `client` as an AI SDK `LanguageModelV3`, for `generateText`, `streamText`
 * and everything built on them.
 *
 * - `temperature`, `maxOutputTokens`, `stopSequences`, `seed` and `abortSignal` are passed on;
 *   `providerOptions['llm-actors']` takes `rolloutId`, `cache`, `timeoutMs`, `extra`,
 *   `reasoning` and `parallelToolCalls`.
 * - The whole chat: function tools and tool choice, tool calls and tool results, image file
 *   parts, JSON output with a schema (`generateObject`, `Output.object`), reasoning in and out
 *   (signed thinking blocks go back as they came). Streamed tool input arrives as
 *   `tool-input-*` parts. Provider-defined tools and files that are not images are rejected
 *   with the AI SDK's `UnsupportedFunctionalityError`; other unsupported settings become
 *   warnings.
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
  // A name keeps its provider: asked of the runtime until it has the name, then kept.
  let provider: ProviderName | undefined;
  return {
    specificationVersion: 'v3',
    provider: options.provider ?? PROVIDER_OPTIONS_KEY,
    modelId: client,
    // Read on every call: an https image goes to the provider as a URL where its wire takes
    // one; to Ollama, which takes bytes only, the AI SDK downloads it first.
    get supportedUrls() {
      provider ??= providerOf(runtime, client);
      return provider !== undefined && provider !== 'ollama' ? HTTPS_IMAGES : {};
    },

    async doGenerate(call: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
      const { messages, requestOptions, warnings } = prepare(call);
      let completion: Completion;
      try {
        completion = await runtime.request(client, messages, requestOptions);
      } catch (error) {
        throw apiCallError(error, client);
      }
      return {
        content: content(completion, inventedToolCallIds(messages)),
        finishReason: finishReason(completion.finishReason),
        usage: usage(completion),
        providerMetadata: providerMetadata(completion),
        response: { modelId: completion.model },
        warnings,
      };
    },

    async doStream(call: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
      const { messages, requestOptions, warnings } = prepare(call);
      const stream = runtime.stream(client, messages, requestOptions);
      try {
        return {
          stream: await streamParts(stream, warnings, client, inventedToolCallIds(messages)),
        };
      } catch (error) {
        throw apiCallError(error, client);
      }
    },
  };
}
