/**
 * The chat options of one AI SDK call (tools, tool choice, response format, reasoning) as
 * llm-actors request options, with a warning for each part the runtime has no field for.
 */
import {
  UnsupportedFunctionalityError,
  type LanguageModelV3CallOptions,
  type SharedV3Warning,
} from '@ai-sdk/provider';
import type { ReasoningOptions, ToolChoice, ToolDefinition } from '../../model/chat.js';
import type { RequestOptions } from '../../model/request.js';

type ChatOptions = Pick<RequestOptions, 'tools' | 'toolChoice' | 'responseFormat' | 'reasoning'>;

// The reasoning levels of `ai` 7 (its V4 call option) that map onto an effort; the others
// ('provider-default', 'none') ask for nothing, and the extremes come down to the nearest.
const EFFORTS: Record<string, ReasoningOptions['effort']> = {
  minimal: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'high',
  max: 'high',
};

/**
 * Tools, tool choice, response format and reasoning of `call` as request options.
 *
 * @throws UnsupportedFunctionalityError on a provider-defined tool: llm-actors sends function
 *   tools only.
 */
export function chatOptions(
  call: LanguageModelV3CallOptions,
  warnings: SharedV3Warning[],
): ChatOptions {
  const options: ChatOptions = {};
  if (call.tools !== undefined && call.tools.length > 0) {
    options.tools = call.tools.map((tool) => {
      if (tool.type !== 'function') {
        throw new UnsupportedFunctionalityError({
          functionality: `provider-defined tool ${tool.id}: llm-actors sends function tools only`,
        });
      }
      if (tool.inputExamples !== undefined) {
        warnings.push({ type: 'unsupported', feature: `tools.${tool.name}.inputExamples` });
      }
      const definition: ToolDefinition = { name: tool.name, parameters: tool.inputSchema };
      if (tool.description !== undefined) definition.description = tool.description;
      if (tool.strict !== undefined) definition.strict = tool.strict;
      return definition;
    });
  }
  if (call.toolChoice !== undefined) options.toolChoice = toolChoice(call.toolChoice);
  const format = call.responseFormat;
  if (format?.type === 'json') {
    options.responseFormat = { type: 'json' };
    if (format.schema !== undefined) options.responseFormat.schema = format.schema;
    if (format.name !== undefined) options.responseFormat.name = format.name;
    if (format.description !== undefined) {
      warnings.push({ type: 'unsupported', feature: 'responseFormat.description' });
    }
  }
  // `ai` 7 calls a V3 model with its V4 options, which add `reasoning`.
  const level = (call as { reasoning?: unknown }).reasoning;
  if (typeof level === 'string' && level !== 'provider-default' && level !== 'none') {
    const effort = EFFORTS[level];
    if (effort !== undefined) options.reasoning = { effort };
    else warnings.push({ type: 'unsupported', feature: `reasoning ${level}` });
  }
  return options;
}

function toolChoice(choice: NonNullable<LanguageModelV3CallOptions['toolChoice']>): ToolChoice {
  return choice.type === 'tool' ? { name: choice.toolName } : choice.type;
}
