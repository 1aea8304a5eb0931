/**
 * The whole chat of an OpenAI Chat Completions body read into the runtime's terms: messages
 * with content parts, tool calls and tool results, and the chat options (`tools`,
 * `tool_choice`, `parallel_tool_calls`, `response_format`, `reasoning_effort`, `logprobs`).
 * What the runtime cannot carry is a 400 naming the field, never dropped.
 */
import type {
  ChatMessage,
  ImagePart,
  ResponseFormat,
  TextPart,
  ToolCall,
  ToolChoice,
  ToolDefinition,
} from '../model/chat.js';
import type { RequestOptions } from '../model/request.js';
import type { ErrorAnswer } from './wire.js';
import { readReasoningDetails } from './reasoning-details.js';

type Json = Record<string, unknown>;

/** A 400 for a body the gateway cannot read; `param` names the field. */
export function invalidBody(message: string, param: string | null = null): ErrorAnswer {
  return {
    status: 400,
    headers: {},
    body: { error: { message, type: 'invalid_request_error', code: 'INVALID_REQUEST', param } },
  };
}

/** A read value, or the 400 that says why it cannot be read. */
export type Read<T> = T | ErrorAnswer;

/** True for the 400 answers this module returns. */
export function isError(value: unknown): value is ErrorAnswer {
  return typeof value === 'object' && value !== null && 'status' in value && 'body' in value;
}

/** Absent as far as the gateway is concerned: undefined, null or an empty array. */
function absent(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
}

/** Message keys the gateway reads; any other with a value is a 400. */
const MESSAGE_KEYS = new Set(['role', 'content', 'name', 'tool_calls', 'tool_call_id']);
/** Keys the SDKs echo back on an assistant message, harmless when empty. */
const ECHOED_KEYS = new Set(['refusal', 'annotations', 'audio', 'function_call']);

/** One message in the runtime's shape; roles and values are checked by the runtime. */
export function readMessage(value: unknown, i: number): Read<ChatMessage> {
  const at = `messages[${i}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalidBody(`${at}: expected an object with role and content`, 'messages');
  }
  const m = value as Json;
  for (const key in m) {
    if (MESSAGE_KEYS.has(key) || absent(m[key])) continue;
    if ((key === 'reasoning_content' || key === 'reasoning_details') && m.role === 'assistant') {
      continue;
    }
    const why = ECHOED_KEYS.has(key) ? 'is not carried by the gateway' : 'is not a message field';
    return invalidBody(`${at}.${key}: ${why}`, 'messages');
  }
  const content = readContent(m.content, `${at}.content`);
  if (isError(content)) return content;
  const message: Json = { role: m.role, content };
  if (m.name !== undefined) message.name = m.name as string;
  if (m.tool_call_id !== undefined) message.toolCallId = m.tool_call_id;
  if (!absent(m.tool_calls)) {
    const calls = readToolCalls(m.tool_calls, `${at}.tool_calls`);
    if (isError(calls)) return calls;
    message.toolCalls = calls;
  }
  if (m.role === 'assistant' && !absent(m.reasoning_details)) {
    // The signed blocks stand for the reasoning: reasoning_content is their text again.
    const parts = readReasoningDetails(m.reasoning_details, `${at}.reasoning_details`);
    if ('error' in parts) return invalidBody(parts.error, 'messages');
    if (parts.length > 0) message.reasoning = parts;
  }
  // Details that were only summaries stand for nothing: the plain text is the reasoning then.
  if (message.reasoning === undefined && typeof m.reasoning_content === 'string') {
    if (m.reasoning_content !== '') {
      message.reasoning = [{ type: 'reasoning', text: m.reasoning_content }];
    }
  }
  return message as unknown as ChatMessage;
}

/** String content as it is; a part array as text and image parts. */
function readContent(content: unknown, at: string): Read<unknown> {
  if (!Array.isArray(content)) return content;
  const parts: Array<TextPart | ImagePart> = [];
  for (let j = 0; j < content.length; j++) {
    const part = content[j] as Json | null;
    if (part?.type === 'text') {
      parts.push({ type: 'text', text: part.text as string });
      continue;
    }
    if (part?.type === 'image_url') {
      const image = part.image_url as Json | null | undefined;
      if (image?.detail !== undefined && image.detail !== 'auto') {
        return invalidBody(`${at}[${j}].image_url.detail: only "auto" is carried`, 'messages');
      }
      parts.push({ type: 'image', url: image?.url as string });
      continue;
    }
    const type = JSON.stringify(part?.type ?? null);
    return invalidBody(
      `${at}[${j}]: ${type} parts are not carried (text and image_url are)`,
      'messages',
    );
  }
  return parts;
}

/** An assistant's `tool_calls` as the runtime's tool calls (function calls only). */
function readToolCalls(value: unknown, at: string): Read<ToolCall[]> {
  if (!Array.isArray(value)) return invalidBody(`${at}: expected an array`, 'messages');
  const calls: ToolCall[] = [];
  for (let j = 0; j < value.length; j++) {
    const call = value[j] as Json | null;
    if (call?.type !== undefined && call?.type !== 'function') {
      return invalidBody(`${at}[${j}].type: only function calls are carried`, 'messages');
    }
    const fn = call?.function as Json | null | undefined;
    calls.push({
      id: call?.id as string,
      name: fn?.name as string,
      arguments: fn?.arguments as string,
    });
  }
  return calls;
}

/** Writes the chat options of body `b` into `options`, or returns the 400 of one. */
export function readChatOptions(b: Json, options: RequestOptions): ErrorAnswer | undefined {
  const refused = readToolOptions(b, options, readTool, readToolChoice);
  if (refused !== undefined) return refused;
  if (b.response_format !== undefined && b.response_format !== null) {
    const format = readResponseFormat(b.response_format);
    if (isError(format)) return format;
    options.responseFormat = format;
  }
  if (b.reasoning_effort !== undefined && b.reasoning_effort !== null) {
    options.reasoning = { effort: b.reasoning_effort as 'low' };
  }
  const top = b.top_logprobs;
  if (b.logprobs === true) {
    options.logprobs = top === undefined || top === null ? true : (top as number);
  } else if (top !== undefined && top !== null) {
    return invalidBody('top_logprobs: requires logprobs: true', 'top_logprobs');
  }
  return undefined;
}

/**
 * Writes `tools`, `tool_choice` and `parallel_tool_calls` of body `b` into `options`, or returns
 * the 400 of one. Only function tools are carried; `tool` reads one in its wire format's shape.
 */
export function readToolOptions(
  b: Json,
  options: RequestOptions,
  tool: (tool: Json, at: string) => Read<ToolDefinition>,
  toolChoice: (value: unknown) => Read<ToolChoice>,
): ErrorAnswer | undefined {
  if (!absent(b.tools)) {
    if (!Array.isArray(b.tools)) return invalidBody('tools: expected an array', 'tools');
    const tools: ToolDefinition[] = [];
    for (let i = 0; i < b.tools.length; i++) {
      const each = b.tools[i] as Json | null;
      if (each?.type !== 'function') {
        const type = JSON.stringify(each?.type ?? null);
        return invalidBody(
          `tools[${i}].type: ${type} tools are not carried (only function tools are)`,
          'tools',
        );
      }
      const read = tool(each, `tools[${i}]`);
      if (isError(read)) return read;
      tools.push(read);
    }
    options.tools = tools;
  }
  if (b.tool_choice !== undefined && b.tool_choice !== null) {
    const choice = toolChoice(b.tool_choice);
    if (isError(choice)) return choice;
    options.toolChoice = choice;
  }
  if (b.parallel_tool_calls !== undefined && b.parallel_tool_calls !== null) {
    options.parallelToolCalls = b.parallel_tool_calls as boolean;
  }
  return undefined;
}

/** A Chat Completions function tool: its definition under `function`. */
function readTool(tool: Json): ToolDefinition {
  return toolDefinition((tool.function ?? {}) as Json);
}

/**
 * A function tool's definition in the runtime's terms (a missing `parameters` is an object
 * with no properties, as OpenAI takes it); values are checked by the runtime.
 */
export function toolDefinition(fn: Json): ToolDefinition {
  const definition: ToolDefinition = {
    name: fn.name as string,
    parameters: (fn.parameters ?? {
      type: 'object',
      properties: {},
    }) as ToolDefinition['parameters'],
  };
  if (fn.description !== undefined && fn.description !== null) {
    definition.description = fn.description as string;
  }
  if (fn.strict !== undefined && fn.strict !== null) definition.strict = fn.strict as boolean;
  return definition;
}

function readToolChoice(value: unknown): Read<ToolChoice> {
  if (typeof value === 'string') return value as ToolChoice;
  const choice = value as Json;
  const name = (choice.function as Json | undefined)?.name;
  if (choice.type !== 'function' || typeof name !== 'string') {
    return invalidBody(
      'tool_choice: expected "auto", "none", "required" or { type: "function", function: { name } }',
      'tool_choice',
    );
  }
  return { name };
}

function readResponseFormat(value: unknown): Read<ResponseFormat> {
  const format = value as Json;
  const spec = (format.json_schema ?? {}) as Json;
  return readFormat(format, spec, 'response_format', 'response_format.json_schema');
}

/**
 * A response format in the runtime's terms: `format.type` text, json_object or json_schema,
 * the schema's fields read from `spec` — `json_schema` in a chat body, the format itself in a
 * Responses body. `at` and `specAt` name the two in the body; `at`'s first name is the param.
 */
export function readFormat(
  format: Json,
  spec: Json,
  at: string,
  specAt: string,
): Read<ResponseFormat> {
  const param = at.split('.')[0]!;
  if (format.type === 'text') return { type: 'text' };
  if (format.type === 'json_object') return { type: 'json' };
  if (format.type !== 'json_schema') {
    return invalidBody(
      `${at}.type: expected text, json_object or json_schema, got ${JSON.stringify(format.type ?? null)}`,
      param,
    );
  }
  if (spec.description !== undefined && spec.description !== null) {
    return invalidBody(`${specAt}.description: not carried`, param);
  }
  const out: ResponseFormat = { type: 'json' };
  if (spec.schema !== undefined) out.schema = spec.schema as Json;
  if (spec.name !== undefined) out.name = spec.name as string;
  if (spec.strict !== undefined && spec.strict !== null) out.strict = spec.strict as boolean;
  return out;
}
