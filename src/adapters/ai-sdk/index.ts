/**
 * `llm-actors/ai-sdk`: a named client as a Vercel AI SDK language model (specification v3, the
 * one `ai` 6 and `ai` 7 both call). `generateText` goes through `runtime.request`, `streamText`
 * through `runtime.stream`, so the client's cache, fuse, retry, deadline and supervisor apply.
 *
 * A separate entry point: importing `llm-actors` never loads the AI SDK.
 *
 * @packageDocumentation
 */
export { createLanguageModel } from './model.js';
export {
  PROVIDER_OPTIONS_KEY,
  type AiSdkCallOptions,
  type AiSdkProviderMetadata,
  type LanguageModelOptions,
} from './types.js';
