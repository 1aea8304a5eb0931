/**
 * The gateway's chat route: an OpenAI Chat Completions request through the runtime, answered
 * as a `chat.completion` or as `chat.completion.chunk` events (see {@link chatRoute} for what
 * every chat route does alike).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamChunk } from '../model/chat.js';
import { inBodyTerms, readChatRequest, type GatewayChatRequest } from './chat-request.js';
import { responsesHandler } from './responses.js';
import { chatRoute, type ChatContext, type Dialect, type StreamWriter } from './chat-route.js';
import {
  chunkDelta,
  chunkEvent,
  closingEvents,
  completionBody,
  completionId,
  errorEvent,
} from './wire.js';

export type { ChatContext } from './chat-route.js';

const CHAT: Dialect<GatewayChatRequest> = {
  read: readChatRequest,
  inBodyTerms,
  answer: (completion) => completionBody(completion),
  writer: chunkWriter,
};

/** The handler of `POST /v1/chat/completions`. */
export function chatHandler(
  context: ChatContext,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return chatRoute(context, CHAT);
}

/** The handlers of both chat routes: `chat` (Chat Completions) and `responses`. */
export function chatHandlers(context: ChatContext): {
  chat: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  responses: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
} {
  return { chat: chatHandler(context), responses: responsesHandler(context) };
}

/**
 * Writes runtime chunks as OpenAI chunks of their choice (see {@link chunkDelta}). As OpenAI
 * does, each choice starts with the role in a chunk of its own, sent even when no text follows
 * (an empty answer), since clients build the message from it; a choice past the first (n > 1)
 * gets it when it first appears.
 */
function chunkWriter(request: GatewayChatRequest, model: string): StreamWriter {
  const id = completionId();
  let announced = 1;
  return {
    start: () => chunkEvent(id, model, { role: 'assistant', content: '' }),
    chunk(chunk: StreamChunk) {
      const index = chunk.choice ?? 0;
      let out = '';
      for (; announced <= index; announced++) {
        out += chunkEvent(id, model, { role: 'assistant', content: '' }, null, announced);
      }
      const delta = chunkDelta(chunk);
      return delta === undefined ? out : out + chunkEvent(id, model, delta, null, index);
    },
    end: (completion) => closingEvents(id, completion, request.includeUsage),
    fail: (error) => errorEvent(error) + 'data: [DONE]\n\n',
  };
}
