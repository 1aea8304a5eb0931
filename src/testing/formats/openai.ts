import type { IncomingMessage } from 'node:http';
import type { TestChatRequest } from '../types.js';
import { functionMessage, toolFields } from './history.js';
import {
  copyHeaders,
  isCount,
  isRecord,
  STREAM_ERROR_MESSAGE,
  type ChoiceText,
  type Completion,
  type StreamEvent,
  type WireFormat,
} from './shared.js';

function errorType(status: number): string {
  if (status === 429) return 'rate_limit_exceeded';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

/** An OpenAI-style JSON error body; `code` is OpenAI's machine-readable code, else `null`. */
export function openAiError(status: number, message: string, code: string | null = null): string {
  return JSON.stringify({ error: { message, type: errorType(status), code } });
}

function parse(
  b: Record<string, unknown>,
  req: IncomingMessage,
  model: string,
): TestChatRequest | string {
  if (!Array.isArray(b.messages)) return "Missing required parameter: 'messages'";
  const maxTokens = b.max_tokens ?? b.max_completion_tokens;
  if (maxTokens !== undefined && maxTokens !== null && !isCount(maxTokens, 0)) {
    return "Invalid 'max_tokens': expected a non-negative integer";
  }
  if (b.n !== undefined && b.n !== null && !isCount(b.n, 1)) {
    return "Invalid 'n': expected a positive integer";
  }
  return {
    format: 'openai',
    model: typeof b.model === 'string' ? b.model : model,
    messages: b.messages.map(functionMessage),
    ...toolFields(b, 'response_format'),
    ...(typeof b.temperature === 'number' && { temperature: b.temperature }),
    ...(typeof maxTokens === 'number' && { max_tokens: maxTokens }),
    ...(typeof b.n === 'number' && { n: b.n }),
    stream: b.stream === true,
    headers: copyHeaders(req),
    body: b,
  };
}

const usage = (c: Completion): object => ({
  prompt_tokens: c.promptTokens,
  completion_tokens: c.completionTokens,
  total_tokens: c.promptTokens + c.completionTokens,
  ...(c.cachedTokens !== undefined && { prompt_tokens_details: { cached_tokens: c.cachedTokens } }),
  ...(c.reasoningTokens !== undefined && {
    completion_tokens_details: { reasoning_tokens: c.reasoningTokens },
  }),
});

/** The whole assistant message of a choice. */
function message(choice: ChoiceText): object {
  const calls = choice.toolCalls ?? [];
  return {
    role: 'assistant',
    // OpenAI sends a null content when the model only calls tools.
    content: calls.length > 0 && choice.content === '' ? null : choice.content,
    ...(choice.reasoning !== undefined && { reasoning_content: choice.reasoning }),
    ...(calls.length > 0 && {
      tool_calls: calls.map((call) => ({
        id: call.id,
        type: 'function',
        function: { name: call.name, arguments: call.arguments },
      })),
    }),
  };
}

/** A choice's stream deltas: reasoning, then text, then each tool call's fragments. */
function deltas(choice: ChoiceText): object[] {
  const out: object[] = (choice.reasoningDeltas ?? []).map((r) => ({ reasoning_content: r }));
  for (const content of choice.deltas) out.push({ content });
  for (const [index, call] of (choice.toolCalls ?? []).entries()) {
    // The first fragment of a call carries its index, id and name; later ones the index only.
    const first = { index, id: call.id, type: 'function', function: { name: call.name } };
    out.push({ tool_calls: [{ ...first, function: { ...first.function, arguments: '' } }] });
    for (const args of call.fragments) {
      out.push({ tool_calls: [{ index, function: { arguments: args } }] });
    }
  }
  return out;
}

function stream(c: Completion): StreamEvent[] {
  const head = {
    id: `chatcmpl-${c.num}`,
    object: 'chat.completion.chunk',
    created: Math.floor(c.createdMs / 1000),
    model: c.model,
  };
  const event = (choices: object[], extra: object = {}): string =>
    `data: ${JSON.stringify({ ...head, choices, ...extra })}\n\n`;
  const events: StreamEvent[] = [];
  // With n > 1 the choices stream one after the other, each told apart by its index.
  c.choices.forEach((choice, index) => {
    const chunk = (delta: object, finish: string | null = null): object => ({
      index,
      delta,
      finish_reason: finish,
    });
    events.push({ data: event([chunk({ role: 'assistant', content: '' })]), phase: 'head' });
    for (const delta of deltas(choice))
      events.push({ data: event([chunk(delta)]), phase: 'delta' });
    events.push({ data: event([chunk({}, choice.finish)]), phase: 'tail' });
  });
  const options = c.chat.body.stream_options;
  if (isRecord(options) && options.include_usage === true) {
    events.push({ data: event([], { usage: usage(c) }), phase: 'tail' });
  }
  events.push({ data: 'data: [DONE]\n\n', phase: 'tail' });
  return events;
}

/** OpenAI chat completions: `POST /v1/chat/completions`. */
export const openai: WireFormat = {
  name: 'openai',
  streamType: 'text/event-stream',
  deny(req, apiKey) {
    if (apiKey === undefined || req.headers.authorization === `Bearer ${apiKey}`) return undefined;
    return {
      status: 401,
      body: openAiError(401, 'Incorrect API key provided.', 'invalid_api_key'),
    };
  },
  parse,
  errorBody: (status, message) => openAiError(status, message),
  answer: (c) => ({
    id: `chatcmpl-${c.num}`,
    object: 'chat.completion',
    created: Math.floor(c.createdMs / 1000),
    model: c.model,
    choices: c.choices.map((choice, index) => ({
      index,
      message: message(choice),
      finish_reason: choice.finish,
      logprobs: null,
    })),
    usage: usage(c),
  }),
  stream,
  streamError: `data: ${JSON.stringify({ error: { message: STREAM_ERROR_MESSAGE, type: 'server_error' } })}\n\n`,
  malformedStream:
    'data: {"id":"chatcmpl-malformed","object":"chat.completion.chunk","choices":[{\n\n',
};
