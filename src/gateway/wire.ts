/**
 * The OpenAI Chat Completions wire format of the gateway: a request body read into a runtime
 * request, a Completion written back as a `chat.completion` or as `chat.completion.chunk`
 * events, and runtime errors as OpenAI-style error bodies with the statuses clients expect.
 */
import { nanoid } from 'nanoid';
import { isLlmActorsError, type ErrorCode, type LlmActorsError } from '../model/errors.js';
import type { AssistantMessage, StreamChunk, TokenLogprob } from '../model/chat.js';
import { isContextOverflow } from '../groups/failover.js';
import { reasoningDetailsOf, type ReasoningDetail } from './reasoning-details.js';
import type { AnswerParts, Completion, FinishReason } from '../model/request.js';

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
  /** For a provider's 4xx passed on in the provider's terms: the llm-actors code behind it. */
  llm_actors_code?: string;
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
  const choices = completion.choices ?? [completion];
  return {
    id,
    object: 'chat.completion',
    created: created(),
    model: completion.model,
    choices: choices.map((choice, index) => ({
      index,
      message: messageBody(choice),
      logprobs: logprobsBody(choice.logprobs),
      ...openaiFinish(choice.finishReason),
    })),
    usage: usageBody(completion),
  };
}

/** A choice's assistant message: content null when it only calls tools, as OpenAI sends it. */
function messageBody(choice: AnswerParts & { text: string; message: AssistantMessage }): object {
  const calls = choice.toolCalls;
  const hasCalls = calls !== undefined && calls.length > 0;
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: hasCalls && choice.text === '' ? null : choice.text,
    refusal: null,
  };
  if (hasCalls) {
    message.tool_calls = calls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  if (choice.reasoning !== undefined) message.reasoning_content = choice.reasoning;
  const details = reasoningDetailsOf(choice.message.reasoning);
  if (details !== undefined) message.reasoning_details = details;
  return message;
}

/** Token logprobs in OpenAI's `logprobs.content` shape, or null. */
function logprobsBody(logprobs: TokenLogprob[] | undefined): object | null {
  if (logprobs === undefined) return null;
  return {
    content: logprobs.map((t) => ({
      token: t.token,
      logprob: t.logprob,
      bytes: null,
      top_logprobs: (t.topLogprobs ?? []).map((a) => ({ ...a, bytes: null })),
    })),
    refusal: null,
  };
}

function usageBody({ usage }: Completion): object {
  const body: Record<string, unknown> = {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
  };
  if (usage.cachedPromptTokens !== undefined) {
    body.prompt_tokens_details = { cached_tokens: usage.cachedPromptTokens };
  }
  if (usage.reasoningTokens !== undefined) {
    body.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  }
  return body;
}

/** What one chunk adds to a choice. */
export interface ChunkDelta {
  role?: 'assistant';
  content?: string;
  reasoning_content?: string;
  tool_calls?: object[];
  reasoning_details?: ReasoningDetail[];
}

/**
 * What a runtime chunk adds, in OpenAI's delta shape (undefined when nothing): text as
 * `content`, reasoning as `reasoning_content`, a tool-call fragment in `tool_calls` with its
 * `id`, `type` and `function.name` on the call's first fragment.
 */
export function chunkDelta(chunk: StreamChunk): ChunkDelta | undefined {
  let delta: ChunkDelta | undefined;
  if (chunk.text !== '') delta = { content: chunk.text };
  if (chunk.reasoning !== undefined) (delta ??= {}).reasoning_content = chunk.reasoning;
  const call = chunk.toolCall;
  if (call !== undefined) {
    const fn: Record<string, string> = { arguments: call.arguments };
    if (call.name !== undefined) fn.name = call.name;
    const out: Record<string, unknown> = { index: call.index };
    if (call.id !== undefined) Object.assign(out, { id: call.id, type: 'function' });
    out.function = fn;
    (delta ??= {}).tool_calls = [out];
  }
  return delta;
}

/** One `chat.completion.chunk` as an SSE event, for choice `index`. */
export function chunkEvent(
  id: string,
  model: string,
  delta: ChunkDelta,
  finishReason: FinishReason | null = null,
  index = 0,
  logprobs: TokenLogprob[] | undefined = undefined,
): string {
  const finish = finishReason === null ? { finish_reason: null } : openaiFinish(finishReason);
  const chunk = {
    id,
    object: 'chat.completion.chunk',
    created: created(),
    model,
    choices: [{ index, delta, logprobs: logprobsBody(logprobs), ...finish }],
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/**
 * The last events of a stream: each choice's finish chunk (with the choice's logprobs and
 * signed reasoning, which the runtime's chunks do not carry), the usage chunk when asked for,
 * `[DONE]`.
 */
export function closingEvents(id: string, completion: Completion, includeUsage: boolean): string {
  const choices = completion.choices ?? [completion];
  let out = '';
  for (let i = 0; i < choices.length; i++) {
    const choice = choices[i]!;
    const details = reasoningDetailsOf(choice.message.reasoning);
    const delta = details === undefined ? {} : { reasoning_details: details };
    out += chunkEvent(id, completion.model, delta, choice.finishReason, i, choice.logprobs);
  }
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
  BUDGET_EXCEEDED: 429,
  RATE_LIMITED: 429,
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
  const status = providerStatus(error) ?? STATUS[error.code];
  // An open fuse is the runtime's own retry decision already made: an SDK that retried it on
  // its own schedule (10-20 s of backoff in the openai client) would undo the fail-fast. Callers
  // that schedule their own retry still get Retry-After.
  const retry = error.code === 'FUSE_OPEN' ? false : error.retryable;
  const headers: Record<string, string> = { 'x-should-retry': String(retry) };
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
  const fields = status === error.status ? error.providerError : undefined;
  if (fields !== undefined) {
    // The caller's own fault as the provider put it: its code (context_length_exceeded, ...),
    // type, param and message, so clients that switch on them work through the gateway.
    body.message = fields.message ?? body.message;
    body.type = fields.type ?? body.type;
    // A context overflow in OpenAI's words whatever the provider said ("prompt is too long"):
    // the gateway speaks OpenAI's wire, and its clients switch on that code.
    body.code = fields.code ?? (isContextOverflow(error) ? 'context_length_exceeded' : body.code);
    body.param = fields.param ?? null;
    body.llm_actors_code = error.code;
  }
  if (error.client !== undefined) body.client = error.client;
  if (typeof error.status === 'number') body.upstream_status = error.status;
  return { status, headers, body: { error: body } };
}

/**
 * A provider's 4xx keeps its status through the gateway (a 400 `context_length_exceeded` is a
 * 400, a 429 a 429); its 5xx, like a network failure, is the gateway's 502.
 */
function providerStatus(error: LlmActorsError): number | undefined {
  const status = error.status;
  return error.code === 'PROVIDER_ERROR' &&
    typeof status === 'number' &&
    status >= 400 &&
    status < 500
    ? status
    : undefined;
}
