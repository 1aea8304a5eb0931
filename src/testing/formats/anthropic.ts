import type { IncomingMessage } from 'node:http';
import type { TestChatRequest } from '../types.js';
import { anthropicMessages, toolFields } from './history.js';
import {
  copyHeaders,
  flattenContent,
  isCount,
  isRecord,
  type ChoiceText,
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
    messages: [...system, ...b.messages.flatMap(anthropicMessages)],
    ...toolFields(b, 'output_format'),
    ...(typeof b.temperature === 'number' && { temperature: b.temperature }),
    max_tokens: b.max_tokens,
    stream: b.stream === true,
    headers: copyHeaders(req),
    body: b,
  };
}

const STOP_REASONS: Record<ChoiceText['finish'], string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
};

const stopReason = (c: Completion): string => STOP_REASONS[c.choices[0]!.finish];

/** Anthropic's input_tokens leave out the tokens read from or written to the cache. */
const usage = (c: Completion, output: number): object => ({
  input_tokens: c.promptTokens - (c.cachedTokens ?? 0) - (c.cacheWriteTokens ?? 0),
  ...(c.cacheWriteTokens !== undefined && { cache_creation_input_tokens: c.cacheWriteTokens }),
  ...(c.cachedTokens !== undefined && { cache_read_input_tokens: c.cachedTokens }),
  output_tokens: output,
});

/** One content block: its whole form, its form at `content_block_start`, and its deltas. */
interface Block {
  whole: object;
  start: object;
  deltas: object[];
}

/** The content blocks of a choice: redacted thinking, thinking, text, then tool uses. */
function blocks(choice: ChoiceText): Block[] {
  const out: Block[] = [];
  if (choice.redacted !== undefined) {
    const block = { type: 'redacted_thinking', data: choice.redacted };
    out.push({ whole: block, start: block, deltas: [] });
  }
  if (choice.reasoning !== undefined) {
    const signature = choice.signature ?? '';
    out.push({
      whole: { type: 'thinking', thinking: choice.reasoning, signature },
      start: { type: 'thinking', thinking: '', signature: '' },
      deltas: [
        ...(choice.reasoningDeltas ?? []).map((thinking) => ({ type: 'thinking_delta', thinking })),
        { type: 'signature_delta', signature },
      ],
    });
  }
  const calls = choice.toolCalls ?? [];
  if (choice.content !== '' || calls.length === 0) {
    out.push({
      whole: { type: 'text', text: choice.content },
      start: { type: 'text', text: '' },
      deltas: choice.deltas.map((text) => ({ type: 'text_delta', text })),
    });
  }
  for (const call of calls) {
    const head = { type: 'tool_use', id: call.id, name: call.name };
    out.push({
      whole: { ...head, input: call.input },
      start: { ...head, input: {} },
      deltas: call.fragments.map((partial_json) => ({ type: 'input_json_delta', partial_json })),
    });
  }
  return out;
}

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
    usage: usage(c, 1),
  };
  const events: StreamEvent[] = [head(sse('message_start', { message }))];
  for (const [index, block] of blocks(c.choices[0]!).entries()) {
    events.push(head(sse('content_block_start', { index, content_block: block.start })));
    if (index === 0) events.push(head(sse('ping', {})));
    for (const delta of block.deltas) {
      events.push({ data: sse('content_block_delta', { index, delta }), phase: 'delta' });
    }
    events.push(tail(sse('content_block_stop', { index })));
  }
  return [
    ...events,
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
    content: blocks(c.choices[0]!).map((block) => block.whole),
    stop_reason: stopReason(c),
    stop_sequence: null,
    usage: usage(c, c.completionTokens),
  }),
  stream,
  streamError: sse('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
  malformedStream: 'event: message_start\ndata: {"type":"message_start","message":{\n\n',
};
