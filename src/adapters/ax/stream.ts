/**
 * A completion stream as Ax's stream of chat responses.
 */
import { axEmitUsageEvent, type AxChatResponse } from '@ax-llm/ax';
import type { CompletionStream } from '../../client/stream.js';
import type { Completion } from '../../model/request.js';
import { readableAfterFirst } from '../shared/stream.js';
import { toAxError } from './errors.js';
import {
  FINISH_REASONS,
  modelUsage,
  providerMetadata,
  session,
  type ChatContext,
} from './response.js';

/**
 * A ReadableStream of deltas, the usage and finish reason in a last content-free chunk (where
 * Ax's stream reader keeps the last `modelUsage` it saw). The first delta is awaited here, so a
 * failure before any text (FUSE_OPEN, a 5xx after retries) rejects `chat()` itself, as an
 * HTTP error does for Ax's own providers; a later one errors the stream with an Ax error.
 * `onEnd` sees the completion before the last chunk is sent.
 *
 * @throws the runtime's error, as-is, when the stream fails before its first delta.
 */
export function streamResponse(
  stream: CompletionStream,
  ctx: ChatContext,
  onEnd: (c: Completion) => void,
): Promise<ReadableStream<AxChatResponse>> {
  let text = '';
  return readableAfterFirst<AxChatResponse>(stream, {
    delta: (chunk) => {
      text += chunk.text;
      return [{ ...session(ctx), results: [{ index: 0, content: chunk.text }] }];
    },
    end: (c) => {
      const finishReason = FINISH_REASONS[c.finishReason];
      const last: AxChatResponse = {
        ...session(ctx),
        results: [{ index: 0, content: '', finishReason }],
        modelUsage: modelUsage(c, ctx),
        providerMetadata: providerMetadata(c),
      };
      onEnd(c);
      if (ctx.debug) {
        ctx.logger({
          name: 'ChatResponseStreamingDoneResult',
          index: 0,
          value: { index: 0, content: text, finishReason },
        });
      }
      if (!c.cacheHit) axEmitUsageEvent('chat', last, ctx.usageContext, true);
      return [last];
    },
    failed: (error) => ({ error: toAxError(error, ctx.client, ctx.timeoutMs) }),
  });
}
