/**
 * The gateway's chat route: an OpenAI chat request through the runtime, answered as JSON or as
 * SSE chunks, each answered request observed by the metrics.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Completion } from '../model/request.js';
import type { Runtime } from '../runtime.js';
import type { StreamChunk } from '../client/stream.js';
import { readBody, sendError, sendJson, simpleError } from './http.js';
import type { GatewayMetrics } from './metrics.js';
import {
  chunkEvent,
  closingEvents,
  completionBody,
  completionId,
  errorAnswer,
  errorEvent,
  invalidBody,
  readChatRequest,
  type GatewayChatRequest,
} from './wire.js';

/** What the chat route needs from its gateway. */
export interface ChatContext {
  runtime: Runtime;
  metrics: GatewayMetrics;
  logger: Logger;
  maxBodyBytes: number;
  /** The registered clients' models, by client name. */
  models(): ReadonlyMap<string, string>;
}

/** The handler of `POST /v1/chat/completions`. */
export function chatHandler(
  context: ChatContext,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { runtime, metrics, logger, maxBodyBytes, models } = context;
  // One metrics label for every unknown name, so that callers cannot grow the label set.
  const clientLabel = (name: string) => (models().has(name) ? name : '(unknown)');

  async function chat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const raw = await readBody(req, maxBodyBytes);
    if (raw === 'too_large') {
      res.setHeader('connection', 'close');
      return sendError(
        res,
        simpleError(
          413,
          'invalid_request_error',
          'BODY_TOO_LARGE',
          `the body is larger than ${maxBodyBytes} bytes`,
        ),
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendError(res, invalidBody('the body is not valid JSON'));
    }
    const request = readChatRequest(body);
    if ('status' in request) return sendError(res, request);
    // A caller that goes away cancels its upstream call: nobody is left to read the answer.
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    request.options.signal = abort.signal;
    const done = (outcome: string, cacheHit: boolean) =>
      metrics.observe(
        clientLabel(request.client),
        outcome,
        cacheHit,
        (performance.now() - started) / 1000,
      );
    if (request.stream) return streamChat(request, res, done);
    let completion: Completion;
    try {
      completion = await runtime.request(request.client, request.messages, request.options);
    } catch (error) {
      const answer = errorAnswer(error);
      done(answer.body.error.code, false);
      if (answer.status >= 500)
        logger.warn({ client: request.client, err: answer.body.error }, 'request failed');
      return sendError(res, answer);
    }
    done('ok', completion.cacheHit);
    sendJson(res, 200, completionBody(completion), {
      'x-llm-actors-client': completion.client,
      'x-llm-actors-cache': completion.cacheHit ? 'hit' : 'miss',
    });
  }

  async function streamChat(
    request: GatewayChatRequest,
    res: ServerResponse,
    done: (outcome: string, cacheHit: boolean) => void,
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
      const answer = errorAnswer(error);
      done(answer.body.error.code, false);
      return sendError(res, answer);
    }
    const id = completionId();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    const model = models().get(request.client) ?? request.client;
    // As OpenAI does: the role in a first chunk of its own, sent even when no text follows
    // (an empty answer), since clients build the message from it.
    res.write(chunkEvent(id, model, { role: 'assistant', content: '' }));
    try {
      while (!next.done) {
        if (!res.writableEnded) res.write(chunkEvent(id, model, { content: next.value.text }));
        next = await iterator.next();
      }
      const completion = await stream.completion;
      done('ok', completion.cacheHit);
      res.end(closingEvents(id, completion, request.includeUsage));
    } catch (error) {
      done(errorAnswer(error).body.error.code, false);
      res.end(errorEvent(error) + 'data: [DONE]\n\n');
    }
  }

  return chat;
}
