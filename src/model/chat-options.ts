/**
 * The checks of the chat options (tools, tool choice, response format, reasoning, logprobs),
 * shared by request options and client `defaults`.
 */
import { describe } from './describe.js';
import { validatorOf } from './json-schema.js';

/** The option names this file checks. */
export const CHAT_OPTION_KEYS = [
  'tools',
  'toolChoice',
  'parallelToolCalls',
  'responseFormat',
  'reasoning',
  'logprobs',
] as const;

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const EFFORTS: ReadonlySet<unknown> = new Set(['low', 'medium', 'high']);

/** What is wrong with the chat options of `o` ("field: reason"), or undefined. */
export function chatOptionProblem(o: Record<string, unknown>): string | undefined {
  if (o.tools !== undefined) {
    const problem = toolsProblem(o.tools);
    if (problem !== undefined) return `tools${problem}`;
  }
  const choice = o.toolChoice;
  if (
    choice !== undefined &&
    choice !== 'auto' &&
    choice !== 'none' &&
    choice !== 'required' &&
    !(isObject(choice) && typeof choice.name === 'string' && Object.keys(choice).length === 1)
  ) {
    return `toolChoice: expected 'auto', 'none', 'required' or { name }, got ${describe(choice)}`;
  }
  if (o.parallelToolCalls !== undefined && typeof o.parallelToolCalls !== 'boolean') {
    return `parallelToolCalls: expected a boolean, got ${describe(o.parallelToolCalls)}`;
  }
  if (o.responseFormat !== undefined) {
    const problem = formatProblem(o.responseFormat);
    if (problem !== undefined) return `responseFormat${problem}`;
  }
  if (o.reasoning !== undefined) {
    const problem = reasoningProblem(o.reasoning);
    if (problem !== undefined) return `reasoning${problem}`;
  }
  const logprobs = o.logprobs;
  if (
    logprobs !== undefined &&
    typeof logprobs !== 'boolean' &&
    !(Number.isInteger(logprobs) && (logprobs as number) >= 0 && (logprobs as number) <= 20)
  ) {
    return `logprobs: expected a boolean or an integer from 0 to 20, got ${describe(logprobs)}`;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemaProblem(schema: unknown, checking = false): string | undefined {
  if (!isObject(schema)) return `: expected a JSON Schema object, got ${describe(schema)}`;
  try {
    validatorOf(schema, checking);
  } catch (e) {
    return `: not a valid JSON Schema (${(e as Error).message})`;
  }
  return undefined;
}

function toolsProblem(tools: unknown): string | undefined {
  if (!Array.isArray(tools)) return `: expected an array, got ${describe(tools)}`;
  const names = new Set<string>();
  for (let i = 0; i < tools.length; i++) {
    const tool: unknown = tools[i];
    if (!isObject(tool)) return `[${i}]: expected { name, parameters }`;
    for (const key of Object.keys(tool)) {
      if (!['name', 'description', 'parameters', 'strict'].includes(key)) {
        return `[${i}].${key}: unknown key (a tool has name, description, parameters, strict)`;
      }
    }
    if (typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name)) {
      return `[${i}].name: expected 1-64 letters, digits, _ or -, got ${describe(tool.name)}`;
    }
    if (names.has(tool.name)) return `[${i}].name: ${tool.name} is named twice`;
    names.add(tool.name);
    if (tool.description !== undefined && typeof tool.description !== 'string') {
      return `[${i}].description: expected a string`;
    }
    if (tool.strict !== undefined && typeof tool.strict !== 'boolean') {
      return `[${i}].strict: expected a boolean`;
    }
    const problem = schemaProblem(tool.parameters);
    if (problem !== undefined) return `[${i}].parameters${problem}`;
  }
  return undefined;
}

function formatProblem(format: unknown): string | undefined {
  if (!isObject(format)) return `: expected { type: 'text' } or { type: 'json', schema? }`;
  if (format.type === 'text') {
    return Object.keys(format).length === 1 ? undefined : `: a text format has only type`;
  }
  if (format.type !== 'json')
    return `.type: expected 'text' or 'json', got ${describe(format.type)}`;
  for (const key of Object.keys(format)) {
    if (!['type', 'schema', 'name', 'strict'].includes(key)) {
      return `.${key}: unknown key (a json format has type, schema, name, strict)`;
    }
  }
  if (
    format.name !== undefined &&
    (typeof format.name !== 'string' || !TOOL_NAME.test(format.name))
  ) {
    return `.name: expected 1-64 letters, digits, _ or -, got ${describe(format.name)}`;
  }
  if (format.strict !== undefined && typeof format.strict !== 'boolean') {
    return `.strict: expected a boolean`;
  }
  if (format.schema === undefined) return undefined;
  const problem = schemaProblem(format.schema, true);
  return problem === undefined ? undefined : `.schema${problem}`;
}

function reasoningProblem(reasoning: unknown): string | undefined {
  if (!isObject(reasoning)) return `: expected { effort?, budgetTokens? }`;
  for (const key of Object.keys(reasoning)) {
    if (key !== 'effort' && key !== 'budgetTokens') return `.${key}: unknown key`;
  }
  if (reasoning.effort !== undefined && !EFFORTS.has(reasoning.effort)) {
    return `.effort: expected 'low', 'medium' or 'high', got ${describe(reasoning.effort)}`;
  }
  const budget = reasoning.budgetTokens;
  if (budget !== undefined && !(Number.isSafeInteger(budget) && (budget as number) >= 1)) {
    return `.budgetTokens: expected a positive integer, got ${describe(budget)}`;
  }
  return undefined;
}
