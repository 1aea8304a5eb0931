import type { IncomingMessage } from 'node:http';
import type { TestChatRequest } from '../types.js';
import {
  copyHeaders,
  isRecord,
  STREAM_ERROR_MESSAGE,
  toMessage,
  type Completion,
  type StreamEvent,
  type WireFormat,
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
    messages: b.messages.map(toMessage),
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
    done_reason: c.choices[0]!.cut ? 'length' : 'stop',
    total_duration: Math.round(c.elapsedMs * 1_000_000) + load + promptEval + evalDuration,
    load_duration: load,
    prompt_eval_count: c.promptTokens,
    prompt_eval_duration: promptEval,
    eval_count: c.completionTokens,
    eval_duration: evalDuration,
  };
}

const line = (data: object): string => `${JSON.stringify(data)}\n`;

function stream(c: Completion): StreamEvent[] {
  const head = { model: c.model, created_at: new Date(c.createdMs).toISOString() };
  const message = (content: string): object => ({ role: 'assistant', content });
  return [
    ...c.choices[0]!.deltas.map((content): StreamEvent => ({
      data: line({ ...head, message: message(content), done: false }),
      phase: 'delta',
    })),
    { data: line({ ...head, message: message(''), ...done(c) }), phase: 'tail' },
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
    message: { role: 'assistant', content: c.choices[0]!.content },
    ...done(c),
  }),
  stream,
  streamError: line({ error: STREAM_ERROR_MESSAGE }),
  malformedStream: '{"model":"test-model","message":{\n',
};
