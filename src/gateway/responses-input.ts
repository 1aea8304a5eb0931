/**
 * The `input` of a Responses API body read into the runtime's messages: message items (user,
 * system, developer, assistant) with their content parts, and the items of an assistant turn —
 * `reasoning`, the assistant's `message`, its `function_call`s — folded into one assistant
 * message, each `function_call_output` a tool message. What cannot be carried is a 400 naming
 * the item and its field.
 */
import type { ChatMessage, ImagePart, ReasoningPart, TextPart, ToolCall } from '../model/chat.js';
import { invalidBody, isError, type Read } from './chat-body.js';
import { readEncryptedReasoning } from './responses-output.js';
import type { ErrorAnswer } from './wire.js';

type Json = Record<string, unknown>;

/** The messages of an input, and for each the body field it came from (for error messages). */
export interface ReadInput {
  messages: ChatMessage[];
  /** Per message: `instructions` or `input[j]` (the first item of an assistant turn). */
  sources: string[];
  /** Per assistant message index: the `input[j]` of each of its function calls. */
  callSources: Record<number, string[]>;
}

/** Keys an item may echo back from a Response's output: harmless, not sent upstream. */
const ECHOED = new Set(['id', 'status']);
const MESSAGE_KEYS = new Set(['type', 'role', 'content', ...ECHOED]);
const CALL_KEYS = new Set(['type', 'call_id', 'name', 'arguments', ...ECHOED]);
const OUTPUT_KEYS = new Set(['type', 'call_id', 'output', ...ECHOED]);
const REASONING_KEYS = new Set(['type', 'summary', 'content', 'encrypted_content', ...ECHOED]);
const ROLES = new Set(['user', 'system', 'developer', 'assistant']);

/** `instructions` and `input` as messages: instructions first, as a system message. */
export function readInput(input: unknown, instructions: unknown): Read<ReadInput> {
  const read: ReadInput = { messages: [], sources: [], callSources: {} };
  if (instructions !== undefined && instructions !== null) {
    if (typeof instructions !== 'string') {
      return invalidBody('instructions: expected a string', 'instructions');
    }
    read.messages.push({ role: 'system', content: instructions });
    read.sources.push('instructions');
  }
  if (typeof input === 'string') {
    read.messages.push({ role: 'user', content: input });
    read.sources.push('input');
    return read;
  }
  if (!Array.isArray(input)) {
    return invalidBody('input: expected a string or an array of items', 'input');
  }
  // The assistant turn being gathered from consecutive assistant-side items.
  let turn: { content: TextPart[]; toolCalls: ToolCall[]; reasoning: ReasoningPart[] } | undefined;
  for (let j = 0; j < input.length; j++) {
    const at = `input[${j}]`;
    const item = input[j] as Json | null;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      return invalidBody(`${at}: expected an item object`, 'input');
    }
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    const assistantSide =
      type === 'reasoning' ||
      type === 'function_call' ||
      (type === 'message' && item.role === 'assistant');
    if (assistantSide && turn === undefined) {
      turn = { content: [], toolCalls: [], reasoning: [] };
      read.messages.push({ role: 'assistant', content: null });
      read.sources.push(at);
    }
    if (!assistantSide) turn = undefined;
    let problem: ErrorAnswer | undefined;
    if (type === 'message') {
      const keys = unknownKey(item, MESSAGE_KEYS, at);
      if (keys !== undefined) return keys;
      if (!ROLES.has(item.role as string)) {
        const role = JSON.stringify(item.role ?? null);
        return invalidBody(
          `${at}.role: expected user, system, developer or assistant, got ${role}`,
          'input',
        );
      }
      const content = readContent(item.content, item.role as string, `${at}.content`);
      if (isError(content)) return content;
      if (turn !== undefined) {
        turn.content.push(
          ...(typeof content === 'string'
            ? [{ type: 'text' as const, text: content }]
            : (content as TextPart[])),
        );
      } else {
        read.messages.push({ role: item.role, content } as ChatMessage);
        read.sources.push(at);
      }
    } else if (type === 'function_call') {
      problem =
        unknownKey(item, CALL_KEYS, at) ?? strings(item, ['call_id', 'name', 'arguments'], at);
      if (problem !== undefined) return problem;
      (read.callSources[read.messages.length - 1] ??= []).push(at);
      turn!.toolCalls.push({
        id: item.call_id as string,
        name: item.name as string,
        arguments: item.arguments as string,
      });
    } else if (type === 'function_call_output') {
      problem = unknownKey(item, OUTPUT_KEYS, at) ?? strings(item, ['call_id'], at);
      if (problem !== undefined) return problem;
      const output = readOutput(item.output, `${at}.output`);
      if (isError(output)) return output;
      read.messages.push({ role: 'tool', toolCallId: item.call_id as string, content: output });
      read.sources.push(at);
    } else if (type === 'reasoning') {
      problem = unknownKey(item, REASONING_KEYS, at);
      if (problem !== undefined) return problem;
      const parts = readReasoning(item, at);
      if (isError(parts)) return parts;
      turn!.reasoning.push(...parts);
    } else {
      const named = JSON.stringify(type ?? null);
      return invalidBody(
        `${at}.type: ${named} items are not carried (message, function_call, function_call_output and reasoning are)`,
        'input',
      );
    }
    if (turn !== undefined) {
      const message = read.messages.at(-1) as Extract<ChatMessage, { role: 'assistant' }>;
      const only = turn.content.length === 1 ? turn.content[0]!.text : undefined;
      message.content = turn.content.length === 0 ? null : (only ?? turn.content);
      if (turn.toolCalls.length > 0) message.toolCalls = turn.toolCalls;
      if (turn.reasoning.length > 0) message.reasoning = turn.reasoning;
    }
  }
  return read;
}

function unknownKey(item: Json, keys: ReadonlySet<string>, at: string): ErrorAnswer | undefined {
  for (const key in item) {
    if (keys.has(key) || item[key] === undefined || item[key] === null) continue;
    const type = JSON.stringify(item.type ?? 'message');
    return invalidBody(`${at}.${key}: not carried on a ${type} item`, 'input');
  }
  return undefined;
}

function strings(item: Json, fields: string[], at: string): ErrorAnswer | undefined {
  const missing = fields.find((field) => typeof item[field] !== 'string');
  return missing === undefined
    ? undefined
    : invalidBody(`${at}.${missing}: expected a string`, 'input');
}

/**
 * A message's content: a string as it is, parts as text and image parts. Images only in user
 * messages; `output_text` parts (an assistant's, echoed back) only in assistant messages.
 */
function readContent(
  content: unknown,
  role: string,
  at: string,
): Read<string | Array<TextPart | ImagePart>> {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    return invalidBody(`${at}: expected a string or an array of parts`, 'input');
  const parts: Array<TextPart | ImagePart> = [];
  const textType = role === 'assistant' ? 'output_text' : 'input_text';
  for (let k = 0; k < content.length; k++) {
    const part = content[k] as Json | null;
    const where = `${at}[${k}]`;
    if (part?.type === textType || (role === 'assistant' && part?.type === 'input_text')) {
      // An echoed output_text brings its annotations and logprobs: output metadata, not input.
      const extra = Object.keys(part).find(
        (key) => !['type', 'text', 'annotations', 'logprobs'].includes(key),
      );
      if (extra !== undefined)
        return invalidBody(`${where}.${extra}: not carried on a text part`, 'input');
      if (typeof part.text !== 'string')
        return invalidBody(`${where}.text: expected a string`, 'input');
      parts.push({ type: 'text', text: part.text });
    } else if (part?.type === 'input_image' && role === 'user') {
      const image = readImage(part, where);
      if (isError(image)) return image;
      parts.push(image);
    } else {
      const type = JSON.stringify(part?.type ?? null);
      const allowed =
        role === 'user'
          ? 'input_text and input_image'
          : role === 'assistant'
            ? 'output_text'
            : 'input_text';
      return invalidBody(
        `${where}.type: ${type} parts are not carried in a ${role} message (${allowed} are)`,
        'input',
      );
    }
  }
  return parts;
}

function readImage(part: Json, at: string): Read<ImagePart> {
  const extra = Object.keys(part).find(
    (key) => !['type', 'image_url', 'detail'].includes(key) && part[key] !== null,
  );
  if (extra !== undefined) {
    return invalidBody(
      `${at}.${extra}: not carried (send the image as image_url: an https or data: URL)`,
      'input',
    );
  }
  if (part.detail !== undefined && part.detail !== null && part.detail !== 'auto') {
    return invalidBody(`${at}.detail: only "auto" is carried`, 'input');
  }
  if (typeof part.image_url !== 'string')
    return invalidBody(`${at}.image_url: expected a URL`, 'input');
  return { type: 'image', url: part.image_url };
}

/** A tool's output: a string, or input_text parts. */
function readOutput(output: unknown, at: string): Read<string | TextPart[]> {
  if (typeof output === 'string') return output;
  const parts = readContent(output, 'tool', at);
  return isError(parts) ? parts : (parts as TextPart[]);
}

/**
 * A reasoning item as reasoning parts: the `encrypted_content` this gateway gave out (the
 * parts with their signatures, exactly), else its `reasoning_text` content. A summary alone
 * is not the reasoning and cannot stand for it: a 400 rather than a turn sent without it.
 */
function readReasoning(item: Json, at: string): Read<ReasoningPart[]> {
  if (typeof item.encrypted_content === 'string') {
    const parts = readEncryptedReasoning(item.encrypted_content);
    return parts ?? invalidBody(`${at}.encrypted_content: not one this gateway gave out`, 'input');
  }
  const content = item.content;
  if (!Array.isArray(content) || content.length === 0) {
    return invalidBody(
      `${at}: a reasoning item needs its content or encrypted_content (a summary is not carried)`,
      'input',
    );
  }
  const parts: ReasoningPart[] = [];
  for (let k = 0; k < content.length; k++) {
    const part = content[k] as Json | null;
    if (part?.type !== 'reasoning_text' || typeof part.text !== 'string') {
      return invalidBody(`${at}.content[${k}]: expected { type: "reasoning_text", text }`, 'input');
    }
    parts.push({ type: 'reasoning', text: part.text });
  }
  return parts;
}
