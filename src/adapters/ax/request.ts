/**
 * An Ax chat request's model config as llm-actors request options: the sampling fields each
 * provider has a wire name for, and the checks for what one client cannot serve.
 */
import type { AxChatRequest } from '@ax-llm/ax';
import type { ProviderName } from '../../config/types.js';
import type { ToolChoice, ToolDefinition } from '../../model/chat.js';
import type { RequestOptions } from '../../model/request.js';
import { isClientHealth, type ClientHealth } from '../../observe/health.js';
import type { GroupHealth } from '../../groups/health.js';
import type { Runtime } from '../../runtime.js';
import { defined } from '../shared/request-options.js';
import { invalid } from './errors.js';
import { responseFormatOf } from './output.js';
import type { AxServiceModelConfig } from './types.js';

// Sampling fields with a wire name per provider; any other pairing is ignored, as Ax's own
// providers ignore what their API lacks (OpenAI has no topK). Drivers get none of them: their
// `extra` is theirs to define.
type SamplingField = 'topP' | 'topK' | 'presencePenalty' | 'frequencyPenalty';
const SAMPLING: Record<ProviderName, Partial<Record<SamplingField, string>>> = {
  openai: {
    topP: 'top_p',
    presencePenalty: 'presence_penalty',
    frequencyPenalty: 'frequency_penalty',
  },
  anthropic: { topP: 'top_p', topK: 'top_k' },
  ollama: {
    topP: 'top_p',
    topK: 'top_k',
    presencePenalty: 'presence_penalty',
    frequencyPenalty: 'frequency_penalty',
  },
  driver: {},
};

/**
 * What of one chat call is not in its model config: the service's own request options, and
 * the reasoning of Ax's thinking level.
 */
export type CallOptions = Pick<
  RequestOptions,
  'rolloutId' | 'cache' | 'timeoutMs' | 'signal' | 'reasoning'
>;

/**
 * The provider of `client`, checking that Ax asks for the model the client serves. One client
 * serves one model: a request for another model is a mistake, not a switch.
 *
 * @throws LlmActorsError INVALID_REQUEST when `model` is neither the client's model nor its name.
 */
export function checkedProvider(runtime: Runtime, client: string, model: unknown): ProviderName {
  const named = runtime.health<ClientHealth | GroupHealth>(client);
  // A group speaks its first member's wire format for Ax's sampling fields.
  const health = isClientHealth(named) ? named : runtime.health(named.members[0]!.client);
  if (model !== undefined && model !== health.model && model !== client) {
    throw invalid(
      client,
      `model ${JSON.stringify(model)}: this ${named.kind} serves ${JSON.stringify(health.model)}; register one client per model and make one Ax service per client`,
    );
  }
  return health.provider;
}

/**
 * The request options of one chat request to `client` on `provider`.
 *
 * Ax's functions are the tools, its `functionCall` the tool choice, its `responseFormat` the
 * JSON asked for.
 *
 * @throws LlmActorsError INVALID_REQUEST on several answers per call where only a non-streamed
 *   openai request gives them, or on a response format schema that is not an object.
 */
export function toRequestOptions(
  client: string,
  provider: ProviderName,
  req: Readonly<AxChatRequest<unknown>>,
  modelConfig: AxServiceModelConfig & { stream: boolean },
  call: CallOptions,
): RequestOptions {
  const n = modelConfig.n ?? 1;
  if (n > 1 && (modelConfig.stream || provider !== 'openai')) {
    throw invalid(
      client,
      `modelConfig.n = ${n} (Ax sampleCount): several answers per call need a non-streamed request to an openai client`,
    );
  }
  return defined({
    temperature: modelConfig.temperature,
    maxTokens: modelConfig.maxTokens,
    stop: modelConfig.stopSequences?.length ? modelConfig.stopSequences : undefined,
    seed: modelConfig.seed,
    extra: providerExtra(provider, modelConfig),
    responseFormat: responseFormatOf(client, req.responseFormat),
    tools: req.functions?.length ? req.functions.map(toolOf) : undefined,
    toolChoice: req.functionCall === undefined ? undefined : toolChoiceOf(req.functionCall),
    ...call,
  });
}

// A function without parameters takes none: the empty object schema every wire accepts.
const NO_PARAMETERS = { type: 'object', properties: {} };

/** One of Ax's function definitions as a tool definition. */
function toolOf(fn: NonNullable<AxChatRequest['functions']>[number]): ToolDefinition {
  return {
    name: fn.name,
    description: fn.description,
    parameters: (fn.parameters ?? NO_PARAMETERS) as ToolDefinition['parameters'],
  };
}

function toolChoiceOf(choice: NonNullable<AxChatRequest['functionCall']>): ToolChoice {
  return typeof choice === 'string' ? choice : { name: choice.function.name };
}

/** One signal that aborts when either does. */
export function mergeSignals(
  a: AbortSignal | undefined,
  b: AbortSignal | undefined,
): AbortSignal | undefined {
  if (!a || !b || a === b) return a ?? b;
  return AbortSignal.any([a, b]);
}

/** What of Ax's model config has a wire name on this provider, as `extra`. */
function providerExtra(
  provider: ProviderName,
  mc: AxServiceModelConfig,
): Record<string, unknown> | undefined {
  const sampling: Record<string, unknown> = {};
  for (const [field, wire] of Object.entries(SAMPLING[provider])) {
    const value = mc[field as SamplingField];
    if (value !== undefined) sampling[wire] = value;
  }
  const extra: Record<string, unknown> =
    provider === 'ollama' && Object.keys(sampling).length > 0 ? { options: sampling } : sampling;
  if (provider === 'openai' && (mc.n ?? 1) > 1) extra.n = mc.n;
  return Object.keys(extra).length > 0 ? extra : undefined;
}
