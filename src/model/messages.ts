/**
 * The check every message passes before it reaches an actor: roles, content (a string or
 * parts), tool calls, tool call ids and reasoning parts, each problem named by its field.
 */
import type { ChatMessage } from './chat.js';
import { describe } from './describe.js';
import { invalidRequest as invalid } from './failures.js';

const ROLES = 'system, developer, user, assistant, tool';
const KEYS: Record<string, ReadonlySet<string>> = {
  system: new Set(['role', 'content', 'name']),
  developer: new Set(['role', 'content', 'name']),
  user: new Set(['role', 'content', 'name']),
  assistant: new Set(['role', 'content', 'name', 'toolCalls', 'reasoning']),
  tool: new Set(['role', 'content', 'name', 'toolCallId']),
};
const DATA_IMAGE = /^data:image\/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=]+$/i;

/** Throws INVALID_REQUEST naming the first problem in `messages`. */
export function validateMessages(
  messages: unknown,
  client: string,
): asserts messages is ChatMessage[] {
  if (!Array.isArray(messages)) {
    throw invalid('messages: expected an array of { role, content }', client);
  }
  if (messages.length === 0) throw invalid('messages: must not be empty', client);
  for (let i = 0; i < messages.length; i++) {
    const problem = messageProblem(messages[i]);
    if (problem !== undefined) throw invalid(`messages[${i}]${problem}`, client);
  }
}

/** What is wrong with one message (a field suffix and the reason), or undefined. */
function messageProblem(m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null) return ': expected an object with role and content';
  const { role, content, name } = m as Record<string, unknown>;
  const keys = typeof role === 'string' ? KEYS[role] : undefined;
  if (keys === undefined || !Object.hasOwn(KEYS, role as string)) {
    return `.role: expected one of ${ROLES}; got ${describe(role)}`;
  }
  for (const key of Object.keys(m)) {
    if (!keys.has(key)) {
      return `.${key}: unknown key (a ${role as string} message has ${[...keys].join(', ')})`;
    }
  }
  if (name !== undefined && typeof name !== 'string') {
    return `.name: expected a string, got ${describe(name)}`;
  }
  const m2 = m as Record<string, unknown>;
  if (role === 'assistant') {
    if (content !== null) {
      const problem = contentProblem(content, false);
      if (problem !== undefined) return problem;
    }
    if (m2.toolCalls !== undefined) {
      const problem = toolCallsProblem(m2.toolCalls);
      if (problem !== undefined) return `.toolCalls${problem}`;
    }
    if (m2.reasoning !== undefined) {
      const problem = reasoningProblem(m2.reasoning);
      if (problem !== undefined) return `.reasoning${problem}`;
    }
    return undefined;
  }
  // A tool message without an id is the plain-text history of before the chat contract: kept.
  if (role === 'tool' && m2.toolCallId !== undefined && typeof m2.toolCallId !== 'string') {
    return `.toolCallId: expected the id of the tool call answered, got ${describe(m2.toolCallId)}`;
  }
  return contentProblem(content, role === 'user');
}

function contentProblem(content: unknown, images: boolean): string | undefined {
  if (typeof content === 'string') {
    return content.isWellFormed()
      ? undefined
      : '.content: contains a lone surrogate (invalid UTF-16)';
  }
  if (!Array.isArray(content)) {
    return `.content: expected a string or an array of parts, got ${describe(content)}`;
  }
  for (let j = 0; j < content.length; j++) {
    const part = content[j] as Record<string, unknown> | null;
    const at = `.content[${j}]`;
    if (typeof part !== 'object' || part === null) return `${at}: expected a part object`;
    if (part.type === 'text') {
      if (typeof part.text !== 'string') return `${at}.text: expected a string`;
      if (!part.text.isWellFormed()) return `${at}.text: contains a lone surrogate`;
      if (Object.keys(part).length !== 2) return `${at}: a text part has only type and text`;
    } else if (part.type === 'image' && images) {
      if (typeof part.url !== 'string' || !isImageUrl(part.url)) {
        return `${at}.url: expected an https URL or data:image/<type>;base64,<data>`;
      }
      if (Object.keys(part).length !== 2) return `${at}: an image part has only type and url`;
    } else {
      return `${at}.type: expected ${images ? "'text' or 'image'" : "'text'"}, got ${describe(part.type)}`;
    }
  }
  return undefined;
}

function isImageUrl(url: string): boolean {
  return url.startsWith('https://') ? URL.canParse(url) : DATA_IMAGE.test(url);
}

/** What is wrong with a list of tool calls (a field suffix and the reason), or undefined. */
function toolCallsProblem(calls: unknown): string | undefined {
  if (!Array.isArray(calls)) return `: expected an array, got ${describe(calls)}`;
  for (let j = 0; j < calls.length; j++) {
    const call = calls[j] as Record<string, unknown> | null;
    if (typeof call !== 'object' || call === null)
      return `[${j}]: expected { id, name, arguments }`;
    for (const field of ['id', 'name', 'arguments']) {
      if (typeof call[field] !== 'string') return `[${j}].${field}: expected a string`;
    }
    if (Object.keys(call).length !== 3) return `[${j}]: a tool call has only id, name, arguments`;
  }
  return undefined;
}

function reasoningProblem(parts: unknown): string | undefined {
  if (!Array.isArray(parts)) return `: expected an array, got ${describe(parts)}`;
  for (let j = 0; j < parts.length; j++) {
    const part = parts[j] as Record<string, unknown> | null;
    if (typeof part !== 'object' || part === null) return `[${j}]: expected a reasoning part`;
    if (part.type === 'reasoning') {
      if (typeof part.text !== 'string') return `[${j}].text: expected a string`;
      if (part.signature !== undefined && typeof part.signature !== 'string') {
        return `[${j}].signature: expected a string`;
      }
    } else if (part.type === 'redacted-reasoning') {
      if (typeof part.data !== 'string') return `[${j}].data: expected a string`;
    } else {
      return `[${j}].type: expected 'reasoning' or 'redacted-reasoning'`;
    }
  }
  return undefined;
}
