/**
 * The OpenAI Chat Completions wire format of the gateway: a request body read into a runtime
 * request, a Completion written back as a `chat.completion` or as `chat.completion.chunk`
 * events, and runtime errors as OpenAI-style error bodies with the statuses clients expect.
 */
import { nanoid } from 'nanoid';
import { isLlmActorsError, type ErrorCode } from '../model/errors.js';
import type { ChatMessage, Completion, FinishReason, RequestOptions } from '../model/request.js';

/** A chat request as the runtime takes it. */
export interface GatewayChatRequest {
  client: string;
  messages: ChatMessage[];
  options: RequestOptions;
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk with the usage. */
  includeUsage: boolean;
}

/** An HTTP error answer: status, OpenAI-style body, extra headers. */
export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: OpenAIErrorBody };
}

/** The `error` object of an OpenAI-style error body, plus what llm-actors knows. */
export interface OpenAIErrorBody {
  message: string;
  type: string;
  code: string;
  param: string | null;
  /** The client that answered, when there is one. */
  client?: string;
  /** For PROVIDER_ERROR: the upstream's status. */
  upstream_status?: number;
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
]);
/** Fields whose answers the gateway could not carry back: refused rather than half-served. */
const REFUSED_FIELDS = new Set(['tools', 'tool_choice', 'functions', 'function_call']);

/** A 400 for a body the gateway cannot read; `param` names the field. */
export function invalidBody(message: string, param: string | null = null): ErrorAnswer {
  return {
    status: 400,
    headers: {},
    body: { error: { message, type: 'invalid_request_error', code: 'INVALID_REQUEST', param } },
  };
}

/**
 * Reads a parsed JSON body as a chat request, or the 400 that names what is wrong with it.
 * Message and option values are checked by the runtime itself (INVALID_REQUEST names them).
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
      return invalidBody(`${field}: tool calling is not supported by the gateway`, field);
    }
    const value = b[field];
    if (OWN_FIELDS.has(field) || value === undefined) continue;
    (extra ??= {})[field] = value;
  }
  const messages: ChatMessage[] = [];
  for (let i = 0; i < b.messages.length; i++) {
    const message = readMessage(b.messages[i], i);
    if ('status' in message) return message;
    messages.push(message);
  }
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
  if (b.stream !== undefined && typeof b.stream !== 'boolean') {
    return invalidBody('stream: expected a boolean', 'stream');
  }
  const streamOptions = b.stream_options as { include_usage?: unknown } | null | undefined;
  return {
    client: b.model,
    messages,
    options,
    stream: b.stream === true,
    includeUsage: streamOptions?.include_usage === true,
  };
}

/** One message: string content, or an array of text parts joined (the SDKs send both). */
function readMessage(value: unknown, i: number): ChatMessage | ErrorAnswer {
  if (typeof value !== 'object' || value === null) {
    return invalidBody(`messages[${i}]: expected an object with role and content`, 'messages');
  }
  const { role, content, name } = value as Record<string, unknown>;
  let text: unknown = content;
  if (Array.isArray(content)) {
    text = '';
    for (const part of content as Array<{ type?: unknown; text?: unknown }>) {
      if (part?.type !== 'text' || typeof part.text !== 'string') {
        return invalidBody(
          `messages[${i}].content: only text parts are supported, got ${JSON.stringify(part?.type ?? null)}`,
          'messages',
        );
      }
      text += part.text;
    }
  } else if (content === null && role === 'assistant') {
    text = '';
  }
  const message = { role, content: text } as ChatMessage;
  if (name !== undefined) message.name = name as string;
  return message;
}

/**
 * A finish reason as OpenAI's clients know them (stop, length, tool_calls, content_filter):
 * `other` and `error` have no OpenAI value and are sent as `stop`, the original kept beside it.
 */
function openaiFinish(reason: FinishReason): {
  finish_reason: string;
  llm_actors_finish_reason?: string;
} {
  return reason === 'other' || reason === 'error'
    ? { finish_reason: 'stop', llm_actors_finish_reason: reason }
    : { finish_reason: reason };
}

function created(): number {
  return Math.floor(Date.now() / 1000);
}

/** A new completion id in OpenAI's shape. */
export function completionId(): string {
  return `chatcmpl-${nanoid()}`;
}

/** A Completion as an OpenAI `chat.completion` object. */
export function completionBody(completion: Completion, id = completionId()): object {
  const choices = completion.choices ?? [
    { text: completion.text, finishReason: completion.finishReason },
  ];
  return {
    id,
    object: 'chat.completion',
    created: created(),
    model: completion.model,
    choices: choices.map((choice, index) => ({
      index,
      message: { role: 'assistant', content: choice.text, refusal: null },
      logprobs: null,
      ...openaiFinish(choice.finishReason),
    })),
    usage: usageBody(completion),
  };
}

function usageBody({ usage }: Completion): object {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
  };
}

/** One `chat.completion.chunk` as an SSE event. */
export function chunkEvent(
  id: string,
  model: string,
  delta: { role?: 'assistant'; content?: string },
  finishReason: FinishReason | null = null,
): string {
  const finish = finishReason === null ? { finish_reason: null } : openaiFinish(finishReason);
  const chunk = {
    id,
    object: 'chat.completion.chunk',
    created: created(),
    model,
    choices: [{ index: 0, delta, logprobs: null, ...finish }],
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** The last events of a stream: the finish chunk, the usage chunk when asked for, `[DONE]`. */
export function closingEvents(id: string, completion: Completion, includeUsage: boolean): string {
  let out = chunkEvent(id, completion.model, {}, completion.finishReason);
  if (includeUsage) {
    const chunk = {
      id,
      object: 'chat.completion.chunk',
      created: created(),
      model: completion.model,
      choices: [],
      usage: usageBody(completion),
    };
    out += `data: ${JSON.stringify(chunk)}\n\n`;
  }
  return out + 'data: [DONE]\n\n';
}

/** An error after a stream has started: an SSE event with the OpenAI-style error body. */
export function errorEvent(error: unknown): string {
  return `data: ${JSON.stringify(errorAnswer(error).body)}\n\n`;
}

const STATUS: Record<ErrorCode, number> = {
  INVALID_CONFIG: 500,
  INVALID_REQUEST: 400,
  UNKNOWN_CLIENT: 404,
  FUSE_OPEN: 503,
  QUEUE_FULL: 429,
  TIMEOUT: 504,
  ABORTED: 499,
  PROVIDER_ERROR: 502,
  NETWORK_ERROR: 502,
  BAD_RESPONSE: 502,
  CLIENT_RESTARTED: 503,
  CLIENT_FAILED: 503,
  RUNTIME_STOPPED: 503,
};

const TYPE: Partial<Record<number, string>> = {
  400: 'invalid_request_error',
  404: 'invalid_request_error',
  429: 'rate_limit_error',
  499: 'request_aborted',
};

/**
 * A runtime error as an HTTP answer: the status for its code, an OpenAI-style body with the
 * code, `Retry-After` when the runtime knows when to retry, and `x-should-retry` so that the
 * official SDKs retry exactly what the runtime calls retryable.
 */
export function errorAnswer(error: unknown): ErrorAnswer {
  if (!isLlmActorsError(error)) {
    return {
      status: 500,
      headers: { 'x-should-retry': 'false' },
      body: {
        error: { message: 'internal error', type: 'server_error', code: 'INTERNAL', param: null },
      },
    };
  }
  const status = STATUS[error.code];
  const headers: Record<string, string> = { 'x-should-retry': String(error.retryable) };
  const retryAfterMs = error.retryAfterMs;
  if (retryAfterMs !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    headers['retry-after-ms'] = String(Math.ceil(retryAfterMs));
  }
  const body: OpenAIErrorBody = {
    message: error.message,
    type: TYPE[status] ?? 'server_error',
    code: error.code,
    param: null,
  };
  if (error.client !== undefined) body.client = error.client;
  if (typeof error.status === 'number') body.upstream_status = error.status;
  return { status, headers, body: { error: body } };
}
