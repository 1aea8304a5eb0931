/**
 * `llm-actors/ax`: one named llm-actors client as an Ax `AxAIService`, so Ax programs and
 * optimizers (AxGen, AxBootstrapFewShot, AxGEPA) run through that client's cache, fuse, retry
 * and pool. A separate entry point: importing `llm-actors` never loads Ax.
 *
 * @packageDocumentation
 */
import type { AxAIService } from '@ax-llm/ax';
import type { Runtime } from '../../runtime.js';
import { LlmActorsAxService } from './service.js';
import type { AxServiceOptions } from './types.js';

export {
  AX_METADATA_KEY,
  type AxServiceModelConfig,
  type AxServiceOptions,
  type AxServiceResponseMetadata,
} from './types.js';

/**
 * Wraps the client named `clientName` of `runtime` as an Ax `AxAIService`. Every `chat()` is a
 * `runtime.request` (or `runtime.stream` when Ax asks for a stream), so identical calls of an
 * optimizer are answered from the client's cache, a down provider fails fast through its fuse,
 * and failures reach Ax as the Ax error classes its retry logic understands.
 *
 * Native function calling (`features.functions` is true): Ax's functions go as tools, its
 * `functionCall` as the tool choice, and the model's calls come back as `functionCalls`, plain
 * and streamed, so AxGen runs its functions and calls the model again. User images go as base64
 * data URLs; the model's reasoning comes back as `thought` (and signed `thoughtBlocks`, which
 * Ax sends back on the next turn as Anthropic requires).
 *
 * @example
 * ```ts
 * import { ax } from '@ax-llm/ax';
 * import { createAxService } from 'llm-actors/ax';
 *
 * const llm = createAxService(runtime, 'gpt');
 * const classify = ax('review:string -> emotion:class "joy, sadness, anger"');
 * const { emotion } = await classify.forward(llm, { review: 'What a lovely day' });
 * ```
 * @throws nothing itself; `chat()` rejects with Ax errors (see docs/integrations.md).
 */
export function createAxService(
  runtime: Runtime,
  clientName: string,
  options: AxServiceOptions = {},
): AxAIService {
  return new LlmActorsAxService(runtime, clientName, options);
}
