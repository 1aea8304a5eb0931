/**
 * A Responses API body (the stateless subset) read into a runtime request: `input` and
 * `instructions` as messages, function `tools`, `tool_choice`, `parallel_tool_calls`,
 * `text.format`, `reasoning.effort` and `.summary`, `max_output_tokens`, `temperature`, `stream`, and `top_p`
 * and `user` sent on as `extra` (as the chat route sends them: LlamaIndex's `OpenAIResponses`
 * always sets both). Stateful
 * fields and everything else the runtime cannot carry are a 400 naming the field.
 */
import type { ResponseFormat, ToolChoice, ToolDefinition } from '../model/chat.js';
import type { RequestOptions } from '../model/request.js';
import {
  invalidBody,
  isError,
  readFormat,
  readToolOptions,
  toolDefinition,
  type Read,
} from './chat-body.js';
import type { RouteRequest } from './chat-route.js';
import { readInput } from './responses-input.js';
import type { ItemMemory } from './responses-memory.js';
import type { ResponseEcho } from './responses-output.js';
import type { ErrorAnswer } from './wire.js';

type Json = Record<string, unknown>;

/** A Responses request as the runtime takes it. */
export interface GatewayResponsesRequest extends RouteRequest {
  /** The request fields the Response echoes back. */
  echo: ResponseEcho;
  /** Per runtime message: the body field it came from (`instructions`, `input[j]`). */
  sources: string[];
  /** Per assistant message index: the `input[j]` of each of its function calls. */
  callSources: Record<number, string[]>;
  /** Whether `reasoning.summary` was asked: reasoning items then carry their text as summary. */
  summarize: boolean;
}

/** Fields read here; `metadata` is only echoed back (it never reaches a model). */
const OWN_FIELDS = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'text',
  'reasoning',
  'max_output_tokens',
  'temperature',
  'top_p',
  'user',
  'service_tier',
  'prompt_cache_key',
  'safety_identifier',
  'stream',
  'stream_options',
  'metadata',
  'include',
  'truncation',
  'store',
  'background',
]);

/** Fields the chat route's wire format shares, sent on to the provider as they are. */
const PASSED_ON = [
  'top_p',
  'user',
  'service_tier',
  'prompt_cache_key',
  'safety_identifier',
] as const;

/** Fields that need responses kept by the server, which the gateway does not keep. */
const STATEFUL = new Set(['previous_response_id', 'conversation', 'prompt']);

function stateful(field: string): ErrorAnswer {
  return invalidBody(
    `${field}: stateful Responses are not supported (the gateway keeps no responses: send the whole input each time, with store: false)`,
    field,
  );
}

/**
 * Reads a parsed JSON body as a Responses request, or the 400 that names what is wrong;
 * `item_reference` items are read as the items of `memory` they name.
 */
export function readResponsesRequest(
  body: unknown,
  memory?: ItemMemory,
): GatewayResponsesRequest | ErrorAnswer {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalidBody('the body must be a JSON object');
  }
  const b = body as Json;
  for (const field in b) {
    if (b[field] === undefined || b[field] === null) continue;
    if (STATEFUL.has(field)) return stateful(field);
    if (!OWN_FIELDS.has(field)) {
      return invalidBody(`${field}: not carried by the gateway's Responses route`, field);
    }
  }
  if (b.store === true || b.background === true)
    return stateful(b.store === true ? 'store' : 'background');
  if (typeof b.model !== 'string' || b.model === '') {
    return invalidBody('model: expected the name of a client (GET /v1/models lists them)', 'model');
  }
  if (b.input === undefined || b.input === null) {
    return invalidBody('input: expected a string or an array of items', 'input');
  }
  const refused = refusedSetting(b);
  if (refused !== undefined) return refused;
  const items = memory === undefined ? b.input : memory.resolve(b.input);
  if (isError(items)) return items;
  const input = readInput(items, b.instructions);
  if (isError(input)) return input;
  const options: RequestOptions = {};
  if (b.temperature !== undefined && b.temperature !== null)
    options.temperature = b.temperature as number;
  if (b.max_output_tokens !== undefined && b.max_output_tokens !== null) {
    options.maxTokens = b.max_output_tokens as number;
  }
  for (const field of PASSED_ON) {
    if (b[field] !== undefined && b[field] !== null) (options.extra ??= {})[field] = b[field];
  }
  const problem = readOptions(b, options);
  if (problem !== undefined) return problem;
  const format = (b.text as Json | undefined)?.format ?? { type: 'text' };
  const reasoning = b.reasoning as Json | undefined | null;
  return {
    client: b.model,
    messages: input.messages,
    options,
    stream: b.stream === true,
    // Like max_completion_tokens, max_output_tokens counts reasoning tokens too.
    maxTokensField: 'max_completion_tokens',
    sources: input.sources,
    callSources: input.callSources,
    summarize: reasoning?.summary !== undefined && reasoning.summary !== null,
    echo: {
      instructions: b.instructions ?? null,
      max_output_tokens: b.max_output_tokens ?? null,
      metadata: b.metadata ?? {},
      parallel_tool_calls: b.parallel_tool_calls ?? true,
      previous_response_id: null,
      reasoning: { effort: reasoning?.effort ?? null, summary: reasoning?.summary ?? null },
      store: false,
      background: false,
      temperature: b.temperature ?? null,
      text: { format },
      tool_choice: b.tool_choice ?? 'auto',
      tools: b.tools ?? [],
      top_p: b.top_p ?? null,
      truncation: 'disabled',
    },
  };
}

/** The 400 of a setting the route cannot honour as asked, if any. */
function refusedSetting(b: Json): ErrorAnswer | undefined {
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') {
    return invalidBody('stream: expected a boolean', 'stream');
  }
  const streamOptions = (b.stream_options ?? {}) as Json;
  for (const key in streamOptions) {
    if (key === 'include_obfuscation' && streamOptions[key] !== true) continue;
    return invalidBody(
      `stream_options.${key}: not carried (the gateway adds no obfuscation)`,
      'stream_options',
    );
  }
  const include = b.include ?? [];
  const other = Array.isArray(include)
    ? include.find((i) => i !== 'reasoning.encrypted_content')
    : include;
  if (other !== undefined) {
    return invalidBody(
      `include: ${JSON.stringify(other)} is not carried (reasoning.encrypted_content is always included)`,
      'include',
    );
  }
  if (b.truncation !== undefined && b.truncation !== null && b.truncation !== 'disabled') {
    return invalidBody(
      'truncation: only "disabled" is carried (an input too long is an error)',
      'truncation',
    );
  }
  if (
    b.metadata !== undefined &&
    b.metadata !== null &&
    (typeof b.metadata !== 'object' || Array.isArray(b.metadata))
  ) {
    return invalidBody('metadata: expected an object of strings', 'metadata');
  }
  return undefined;
}

/** Writes tools, tool choice, text format and reasoning into `options`, or the 400 of one. */
function readOptions(b: Json, options: RequestOptions): ErrorAnswer | undefined {
  const refused = readToolOptions(b, options, readTool, readToolChoice);
  if (refused !== undefined) return refused;
  if (b.text !== undefined && b.text !== null) {
    const format = readText(b.text as Json);
    if (isError(format)) return format;
    if (format !== undefined) options.responseFormat = format;
  }
  if (b.reasoning !== undefined && b.reasoning !== null) {
    const reasoning = b.reasoning as Json;
    for (const key in reasoning) {
      if (key === 'effort' || reasoning[key] === null || reasoning[key] === undefined) continue;
      if (key === 'summary' && SUMMARIES.has(reasoning[key] as string)) continue;
      return invalidBody(
        key === 'summary'
          ? `reasoning.summary: expected "auto", "concise" or "detailed", got ${JSON.stringify(reasoning[key])}`
          : `reasoning.${key}: not carried`,
        'reasoning',
      );
    }
    if (reasoning.effort !== undefined && reasoning.effort !== null) {
      options.reasoning = { effort: reasoning.effort as 'low' };
    }
  }
  return undefined;
}

/**
 * The `reasoning.summary` values: each gives the reasoning the provider showed, whole (the
 * runtime makes no summaries of its own).
 */
const SUMMARIES = new Set(['auto', 'concise', 'detailed']);

const TOOL_KEYS = new Set(['type', 'name', 'description', 'parameters', 'strict']);

/** A Responses function tool: its definition at the top level, nothing else carried. */
function readTool(tool: Json, at: string): Read<ToolDefinition> {
  const extra = Object.keys(tool).find(
    (key) => !TOOL_KEYS.has(key) && tool[key] !== null && tool[key] !== false,
  );
  if (extra !== undefined) return invalidBody(`${at}.${extra}: not carried`, 'tools');
  return toolDefinition(tool);
}

function readToolChoice(value: unknown): Read<ToolChoice> {
  if (typeof value === 'string') return value as ToolChoice;
  const choice = value as Json;
  if (choice.type !== 'function' || typeof choice.name !== 'string') {
    return invalidBody(
      `tool_choice: expected "auto", "none", "required" or { type: "function", name }, got type ${JSON.stringify(choice.type ?? null)}`,
      'tool_choice',
    );
  }
  return { name: choice.name };
}

/** `text.format` as the runtime's response format; `text.verbosity` is not carried. */
function readText(text: Json): Read<ResponseFormat | undefined> {
  if (text.verbosity !== undefined && text.verbosity !== null) {
    return invalidBody('text.verbosity: not carried', 'text');
  }
  const format = text.format as Json | undefined | null;
  if (format === undefined || format === null) return undefined;
  return readFormat(format, format, 'text.format', 'text.format');
}
