/**
 * A completion stream as AI SDK V3 stream parts.
 */
import type { LanguageModelV3StreamPart, SharedV3Warning } from '@ai-sdk/provider';
import type { CompletionStream } from '../../client/stream.js';
import { readableAfterFirst } from '../shared/stream.js';
import { apiCallError } from './errors.js';
import { finishReason, providerMetadata, usage } from './result.js';

// The runtime streams one text, so one text id serves every part.
const TEXT_ID = '0';

/**
 * The V3 stream parts of `stream`: `stream-start`, the text parts, `response-metadata` and
 * `finish`; a failure after the first delta ends it with an `error` part.
 *
 * @throws the runtime's error, as-is, when the stream fails before its first delta.
 */
export function streamParts(
  stream: CompletionStream,
  warnings: SharedV3Warning[],
  client: string,
): Promise<ReadableStream<LanguageModelV3StreamPart>> {
  let started = false;
  return readableAfterFirst<LanguageModelV3StreamPart>(stream, {
    start: [{ type: 'stream-start', warnings }],
    delta: ({ text }) => {
      const delta: LanguageModelV3StreamPart = { type: 'text-delta', id: TEXT_ID, delta: text };
      if (started) return [delta];
      started = true;
      return [{ type: 'text-start', id: TEXT_ID }, delta];
    },
    end: (completion) => [
      ...(started ? [{ type: 'text-end', id: TEXT_ID } as const] : []),
      { type: 'response-metadata', modelId: completion.model },
      {
        type: 'finish',
        finishReason: finishReason(completion.finishReason),
        usage: usage(completion),
        providerMetadata: providerMetadata(completion),
      },
    ],
    failed: (error) => ({ part: { type: 'error', error: apiCallError(error, client) } }),
  });
}
