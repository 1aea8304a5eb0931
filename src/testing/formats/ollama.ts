import type { IncomingMessage } from 'node:http';
import type { TestChatRequest } from '../types.js';
import { functionMessage, toolFields } from './history.js';
import {
  copyHeaders,
  isRecord,
  STREAM_ERROR_MESSAGE,
  type ChoiceText,
  type Completion,
  type StreamEvent,
  type WireFormat,
  type WireToolCall,
} from './shared.js';

const errorBody = (_status: number, message: string): string => JSON.stringify({ error: message });

function parse(
  b: Record<string, unknown>,
  req: IncomingMessage,
  model: string,
): TestChatRequest | string {
  if (!Array.isArray(b.messages)) return 'messages must be an array';
  const options = b.options ?? {};
  if (!isRecord(options)) return 'options must be an object';
  const { temperature, num_predict: numPredict } = options;
  if (numPredict !== undefined && !Number.isInteger(numPredict)) {
    return 'option "num_predict" must be an integer';
  }
  return {
    format: 'ollama',
    model: typeof b.model === 'string' ? b.model : model,
    messages: b.messages.map(functionMessage),
    ...toolFields(b, 'format'),
    ...(typeof temperature === 'number' && { temperature }),
    // Ollama reads a negative num_predict as "no limit".
    ...(typeof numPredict === 'number' && numPredict >= 0 && { max_tokens: numPredict }),
    // Unlike the other APIs, Ollama streams unless told not to.
    stream: b.stream !== false,
    headers: copyHeaders(req),
    body: b,
  };
}

/** The final statistics; durations (nanoseconds) are synthetic but plausible and consistent. */
function done(c: Completion): object {
  const load = 1_000_000;
  const promptEval = c.promptTokens * 100_000;
  const evalDuration = c.completionTokens * 1_000_000;
  return {
    done: true,
    done_reason: c.choices[0]!.finish === 'length' ? 'length' : 'stop',
    total_duration: Math.round(c.elapsedMs * 1_000_000) + load + promptEval + evalDuration,
    load_duration: load,
    prompt_eval_count: c.promptTokens,
    prompt_eval_duration: promptEval,
    eval_count: c.completionTokens,
    eval_duration: evalDuration,
  };
}

/** Ollama's tool calls carry their arguments as an object. */
const toolCalls = (calls: WireToolCall[]): object[] =>
  calls.map((call) => ({ function: { name: call.name, arguments: call.input } }));

/** The whole assistant message of the answer. */
function message(choice: ChoiceText): object {
  const calls = choice.toolCalls ?? [];
  return {
    role: 'assistant',
    content: choice.content,
    ...(choice.reasoning !== undefined && { thinking: choice.reasoning }),
    ...(calls.length > 0 && { tool_calls: toolCalls(calls) }),
  };
}

const line = (data: object): string => `${JSON.stringify(data)}\n`;

function stream(c: Completion): StreamEvent[] {
  const head = { model: c.model, created_at: new Date(c.createdMs).toISOString() };
  const choice = c.choices[0]!;
  // Thinking, then text, streamed in pieces; each tool call comes whole, in a message of its own.
  const messages: object[] = [
    ...(choice.reasoningDeltas ?? []).map((thinking) => ({ content: '', thinking })),
    ...choice.deltas.map((content) => ({ content })),
    ...(choice.toolCalls ?? []).map((call) => ({ content: '', tool_calls: toolCalls([call]) })),
  ];
  return [
    ...messages.map((message): StreamEvent => ({
      data: line({ ...head, message: { role: 'assistant', ...message }, done: false }),
      phase: 'delta',
    })),
    {
      data: line({ ...head, message: { role: 'assistant', content: '' }, ...done(c) }),
      phase: 'tail',
    },
  ];
}

/** Ollama native chat: `POST /api/chat`. */
export const ollama: WireFormat = {
  name: 'ollama',
  streamType: 'application/x-ndjson',
  deny(req, apiKey) {
    // Plain Ollama has no auth; hosted Ollama and proxies in front of it use a bearer token.
    if (apiKey === undefined || req.headers.authorization === `Bearer ${apiKey}`) return undefined;
    return { status: 401, body: errorBody(401, 'unauthorized') };
  },
  parse,
  errorBody,
  answer: (c) => ({
    model: c.model,
    created_at: new Date(c.createdMs).toISOString(),
    message: message(c.choices[0]!),
    ...done(c),
  }),
  stream,
  streamError: line({ error: STREAM_ERROR_MESSAGE }),
  malformedStream: '{"model":"test-model","message":{\n',
};
