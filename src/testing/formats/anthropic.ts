import type { IncomingMessage } from 'node:http';
import type { TestChatRequest } from '../types.js';
import {
  copyHeaders,
  flattenContent,
  isCount,
  isRecord,
  toMessage,
  type Completion,
  type StreamEvent,
  type WireFormat,
} from './shared.js';

// Anthropic's documented error types by status; an unlisted status falls back by class below.
const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function errorBody(status: number, message: string, type?: string): string {
  const kind =
    type ?? ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return JSON.stringify({ type: 'error', error: { type: kind, message } });
}

/** The system prompt as role-`'system'` messages, or the message of a 400 error. */
function systemMessages(system: unknown): Array<{ role: string; content: string }> | string {
  if (system === undefined || system === null) return [];
  if (typeof system === 'string') return [{ role: 'system', content: system }];
  if (!Array.isArray(system) || !system.every((b) => isRecord(b) && typeof b.text === 'string')) {
    return 'system: Input should be a valid string or a list of text blocks';
  }
  return system.map((block) => ({ role: 'system', content: flattenContent([block]) }));
}

function parse(
  b: Record<string, unknown>,
  req: IncomingMessage,
  model: string,
): TestChatRequest | string {
  if (b.max_tokens === undefined) return 'max_tokens: Field required';
  if (!isCount(b.max_tokens, 1)) return 'max_tokens: Input should be a positive integer';
  if (!Array.isArray(b.messages)) return 'messages: Field required';
  const roles = b.messages.map((m: unknown) => (isRecord(m) ? m.role : undefined));
  const bad = roles.findIndex((role) => role !== 'user' && role !== 'assistant');
  if (bad >= 0) return `messages.${bad}.role: Input should be 'user' or 'assistant'`;
  const system = systemMessages(b.system);
  if (typeof system === 'string') return system;
  return {
    format: 'anthropic',
    model: typeof b.model === 'string' ? b.model : model,
    messages: [...system, ...b.messages.map(toMessage)],
    ...(typeof b.temperature === 'number' && { temperature: b.temperature }),
    max_tokens: b.max_tokens,
    stream: b.stream === true,
    headers: copyHeaders(req),
    body: b,
  };
}

const stopReason = (c: Completion): string => (c.choices[0]!.cut ? 'max_tokens' : 'end_turn');

const sse = (type: string, data: object): string =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

function stream(c: Completion): StreamEvent[] {
  const head = (data: string): StreamEvent => ({ data, phase: 'head' });
  const tail = (data: string): StreamEvent => ({ data, phase: 'tail' });
  const message = {
    id: `msg_${c.num}`,
    type: 'message',
    role: 'assistant',
    model: c.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    // Anthropic reports one output token at the start; the final count comes in message_delta.
    usage: { input_tokens: c.promptTokens, output_tokens: 1 },
  };
  return [
    head(sse('message_start', { message })),
    head(sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } })),
    head(sse('ping', {})),
    ...c.choices[0]!.deltas.map((text): StreamEvent => ({
      data: sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
      phase: 'delta',
    })),
    tail(sse('content_block_stop', { index: 0 })),
    tail(
      sse('message_delta', {
        delta: { stop_reason: stopReason(c), stop_sequence: null },
        usage: { output_tokens: c.completionTokens },
      }),
    ),
    tail(sse('message_stop', {})),
  ];
}

/** Anthropic Messages: `POST /v1/messages`. */
export const anthropic: WireFormat = {
  name: 'anthropic',
  streamType: 'text/event-stream',
  deny(req, apiKey) {
    // The Messages API takes the key as `x-api-key`; newer official SDKs send it as a bearer token.
    if (
      apiKey !== undefined &&
      req.headers['x-api-key'] !== apiKey &&
      req.headers.authorization !== `Bearer ${apiKey}`
    ) {
      return { status: 401, body: errorBody(401, 'invalid x-api-key') };
    }
    if (req.headers['anthropic-version'] === undefined) {
      return { status: 400, body: errorBody(400, 'anthropic-version: header is required') };
    }
    return undefined;
  },
  parse,
  errorBody,
  answer: (c) => ({
    id: `msg_${c.num}`,
    type: 'message',
    role: 'assistant',
    model: c.model,
    content: [{ type: 'text', text: c.choices[0]!.content }],
    stop_reason: stopReason(c),
    stop_sequence: null,
    usage: { input_tokens: c.promptTokens, output_tokens: c.completionTokens },
  }),
  stream,
  streamError: sse('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
  malformedStream: 'event: message_start\ndata: {"type":"message_start","message":{\n\n',
};
