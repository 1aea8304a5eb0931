/**
 * One AI SDK call (prompt and settings) as an llm-actors request, with the warnings for what
 * is not sent.
 */
import type {
  LanguageModelV3CallOptions,
  SharedV3ProviderOptions,
  SharedV3Warning,
} from '@ai-sdk/provider';
import type { ChatMessage, RequestOptions } from '../../model/request.js';
import { defined } from '../shared/request-options.js';
import { chatOptions } from './chat-options.js';
import { toMessages } from './prompt.js';
import { PROVIDER_OPTIONS_KEY, type AiSdkCallOptions } from './types.js';

const CALL_OPTION_KEYS = [
  'rolloutId',
  'cache',
  'timeoutMs',
  'extra',
  'reasoning',
  'parallelToolCalls',
] as const satisfies readonly (keyof AiSdkCallOptions)[];

/**
 * Sampling settings the runtime has no first-class option for: reported as `unsupported`
 * warnings rather than silently dropped (pass provider fields through `extra` instead).
 * Per-call `headers` are not among them: the AI SDK adds its own to every call, and a client's
 * headers are part of its configuration.
 */
const UNSUPPORTED_SETTINGS = ['topP', 'topK', 'presencePenalty', 'frequencyPenalty'] as const;

/** One call as the runtime takes it. */
export interface PreparedCall {
  messages: ChatMessage[];
  requestOptions: RequestOptions;
  warnings: SharedV3Warning[];
}

/**
 * The prompt and settings of one call, as llm-actors messages and options.
 *
 * @throws UnsupportedFunctionalityError on a provider-defined tool, or on a prompt part the
 *   runtime cannot carry (a file that is not an image, a tool result with files).
 */
export function prepare(call: LanguageModelV3CallOptions): PreparedCall {
  const warnings: SharedV3Warning[] = [];
  for (const setting of UNSUPPORTED_SETTINGS) {
    if (call[setting] !== undefined) warnings.push({ type: 'unsupported', feature: setting });
  }
  const requestOptions = defined({
    temperature: call.temperature,
    maxTokens: call.maxOutputTokens,
    stop: call.stopSequences,
    seed: call.seed,
    signal: call.abortSignal,
    ...chatOptions(call, warnings),
    ...ownOptions(call.providerOptions, warnings),
  });
  return { messages: toMessages(call.prompt), requestOptions, warnings };
}

/** This adapter's `providerOptions`, an unknown key among them a warning. */
function ownOptions(
  providerOptions: SharedV3ProviderOptions | undefined,
  warnings: SharedV3Warning[],
): RequestOptions {
  const own = providerOptions?.[PROVIDER_OPTIONS_KEY];
  if (own === undefined) return {};
  for (const key of Object.keys(own)) {
    if (!(CALL_OPTION_KEYS as readonly string[]).includes(key)) {
      warnings.push({
        type: 'other',
        message: `providerOptions.${PROVIDER_OPTIONS_KEY}.${key}: unknown option, ignored (known: ${CALL_OPTION_KEYS.join(', ')})`,
      });
    }
  }
  // The runtime validates the values and rejects a wrong one as INVALID_REQUEST.
  const options: Record<string, unknown> = {};
  for (const key of CALL_OPTION_KEYS) if (own[key] !== undefined) options[key] = own[key];
  return options as RequestOptions;
}
