/**
 * A completion stream as Ax's stream of chat responses.
 */
import { axEmitUsageEvent, type AxChatResponse, type AxChatResponseResult } from '@ax-llm/ax';
import type { CompletionStream, StreamChunk } from '../../client/stream.js';
import type { Completion } from '../../model/request.js';
import { readableAfterFirst } from '../shared/stream.js';
import { toAxError } from './errors.js';
import {
  FINISH_REASONS,
  modelUsage,
  providerMetadata,
  session,
  thoughtBlocks,
  type ChatContext,
} from './response.js';

/**
 * One chunk as Ax's delta result: text as `content`, reasoning as `thought`, a tool-call
 * fragment as a function call that Ax merges by id (the name only on the first fragment, as
 * Ax appends names too). `ids` keeps each call's id by its index: the first fragment's, or
 * one `inventId` makes when it has none. Undefined for a chunk with nothing to show (a hidden
 * thought) or of a choice other than the first, which a streamed Ax call never asks for.
 */
function deltaResult(
  chunk: StreamChunk,
  ids: string[],
  inventId: (index: number) => string,
  showThoughts: boolean,
): AxChatResponseResult | undefined {
  if (chunk.choice !== undefined && chunk.choice !== 0) return undefined;
  const thought = showThoughts ? (chunk.reasoning ?? '') : '';
  const call = chunk.toolCall;
  if (chunk.text === '' && thought === '' && call === undefined) return undefined;
  const result: AxChatResponseResult = { index: 0, content: chunk.text };
  if (thought !== '') result.thought = thought;
  if (call !== undefined) {
    const first = ids[call.index] === undefined;
    const id = (ids[call.index] ??= call.id || inventId(call.index));
    result.functionCalls = [
      {
        id,
        type: 'function',
        function: { name: first ? (call.name ?? '') : '', params: call.arguments },
      },
    ];
  }
  return result;
}

/**
 * A ReadableStream of deltas (text, thought, function-call fragments), the usage, finish reason
 * and signed thought blocks in a last content-free chunk (where Ax's stream reader keeps the
 * last `modelUsage` it saw). The first delta is awaited here, so a
 * failure before any text (FUSE_OPEN, a 5xx after retries) rejects `chat()` itself, as an
 * HTTP error does for Ax's own providers; a later one errors the stream with an Ax error.
 * `onEnd` sees the completion before the last chunk is sent; `inventId` names a tool call that
 * came without an id.
 *
 * @throws the runtime's error, as-is, when the stream fails before its first delta.
 */
export function streamResponse(
  stream: CompletionStream,
  ctx: ChatContext,
  inventId: (index: number) => string,
  onEnd: (c: Completion) => void,
): Promise<ReadableStream<AxChatResponse>> {
  let text = '';
  const ids: string[] = [];
  return readableAfterFirst<AxChatResponse>(stream, {
    delta: (chunk) => {
      const result = deltaResult(chunk, ids, inventId, ctx.showThoughts);
      if (result === undefined) return [];
      text += chunk.text;
      return [{ ...session(ctx), results: [result] }];
    },
    end: (c) => {
      const finishReason = FINISH_REASONS[c.finishReason];
      const blocks = thoughtBlocks(c.message.reasoning);
      const last: AxChatResponse = {
        ...session(ctx),
        results: [
          {
            index: 0,
            content: '',
            finishReason,
            ...(blocks === undefined ? {} : { thoughtBlocks: blocks }),
          },
        ],
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
