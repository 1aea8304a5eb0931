/**
 * What the gateway's two chat routes share — `POST /v1/chat/completions` and `POST
 * /v1/responses` differ only in their wire format: the body read (413, 408, UTF-8, JSON), the
 * runtime call plain or streamed, the `Cache-Control` bypass, the `x-llm-actors-*` headers on
 * every answer (errors included, once the body names a known client) and the metrics. A route is
 * this handler plus a {@link Dialect}.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { Logger } from 'pino';
import type { StreamChunk } from '../model/chat.js';
import type { ChatMessage, Completion, RequestOptions } from '../model/request.js';
import type { Runtime } from '../runtime.js';
import { callerSignal } from './caller-signal.js';
import { invalidBody } from './chat-body.js';
import type { ClientDirectory } from './clients.js';
import { readBody, sendError, sendJson, simpleError } from './http.js';
import { errorAnswer, type ErrorAnswer } from './wire.js';
import { requestIdOf } from './request-context.js';
import { streamToolCallIds, withToolCallIds } from './tool-ids.js';
import { noop } from '../model/noop.js';

/** What a chat route needs from its gateway. */
export interface ChatContext {
  runtime: Runtime;
  clients: ClientDirectory;
  logger: Logger;
  maxBodyBytes: number;
  /** How long a body may take to arrive, ms. */
  bodyTimeoutMs: number;
}

/** A request read from a route's body, in the runtime's terms. */
export interface RouteRequest {
  client: string;
  messages: ChatMessage[];
  options: RequestOptions;
  stream: boolean;
  /** The body field the token limit came from (`max_completion_tokens` kept as sent). */
  maxTokensField: string;
}

/** Writes one streamed answer in a route's wire format; each method returns the SSE text. */
export interface StreamWriter {
  /** What goes first, right after the headers. */
  start(): string;
  chunk(chunk: StreamChunk): string;
  /** What closes a stream that completed. */
  end(completion: Completion): string;
  /** What closes a stream that failed after its headers were sent. */
  fail(error: unknown): string;
}

/** A route's wire format. */
export interface Dialect<R extends RouteRequest> {
  /** The parsed body as a request, or the 400 that names what is wrong with it. */
  read(body: unknown): R | ErrorAnswer;
  /** A runtime error in the body's terms (INVALID_REQUEST naming the caller's own fields). */
  inBodyTerms(answer: ErrorAnswer, request: R): ErrorAnswer;
  /** The JSON answer of a completion. */
  answer(completion: Completion, request: R): object;
  /** A writer for one streamed answer; `model` is the client's configured model. */
  writer(request: R, model: string): StreamWriter;
}

/** The handler of a chat route speaking `dialect`. */
export function chatRoute<R extends RouteRequest>(
  context: ChatContext,
  dialect: Dialect<R>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { runtime, clients, logger } = context;
  return async (req, res) => {
    const started = performance.now();
    const body = await readJsonBody(req, res, context);
    if (body === undefined) return;
    const request = dialect.read(body);
    if ('status' in request) return sendError(res, withClient(request, clients, modelOf(body)));
    request.options.signal = callerSignal(res);
    request.options.requestId = requestIdOf(res);
    keepTokenField(request, clients.get(request.client)?.provider);
    const cacheControl = cacheOption(req.headers['cache-control']);
    if (cacheControl !== undefined) request.options.cache = cacheControl;
    const metrics = clients.metricsOf(request.client);
    const failed = (error: unknown): ErrorAnswer => {
      const answer = withClient(
        dialect.inBodyTerms(errorAnswer(error), request),
        clients,
        request.client,
      );
      metrics.observe(answer.body.error.code, false, since(started));
      if (answer.status >= 500) logFailure(logger, request, answer);
      return answer;
    };
    if (!request.stream) {
      let completion: Completion;
      try {
        completion = await runtime.request(request.client, request.messages, request.options);
      } catch (error) {
        return sendError(res, failed(error));
      }
      metrics.observe('ok', completion.cacheHit, since(started));
      const answer = dialect.answer(withToolCallIds(completion, request.messages), request);
      return sendJson(res, 200, answer, answerHeaders(completion));
    }
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
      return sendError(res, failed(error));
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      // For a group: the member that sent the first delta.
      'x-llm-actors-client': stream.client ?? request.client,
      'x-llm-actors-cache': (await servedFromCache(stream.completion)) ? 'hit' : 'miss',
    });
    const answering = stream.client ?? request.client;
    const writer = dialect.writer(request, clients.get(answering)?.model ?? request.client);
    const withIds = streamToolCallIds(request.messages);
    res.write(writer.start());
    const settled = stream.completion.then(noop, noop);
    try {
      while (!next.done) {
        if (!res.writableEnded && !res.write(writer.chunk(withIds(next.value)))) {
          await writable(res, settled);
        }
        next = await iterator.next();
      }
      const completion = await stream.completion;
      metrics.observe('ok', completion.cacheHit, since(started));
      res.end(writer.end(withToolCallIds(completion, request.messages)));
    } catch (error) {
      metrics.observe(errorAnswer(error).body.error.code, false, since(started));
      res.end(writer.fail(error));
    }
  };
}

/**
 * Resolves when `res` takes more (or closed), or the stream has settled. Waiting here leaves
 * the stream unread, which stops reading its upstream: a caller that did not read its stream
 * had the gateway hold it all, rewritten as chunks (4 such callers: 750 MB).
 */
async function writable(res: ServerResponse, settled: Promise<void>): Promise<void> {
  let done!: () => void;
  const ready = new Promise<void>((resolve) => (done = resolve));
  res.once('drain', done);
  res.once('close', done);
  await Promise.race([ready, settled]);
  res.off('drain', done);
  res.off('close', done);
}

/** The headers of every answer served: which client answered, and whether from its cache. */
function answerHeaders(completion: Completion): Record<string, string> {
  return {
    'x-llm-actors-client': completion.client,
    'x-llm-actors-cache': completion.cacheHit ? 'hit' : 'miss',
  };
}

/** `answer` with `x-llm-actors-client` when `model` names a registered client. */
function withClient(answer: ErrorAnswer, clients: ClientDirectory, model: unknown): ErrorAnswer {
  if (typeof model !== 'string' || clients.get(model) === undefined) return answer;
  return { ...answer, headers: { ...answer.headers, 'x-llm-actors-client': model } };
}

function modelOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null
    ? (body as { model?: unknown }).model
    : undefined;
}

/**
 * The body read and parsed as JSON, or undefined once it was answered: 413, 408 or 400 — or not
 * at all when the caller left before sending it whole (nobody is there to read an answer).
 */
async function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  { maxBodyBytes, bodyTimeoutMs, logger }: ChatContext,
): Promise<unknown> {
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
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    sendError(res, invalidBody('the body is not valid JSON'));
    return undefined;
  }
}

/**
 * A failed request in the log: its code, status and client. The message is logged at debug
 * only: an upstream's error may quote the request, and the log is read by more people than
 * the caller.
 */
function logFailure(logger: Logger, request: RouteRequest, answer: ErrorAnswer): void {
  const { code, upstream_status } = answer.body.error;
  const { client, options } = request;
  const line = { req: options.requestId, client, code, status: answer.status, upstream_status };
  logger.warn(line, 'request failed');
  logger.debug(
    { req: options.requestId, client, err: answer.body.error },
    'request failed: the full error',
  );
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
function keepTokenField(request: RouteRequest, provider: string | undefined): void {
  const maxTokens = request.options.maxTokens;
  if (request.maxTokensField !== 'max_completion_tokens' || provider !== 'openai') return;
  if (maxTokens === undefined) return;
  request.options.extra = { ...request.options.extra, max_completion_tokens: maxTokens };
}

/** Seconds since `started`, a `performance.now()` reading. */
function since(started: number): number {
  return (performance.now() - started) / 1000;
}
