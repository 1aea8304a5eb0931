/**
 * What Ax asks of an answer's shape and of the model's thinking, as the runtime's
 * `responseFormat` and `reasoning`, and the structured-output strategies the service offers Ax.
 */
import type {
  AxAIFeatures,
  AxAIServiceOptions,
  AxChatRequest,
  AxStructuredOutputRung,
} from '@ax-llm/ax';
import type { ProviderName } from '../../config/types.js';
import type { JsonSchema, ReasoningOptions, ResponseFormat } from '../../model/chat.js';
import { invalid } from './errors.js';

type ThinkingLevel = NonNullable<AxAIServiceOptions['thinkingTokenBudget']>;

/**
 * Ax's thinking levels on the runtime's three efforts, as Ax maps them for OpenAI models that
 * serve no `minimal` (GPT-5.6): the ends fold onto the nearest effort the runtime has.
 * The runtime turns an effort into an Anthropic thinking budget and an Ollama `think`.
 */
const EFFORT: Record<Exclude<ThinkingLevel, 'none'>, ReasoningOptions['effort']> = {
  minimal: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  highest: 'high',
};

/**
 * The reasoning of Ax's `thinkingTokenBudget`; undefined for `'none'` or no level (the client's
 * `defaults.reasoning`, if any, then apply).
 */
export function reasoningOf(level: ThinkingLevel | undefined): ReasoningOptions | undefined {
  return level === undefined || level === 'none' ? undefined : { effort: EFFORT[level] };
}

/**
 * The response format of Ax's `responseFormat`: `json_object` is JSON, `json_schema` JSON
 * with the schema, which AxGen sends wrapped as OpenAI's `{ name, strict, schema }` (a bare
 * schema is taken too, as Ax's Anthropic provider takes it). Ax's `fieldDescriptions` are
 * already in the schema's descriptions.
 *
 * @throws LlmActorsError INVALID_REQUEST on a schema that is not an object.
 */
export function responseFormatOf(
  client: string,
  format: AxChatRequest['responseFormat'],
): ResponseFormat | undefined {
  if (format === undefined) return undefined;
  if (format.type === 'json_object' || format.schema === undefined) return { type: 'json' };
  const spec: unknown = format.schema;
  if (!isObject(spec)) {
    throw invalid(client, 'responseFormat.schema: expected a JSON Schema or { name, schema }');
  }
  if (!isObject(spec.schema)) return { type: 'json', schema: spec as JsonSchema };
  const out: ResponseFormat = { type: 'json', schema: spec.schema as JsonSchema };
  if (typeof spec.name === 'string') out.name = spec.name;
  if (typeof spec.strict === 'boolean') out.strict = spec.strict;
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The structured-output and thinking members of the service's features on `provider`.
 * Ax's structured-output strategies go best first: `native` is the runtime's JSON with a
 * schema; on anthropic that is a forced tool, which leaves the model no choice of Ax's own
 * functions, so Ax's `function` strategy (its `__axOutput` function, which the model calls when
 * it is done with the others) comes first there. Thinking levels are passed on as reasoning.
 */
export function outputFeatures(
  provider: ProviderName | undefined,
): Pick<
  AxAIFeatures,
  | 'structuredOutputs'
  | 'structuredOutputModes'
  | 'thinking'
  | 'hasThinkingBudget'
  | 'hasShowThoughts'
> {
  const modes: AxStructuredOutputRung[] =
    provider === 'anthropic'
      ? ['function', 'native', 'json_object']
      : ['native', 'function', 'json_object'];
  return {
    structuredOutputs: true,
    structuredOutputModes: modes,
    thinking: true,
    hasThinkingBudget: true,
    hasShowThoughts: true,
  };
}
