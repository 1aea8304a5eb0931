/**
 * The gateway's chat route: an OpenAI chat request through the runtime, answered as JSON or as
 * SSE chunks, each answered request observed by the metrics.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Completion } from '../model/request.js';
import type { Runtime } from '../runtime.js';
import type { StreamChunk } from '../client/stream.js';
import { isUtf8 } from 'node:buffer';
import { callerSignal } from './caller-signal.js';
import {
  inBodyTerms,
  invalidBody,
  readChatRequest,
  type GatewayChatRequest,
} from './chat-request.js';
import type { ClientDirectory } from './clients.js';
import { readBody, sendError, sendJson, simpleError } from './http.js';
import type { ClientMetrics } from './metrics.js';
import {
  chunkDelta,
  chunkEvent,
  closingEvents,
  completionBody,
  completionId,
  errorAnswer,
  errorEvent,
  type ErrorAnswer,
} from './wire.js';

/** What the chat route needs from its gateway. */
export interface ChatContext {
  runtime: Runtime;
  clients: ClientDirectory;
  logger: Logger;
  maxBodyBytes: number;
  /** How long a body may take to arrive, ms. */
  bodyTimeoutMs: number;
}

/** The handler of `POST /v1/chat/completions`. */
export function chatHandler(
  context: ChatContext,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { runtime, clients, logger } = context;
  return async (req, res) => {
    const started = performance.now();
    const request = await readRequest(req, res, context);
    if (request === undefined) return;
    request.options.signal = callerSignal(res);
    keepTokenField(request, clients.get(request.client)?.provider);
    const cacheControl = cacheOption(req.headers['cache-control']);
    if (cacheControl !== undefined) request.options.cache = cacheControl;
    const metrics = clients.metricsOf(request.client);
    if (request.stream) return streamChat(context, request, res, metrics, started);
    let completion: Completion;
    try {
      completion = await runtime.request(request.client, request.messages, request.options);
    } catch (error) {
      const answer = inBodyTerms(errorAnswer(error), request);
      metrics.observe(answer.body.error.code, false, since(started));
      if (answer.status >= 500) logFailure(logger, request.client, answer);
      return sendError(res, answer);
    }
    metrics.observe('ok', completion.cacheHit, since(started));
    sendJson(res, 200, completionBody(completion), {
      'x-llm-actors-client': completion.client,
      'x-llm-actors-cache': completion.cacheHit ? 'hit' : 'miss',
    });
  };
}

/**
 * The body read as a chat request, or undefined once it was answered: 413, 408 or 400 — or not
 * at all when the caller left before sending it whole (nobody is there to read an answer).
 */
async function readRequest(
  req: IncomingMessage,
  res: ServerResponse,
  { maxBodyBytes, bodyTimeoutMs, logger }: ChatContext,
): Promise<GatewayChatRequest | undefined> {
  const raw = await readBody(req, maxBodyBytes, bodyTimeoutMs);
  if (raw === 'aborted') {
    logger.debug('the caller left before its body was read');
    return undefined;
  }
  if (raw === 'too_large' || raw === 'timeout') {
    res.setHeader('connection', 'close');
    const answer =
      raw === 'too_large'
        ? simpleError(
            413,
            'invalid_request_error',
            'BODY_TOO_LARGE',
            `the body is larger than ${maxBodyBytes} bytes`,
          )
        : simpleError(
            408,
            'invalid_request_error',
            'BODY_TIMEOUT',
            `the body did not arrive within ${bodyTimeoutMs} ms`,
          );
    sendError(res, answer);
    return undefined;
  }
  if (!isUtf8(raw)) {
    sendError(res, invalidBody('the body is not valid UTF-8'));
    return undefined;
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    sendError(res, invalidBody('the body is not valid JSON'));
    return undefined;
  }
  const request = readChatRequest(body);
  if (!('status' in request)) return request;
  sendError(res, request);
  return undefined;
}

/**
 * A failed request in the log: its code, status and client. The message is logged at debug
 * only: an upstream's error may quote the request, and the log is read by more people than
 * the caller.
 */
function logFailure(logger: Logger, client: string, answer: ErrorAnswer): void {
  const { code, upstream_status } = answer.body.error;
  logger.warn({ client, code, status: answer.status, upstream_status }, 'request failed');
  logger.debug({ client, err: answer.body.error }, 'request failed: the full error');
}

/** A streamed answer: SSE chunks as the deltas come, or an HTTP error before the first one. */
async function streamChat(
  { runtime, clients }: ChatContext,
  request: GatewayChatRequest,
  res: ServerResponse,
  metrics: ClientMetrics,
  started: number,
): Promise<void> {
  const stream = runtime.stream(request.client, request.messages, request.options);
  const iterator = stream[Symbol.asyncIterator]();
  res.on('close', () => {
    if (!res.writableFinished) stream.cancel();
  });
  // Until the first delta the answer can still be an HTTP error with its status (an open
  // fuse is a 503 with Retry-After, not a 200 that fails later).
  let next: IteratorResult<StreamChunk>;
  try {
    next = await iterator.next();
  } catch (error) {
    stream.completion.catch(() => undefined);
    const answer = inBodyTerms(errorAnswer(error), request);
    metrics.observe(answer.body.error.code, false, since(started));
    return sendError(res, answer);
  }
  const id = completionId();
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    'x-llm-actors-client': stream.client ?? request.client,
    'x-llm-actors-cache': (await servedFromCache(stream.completion)) ? 'hit' : 'miss',
  });
  const model = clients.get(stream.client ?? request.client)?.model ?? request.client;
  // As OpenAI does: the role in a first chunk of its own, sent even when no text follows
  // (an empty answer), since clients build the message from it.
  res.write(chunkEvent(id, model, { role: 'assistant', content: '' }));
  let announced = 1;
  try {
    while (!next.done) {
      if (!res.writableEnded) announced = writeChunk(res, id, model, next.value, announced);
      next = await iterator.next();
    }
    const completion = await stream.completion;
    metrics.observe('ok', completion.cacheHit, since(started));
    res.end(closingEvents(id, completion, request.includeUsage));
  } catch (error) {
    metrics.observe(errorAnswer(error).body.error.code, false, since(started));
    res.end(errorEvent(error) + 'data: [DONE]\n\n');
  }
}

/**
 * Writes one runtime chunk as an OpenAI chunk of its choice (see {@link chunkDelta}); a choice past the first (n > 1) gets its role chunk when it first
 * appears. Returns how many choices have had their role chunk.
 */
function writeChunk(
  res: ServerResponse,
  id: string,
  model: string,
  chunk: StreamChunk,
  announced: number,
): number {
  const index = chunk.choice ?? 0;
  for (; announced <= index; announced++) {
    res.write(chunkEvent(id, model, { role: 'assistant', content: '' }, null, announced));
  }
  const delta = chunkDelta(chunk);
  if (delta !== undefined) res.write(chunkEvent(id, model, delta, null, index));
  return announced;
}

/**
 * The runtime's cache option for a request's `Cache-Control`: `no-store` neither reads nor
 * stores, `no-cache` reads fresh and stores; anything else leaves the client's cache as is.
 */
function cacheOption(header: string | undefined): false | 'refresh' | undefined {
  if (header === undefined) return undefined;
  const directives = header
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.includes('no-store')) return false;
  return directives.includes('no-cache') ? 'refresh' : undefined;
}

/**
 * Whether a stream that has sent its first chunk is a cache hit. A hit replays every chunk
 * and resolves its completion in the same turn as the first chunk: one turn of the event loop
 * later it has settled. A stream still running then is a miss.
 */
async function servedFromCache(completion: Promise<Completion>): Promise<boolean> {
  const later = new Promise<false>((resolve) => setImmediate(resolve, false));
  return Promise.race([completion.then((c) => c.cacheHit), later]).catch(() => false);
}

/**
 * `max_completion_tokens` kept as sent: the openai provider sends the newer name when the
 * request's extra has it (other providers have their own name for the limit).
 */
function keepTokenField(request: GatewayChatRequest, provider: string | undefined): void {
  const maxTokens = request.options.maxTokens;
  if (request.maxTokensField !== 'max_completion_tokens' || provider !== 'openai') return;
  request.options.extra = { ...request.options.extra, max_completion_tokens: maxTokens };
}

/** Seconds since `started`, a `performance.now()` reading. */
function since(started: number): number {
  return (performance.now() - started) / 1000;
}
