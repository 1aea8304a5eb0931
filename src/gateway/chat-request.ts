/**
 * An OpenAI chat request body read into a runtime request, and the runtime's INVALID_REQUEST
 * errors told in the body's terms: the caller wrote `max_tokens`, so a 400 names `max_tokens`
 * (and sets `param` to it), never the library's `options.maxTokens`.
 */
import type { ChatMessage, RequestOptions } from '../model/request.js';
import { invalidBody, isError, readChatOptions, readMessage } from './chat-body.js';
import { chatPath, chatTail, renamedAnswer } from './chat-names.js';
import type { ErrorAnswer } from './wire.js';

export { invalidBody };

/** A chat request as the runtime takes it. */
export interface GatewayChatRequest {
  client: string;
  messages: ChatMessage[];
  options: RequestOptions;
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk with the usage. */
  includeUsage: boolean;
  /** The body field the token limit came from: `max_tokens` or `max_completion_tokens`. */
  maxTokensField: string;
  /** Whether the body set `top_logprobs` (errors about the runtime's `logprobs` name it). */
  topLogprobs: boolean;
}

/** Body fields the gateway reads itself; every other field goes to the provider as `extra`. */
const OWN_FIELDS = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'temperature',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'seed',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'reasoning_effort',
  'logprobs',
  'top_logprobs',
]);
/** Fields whose answers the gateway could not carry back: refused rather than half-served. */
const REFUSED_FIELDS = new Set(['functions', 'function_call']);
/**
 * Keys that would reach an object's prototype machinery if assigned: JSON.parse makes them
 * plain own keys, but `extra[key] = value` would run the `__proto__` setter.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Reads a parsed JSON body as a chat request, or the 400 that names what is wrong with it.
 * Message and option values are checked by the runtime itself (see {@link inBodyTerms}).
 */
export function readChatRequest(body: unknown): GatewayChatRequest | ErrorAnswer {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalidBody('the body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '') {
    return invalidBody('model: expected the name of a client (GET /v1/models lists them)', 'model');
  }
  if (!Array.isArray(b.messages)) {
    return invalidBody('messages: expected an array of { role, content }', 'messages');
  }
  // One pass over the fields: a refused one answers 400, the unknown ones go to the provider.
  let extra: Record<string, unknown> | undefined;
  for (const field in b) {
    if (REFUSED_FIELDS.has(field)) {
      return invalidBody(`${field}: the legacy function calling is not carried (use tools)`, field);
    }
    if (PROTOTYPE_KEYS.has(field)) return invalidBody(`${field}: forbidden key`, field);
    const value = b[field];
    if (OWN_FIELDS.has(field) || value === undefined) continue;
    (extra ??= {})[field] = value;
  }
  const messages: ChatMessage[] = [];
  for (let i = 0; i < b.messages.length; i++) {
    const message = readMessage(b.messages[i], i);
    if (isError(message)) return message;
    messages.push(message);
  }
  if (b.stream !== undefined && typeof b.stream !== 'boolean') {
    return invalidBody('stream: expected a boolean', 'stream');
  }
  const streamOptions = b.stream_options as { include_usage?: unknown } | null | undefined;
  const options = readOptions(b, extra);
  const refused = readChatOptions(b, options);
  if (refused !== undefined) return refused;
  return {
    client: b.model,
    messages,
    options,
    stream: b.stream === true,
    includeUsage: streamOptions?.include_usage === true,
    maxTokensField:
      b.max_completion_tokens !== undefined && b.max_completion_tokens !== null
        ? 'max_completion_tokens'
        : 'max_tokens',
    topLogprobs: b.top_logprobs !== undefined && b.top_logprobs !== null,
  };
}

/** The runtime options of a body; their values are checked by the runtime. */
function readOptions(
  b: Record<string, unknown>,
  extra: Record<string, unknown> | undefined,
): RequestOptions {
  const options: RequestOptions = {};
  if (b.temperature !== undefined && b.temperature !== null) {
    options.temperature = b.temperature as number;
  }
  const maxTokens = b.max_completion_tokens ?? b.max_tokens;
  if (maxTokens !== undefined && maxTokens !== null) options.maxTokens = maxTokens as number;
  if (b.stop !== undefined && b.stop !== null) {
    options.stop = (typeof b.stop === 'string' ? [b.stop] : b.stop) as string[];
  }
  if (b.seed !== undefined && b.seed !== null) options.seed = b.seed as number;
  if (extra !== undefined) options.extra = extra;
  return options;
}

/**
 * A runtime INVALID_REQUEST answer renamed into the body's terms: `options.maxTokens: …`
 * becomes `max_tokens: …` with `param: "max_tokens"`; other answers pass unchanged.
 */
export function inBodyTerms(answer: ErrorAnswer, request: GatewayChatRequest): ErrorAnswer {
  return renamedAnswer(answer, (path) => chatPath(path, request), chatTail);
}
